"""Benchmark: the demo report build (execute, HTML, PDF, XLSX) beside the floor, an empty notebook
executed and exported by the same pipeline, measured in the same run. Target: under 60 s on 2 cores.

    python benchmarks/report_build.py            # best of 2 runs of each
    python benchmarks/report_build.py --runs 1

Stages of the real build are timed separately (demo data, validation, notebook execution including
every analysis, the workbook and results.json, HTML export, PDF export), then the whole build is
timed end to end through `build_report`, which is what `make report` runs. The floor runs the same
papermill / nbconvert / WeasyPrint steps on a notebook with one empty code cell: it is the cost of
starting a kernel and exporting, which no report can avoid.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import nbformat

from evaluation.demo import write_demo
from evaluation.loading import load
from evaluation.report.build import DEFAULT_SOURCE_DATE_EPOCH, build_report, execute_notebook, export_html, export_pdf, normalise_notebook

TARGET_SECONDS = 60.0


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def floor_once(work: Path) -> dict[str, float]:
    """An empty notebook through the same pipeline: execute (papermill, fresh kernel), HTML, PDF."""
    import papermill as pm

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell("x = None")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_markdown_cell("# Empty report"), nbformat.v4.new_code_cell("pass")]
    src, out = work / "empty.ipynb", work / "empty-out.ipynb"
    nbformat.write(nb, src)
    _, t_exec = _timed(
        lambda: pm.execute_notebook(
            str(src),
            str(out),
            parameters={"x": 1},
            kernel_name="python3",
            progress_bar=False,
            cwd=str(work),
            log_output=False,
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
    )
    executed, _ = normalise_notebook(nbformat.read(out, as_version=4), "Empty report")
    html, t_html = _timed(lambda: export_html(executed))
    _, t_pdf = _timed(lambda: export_pdf(html, "Empty report"))
    return {"execute": t_exec, "html": t_html, "pdf": t_pdf, "total": t_exec + t_html + t_pdf}


def stages_once(work: Path) -> dict[str, float]:
    data_dir = work / "demo"
    _, t_demo = _timed(lambda: write_demo(data_dir))
    data, t_load = _timed(lambda: load(data_dir))
    stage = work / "stage"
    stage.mkdir()
    params = {
        "data_dir": str(data_dir),
        "config_path": str(data_dir / "evaluation.toml"),
        "out_dir": str(stage),
        "internal_qa": False,
        "command": "benchmark",
        "data_label": "demo",
    }
    nb, t_exec = _timed(lambda: execute_notebook(params, stage, progress=False))
    nb, _ = normalise_notebook(nb, data.config.report.title)
    html, t_html = _timed(lambda: export_html(nb))
    _, t_pdf = _timed(lambda: export_pdf(html, data.config.report.title))
    return {
        "demo data": t_demo,
        "validate": t_load,
        "execute (analysis, XLSX, JSON)": t_exec,
        "html": t_html,
        "pdf": t_pdf,
        "total": t_demo + t_load + t_exec + t_html + t_pdf,
    }


def end_to_end_once(work: Path) -> float:
    _, t = _timed(lambda: build_report(out_dir=work / "out", progress=False, say=lambda m: None))
    return t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args()
    os.environ.setdefault("SOURCE_DATE_EPOCH", DEFAULT_SOURCE_DATE_EPOCH)
    floors, stages, ends = [], [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            floors.append(floor_once(Path(tmp)))
        with tempfile.TemporaryDirectory() as tmp:
            stages.append(stages_once(Path(tmp)))
        with tempfile.TemporaryDirectory() as tmp:
            ends.append(end_to_end_once(Path(tmp)))
    best = lambda runs: {k: min(r[k] for r in runs) for k in runs[0]}  # noqa: E731
    floor, stage, end = best(floors), best(stages), min(ends)
    floor["total"] = floor["execute"] + floor["html"] + floor["pdf"]
    print(f"Report build, best of {args.runs} run(s), {os.cpu_count()} CPU(s)")
    print(
        f"  floor (empty notebook): execute {floor['execute']:.1f} s, HTML {floor['html']:.2f} s, PDF {floor['pdf']:.2f} s "
        f"= {floor['total']:.1f} s"
    )
    print("  demo report stages:    " + ", ".join(f"{k} {v:.1f} s" for k, v in stage.items() if k != "total"))
    print(
        f"  demo report, end to end (make report): {end:.1f} s = {end / floor['total']:.1f}x the floor; "
        f"{'within' if end < TARGET_SECONDS else 'OVER'} the {TARGET_SECONDS:.0f} s target ({end / TARGET_SECONDS:.0%} of it)"
    )
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak memory: this process {own:.0f} MB, largest kernel {kids:.0f} MB")


if __name__ == "__main__":
    main()
