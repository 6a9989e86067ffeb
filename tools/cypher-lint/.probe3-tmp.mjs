import { lintCypherQuery, testData } from '@neo4j-cypher/language-support';
import fs from 'fs';
const { schema, statements } = JSON.parse(fs.readFileSync('/tmp/lintscratch/stmts.json','utf8'));
const pick = (reg) => Object.fromEntries(Object.entries(reg).map(([v, fns]) => [v, Object.fromEntries(Object.entries(fns).filter(([, f]) => f.isBuiltIn))]));
const functions = pick(testData.mockSchema.functions);
console.log(Object.keys(functions['CYPHER 5']).length, Object.keys(testData.mockSchema.functions['CYPHER 5']).filter(k=>!k.includes('.')).length, Object.keys(testData.mockSchema.functions['CYPHER 5']).filter(k=>k.startsWith('apoc')).length);
const used = new Set();
let n = 0;
for (const s of statements) {
  const r = lintCypherQuery(s.statement, { ...schema, parameters: s.parameters, functions, procedures: {} }, { consoleCommandsEnabled: s.console });
  for (const d of r.diagnostics) if (n++ < 10) console.log(s.name, d.message);
  for (const m of s.statement.matchAll(/([A-Za-z_.]+)\(/g)) used.add(m[1]);
}
console.log('diags', n, [...used].sort().join(' '));
console.log(JSON.stringify(lintCypherQuery('RETURN frobnicate(1), COUNT(*)', { ...schema, functions }).diagnostics.map(d=>d.message)));
