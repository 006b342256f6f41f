"""Build the report: validate inputs, execute the parameterised notebook, export self-contained HTML.

Pipeline: load & validate (fail before anything is written) → papermill executes
`notebooks/report.ipynb` top to bottom in a fresh kernel → the executed notebook is normalised
(fixed cell ids, no timings, no stderr) → nbconvert exports HTML with the offline template (no
code, no scripts, no network resources) → outputs are staged in a temporary folder and moved into
place only when everything has succeeded.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import nbformat

from .._resources import package_path, resource_dir
from ..config import CONFIG_FILENAME
from ..demo import write_demo
from ..loading import handing_over, load
from .words import Vocabulary

NOTEBOOK = "report.ipynb"
OUTPUTS = ("report.html", "report.pdf", "tables.xlsx", "results.json", "disclosure_log.csv")
#: Fixed timestamp for every build (reproducible outputs); a caller's SOURCE_DATE_EPOCH wins.
DEFAULT_SOURCE_DATE_EPOCH = "1603065600"  # 2020-10-19, the programme's first day


class ReportBuildError(RuntimeError):
    """The notebook failed; nothing was written to the output folder."""


@dataclass(frozen=True)
class BuildResult:
    out_dir: Path
    files: dict[str, Path]
    warnings: list[str]


def _template_dir() -> Path:
    return package_path("report", "templates")


def normalise_notebook(
    nb: nbformat.NotebookNode, title: str, internal_qa: bool = False, words: Callable[[str], str] | None = None
) -> tuple[nbformat.NotebookNode, list[str]]:
    """Strip everything that varies between runs and everything a reader should not see; `words` rewrites the
    notebook's own narrative (its markdown cells) in the programme's vocabulary (report.words).

    Returns the notebook and any stderr text the kernel printed (reported to the builder, not the reader).
    """
    warnings: list[str] = []
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)
    nb.metadata["title"] = ("NOT FOR PUBLICATION: " + title) if internal_qa else title
    keep = []
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "parameters" in tags or "injected-parameters" in tags:
            continue
        cell.metadata.pop("execution", None)
        cell.metadata.pop("papermill", None)
        if cell.cell_type == "code":
            cell.execution_count = None
            outputs = []
            for out in cell.outputs:
                if out.get("output_type") == "stream" and out.get("name") == "stderr":
                    warnings.append(out.get("text", "").strip())
                    continue
                if "execution_count" in out:
                    out["execution_count"] = None
                outputs.append(out)
            cell.outputs = outputs
        elif cell.cell_type == "markdown" and words is not None:
            cell.source = words(cell.source)
        keep.append(cell)
    for i, cell in enumerate(keep):
        cell["id"] = f"cell-{i:03d}"
    nb.cells = keep
    return nb, [w for w in warnings if w]


def export_html(nb: nbformat.NotebookNode, internal_qa: bool = False) -> str:
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="offline",
        extra_template_basedirs=[str(_template_dir())],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        anchor_link_text="",
    )
    css = (_template_dir() / "offline" / "report.css").read_text("utf-8")
    body, _ = exporter.from_notebook_node(nb, resources={"report_css": css, "internal_qa": internal_qa})
    return body


def export_pdf(html: str, title: str) -> bytes:
    """A tagged PDF (PDF/UA-1) from the report HTML with WeasyPrint: A4 from the CSS, no scripts, no network."""
    import logging

    for name in ("weasyprint", "fontTools", "fontTools.subset"):
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        import weasyprint
    except OSError as exc:  # pango or its friends missing from the system
        raise ReportBuildError(
            f"WeasyPrint cannot start ({exc}); install pango: apt-get install libpango-1.0-0 libpangoft2-1.0-0"
        ) from None
    return weasyprint.HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")


#: The report notebook of each design ([programme] design).
NOTEBOOKS = {"custody_contacts": NOTEBOOK, "spells": "spells_report.ipynb"}


def execute_notebook(params: dict, workdir: Path, notebook: str = NOTEBOOK) -> nbformat.NotebookNode:
    """Run the report notebook with papermill (no cell progress bar: the stages report their own progress)."""
    import papermill as pm

    source = resource_dir("notebooks") / notebook
    executed = workdir / "executed.ipynb"
    try:
        pm.execute_notebook(
            str(source),
            str(executed),
            parameters=params,
            kernel_name="python3",
            progress_bar=False,
            cwd=str(workdir),
            log_output=False,
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
    except pm.PapermillExecutionError as exc:
        raise ReportBuildError(f"the report notebook failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue}") from None
    nb = nbformat.read(executed, as_version=4)
    executed.unlink()
    return nb


@contextlib.contextmanager
def reproducible_environment() -> Iterator[None]:
    """Environment for a byte-identical build (the kernel inherits it): a fixed SOURCE_DATE_EPOCH unless set,
    PYTHONHASHSEED=0 and no MPLBACKEND. The caller's environment is restored afterwards."""
    keys = ("SOURCE_DATE_EPOCH", "PYTHONHASHSEED", "MPLBACKEND")
    saved = {k: os.environ.get(k) for k in keys}
    os.environ.setdefault("SOURCE_DATE_EPOCH", DEFAULT_SOURCE_DATE_EPOCH)
    os.environ["PYTHONHASHSEED"] = "0"
    os.environ.pop("MPLBACKEND", None)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def check_output_folder(out_dir: Path) -> None:
    """Fail early, with a sentence, when the outputs could not be written to `out_dir`: a file in its place, an
    output name taken by a folder, or a folder (or its parent) that cannot be created or written to."""
    if out_dir.exists() and not out_dir.is_dir():
        raise ReportBuildError(f"the output folder {out_dir} is a file; give --out a folder (it is created if needed)")
    taken = [name for name in OUTPUTS if (out_dir / name).is_dir()]
    if taken:
        raise ReportBuildError(f"{', '.join(taken)} in {out_dir} {'is a folder' if len(taken) == 1 else 'are folders'}; move it away first")
    existing = next((p for p in [out_dir, *out_dir.parents] if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise ReportBuildError(f"cannot create the output folder {out_dir}: {existing} is a file")
    folder = existing  # nothing is created here: a build that fails validation leaves no trace
    try:
        if folder is not None:
            with tempfile.NamedTemporaryFile(prefix=".write-test-", dir=folder):
                pass
    except OSError as exc:
        raise ReportBuildError(
            f"cannot write the report to {out_dir}: {exc.strerror or exc} ({exc.filename or folder}); "
            "choose another --out or change the folder's permissions"
        ) from None
    for name in OUTPUTS:
        target = out_dir / name
        if target.exists() and not os.access(target, os.W_OK):
            raise ReportBuildError(f"{target} exists and cannot be replaced (it is read-only); move it away or choose another --out")


def progress_lines(on: bool, say: Callable[[str], None]):
    """Progress of this process's stages (reading, checking) as indented lines, when `on`."""
    from .. import progress

    return progress.reporting(lambda line: say(f"  {line}")) if on else contextlib.nullcontext()


def progress_file(on: bool, path: Path, say: Callable[[str], None]):
    """Progress of the notebook kernel's stages (matching, counting, ...), printed as they come, when `on`."""
    from .. import progress

    return progress.follow(path, say) if on else contextlib.nullcontext()


def build_report(
    data_dir: str | Path | None = None,
    config: str | Path | None = None,
    out_dir: str | Path = "reports/demo",
    progress: bool = True,
    say: Callable[[str], None] = print,
    internal_qa: bool = False,
    command: str | None = None,
) -> BuildResult:
    """Build report.html and results.json into `out_dir`.

    Without `data_dir`, demo data is generated afresh (and discarded afterwards). Inputs are validated
    first: on any problem a ValidationError/ConfigError is raised and nothing is written.
    """
    out_dir = Path(out_dir).resolve()
    check_output_folder(out_dir)  # before minutes of work, not after
    with reproducible_environment(), tempfile.TemporaryDirectory(prefix="evaluation-demo-") as demo_tmp:
        data_label = None
        if data_dir is None:
            say("Generating demo data (synthetic, calibrated to Operation Alliance)…")
            data_dir = Path(demo_tmp) / "demo-data"
            write_demo(data_dir)
            from ..demo import DEMO_SEED

            data_label = f"synthetic demo data generated afresh (evaluation.demo, seed {DEMO_SEED})"
        data_dir = Path(data_dir).resolve()
        config_path = Path(config).resolve() if config else data_dir / CONFIG_FILENAME
        say(f"Validating {data_dir} …")
        with progress_lines(progress, say):
            data = load(data_dir, config_path)  # raises before anything is written
        for problem in data.warnings:
            say(f"  warning: {problem}")
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".build-", dir=out_dir.parent) as stage_dir:
            stage = Path(stage_dir)
            say("Executing the report notebook…")
            if internal_qa:
                say("INTERNAL QA MODE: disclosure control is off; every page is stamped NOT FOR PUBLICATION.")
            started = time.perf_counter()
            # the analysis stages run in the notebook's kernel: they report to a file, printed here as they come
            with progress_file(progress, stage / ".progress", say), handing_over(data):
                nb = execute_notebook(
                    {
                        "data_dir": str(data_dir),
                        "config_path": str(config_path),
                        "out_dir": str(stage),
                        "internal_qa": internal_qa,
                        "command": command or "evaluation report",
                        "data_label": data_label or f"data folder '{data_dir.name}'",
                    },
                    stage,
                    NOTEBOOKS[data.config.programme.design],
                )
            if progress:
                say(f"  notebook: done in {time.perf_counter() - started:.1f} s")
            nb, warnings = normalise_notebook(nb, data.config.report.title, internal_qa, Vocabulary.for_config(data.config).apply)
            for w in warnings:
                say(f"  notebook printed to stderr (left out of the report): {w.splitlines()[0][:200]}")
            say("Exporting HTML…")
            html = export_html(nb, internal_qa)
            (stage / "report.html").write_text(html, encoding="utf-8")
            say("Exporting PDF…")
            started = time.perf_counter()
            (stage / "report.pdf").write_bytes(export_pdf(html, nb.metadata["title"]))
            if progress:
                say(f"  PDF: done in {time.perf_counter() - started:.1f} s")
            missing = [f for f in OUTPUTS if not (stage / f).exists()]
            if missing:
                raise ReportBuildError(f"the notebook did not write {', '.join(missing)}")
            out_dir.mkdir(parents=True, exist_ok=True)
            files = {}
            for name in OUTPUTS:
                os.replace(stage / name, out_dir / name)
                files[name] = out_dir / name
    say(f"Report written to {out_dir}")
    return BuildResult(out_dir, files, warnings)
