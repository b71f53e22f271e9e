"""Time `cove run python -c pass` beside running the environment's python directly.

    /root/.pyenv/versions/3.11.7/bin/python3 bench/bench_run.py --runs 50 --markdown

Issue 13's target: `cove run` adds at most 20 ms. The environment is made with `cove create
--without-pip` (untimed). With hyperfine on PATH (Debian: `apt-get install -y hyperfine`) each
command is timed by it (`-N`, no shell, warm-up runs first); without it, round-robin here. The
cove under test is the one `sys.executable` runs: `-m cove` and the console script beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.bench_create import newest_pyenv


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--python", help="interpreter of the environment (default: pyenv 3.12)")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--no-hyperfine", action="store_true", help="time here even if present")
    args = parser.parse_args()
    py = args.python or newest_pyenv("3.12")
    work = Path(tempfile.mkdtemp(prefix="cove-bench-run-"))
    env_vars = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "VIRTUAL_ENV"))}
    env_vars["COVE_CACHE_DIR"] = str(work / "cache")
    import cove

    # An installed cove has bytecode; an editable checkout under PYTHONDONTWRITEBYTECODE has not.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(cove.__file__).parent)])
    try:
        env = work / "env"
        subprocess.run(
            [sys.executable, "-m", "cove", "create", "-q", "--without-pip", "-p", py, str(env)],
            check=True,
            env=env_vars,
        )
        commands = {
            "python -c pass": [str(env / "bin/python"), "-c", "pass"],
            "cove run python -c pass": [
                sys.executable, "-m", "cove", "run", "-p", str(env), "python", "-c", "pass",
            ],
        }  # fmt: skip
        script = Path(sys.executable).with_name("cove")
        if script.is_file():
            commands["cove run python -c pass (console script)"] = [
                str(script), "run", "-p", str(env), "python", "-c", "pass",
            ]  # fmt: skip
        for argv in commands.values():  # each works, and says nothing
            done = subprocess.run(argv, capture_output=True, env=env_vars)
            assert done.returncode == 0 and not done.stdout and not done.stderr, argv
        hyperfine = None if args.no_hyperfine else shutil.which("hyperfine")
        if hyperfine:
            times = with_hyperfine(hyperfine, commands, args.runs, env_vars, work)
        else:
            times = round_robin(commands, args.runs, env_vars)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(times, py, args.runs, "hyperfine" if hyperfine else "round-robin", args.markdown)
    return 0


def with_hyperfine(
    hyperfine: str, commands: dict[str, list[str]], runs: int, env: dict[str, str], work: Path
) -> dict[str, list[float]]:
    out = work / "hyperfine.json"
    argv = [hyperfine, "-N", "--warmup", "10", "--runs", str(runs), "--export-json", str(out)]
    for name, command in commands.items():
        argv += ["-n", name, " ".join(command)]  # -N splits on spaces: no path here has one
    subprocess.run(argv, check=True, env=env, capture_output=True)
    results = json.loads(out.read_text())["results"]
    return {r["command"]: r["times"] for r in results}


def round_robin(
    commands: dict[str, list[str]], runs: int, env: dict[str, str]
) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            start = time.perf_counter()
            subprocess.run(argv, env=env, check=True)
            times[name].append(time.perf_counter() - start)
    return times


def report(times: dict[str, list[float]], py: str, runs: int, how: str, markdown: bool) -> None:
    med = {k: statistics.median(v) * 1000 for k, v in times.items()}
    low = {k: min(v) * 1000 for k, v in times.items()}
    print(f"Python {py}, {runs} runs each ({how})")
    if markdown:
        print("\n| command | median ms | min ms |\n| --- | ---: | ---: |")
    for name in times:
        row = f"{med[name]:.1f} | {low[name]:.1f}"
        print(f"| {name} | {row} |" if markdown else f"{name}: median {med[name]:.1f} ms, "
              f"min {low[name]:.1f} ms")  # fmt: skip
    if markdown:
        print("\n| added by cove run | median ms | min ms | target |\n| --- | ---: | ---: | --- |")
    base = "python -c pass"
    for name in times:
        if name == base:
            continue
        added, added_min = med[name] - med[base], low[name] - low[base]
        label = name.replace(" python -c pass", "")
        if markdown:
            print(f"| {label} | {added:.1f} | {added_min:.1f} | <= 20 |")
        else:
            print(f"{label} adds {added:.1f} ms (median), {added_min:.1f} ms (min); target <= 20")


if __name__ == "__main__":
    raise SystemExit(main())
