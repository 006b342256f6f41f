"""The data contract: one Frictionless Table Schema per input table, and the config's JSON Schema.

The schemas in `data_schema/` are the single source of truth: validation reads them, and the
human data dictionary (`data_schema/DATA_DICTIONARY.md`) is generated from them
(`evaluation data-dictionary > data_schema/DATA_DICTIONARY.md`, or `make data-dictionary`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ._resources import resource_dir

TABLES: tuple[str, ...] = (
    "custody_detentions",
    "programme_contacts",
    "referrals",
    "events",
    "costs",
    "unit_costs",
    "spells",
    "custody_spells",
)
#: The tables each design needs ([programme] design); the others are optional.
REQUIRED_BY_DESIGN: dict[str, tuple[str, ...]] = {
    "custody_contacts": ("custody_detentions", "programme_contacts"),
    "spells": ("spells", "events"),
}
REQUIRED_TABLES: tuple[str, ...] = REQUIRED_BY_DESIGN["custody_contacts"]
FILE_FORMATS: tuple[str, ...] = ("csv", "xlsx", "parquet")


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    title: str
    description: str
    required: bool
    unique: bool
    enum: tuple[str, ...] | None
    minimum: float | None
    maximum: float | None
    optional_column: bool
    default: str | None = None  # x-default: the value of an empty cell or a column left out


@dataclass(frozen=True)
class TableSchema:
    name: str
    title: str
    description: str
    fields: tuple[FieldSpec, ...]
    foreign_keys: tuple[tuple[str, str, str], ...]  # (column, referenced table, referenced column)
    rules: tuple[tuple[str, str], ...]  # (rule id, description)

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def required_columns(self) -> list[str]:
        return [f.name for f in self.fields if not f.optional_column]

    def field(self, name: str) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


def _field(raw: dict[str, Any]) -> FieldSpec:
    c = raw.get("constraints", {})
    return FieldSpec(
        name=raw["name"],
        type=raw.get("type", "string"),
        title=raw.get("title", raw["name"]),
        description=raw.get("description", ""),
        required=bool(c.get("required", False)),
        unique=bool(c.get("unique", False)),
        enum=tuple(c["enum"]) if "enum" in c else None,
        minimum=c.get("minimum"),
        maximum=c.get("maximum"),
        optional_column=bool(raw.get("x-optional-column", False)),
        default=raw.get("x-default"),
    )


@lru_cache(maxsize=None)
def table_schema(name: str) -> TableSchema:
    """The Table Schema of one input table, read from `data_schema/<name>.schema.json`."""
    if name not in TABLES:
        raise KeyError(f"unknown table {name!r}; the tables are {', '.join(TABLES)}")
    raw = json.loads((resource_dir("data_schema") / f"{name}.schema.json").read_text("utf-8"))
    fks = tuple((fk["fields"][0], fk["reference"]["resource"], fk["reference"]["fields"][0]) for fk in raw.get("foreignKeys", []))
    return TableSchema(
        name=raw["name"],
        title=raw.get("title", name),
        description=raw.get("description", ""),
        fields=tuple(_field(f) for f in raw["fields"]),
        foreign_keys=fks,
        rules=tuple((r["id"], r["description"]) for r in raw.get("x-rules", [])),
    )


@lru_cache(maxsize=None)
def config_schema() -> dict[str, Any]:
    """The JSON Schema of `evaluation.toml`."""
    return json.loads((resource_dir("data_schema") / "config.schema.json").read_text("utf-8"))


_TYPE_TEXT = {
    "string": "text",
    "integer": "whole number",
    "number": "number",
    "date": "date (YYYY-MM-DD)",
    "datetime": "date and time (YYYY-MM-DD HH:MM[:SS])",
}


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def data_dictionary_markdown() -> str:
    """The human data dictionary: every table, column and config key, generated from the schemas."""
    out = [
        "# Data dictionary",
        "",
        "Generated from the schemas in `data_schema/` by `make data-dictionary`; do not edit by hand.",
        "",
        "An evaluator's data folder holds each table as CSV (UTF-8, comma-separated, header on the first",
        "line), XLSX (header on row 1 of the first sheet, or of a sheet named after the table) or",
        "Parquet, named after the table: `custody_detentions.csv`, `programme_contacts.xlsx`, … and the",
        "config `evaluation.toml`. Required tables: "
        + "; ".join(f"for the {d.replace('_', ' ')} design, " + ", ".join(f"`{t}`" for t in ts) for d, ts in REQUIRED_BY_DESIGN.items())
        + " (`[programme] design`). The other tables are optional (the sections that need them say so when they are missing).",
        "",
        "Allowed values are matched ignoring case and surrounding spaces. Local codes and column names",
        "can be mapped to the contract's in the config (`[data.values.*]`, `[data.columns.*]`).",
        "Columns not in the contract are ignored (and reported as a warning), so identifiers such as",
        "names never travel further than the loader.",
        "",
    ]
    for name in TABLES:
        s = table_schema(name)
        out += [f"## `{name}`: {s.title}", "", s.description, ""]
        out += ["| Column | Type | Required | Allowed values / range | Meaning |", "|---|---|---|---|---|"]
        for f in s.fields:
            if f.optional_column:
                req = "optional column" + ("" if not f.required else ", value required")
            else:
                req = "yes" if f.required else "column required, value may be empty"
            allowed = []
            if f.enum:
                allowed.append(", ".join(f"`{v}`" for v in f.enum))
            if f.minimum is not None or f.maximum is not None:
                allowed.append(f"{f.minimum if f.minimum is not None else ''}–{f.maximum if f.maximum is not None else ''}")
            if f.unique:
                allowed.append("unique")
            if f.default is not None:
                allowed.append(f"default `{f.default}`")
            meaning = f.title + (". " + f.description if f.description else "")
            out.append(f"| `{f.name}` | {_TYPE_TEXT.get(f.type, f.type)} | {req} | {_md('; '.join(allowed))} | {_md(meaning)} |")
        out.append("")
        if s.foreign_keys:
            for col, table, ref in s.foreign_keys:
                out.append(f"- `{col}` must exist in `{table}.{ref}`.")
        for rule_id, text in s.rules:
            out.append(f"- Rule `{rule_id}`: {text}")
        out.append("")
    out += ["## `evaluation.toml`: the config", "", config_schema()["description"], ""]
    out += ["| Key | Type | Default | Meaning |", "|---|---|---|---|"]
    required_sections = set(config_schema().get("required", []))
    for section, spec in config_schema()["properties"].items():
        note = " (required section)" if section in required_sections else ""
        out.append(f"| `[{section}]` | table | | {_md(spec.get('description', ''))}{note} |")
        required_keys = set(spec.get("required", []))
        for key, prop in spec.get("properties", {}).items():
            typ = prop.get("type", "")
            if prop.get("format") == "date":
                typ = "date"
            default = "required" if key in required_keys else json.dumps(prop["default"]) if "default" in prop else ""
            out.append(f"| `{section}.{key}` | {typ} | {_md(default)} | {_md(prop.get('description', ''))} |")
            item = prop.get("items", {})
            if typ == "array" and "properties" in item:  # an array of tables, e.g. [[data.sources]]: each key of an entry
                item_required = set(item.get("required", []))
                for sub, sp in item["properties"].items():
                    d = "required" if sub in item_required else json.dumps(sp["default"]) if "default" in sp else ""
                    out.append(f"| `{section}.{key}[].{sub}` | {sp.get('type', '')} | {_md(d)} | {_md(sp.get('description', ''))} |")
    out.append("")
    return "\n".join(out)
