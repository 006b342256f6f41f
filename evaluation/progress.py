"""Progress of long stages, for the command line: reading and checking each table, each analysis stage, the
notebook and the PDF.

Stages report through `stage(name)`. In the process that runs the command, `reporting(say)` sends the lines to
`say`. The report notebook runs in a separate kernel process: `build_report` names a file in the environment
(EVALUATION_PROGRESS_FILE), the kernel appends its lines there and the command prints them as they come
(`follow`). Nothing is reported unless one of the two is set up, so library use stays quiet.
"""

from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

ENV = "EVALUATION_PROGRESS_FILE"
_say: Callable[[str], None] | None = None


def _emit(line: str) -> None:
    if _say is not None:
        _say(line)
        return
    path = os.environ.get(ENV)
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(line + "\n")


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Report `name…` at the start of a stage and, when it took a second or more, `name: done in 1.2 s` at its end."""
    if _say is None and not os.environ.get(ENV):
        yield
        return
    _emit(f"{name}…")
    start = time.perf_counter()
    yield
    took = time.perf_counter() - start
    if took >= 1.0:
        _emit(f"{name}: done in {took:.1f} s")


def note(line: str) -> None:
    """A line of progress that is not a stage (e.g. how many rows a table has)."""
    _emit(line)


@contextmanager
def reporting(say: Callable[[str], None]) -> Iterator[None]:
    """Send this process's progress lines to `say` while the block runs."""
    global _say
    before, _say = _say, say
    try:
        yield
    finally:
        _say = before


@contextmanager
def follow(path: Path, say: Callable[[str], None], every: float = 0.3) -> Iterator[None]:
    """While the block runs, have child processes append progress to `path` (through the environment) and print
    each new line with `say`; what is left is printed when the block ends."""
    path.write_text("", encoding="utf-8")
    old = os.environ.get(ENV)
    os.environ[ENV] = str(path)
    done = threading.Event()
    seen = 0

    def flush() -> None:
        nonlocal seen
        text = path.read_text(encoding="utf-8")
        end = text.rfind("\n") + 1  # whole lines only
        for line in text[seen:end].splitlines():
            say(f"  {line}")
        seen = end

    def run() -> None:
        while not done.wait(every):
            flush()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        flush()
        if old is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = old


__all__ = ["ENV", "follow", "note", "reporting", "stage"]
