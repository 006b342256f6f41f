"""Benchmark: reading and checking a large events extract, and the whole report, with the events in the engine.

    python benchmarks/events_pipeline.py                         # 5M, 20M and 50M events; the report at 50M
    python benchmarks/events_pipeline.py --sizes 2000000 --report-at 2000000 --pandas-up-to 2000000

Each dataset is the demo's custody detentions, contacts and costs, with a force-sized events extract: the demo's
events and, around them, police records of people outside the cohort (as a force's whole extract has), generated
by DuckDB (seeded) as CSV. Each run is a fresh process of the `evaluation` command, timed from outside; peak
memory is the largest total resident memory of the command and every process it starts (the notebook kernel,
the PDF printer), sampled every 0.2 s. The floor measured in the same run is the previous path: the events read
and checked in pandas, where it fits in this machine's memory (`--pandas-up-to`).

Spark against DuckDB: at `--spark-at` sizes the report is built again with `[engine] name = "spark"` (Spark in
local mode, in the notebook's kernel), timed the same way, and the two reports' published figures compared.

Targets (issue 16): 50 million events, full report under 5 minutes and under 4 GB on 2 cores.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

HEADER = "event_id,person_id,event_date,event_type,offence_group,proven_outcome,proven_date,detention_id"
GROUPS = ["violence_with_injury", "violence_without_injury", "robbery", "theft", "drugs", "criminal_damage", "public_order", "other"]
OUTCOMES = ["none", "none", "conviction", "caution", "youth_caution", "community_resolution"]

PANDAS_PATH = """
import sys
from evaluation import engine_read
engine_read.EngineRead.open = classmethod(lambda cls, *a, **k: None)
from evaluation.cli import main
sys.exit(main(["validate", sys.argv[1]]))
"""


def make_folder(folder: Path, n_events: int) -> None:
    """The demo's tables, with its events inside an extract of `n_events` rows."""
    import duckdb

    from evaluation.demo import write_demo

    write_demo(folder)
    demo_events = folder / "events.csv"
    cohort = folder / "demo_events.csv"
    demo_events.rename(cohort)
    extra = n_events - sum(1 for _ in cohort.open()) + 1
    people = max(extra // 25, 1)
    groups = "[" + ", ".join(f"'{g}'" for g in GROUPS) + "]"
    outcomes = "[" + ", ".join(f"'{o}'" for o in OUTCOMES) + "]"
    con = duckdb.connect()
    con.execute("SELECT setseed(0.1019)")
    con.execute(f"""
        COPY (
          SELECT * FROM read_csv('{cohort}', all_varchar = true, header = true)
          UNION ALL
          SELECT event_id, person_id, strftime(event_date, '%Y-%m-%d') AS event_date, event_type,
                 CASE WHEN event_type = 'missing_episode' THEN NULL ELSE {groups}[1 + CAST(floor(u * 8) AS INTEGER)] END,
                 CASE WHEN event_type = 'offence' THEN {outcomes}[1 + CAST(floor(v * 6) AS INTEGER)] END,
                 CASE WHEN event_type = 'offence' AND floor(v * 6) >= 2
                      THEN strftime(least(event_date + CAST(floor(u * 200) AS INTEGER), DATE '2022-06-15'), '%Y-%m-%d') END,
                 NULL
          FROM (
            SELECT 'X' || i AS event_id, 'N' || CAST(floor(random() * {people}) AS INTEGER) AS person_id,
                   DATE '2017-10-01' + CAST(floor(random() * 1700) AS INTEGER) AS event_date,
                   (['offence', 'offence', 'victimisation', 'missing_episode'])[1 + CAST(floor(random() * 4) AS INTEGER)] AS event_type,
                   random() AS u, random() AS v
            FROM range({extra}) t(i)
          )
        ) TO '{demo_events}' (FORMAT csv, HEADER true)""")
    con.close()
    cohort.unlink()


def measure(cmd: list[str]) -> tuple[float, float, int, str]:
    """Seconds, peak resident memory (GB) of the process tree, exit code and the last line of output."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        root = psutil.Process(proc.pid)
        while not done.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in procs if p.is_running()))
            except psutil.Error:
                pass
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    done.set()
    sampler.join()
    lines = [x for x in out.strip().splitlines() if x.strip()]
    return time.perf_counter() - t0, peak / 1024**3, proc.returncode, lines[-1] if lines else ""


def _figures(out: Path) -> object:
    """The report's published figures (results.json), without its metadata (which names the config)."""
    import json

    results = json.loads((out / "results.json").read_text())
    return {k: v for k, v in results.items() if k != "meta"}  # meta names the config file and its digest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[5_000_000, 20_000_000, 50_000_000])
    ap.add_argument("--report-at", type=int, nargs="*", default=[50_000_000], help="sizes at which the whole report is built")
    ap.add_argument("--pandas-up-to", type=int, default=5_000_000, help="largest size the pandas path is run at")
    ap.add_argument("--spark-at", type=int, nargs="*", default=[5_000_000], help="sizes at which the report is also built on Spark")
    args = ap.parse_args()
    exe = str(Path(sys.executable).parent / "evaluation")
    print(f"{'events':>12}  {'path':<22} {'seconds':>8} {'peak GB':>8}  result")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            folder = Path(tmp) / f"events_{n}"
            t0 = time.perf_counter()
            make_folder(folder, n)
            size_gb = (folder / "events.csv").stat().st_size / 1024**3
            print(f"{n:>12,}  (events.csv {size_gb:.1f} GB, made in {time.perf_counter() - t0:.0f} s)")
            runs = {"engine": measure([exe, "validate", str(folder)])}
            if n <= args.pandas_up_to:
                runs["pandas"] = measure([sys.executable, "-c", PANDAS_PATH, str(folder)])
            for name, (sec, gb, code, last) in runs.items():
                print(f"{'':>12}  validate, {name:<12} {sec:8.1f} {gb:8.2f}  {'ok' if code == 0 else 'FAILED: ' + last}")
            if "pandas" in runs:
                e, p = runs["engine"], runs["pandas"]
                print(f"{'':>12}  engine against pandas: {p[0] / e[0]:.1f}x faster, {p[1] / e[1]:.1f}x less memory")
            if n in args.report_at or n in args.spark_at:
                out = Path(tmp) / f"report_{n}"
                duck = measure([exe, "report", "--data", str(folder), "--out", str(out)])
                sec, gb, code, last = duck
                verdict = "within" if sec < 300 and gb < 4 else "OUTSIDE"
                status = "ok" if code == 0 else "FAILED: " + last
                print(f"{'':>12}  {'whole report':<22} {sec:8.1f} {gb:8.2f}  {status}; {verdict} the targets (300 s, 4 GB)")
                if n in args.spark_at:
                    config = folder / "spark.toml"
                    config.write_text((folder / "evaluation.toml").read_text() + '\n[engine]\nname = "spark"\n')
                    spark_out = Path(tmp) / f"report_spark_{n}"
                    sec, gb, code, last = measure([exe, "report", "--data", str(folder), "--config", str(config), "--out", str(spark_out)])
                    status = "ok" if code == 0 else "FAILED: " + last
                    print(f"{'':>12}  {'whole report, Spark':<22} {sec:8.1f} {gb:8.2f}  {status}; {sec / duck[0]:.1f}x DuckDB's time")
                    same = code == 0 and _figures(out) == _figures(spark_out)
                    print(f"{'':>12}  every published figure identical on the two engines: {same}")
                    shutil.rmtree(spark_out, ignore_errors=True)
                shutil.rmtree(out, ignore_errors=True)
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
