"""Time `cove sync pylock.toml` and `cove lock` beside `uv pip sync`, `pip install --require-hashes
--no-deps` and `uv pip compile`, in one run, on the same wheels served by a local index server.

    /root/.pyenv/versions/3.11.7/bin/python3 bench/bench_sync.py --runs 5 --markdown

Setup (untimed): the wheels of the requirements (default ``jupyterlab pandas matplotlib``, about
100 distributions) come from the wheelhouse under ``--wheels DIR`` (``wheelhouse.py``), served
by ``index_server.py`` on 127.0.0.1, by default with PEP 691 JSON and PEP 658 metadata
(``max-age=0``: every page is revalidated; the server's options change that). cove locks them
once (pylock.toml, and the hashed requirements.txt pip gets), and every command runs once so
each tool's cache is warm. Then, round-robin:

- sync into an empty environment (made outside the timed region with ``cove create
  --without-pip``; pip's runs get one with pip seeded, which pip needs): ``cove sync``, ``uv pip
  sync`` of the same pylock.toml, ``pip install -r requirements.txt --require-hashes --no-deps``
  (and with ``--no-compile``, the work cove and uv do);
- ``cove sync`` again on the synced environment (the no-op);
- lock with a warm cache, the output removed before each run so no earlier pins are kept:
  ``cove lock`` and ``uv pip compile`` (writing pylock.toml too).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.bench_create import ensure_peers, newest_pyenv, unused_dir
from bench.index_server import BenchIndex, add_arguments, options_from
from bench.wheelhouse import DEFAULT_ROOT, ensure_wheels

REQUIREMENTS = ["jupyterlab", "pandas", "matplotlib"]
SYNC_TARGETS = [  # (peer, cove, what the ratio peer / cove must reach)
    ("uv pip sync", "cove sync", 1 / 1.5),
    ("pip install --require-hashes --no-deps", "cove sync", 10.0),
    ("pip install --require-hashes --no-deps --no-compile", "cove sync", None),
    ("uv pip compile", "cove lock", 0.5),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--python", help="interpreter of the environments (default: pyenv 3.12)")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--peers", type=Path, default=Path("/tmp/cove-bench-peers"))
    parser.add_argument("--cache", type=Path, default=Path("/tmp/cove-bench-sync-cache"))
    parser.add_argument("--wheels", type=Path, default=DEFAULT_ROOT, help="wheelhouse root")
    parser.add_argument("--skip-pip", action="store_true", help="time cove and uv only")
    parser.add_argument("requirements", nargs="*", default=REQUIREMENTS)
    add_arguments(parser)  # the index server's options: --latency, --real-pages, ...
    args = parser.parse_args()
    py = args.python or newest_pyenv("3.12")
    uv, _ = ensure_peers(args.peers)
    work = Path(tempfile.mkdtemp(prefix="cove-bench-sync-"))
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "COVE_"))}
    base.pop("VIRTUAL_ENV", None)
    env = {
        **base,
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_CACHE_DIR": str(args.cache / "pip"),
        "UV_CACHE_DIR": str(args.cache / "uv"),
        "UV_NO_CONFIG": "1",
        "COVE_CACHE_DIR": str(args.cache / "cove"),
    }
    cove = [sys.executable, "-m", "cove"]
    import cove as cove_pkg  # an installed cove has bytecode; an editable checkout may not

    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(Path(cove_pkg.__file__).parent)], check=True
    )

    def run(cmd: list[str], cwd: Path | None = None) -> float:
        start = time.perf_counter()
        done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"failed: {' '.join(cmd)}\n{done.stdout}\n{done.stderr}")
        return elapsed

    def fresh(name: str, pip: bool = False) -> Path:
        target = unused_dir(work / "envs", name)
        run([*cove, "create", "-q", *([] if pip else ["--without-pip"]), "-p", py, str(target)])
        return target

    try:
        root = ensure_wheels(args.requirements, py, args.wheels)
        project = work / "project"
        project.mkdir()
        (project / "requirements.in").write_text("\n".join(args.requirements) + "\n")
        with BenchIndex(root, options_from(args)) as server:
            url = server.url
            resolver = fresh("resolver")
            lock_cmd = [*cove, "lock", "-q", "-p", str(resolver), "-i", url]
            run([*lock_cmd, "-o", "pylock.toml", *args.requirements], cwd=project)
            run([*lock_cmd, "--format", "requirements", "-o", "requirements.txt",
                 *args.requirements], cwd=project)  # fmt: skip
            lock_file, requirements = project / "pylock.toml", project / "requirements.txt"
            count = sum(1 for line in lock_file.read_text().splitlines() if line == "[[packages]]")
            syncs: dict[str, tuple[Callable[[Path], list[str]], bool]] = {
                "cove sync": (lambda e: [*cove, "sync", "-q", "-p", str(e), str(lock_file)], False),
                "uv pip sync": (lambda e: [uv, "pip", "sync", "-q", "-p", str(e / "bin/python"),
                                           str(lock_file)], False),
                "pip install --require-hashes --no-deps": (lambda e: [
                    str(e / "bin/pip"), "install", "-q", "--require-hashes", "--no-deps", "-r",
                    str(requirements)], True),
                "pip install --require-hashes --no-deps --no-compile": (lambda e: [
                    str(e / "bin/pip"), "install", "-q", "--require-hashes", "--no-deps",
                    "--no-compile", "-r", str(requirements)], True),
            }  # fmt: skip
            if args.skip_pip:
                syncs = {k: v for k, v in syncs.items() if not k.startswith("pip")}
            out = project / "out"
            out.mkdir()
            locks = {
                "cove lock": [*lock_cmd, "-o", str(out / "pylock.toml"), *args.requirements],
                "uv pip compile": [uv, "pip", "compile", "-q", "-p", py, "--index-url", url,
                                   "-o", str(out / "pylock.uv.toml"), "requirements.in"],
            }  # fmt: skip
            for argv, pip in syncs.values():  # warm every cache once
                run(argv(fresh("warm", pip)))
            for argv in locks.values():
                run(argv, cwd=project)
            times: dict[str, list[float]] = {k: [] for k in [*syncs, "cove sync (no-op)", *locks]}
            for _ in range(args.runs):
                for name, (argv, pip) in syncs.items():
                    target = fresh(name.replace(" ", "_"), pip)
                    times[name].append(run(argv(target)))
                    if name == "cove sync":
                        times["cove sync (no-op)"].append(run(argv(target)))
                for name, argv in locks.items():
                    for old in out.iterdir():
                        old.unlink()
                    times[name].append(run(argv, cwd=project))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    med = {k: statistics.median(v) * 1000 for k, v in times.items()}
    print(f"{count} locked distributions ({' '.join(args.requirements)}), Python {py}, "
          f"{args.runs} runs")  # fmt: skip
    if args.markdown:
        print("\n| command | median ms | min ms |\n| --- | ---: | ---: |")
        for k in times:
            print(f"| {k} | {med[k]:.1f} | {min(times[k]) * 1000:.1f} |")
        print("\n| ratio (peer / cove, > 1 means cove is faster) | value | target |")
        print("| --- | ---: | --- |")
    else:
        for k in times:
            print(f"{k}: median {med[k]:.1f} ms, min {min(times[k]) * 1000:.1f} ms")
    for peer, ours, target in SYNC_TARGETS:
        if peer not in med:
            continue
        ratio = med[peer] / med[ours]
        goal = "(info)" if target is None else f">= {target:.2f}"
        line = f"{peer} / {ours}"
        print(f"| {line} | {ratio:.2f} | {goal} |" if args.markdown else f"{line}: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
