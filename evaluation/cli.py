"""The `evaluation` command.

    evaluation init DATA [--out FILE]            draft an evaluation.toml from the files as received
    evaluation validate DATA [--config FILE]     check extracts against the contract; writes nothing
    evaluation demo-data OUT                     write the synthetic demo dataset and its config
    evaluation report [--data DIR] [--out DIR]   build the report (demo data when --data is not given)
    evaluation data-dictionary                   print the data dictionary generated from the schemas

Exit status: 0 success; 1 problems in the inputs (all listed); 2 wrong usage; 3 the build failed (including
outputs that cannot be written and unexpected errors); 130 interrupted (Ctrl-C). Nothing is written unless the
whole command succeeds. `--debug` shows the traceback of an unexpected error instead of a one-line message.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .problems import InputError

EXIT_INPUT, EXIT_USAGE, EXIT_BUILD, EXIT_INTERRUPTED = 1, 2, 3, 130


def _err(text: str) -> None:
    print(text, file=sys.stderr)


def _cmd_validate(args: argparse.Namespace) -> int:
    from .loading import load

    data = load(args.data, args.config)
    summary = data.summary()
    print(f"{args.data}: all tables valid.")
    print(summary.to_string(index=False))
    from .cohort import design_checks

    checks = design_checks(data)
    if checks:
        print()
        print("What the data can and cannot support in the design (not errors; the report says the same):")
        for line in checks:
            print(f"  - {line}")
    if data.warnings:
        from .problems import format_problems

        print()
        print(format_problems(data.warnings, max_per_rule=0 if args.all else 50))
    return 0


def _cmd_init(args: argparse.Namespace) -> int:
    from .init import draft_config

    folder = Path(args.data)
    if not folder.is_dir():
        _err(f"{folder} is not a folder")
        return EXIT_USAGE
    out = Path(args.out) if args.out else folder / "evaluation.toml"
    if out.exists() and not args.force:
        _err(f"{out} already exists; use --force to overwrite it, or --out to write the draft elsewhere")
        return EXIT_USAGE
    text, guesses = draft_config(folder)
    out.write_text(text + "\n", encoding="utf-8")
    for g in guesses:
        print(f"  {g.path.name}: {g.table or 'not recognised'}" + (f" ({g.note})" if g.note else ""))
    print(f"Draft config written to {out}. Check every GUESS and FILL IN, then run: evaluation validate {folder}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import write_demo
    from .schema import TABLES

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        _err(f"{out} is a file; give a folder for the demo data")
        return EXIT_USAGE
    clashes = [p.name for p in out.glob("*") if p.stem in TABLES or p.name == "evaluation.toml"] if out.exists() else []
    if clashes and not args.force:
        _err(f"{out} already holds {', '.join(sorted(clashes))}; use --force to overwrite")
        return EXIT_USAGE
    from .demo import DEMO_SEED

    written = write_demo(
        out, seed=DEMO_SEED if args.seed is None else args.seed, file_format=args.format, progress=lambda m: print(f"  {m}…")
    )
    print(f"Demo data written to {out}:")
    for name, path in written.items():
        print(f"  {path.name}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from .report import ReportBuildError, build_report

    try:
        build_report(
            data_dir=args.data,
            config=args.config,
            out_dir=args.out,
            progress=not args.quiet,
            say=(lambda m: None) if args.quiet else print,
            internal_qa=args.internal_qa,
            command=portable_command(args.argv),
        )
    except ReportBuildError as exc:
        _err(f"Report build failed: {exc}")
        return EXIT_BUILD
    return 0


PATH_FLAGS = ("--data", "--out", "--config")


def portable_command(argv: list[str]) -> str:
    """The command as the provenance appendix records it: output-neutral flags left out, and every path given as
    the folder or file name alone (`--out /home/alice/reports/x` as `--out x`): absolute local paths can carry
    user names, and the same build from another folder must read the same."""
    out, skip_next = ["evaluation"], False
    for i, a in enumerate(argv):
        if skip_next:
            skip_next = False
            continue
        if a in ("--quiet", "--debug"):
            continue
        flag, eq, value = a.partition("=")
        if flag in PATH_FLAGS and eq:
            out.append(f"{flag}={Path(value).name or value}")
        elif a in PATH_FLAGS and i + 1 < len(argv):
            out += [a, Path(argv[i + 1]).name or argv[i + 1]]
            skip_next = True
        else:
            out.append(a)
    return " ".join(out)


def _cmd_dictionary(args: argparse.Namespace) -> int:
    from .schema import data_dictionary_markdown

    print(data_dictionary_markdown(), end="")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="evaluation",
        description="Evaluate a police-custody youth diversion programme: validate extracts, analyse, and build the report.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an unexpected error")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show the traceback of an unexpected error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    v = sub.add_parser(
        "validate",
        parents=[common],
        help="check a data folder against the contract (writes nothing)",
        description="Read every table in DATA, check it against the data contract and print what loaded. "
        "All problems are listed at once with file, row and column. Nothing is written.",
    )
    v.add_argument("data", metavar="DATA", help="folder holding the extracts (CSV, XLSX or Parquet, named after the tables)")
    v.add_argument("--config", metavar="FILE", help="config file (default: DATA/evaluation.toml)")
    v.add_argument("--all", action="store_true", help="list every problem (default: at most 50 per file, column and rule)")
    v.set_defaults(func=_cmd_validate)

    i = sub.add_parser(
        "init",
        parents=[common],
        help="draft an evaluation.toml from the files as received",
        description="Read every CSV, XLSX and Parquet file in DATA (nothing is modified), guess which table each holds, "
        "and write a commented draft config: one [[data.sources]] entry per file with its header row, separator, "
        "encoding, date format, column mapping and the local codes to map; the programme's suites and period guessed "
        "from the data.",
    )
    i.add_argument("data", metavar="DATA", help="folder holding the extracts as received")
    i.add_argument("--out", metavar="FILE", help="where to write the draft (default: DATA/evaluation.toml)")
    i.add_argument("--force", action="store_true", help="overwrite an existing config")
    i.set_defaults(func=_cmd_init)

    d = sub.add_parser(
        "demo-data",
        parents=[common],
        help="write the synthetic demo dataset and its config",
        description="Write a deterministic synthetic dataset in the contract, calibrated to Operation Alliance "
        "(Wood Green custody, 19 Oct - 31 Dec 2020), plus its evaluation.toml.",
    )
    d.add_argument("out", metavar="OUT", help="folder to write into (created if needed)")
    d.add_argument("--seed", type=int, default=None, help="random seed (default: the demo's own, DEMO_SEED)")
    d.add_argument("--format", choices=["csv", "xlsx", "parquet"], default="csv", help="file format (default: %(default)s)")
    d.add_argument("--force", action="store_true", help="overwrite tables already in OUT")
    d.set_defaults(func=_cmd_demo)

    r = sub.add_parser(
        "report",
        parents=[common],
        help="build the evaluation report",
        description="Validate the data, execute the report notebook and write the report (report.html, a tagged "
        "report.pdf), every table in tables.xlsx, results.json and the disclosure log. "
        "Without --data, demo data is generated afresh. Outputs are written only when the whole build "
        "succeeds; nothing is written if validation fails.",
    )
    r.add_argument("--data", metavar="DIR", help="data folder (default: freshly generated demo data)")
    r.add_argument("--config", metavar="FILE", help="config file (default: DIR/evaluation.toml)")
    r.add_argument("--out", metavar="DIR", default="reports/demo", help="output folder (default: %(default)s)")
    r.add_argument("--quiet", action="store_true", help="no progress output")
    r.add_argument(
        "--internal-qa",
        action="store_true",
        help="turn disclosure control off for internal quality assurance; every page is stamped NOT FOR PUBLICATION",
    )
    r.set_defaults(func=_cmd_report)

    dd = sub.add_parser("data-dictionary", parents=[common], help="print the data dictionary (Markdown) generated from the schemas")
    dd.set_defaults(func=_cmd_dictionary)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return args.func(args)
    except InputError as exc:
        _err(exc.format(max_per_rule=0 if getattr(args, "all", False) else 50))
        _err("Nothing was written.")
        return EXIT_INPUT
    except KeyboardInterrupt:
        _err("Interrupted. A report is written only when the whole build succeeds, so none was.")
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the last line of defence: a sentence, not a traceback
        if args.debug:
            raise
        what = f"{exc.strerror}: {exc.filename}" if isinstance(exc, OSError) and exc.strerror else f"{type(exc).__name__}: {exc}"
        _err(f"{args.command} failed: {what}")
        _err("Nothing was written. Run again with --debug for the traceback, and report it if the inputs look right.")
        return EXIT_BUILD


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
