"""Time `cove freeze` beside `pip freeze` and `uv pip freeze` on one environment of 100 packages.

    /root/.pyenv/versions/3.11.7/bin/python3 bench/bench_freeze.py --runs 15 --markdown

The environment is made with `cove create` and filled from 100 small wheels the tests' builder
makes (some with dependencies, mixed-case names), untimed. Each tool then runs round-robin; the
median and minimum wall times are reported with the ratios issue 4 asks for.
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
from tests.support.dists import WheelSpec, build_wheel

from bench.bench_create import ensure_peers, newest_pyenv


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--packages", type=int, default=100)
    parser.add_argument("--python", help="interpreter of the environment (default: pyenv 3.12)")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--peers", type=Path, default=Path("/tmp/cove-bench-peers"))
    args = parser.parse_args()
    py = args.python or newest_pyenv("3.12")
    uv, _ = ensure_peers(args.peers)
    work = Path(tempfile.mkdtemp(prefix="cove-bench-freeze-"))
    env_vars = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "VIRTUAL_ENV"))}
    env_vars |= {"PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env_vars["COVE_CACHE_DIR"] = str(work / "cache")
    import cove

    # An installed cove has bytecode; an editable checkout under PYTHONDONTWRITEBYTECODE has not.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(cove.__file__).parent)])
    try:
        wheels = work / "wheels"
        for i in range(args.packages):
            requires = [f"pkg-{i - 1:03d}>=1"] if i % 3 and i else []
            build_wheel(wheels, WheelSpec(f"Pkg_{i:03d}", f"1.{i}", requires=requires))
        env = work / "env"
        cove_cmd = [sys.executable, "-m", "cove"]
        subprocess.run([*cove_cmd, "create", "-q", "-p", py, str(env)], check=True, env=env_vars)
        names = [f"pkg-{i:03d}" for i in range(args.packages)]
        subprocess.run(
            [*cove_cmd, "install", "-q", "-p", str(env), "--no-index", "-f", str(wheels), *names],
            check=True,
            env=env_vars,
        )
        tools = {
            "cove freeze": [*cove_cmd, "freeze", "-p", str(env)],
            "pip freeze": [str(env / "bin/pip"), "freeze"],
            "uv pip freeze": [uv, "pip", "freeze", "-p", str(env / "bin/python")],
        }
        script = Path(sys.executable).with_name("cove")
        if script.is_file():
            tools["cove freeze (console script)"] = [str(script), "freeze", "-p", str(env)]
        outputs = {}
        for name, argv in tools.items():
            outputs[name] = subprocess.run(
                argv, capture_output=True, text=True, env=env_vars
            ).stdout
        assert outputs["cove freeze"] == outputs["pip freeze"], "cove and pip disagree"
        times: dict[str, list[float]] = {name: [] for name in tools}
        for _ in range(args.runs):
            for name, argv in tools.items():
                start = time.perf_counter()
                subprocess.run(argv, capture_output=True, env=env_vars, check=True)
                times[name].append(time.perf_counter() - start)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    med = {k: statistics.median(v) * 1000 for k, v in times.items()}
    print(f"{args.packages} packages, Python {py}, {args.runs} runs; outputs identical to pip's")
    if args.markdown:
        print("\n| command | median ms | min ms |\n| --- | ---: | ---: |")
        for k, v in times.items():
            print(f"| {k} | {med[k]:.1f} | {min(v) * 1000:.1f} |")
        print("\n| ratio | value | target |\n| --- | ---: | --- |")
    for peer, target in (("pip freeze", ">= 5"), ("uv pip freeze", ">= 0.33")):
        ratio = med[peer] / med["cove freeze"]
        line = f"{peer} / cove freeze"
        print(f"| {line} | {ratio:.2f}x | {target} |" if args.markdown else f"{line}: {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
