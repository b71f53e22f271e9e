"""Time a warm second install of an sdist-only package: cove takes the wheel it built before
from its cache; pip takes it from its wheel cache. Same local index (bench/index_server.py, with
its options: ``--latency 100ms`` and so on), fresh environments.

    /root/.pyenv/versions/3.11.7/bin/python3 bench/bench_sdist.py --runs 7 --markdown
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.support.dists import build_sdist

from bench.bench_create import ensure_peers, newest_pyenv
from bench.index_server import BenchIndex, add_arguments, describe, options_from


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--python", help="interpreter of the environments (default: pyenv 3.12)")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--peers", type=Path, default=Path("/tmp/cove-bench-peers"))
    add_arguments(parser)
    args = parser.parse_args()
    py = args.python or newest_pyenv("3.12")
    uv, _ = ensure_peers(args.peers)
    work = Path(tempfile.mkdtemp(prefix="cove-bench-sdist-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "COVE_"))}
    env |= {
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_CACHE_DIR": str(work / "pip-cache"),
        "UV_CACHE_DIR": str(work / "uv-cache"),
        "COVE_CACHE_DIR": str(work / "cove-cache"),
    }
    cove = [sys.executable, "-m", "cove"]
    times: dict[str, list[float]] = {"cove install": [], "pip install": [], "uv pip install": []}
    try:
        build_sdist(work / "sdists", "only-sdist", "1.0")
        with BenchIndex(work / "sdists", options_from(args)) as server:
            url = server.url

            def fresh() -> Path:
                target = work / "env"
                shutil.rmtree(target, ignore_errors=True)
                subprocess.run([*cove, "create", "-q", "-p", py, str(target)], check=True, env=env)
                return target

            def argv(tool: str, target: Path) -> list[str]:
                if tool == "cove install":
                    return [*cove, "install", "-q", "-p", str(target), "-i", url, "only-sdist"]
                if tool == "pip install":
                    pip = [str(target / "bin/pip"), "install", "-q", "-i", url]
                    return [*pip, "--trusted-host", "127.0.0.1", "only-sdist"]  # pip's http cache
                python = str(target / "bin/python")
                return [uv, "pip", "install", "-q", "-p", python, "--index-url", url, "only-sdist"]

            for tool in times:  # the first install builds; every later one is warm
                subprocess.run(argv(tool, fresh()), check=True, env=env)
            for _ in range(args.runs):
                for tool in times:
                    command = argv(tool, fresh())
                    start = time.perf_counter()
                    subprocess.run(command, check=True, env=env, capture_output=True)
                    times[tool].append(time.perf_counter() - start)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    med = {k: statistics.median(v) * 1000 for k, v in times.items()}
    print(
        f"warm second install of an sdist-only package, Python {py}, {args.runs} runs; "
        f"{describe(options_from(args))}"
    )
    if args.markdown:
        print("\n| command | median ms | min ms |\n| --- | ---: | ---: |")
        for k, v in times.items():
            print(f"| {k} | {med[k]:.1f} | {min(v) * 1000:.1f} |")
    for peer in ("pip install", "uv pip install"):
        print(f"{peer} / cove install: {med[peer] / med['cove install']:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
