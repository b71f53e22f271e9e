"""Split cove's cold install into its phases: start, imports, resolution with the downloads it
makes, unpacking into the cache, linking. Each phase is the difference of two whole runs, so no
phase needs cove to be instrumented (the code may be restructured; this keeps measuring).

    .venv/bin/python bench/bench_phases.py --runs 3 --latency 100ms --no-metadata \\
        --no-cache-headers --real-pages large

Per round, each into a fresh empty environment: (1) a cold install (empty cache; the index's
request log gives the time before the first request, the span of the requests and the tail
after the last answer); (2) the same with every download cached but the unpacked wheels
removed; (3) a warm install; (4) a warm ``--dry-run``; (5) ``cove --version`` (interpreter start);
and ``-X importtime`` of a warm ``--dry-run`` (the modules imported, summed). Then:
unpack = (2) - (3), link and commit = (3) - (4), start = before the first request of (1).
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.bench_create import newest_pyenv
from bench.bench_remote import compile_cove, empty_environment, measured, tool_env
from bench.breakdown import Req, analyse
from bench.index_server import BenchIndex, add_arguments, describe, options_from
from bench.wheelhouse import DEFAULT_ROOT, ensure_wheels, requirements_of


def unpacked_bucket() -> str:
    """The cache directory of unpacked wheels (cove.cache names it)."""
    try:
        from cove.cache import UNPACKED

        return str(UNPACKED)
    except ImportError:  # moved: the bench says so rather than measuring the wrong thing
        sys.exit("cove.cache.UNPACKED is gone: tell bench_phases.py where unpacked wheels live")


def import_seconds(argv: list[str], env: dict[str, str]) -> tuple[float, list[tuple[float, str]]]:
    """The sum of every top-level import's cumulative time (``-X importtime``), and the
    largest of them."""
    done = subprocess.run(
        [argv[0], "-X", "importtime", *argv[1:]], env=env, capture_output=True, text=True
    )
    tops: list[tuple[float, str]] = []
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| ( *)(\S+)", line)
        if match and not match.group(2):  # not indented: imported by cove, not by a module
            tops.append((int(match.group(1)) / 1e6, match.group(3)))
    return sum(t for t, _ in tops), sorted(tops, reverse=True)[:8]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--python", help="interpreter of the environments (default: pyenv 3.12)")
    parser.add_argument("--wheels", type=Path, default=DEFAULT_ROOT, help="wheelhouse root")
    parser.add_argument("requirements", nargs="*", default=["large"])
    add_arguments(parser)
    args = parser.parse_args()
    py = args.python or newest_pyenv("3.12")
    label, requirements = requirements_of(args.requirements)
    options = options_from(args)
    work = Path(tempfile.mkdtemp(prefix="cove-bench-phases-"))
    env = tool_env(work)
    compile_cove()
    bucket = unpacked_bucket()
    phases: dict[str, list[float]] = {}

    def note(key: str, value: float) -> None:
        phases.setdefault(key, []).append(value)

    try:
        root = ensure_wheels(args.requirements, py, args.wheels)
        with BenchIndex(root, options, log=True) as index:
            cove = [sys.executable, "-m", "cove"]

            def install(name: str, cache: Path, *extra: str) -> tuple[float, float, list[Req]]:
                target = empty_environment(work, py, name, env)
                argv = [*cove, "install", "-q", "-p", str(target), "-i", index.url, *extra]
                index.take(reset=True)
                run = measured([*argv, *requirements], {**env, "COVE_CACHE_DIR": str(cache)},
                               work / f"{name}.txt")  # fmt: skip
                _, log = index.take(reset=True)
                reqs = [
                    Req(e.start, e.first_byte, e.end, e.kind, e.path, e.status, e.sent,
                        e.connection)
                    for e in log
                ]  # fmt: skip
                return run.seconds, run.cpu_seconds, reqs

            for n in range(args.runs):
                cache = work / f"cache-{n}"
                cold, cold_cpu, reqs = install("cold", cache)
                a = analyse(sorted(reqs, key=lambda r: r.start), cold)
                note("cold install (wall)", cold)
                note("cold install (CPU)", cold_cpu)
                note("  start: before the first request", a["before_first_request"])
                note("  resolution and downloads: first request to last answer", a["first_to_last"])
                note("  after the last answer: unpack, link, exit", a["after_last_request"])
                shutil.rmtree(cache / bucket)
                unpack_link, _, _ = install("unpack", cache)
                warm, _, _ = install("warm", cache)
                resolve, _, _ = install("resolve", cache, "--dry-run")
                note("downloads cached, unpacked wheels removed (wall)", unpack_link)
                note("warm install (wall)", warm)
                note("warm --dry-run (wall)", resolve)
                note("  unpack = (downloads cached) - (warm)", unpack_link - warm)
                note("  link and commit = (warm) - (warm --dry-run)", warm - resolve)
                version = measured([*cove, "--version"], env, work / "version.txt")
                note("cove --version (interpreter start, cli)", version.seconds)
                target = empty_environment(work, py, "imports", env)
                imports, largest = import_seconds(
                    [*cove, "install", "-q", "--dry-run", "-p", str(target), "-i", index.url,
                     *requirements],
                    {**env, "COVE_CACHE_DIR": str(cache)},
                )  # fmt: skip
                note("imports of a --dry-run (-X importtime, summed)", imports)
                shutil.rmtree(cache, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    what = f"{label} ({' '.join(requirements)})"
    print(f"\n{what}, cove only, {args.runs} rounds; {describe(options)}")
    print("\n| phase | median s | min s | max s |\n| --- | ---: | ---: | ---: |")
    for key, values in phases.items():
        print(
            f"| {key} | {statistics.median(values):.2f} | {min(values):.2f} | {max(values):.2f} |"
        )
    print("\nlargest imports (last round): " + ", ".join(f"{m} {t:.3f} s" for t, m in largest))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
