"""The report layer: executes the report notebook and writes the HTML, PDF, workbook, results.json and disclosure log.

It imports the analysis modules; the analysis modules never import it.
"""

from __future__ import annotations

from .build import ReportBuildError, build_report

__all__ = ["ReportBuildError", "build_report"]
