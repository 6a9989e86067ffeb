import { lintCypherQuery } from '@neo4j-cypher/language-support';
import fs from 'fs';
const { schema, graphSchema } = JSON.parse(fs.readFileSync('/tmp/lintscratch/stmts.json','utf8'));
for (const q of ['MATCH (a:Document)-[:ADDRESSES]->(c:Clause) RETURN a','MATCH (a:Change)-[:ADDRESSES]->(c:Clause) RETURN a','MATCH (a:Clause)<-[:ADDRESSES]-(c:Change) RETURN a', 'MATCH (a:Change) OPTIONAL MATCH (a)-[:ADDRESSES]->(c:Clause) RETURN a', 'RETURN count(*), toInteger("1"), substring("ab",0,1), frobnicate(1)'])
  console.log(q, JSON.stringify(lintCypherQuery(q, { ...schema, graphSchema }).diagnostics.map(d=>[d.severity,d.message])));
