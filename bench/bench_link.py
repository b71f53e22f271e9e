"""What the cache's tamper check costs on the linking hot path: every install stats each file of
an unpacked entry (size and mtime against the stamps taken when it was unpacked) before linking
from it. Times, in one process and interleaved, linking a large install into a fresh environment
and the check alone over the same entries.

    .venv/bin/python bench/bench_link.py --runs 9            # 50 synthetic wheels x 300 files
    .venv/bin/python bench/bench_link.py --wheels DIR --runs 9   # real wheels, e.g. a download

Setup (untimed): the wheels are unpacked into a throwaway cache. Each timed run links every
wheel into a fresh directory laid out as a venv (made and removed outside the timed region).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.dists import WheelSpec, build_wheel

from cove.cache.unpacked import changed_files, unpack_wheel
from cove.install.transaction import Transaction, WheelInstall
from cove.venv.scheme import Scheme

SITE = "lib/python3.12/site-packages"


def synthetic(into: Path, wheels: int, files: int) -> list[Path]:
    out = []
    for w in range(wheels):
        members = {
            f"pkg{w}/sub{i // 30}/m{i}.py": (f"X = {i}\n" * 20).encode() for i in range(files)
        }
        out.append(build_wheel(into, WheelSpec(f"pkg{w}", "1.0", files=members)))
    return out


def link_all(wheels: list[Path], cache: Path, env: Path) -> None:
    (env / SITE).mkdir(parents=True)
    (env / "bin").mkdir()
    unpacked = [unpack_wheel(w, cache) for w in wheels]  # the stat check runs here

    def scheme(wheel: Path) -> Scheme:
        name = wheel.name.split("-")[0]
        return Scheme.for_venv(
            env, site_packages=SITE, bin_dir="bin", python_short="3.12", dist_name=name
        )

    items = [
        WheelInstall(w, scheme(w), requested=True, unpacked=u)
        for w, u in zip(wheels, unpacked, strict=True)
    ]
    with Transaction(env, cache, (env / SITE, env / "bin")) as txn:
        txn.install_all(items, python="/x/python", python_version=(3, 12),
                        link_mode="hardlink", jobs=4)  # fmt: skip
        txn.commit()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--wheels", type=Path, help="a directory of wheels (default: synthetic)")
    parser.add_argument("--count", type=int, default=50, help="synthetic wheels")
    parser.add_argument("--files", type=int, default=300, help="files per synthetic wheel")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cove-bench-link-"))
    try:
        cache = work / "cache"
        if args.wheels:
            wheels = sorted(args.wheels.glob("*.whl"))
        else:
            wheels = synthetic(work / "wheels", args.count, args.files)
        entries = [unpack_wheel(w, cache) for w in wheels]
        total = sum(len(e.files) for e in entries)
        linked: list[tuple[float, float]] = []  # (wall, CPU) seconds
        checked: list[tuple[float, float]] = []
        for run in range(args.runs):
            env = work / f"env-{run}"
            started, cpu = time.perf_counter(), time.process_time()
            link_all(wheels, cache, env)
            linked.append((time.perf_counter() - started, time.process_time() - cpu))
            started, cpu = time.perf_counter(), time.process_time()
            for entry in entries:
                changed_files(entry)
            checked.append((time.perf_counter() - started, time.process_time() - cpu))
        print(f"{len(wheels)} wheels, {total} files, median of {args.runs} runs (wall / CPU):")
        for label, times in (("unpack (warm, checked) + link", linked), ("the check", checked)):
            wall = statistics.median(t[0] for t in times) * 1e3
            cpu = statistics.median(t[1] for t in times) * 1e3
            print(f"  {label}: {wall:.0f} ms / {cpu:.0f} ms ({cpu * 1e3 / total:.1f} us a file)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
