"""Run one cove command in this process with named functions timed: calls, wall and thread CPU
of each (a call inside another call of the same function counts once), printed to stderr when
the command ends. Where bench_phases.py tells phases apart by whole runs, this names the
functions inside one run; the figures in RESULTS.md's "in-process" tables come from it.

    COVE_CACHE_DIR=... .venv/bin/python bench/timed_calls.py \\
        --time cove.install.forked:link_in_two \\
        --time cove.install.transaction:Transaction.install_all \\
        -- sync -q -p ENV pylock.toml

A function called from several threads adds up the wall of every call: compare it with
``total`` (the command's own wall) and with its CPU. Set ``PYTHONPATH`` to a worktree's ``src``
to time another commit the same way (an A/B).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any


class Timings:
    def __init__(self) -> None:
        self.rows: dict[str, list[float]] = {}  # name -> [calls, wall, cpu]
        self._depth = threading.local()
        self._lock = threading.Lock()

    def wrap(self, spec: str) -> None:
        """``module:attribute.path`` replaced by a timed wrapper (a method: ``Class.method``)."""
        module_name, _, path = spec.partition(":")
        owner: Any = importlib.import_module(module_name)
        *parents, name = path.split(".")
        for part in parents:
            owner = getattr(owner, part)
        setattr(owner, name, self._timed(spec, getattr(owner, name)))

    def _timed(self, key: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            depth = getattr(self._depth, key, 0)
            setattr(self._depth, key, depth + 1)
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return func(*args, **kwargs)
            finally:
                setattr(self._depth, key, depth)
                if depth == 0:
                    with self._lock:
                        row = self.rows.setdefault(key, [0, 0.0, 0.0])
                        row[0] += 1
                        row[1] += time.perf_counter() - wall
                        row[2] += time.thread_time() - cpu

        return timed

    def report(self, total: float) -> None:
        print(f"total {total * 1000:.1f} ms", file=sys.stderr)
        for key, (calls, wall, cpu) in sorted(self.rows.items(), key=lambda kv: -kv[1][1]):
            print(
                f"  {wall * 1000:8.1f} ms wall {cpu * 1000:8.1f} ms cpu  x{calls:<6.0f} {key}",
                file=sys.stderr,
            )


def main() -> int:
    started = time.perf_counter()
    parser = argparse.ArgumentParser(description=__doc__.partition("\n\n")[0])
    parser.add_argument(
        "--time", action="append", default=[], metavar="MODULE:ATTR", help="a function to time"
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="cove's arguments, after --")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    timings = Timings()
    for spec in args.time:
        timings.wrap(spec)
    from cove.cli.main import main as cove_main

    try:
        code = cove_main(command)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    timings.report(time.perf_counter() - started)
    sys.stdout.flush()
    os._exit(code)  # as cove's quick commands end: no teardown of the index threads


if __name__ == "__main__":
    raise SystemExit(main())
