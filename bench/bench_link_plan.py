"""Ways to carry out a large install's link plan (issue 12): threads, directories made up front,
the plan split across two processes. Times only the linking (``link_wheel`` over every wheel's
prepared plan), in one process, the variants round-robin so they share the machine's noise.

    .venv/bin/python bench/bench_link_plan.py --runs 7              # the large wheelhouse
    .venv/bin/python bench/bench_link_plan.py --wheels DIR --runs 7

Setup (untimed): the wheels are unpacked into a throwaway cache once; before each timed run a
fresh directory laid out as a venv is made and every wheel's plan prepared for it
(``prepare_wheel``: what the transaction journals before it links). The variants:

- `threads-N`: ``link_wheel`` per wheel, N wheels at a time in threads (cove: min(4, cpus)).
- `dirs-first-N`: every wheel's new directories made first in one pass, then the files.
- `procs-2xN`: the wheels split in two halves of about as many files, one half linked by a
  forked child, each half N wheels at a time.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_create import unused_dir
from bench.wheelhouse import DEFAULT_ROOT
from cove.cache.unpacked import UnpackedWheel, unpack_wheel
from cove.install.transaction import _parallel
from cove.install.wheel import PreparedWheel, link_wheel, prepare_wheel
from cove.venv.scheme import Scheme

SITE = "lib/python3.12/site-packages"


def prepared_for(
    env: Path, wheels: Sequence[Path], entries: Sequence[UnpackedWheel], cache: Path
) -> list[PreparedWheel]:
    (env / SITE).mkdir(parents=True)
    (env / "bin").mkdir()
    out = []
    for wheel, entry in zip(wheels, entries, strict=True):
        scheme = Scheme.for_venv(
            env,
            site_packages=SITE,
            bin_dir="bin",
            python_short="3.12",
            dist_name=wheel.name.split("-")[0],
        )
        out.append(
            prepare_wheel(
                wheel,
                scheme,
                python="/x/python",
                python_version=(3, 12),
                cache_dir=cache,
                env=env,
                unpacked=entry,
            )
        )
    return out


def link(prepared: Sequence[PreparedWheel], jobs: int) -> None:
    _parallel(lambda p: link_wheel(p, "hardlink"), prepared, jobs)


def dirs_first(prepared: Sequence[PreparedWheel], jobs: int) -> None:
    for p in prepared:
        for d in p.new_dirs:
            os.makedirs(d, exist_ok=True)  # wheels may share a new directory (share/)
    link([p._replace(new_dirs=[]) for p in prepared], jobs)


def halves(prepared: Sequence[PreparedWheel]) -> tuple[list[PreparedWheel], list[PreparedWheel]]:
    """Two lists of about as many files, largest wheels first (greedy)."""
    a: list[PreparedWheel] = []
    b: list[PreparedWheel] = []
    sizes = [0, 0]
    for p in sorted(prepared, key=lambda p: -len(p.layout.placements)):
        which = 0 if sizes[0] <= sizes[1] else 1
        (a, b)[which].append(p)
        sizes[which] += len(p.layout.placements)
    return a, b


def two_processes(prepared: Sequence[PreparedWheel], jobs: int) -> None:
    """A directory two wheels share may be made by either process (``link_wheel`` accepts
    one another made first)."""
    mine, theirs = halves(prepared)
    child = multiprocessing.get_context("fork").Process(target=link, args=(theirs, jobs))
    child.start()
    link(mine, jobs)
    child.join()
    if child.exitcode != 0:
        raise SystemExit(f"the child failed: {child.exitcode}")


Variant = Callable[[Sequence[PreparedWheel]], None]


def variants() -> dict[str, Variant]:
    out: dict[str, Variant] = {}
    for n in (1, 2, 4, 8):
        out[f"threads-{n}"] = lambda p, n=n: link(p, n)
    out["dirs-first-2"] = lambda p: dirs_first(p, 2)
    out["dirs-first-4"] = lambda p: dirs_first(p, 4)
    out["procs-2x1"] = lambda p: two_processes(p, 1)
    out["procs-2x2"] = lambda p: two_processes(p, 2)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--wheels", type=Path, default=DEFAULT_ROOT / "large")
    parser.add_argument("--only", nargs="+", help="these variants only")
    args = parser.parse_args()
    wheels = sorted(args.wheels.glob("*.whl"))
    if not wheels:
        raise SystemExit(f"no wheels in {args.wheels} (run bench/wheelhouse.py large)")
    work = Path(tempfile.mkdtemp(prefix="cove-bench-link-plan-"))
    try:
        cache = work / "cache"
        entries = [unpack_wheel(w, cache) for w in wheels]
        files = sum(len(e.files) for e in entries)
        chosen = {k: v for k, v in variants().items() if not args.only or k in args.only}
        times: dict[str, list[float]] = {k: [] for k in chosen}
        for run in range(args.runs):
            for name, variant in chosen.items():
                env = unused_dir(work, "env")
                prepared = prepared_for(env, wheels, entries, cache)
                os.sync()  # the previous run's writes are not this one's to pay for
                started = time.perf_counter()
                variant(prepared)
                times[name].append(time.perf_counter() - started)
            print(f"round {run + 1} done", file=sys.stderr)
        dirs = sum(len(p.new_dirs) for p in prepared_for(work / "count", wheels, entries, cache))
        print(f"\n{len(wheels)} wheels, {files} files, {dirs} new directories, {args.runs} runs")
        print("\n| variant | median ms | min ms | max ms |\n| --- | ---: | ---: | ---: |")
        for name, secs in times.items():
            print(
                f"| {name} | {statistics.median(secs) * 1e3:.0f} | {min(secs) * 1e3:.0f} "
                f"| {max(secs) * 1e3:.0f} |"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
