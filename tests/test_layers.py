"""The report layer reads results; it does not reach into the analysis (issue 11): its modules import from the
analysis side only through evaluation.results, and no analysis module imports the report layer."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "evaluation"
#: What the report may import besides evaluation.results: inputs, the config, the publication model, and progress lines.
NOT_ANALYSIS = {
    "results",
    "config",
    "loading",
    "schema",
    "readers",
    "problems",
    "disclosure",
    "publication",
    "demo",
    "_resources",
    "progress",
}


def _imports(path: Path, text: str | None = None) -> list[tuple[int, str]]:
    """(line, module inside `evaluation`) for every import in `path` (or in `text`, read as if it were that
    file), resolved to a top-level module name."""
    package = path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1]  # e.g. ('evaluation', 'report', 'sections')
    out = []
    for node in ast.walk(ast.parse(path.read_text() if text is None else text)):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                parts = [*base, *(node.module.split(".") if node.module else [])]
            else:
                parts = (node.module or "").split(".")
            if parts[0] != "evaluation":
                continue
            if len(parts) == 1:  # `from .. import disclosure`: the names are the modules
                out += [(node.lineno, alias.name) for alias in node.names]
            else:
                out.append((node.lineno, parts[1]))
        elif isinstance(node, ast.Import):
            out += [(node.lineno, a.name.split(".")[1]) for a in node.names if a.name.startswith("evaluation.")]
    return out


def test_the_report_imports_the_analysis_only_through_evaluation_results():
    bad = [
        f"{path.relative_to(PACKAGE.parent)}:{line} imports evaluation.{module}"
        for path in sorted((PACKAGE / "report").rglob("*.py"))
        for line, module in _imports(path)
        if module not in NOT_ANALYSIS and module != "report" and module != "__version__"
    ]
    assert not bad, "\n".join(bad)


def test_no_analysis_module_imports_the_report_layer():
    bad = [
        f"{path.relative_to(PACKAGE.parent)}:{line}"
        for path in sorted(PACKAGE.glob("*.py"))
        if path.name not in ("cli.py", "__main__.py")  # the command line builds reports
        for line, module in _imports(path)
        if module == "report"
    ]
    assert not bad, "\n".join(bad)


def test_the_check_sees_an_analysis_import():
    """The checker itself: a report module importing analysis modules, in either form, is caught."""
    probe = PACKAGE / "report" / "sections" / "probe.py"  # never written: read from the text below
    found = {m for _, m in _imports(probe, "from ...engagement import quantity\nfrom ... import costs\nimport evaluation.matching\n")}
    assert found == {"engagement", "costs", "matching"}
