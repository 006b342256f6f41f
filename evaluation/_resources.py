"""Where the package finds its schemas, notebooks and templates.

In a source checkout (the usual, editable install) they are the repository's own top-level
`data_schema/` and `notebooks/`; a built wheel carries copies under `evaluation/_bundled/`.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """Directory `data_schema` or `notebooks`, from the checkout or the installed wheel."""
    for candidate in (_PACKAGE.parent / name, _PACKAGE / "_bundled" / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"cannot find the package's {name}/ directory")


def package_path(*parts: str) -> Path:
    """A file shipped inside the package (templates, unit-cost data)."""
    return _PACKAGE.joinpath(*parts)
