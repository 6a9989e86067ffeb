import { lintCypherQuery } from '@neo4j-cypher/language-support';
import fs from 'fs';
const { schema } = JSON.parse(fs.readFileSync('/tmp/lintscratch/stmts.json','utf8'));
const q = 'MATCH (n:Change) RETURN count(n) AS n';
for (const variant of ['full', 'nolabels', 'empty']) {
  const db = variant === 'full' ? schema : variant === 'nolabels' ? { propertyKeys: schema.propertyKeys } : {};
  let t = performance.now();
  for (let i = 0; i < 100; i++) lintCypherQuery(q, db);
  console.log(variant, ((performance.now() - t) / 100).toFixed(1), 'ms/stmt');
}
