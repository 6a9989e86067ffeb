import { lintCypherQuery } from '@neo4j-cypher/language-support';
import fs from 'fs';
const { schema, graphSchema, statements } = JSON.parse(fs.readFileSync('/tmp/lintscratch/stmts.json','utf8'));
const mode = process.argv[2];
const times = {};
let t0 = performance.now();
let n=0;
for (const s of statements) {
  const db = { ...schema, parameters: s.parameters };
  if (mode === '25') db.defaultLanguage = 'CYPHER 25';
  if (mode === 'gs') db.graphSchema = graphSchema;
  const a = performance.now();
  const { diagnostics } = lintCypherQuery(s.statement, db, { consoleCommandsEnabled: s.console });
  const k = s.name.split(' ')[0]; times[k] = (times[k] ?? 0) + performance.now() - a;
  for (const d of diagnostics) { if (n++ < 15) console.log(s.name, '|', d.severity, d.message, '|', s.statement.slice(0,300).replace(/\n/g,' ')); }
}
console.log(mode, 'total diags', n, 'ms', Math.round(performance.now() - t0), JSON.stringify(Object.fromEntries(Object.entries(times).map(([k,v])=>[k,Math.round(v)]))));
