"""Evaluation and cost-benefit analysis of police-custody youth diversion programmes.

Data flows one way: load & validate → cohort → match → outcomes → costs → report.

    >>> import evaluation
    >>> data = evaluation.load("path/to/extracts")          # reads evaluation.toml in that folder
    >>> ev = evaluation.evaluate(data)                     # every stage, once (evaluation.pipeline)
    >>> ev.summary()                                      # every estimate in one tidy table
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .config import Config, load_config
from .loading import EvaluationData, load
from .problems import ConfigError, InputError, Problem, ValidationError

try:
    __version__ = version("evaluation")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

__all__ = [
    "Config",
    "ConfigError",
    "EvaluationData",
    "InputError",
    "Problem",
    "ValidationError",
    "evaluate",
    "load",
    "load_config",
    "__version__",
]


def __getattr__(name: str):
    # analysis modules load on first use, so `import evaluation` stays light
    import importlib

    if name == "evaluate":
        from .pipeline import evaluate

        return evaluate
    if name in {"pipeline", "engagement", "demo", "stats", "report", "schema"}:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(name)
