"""The JSON Schema of a query file (docs/query-schema.json), generated from the model that validates query files,
so that an editor can check a query file as it is typed and the page cannot drift (tests/test_docs.py).

The schema states the shape (keys, types, enumerations); what only the ontology knows (labels, relationship
types, properties, clauses) is checked when the file is loaded.

Regenerate: ``python -m itsms_graph.queries.json_schema > docs/query-schema.json`` (``make docs``).
"""

from __future__ import annotations

import json

from itsms_graph.queries.definition import QueryDefinition


def query_json_schema() -> str:
    """The schema as indented JSON with sorted keys (the same model gives the same bytes)."""
    schema = QueryDefinition.model_json_schema(by_alias=True)
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
        "title": "itsms-graph canned query",
        "description": "One canned query per YAML file (queries/<id>.yaml); see docs/query-language.md.",
    }
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(query_json_schema(), end="")
