// Lint Cypher statements with Neo4j's own front end (@neo4j-cypher/language-support, version pinned in
// package.json). Reads {"schema": DbSchema, "statements": [{"statement", "parameters", "console"}, ...]} on
// stdin (each statement is linted with its own parameters; "console" allows Browser commands such as :params);
// writes one list of diagnostics per statement ({severity, message, line, character, offset}) as JSON.
// Exits 0 whenever it ran: a statement the linter itself crashes on gets an "error" diagnostic of its own.
import { lintCypherQuery } from '@neo4j-cypher/language-support';

const SEVERITY = { 1: 'error', 2: 'warning', 3: 'information', 4: 'hint' };

function lintOne({ statement, parameters, console }, schema) {
  try {
    const { diagnostics } = lintCypherQuery(statement, { ...schema, parameters: parameters ?? {} },
      { consoleCommandsEnabled: Boolean(console) });
    return diagnostics.map((d) => ({
      severity: SEVERITY[d.severity] ?? String(d.severity),
      message: d.message,
      line: d.range?.start?.line,
      character: d.range?.start?.character,
      offset: d.offsets?.start,
    }));
  } catch (e) {
    return [{ severity: 'error', message: `the linter crashed on this statement: ${e?.stack ?? e}` }];
  }
}

let input = '';
process.stdin.setEncoding('utf8');
for await (const chunk of process.stdin) input += chunk;
const { schema, statements } = JSON.parse(input);
process.stdout.write(JSON.stringify(statements.map((s) => lintOne(s, schema))));
