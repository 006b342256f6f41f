import json

from evaluation import schema, validation
from evaluation._resources import resource_dir
from tests.conftest import REPO


def test_every_declared_rule_is_implemented():
    declared = {rule_id for t in schema.TABLES for rule_id, _ in schema.table_schema(t).rules}
    assert declared == set(validation.RULES), "x-rules in data_schema/ and rules in evaluation.validation differ"


def test_schemas_are_frictionless_table_schemas():
    for name in schema.TABLES:
        raw = json.loads((resource_dir("data_schema") / f"{name}.schema.json").read_text())
        assert raw["name"] == name
        for f in raw["fields"]:
            assert f["type"] in {"string", "integer", "number", "date", "datetime"}
            assert set(f.get("constraints", {})) <= {"required", "unique", "enum", "minimum", "maximum"}
            assert f.get("title"), f"{name}.{f['name']} has no title"


def test_data_dictionary_is_up_to_date():
    committed = (REPO / "data_schema" / "DATA_DICTIONARY.md").read_text(encoding="utf-8")
    assert committed == schema.data_dictionary_markdown(), "run `make data-dictionary` and commit the result"


def test_data_dictionary_documents_every_column_and_config_key():
    text = schema.data_dictionary_markdown()
    for name in schema.TABLES:
        for f in schema.table_schema(name).fields:
            assert f"| `{f.name}` |" in text
    for section, spec in schema.config_schema()["properties"].items():
        for key in spec.get("properties", {}):
            assert f"`{section}.{key}`" in text
