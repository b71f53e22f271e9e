"""Time the resolver on conflicts it must end quickly and on a resolution that needs backtracking:
`cove install --dry-run` beside `pip install --dry-run` and `uv pip install --dry-run`.

    /root/.pyenv/versions/3.11.7/bin/python3 bench/bench_resolve.py --runs 3 --markdown

Every case is a find-links directory of small wheels the tests' builder makes (untimed), read
with --no-index, so neither the network nor an index server is in the measurement. Each tool runs
once untimed (uv fills its cache), then round-robin; a run that passes --timeout is stopped and
reported as such. Each run's exit code is checked against the case's (1 for a conflict), so a
tool that answered wrongly is reported, not timed.
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
from tests.support import graphs
from tests.support.dists import WheelSpec, build_wheel
from tests.support.graphs import wheels

from bench.bench_create import ensure_peers, newest_pyenv

B = [WheelSpec("b", "1.0.0"), WheelSpec("b", "2.0.0")]


def chain(versions: tuple[str, ...], last: str) -> list[WheelSpec]:
    return wheels(graphs.chain(versions, last, top="1.0.0"))


# label -> (wheels, requirements, expected exit code)
CASES: dict[str, tuple[list[WheelSpec], list[str], int]] = {
    "smallest conflict": (
        [WheelSpec("a", "1.0.0", requires=["b==2.0.0"]), *B],
        ["a", "b==1.0.0"],
        1,
    ),
    "200 versions, none fits": (
        [WheelSpec("a", f"1.{i}.0", requires=["b==2.0.0"]) for i in range(200)] + B,
        ["a", "b==1.0.0"],
        1,
    ),
    "deep conflict (10 levels x 3 versions)": (
        [*chain(("1.0", "2.0", "3.0"), "b==2.0.0"), *B],
        ["a", "b==1.0.0"],
        1,
    ),
    "deep conflict with another request": (
        [
            *chain(("1.0", "2.0", "3.0"), "b==2.0.0"),
            *B,
            WheelSpec("z", "1.0.0", requires=["b==1.0.0"]),
        ],
        ["a", "z"],
        1,
    ),
    "deep success (oldest c10 only)": (
        [*chain(("2.0", "3.0"), "b==2.0.0"), WheelSpec("c10", "1.0", requires=["b==1.0.0"]), *B],
        ["a", "b==1.0.0"],
        0,
    ),
    "conflicting ranges, solvable (seed 2)": (
        wheels(graphs.random_graph(2)),
        ["p0", "p1", "p2"],
        0,
    ),
}


def tool_version(argv: list[str]) -> str:
    done = subprocess.run([*argv, "--version"], capture_output=True, text=True)
    return done.stdout.strip().split(" from ")[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per run")
    parser.add_argument("--python", help="interpreter of the environment (default: pyenv 3.12)")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--peers", type=Path, default=Path("/tmp/cove-bench-peers"))
    parser.add_argument(
        "--pip-python",
        type=Path,
        help="the interpreter whose pip is timed (default: the peers venv's; newer pip vendors "
        "another resolvelib, which changes the results)",
    )
    parser.add_argument("--skip-pip", action="store_true", help="pip takes minutes on some")
    args = parser.parse_args()
    py = args.python or newest_pyenv("3.12")
    uv, _ = ensure_peers(args.peers)
    pip = [str(args.pip_python or args.peers / "bin" / "python"), "-m", "pip"]
    work = Path(tempfile.mkdtemp(prefix="cove-bench-resolve-"))
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "COVE_"))}
    base.pop("VIRTUAL_ENV", None)
    env = {
        **base,
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "COVE_CACHE_DIR": str(work / "cache" / "cove"),
        "UV_CACHE_DIR": str(work / "cache" / "uv"),
    }
    cove = [sys.executable, "-m", "cove"]
    times: dict[tuple[str, str], list[float | None]] = {}
    wrong: dict[tuple[str, str], str] = {}
    try:
        target = work / "env"
        subprocess.run([*cove, "create", "-q", "-p", py, str(target)], check=True, env=env)
        commands: dict[str, dict[str, list[str]]] = {}
        for label, (specs, reqs, _) in CASES.items():
            where = work / "links" / str(len(commands))
            for spec in specs:
                build_wheel(where, spec)
            links = ["--no-index", "-f", str(where)]
            commands[label] = {
                "cove": [*cove, "install", "--dry-run", "-q", "-p", str(target), *links, *reqs],
                "uv": [uv, "pip", "install", "--dry-run", "-p", str(target), *links, *reqs],
            }
            if not args.skip_pip:
                commands[label]["pip"] = [*pip, "install", "--dry-run", "-q", *links, *reqs]
        for tools in commands.values():  # warm-up
            for argv in tools.values():
                subprocess.run(argv, capture_output=True, env=env, timeout=args.timeout * 5)
        for _ in range(args.runs):
            for label, tools in commands.items():
                for tool, argv in tools.items():
                    key = (label, tool)
                    start = time.perf_counter()
                    try:
                        done = subprocess.run(
                            argv, capture_output=True, text=True, env=env, timeout=args.timeout
                        )
                    except subprocess.TimeoutExpired:
                        times.setdefault(key, []).append(None)
                        continue
                    times.setdefault(key, []).append(time.perf_counter() - start)
                    if done.returncode != CASES[label][2]:
                        wrong[key] = f"exit {done.returncode}: {done.stderr.strip()[-200:]}"
        versions = f"{tool_version([uv])}, {tool_version(pip)}, resolvelib " + _resolvelib()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(times, wrong, args, versions)
    return 1 if wrong else 0


def _resolvelib() -> str:
    import resolvelib

    return str(resolvelib.__version__)


def report(
    times: dict[tuple[str, str], list[float | None]],
    wrong: dict[tuple[str, str], str],
    args: argparse.Namespace,
    versions: str,
) -> None:
    tools = sorted({tool for _, tool in times}, key=["cove", "pip", "uv"].index)

    def median(key: tuple[str, str]) -> float | None:
        got = times.get(key, [])
        if not got or any(t is None for t in got):
            return None
        return statistics.median(t for t in got if t is not None)

    def shown(key: tuple[str, str]) -> str:
        if key in wrong:
            return "wrong answer"
        m = median(key)
        return f">{args.timeout:.0f} s" if m is None else f"{m * 1000:.0f}"

    print(f"{args.runs} runs each; {versions}")
    heads = [f"{t} ms" for t in tools] + [f"{t} / cove" for t in tools if t != "cove"]
    if args.markdown:
        print("\n| case | " + " | ".join(heads) + " |")
        print("| --- |" + " ---: |" * len(heads))
    for label in CASES:
        cells = [shown((label, t)) for t in tools]
        c = median((label, "cove"))
        for t in tools:
            if t == "cove":
                continue
            p = median((label, t))
            if c is None or (label, t) in wrong or (label, "cove") in wrong:
                cells.append("-")
            else:
                cells.append(f">{args.timeout / c:.0f}x" if p is None else f"{p / c:.2f}x")
        print(f"| {label} | " + " | ".join(cells) + " |" if args.markdown else f"{label}: {cells}")
    for (label, tool), why in wrong.items():
        print(f"{tool} on {label!r} answered wrongly: {why}")


if __name__ == "__main__":
    raise SystemExit(main())
