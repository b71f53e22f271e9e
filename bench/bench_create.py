"""Time `cove create` beside `python -m venv`, virtualenv and `uv venv` in one run.

    /path/to/real/python3.11 bench/bench_create.py --runs 15 --markdown

Peers are installed into a throwaway venv (``--peers``, default /tmp/cove-bench-peers). Every
tool runs once untimed first so its cache is warm; then the commands run round-robin, each into
a fresh directory, and the median and minimum wall times are reported with the ratios we track.
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


def newest_pyenv(minor: str) -> str:
    root = Path.home() / ".pyenv" / "versions"
    found = sorted(
        (p for p in root.glob(f"{minor}.*") if (p / "bin" / f"python{minor}").exists()),
        key=lambda p: tuple(int(x) for x in p.name.split(".") if x.isdigit()),
    )
    if not found:
        sys.exit(f"no Python {minor} under {root}; pass --python")
    return str(found[-1] / "bin" / f"python{minor}")


def ensure_peers(peers: Path) -> None:
    if (peers / "bin" / "uv").exists() and (peers / "bin" / "virtualenv").exists():
        return
    subprocess.run([sys.executable, "-m", "venv", str(peers)], check=True)
    subprocess.run([str(peers / "bin" / "pip"), "install", "-q", "virtualenv", "uv"], check=True)


def ensure_cove(venv: Path, py: str) -> Path:
    """cove installed from this checkout into its own venv, as a user (or pipx) would have it."""
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([py, "-m", "venv", str(venv)], check=True)
    repo = Path(__file__).resolve().parent.parent
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(repo)], check=True)
    return python


def commands(py: str, cove_python: Path, peers: Path) -> dict[str, list[str]]:
    cove = [str(cove_python), "-m", "cove"]
    script = cove_python.with_name("cove")
    uv, venv_ = str(peers / "bin" / "uv"), str(peers / "bin" / "virtualenv")
    out = {
        "cove create": [*cove, "create", "-q", "-p", py],
        "cove create --without-pip": [*cove, "create", "-q", "--without-pip", "-p", py],
        "python -m venv": [py, "-m", "venv"],
        "python -m venv --without-pip": [py, "-m", "venv", "--without-pip"],
        "virtualenv": [venv_, "-q", "-p", py],
        "virtualenv --no-seed": [venv_, "-q", "--no-seed", "-p", py],
        "uv venv": [uv, "venv", "-q", "-p", py],
        "uv venv --seed": [uv, "venv", "-q", "--seed", "--offline", "-p", py],
    }
    if script.exists():
        out["cove create (console script)"] = [str(script), "create", "-q", "-p", py]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--python", help="interpreter the environments use (default: pyenv 3.12)")
    parser.add_argument("--peers", type=Path, default=Path("/tmp/cove-bench-peers"))
    parser.add_argument("--cove-venv", type=Path, default=Path("/tmp/cove-bench-cove"))
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    py = args.python or newest_pyenv("3.12")
    ensure_peers(args.peers)
    cove_python = ensure_cove(args.cove_venv, py)
    work = Path(tempfile.mkdtemp(prefix="cove-bench-"))
    environ = dict(os.environ)
    environ["COVE_CACHE_DIR"] = str(work / "cove-cache")
    environ["UV_CACHE_DIR"] = str(work / "uv-cache")
    environ.pop("VIRTUAL_ENV", None)
    cmds = commands(py, cove_python, args.peers)
    times: dict[str, list[float]] = {name: [] for name in cmds}
    try:
        for argv in cmds.values():  # warm-up: fill every tool's cache, untimed
            target = work / "warm"
            online = [a for a in argv if a != "--offline"]  # the warm-up may fill uv's cache
            subprocess.run([*online, str(target)], check=True, env=environ, capture_output=True)
            shutil.rmtree(target)
        for _ in range(args.runs):
            for name, argv in cmds.items():
                target = work / "env"
                start = time.perf_counter()
                subprocess.run([*argv, str(target)], check=True, env=environ, capture_output=True)
                times[name].append(time.perf_counter() - start)
                shutil.rmtree(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    med = {name: statistics.median(t) * 1000 for name, t in times.items()}
    low = {name: min(t) * 1000 for name, t in times.items()}
    ratios = [
        ("uv venv --seed / cove create", med["uv venv --seed"] / med["cove create"], "> 1"),
        ("python -m venv / cove create", med["python -m venv"] / med["cove create"], ">= 20"),
        (
            "python -m venv --without-pip / cove create --without-pip",
            med["python -m venv --without-pip"] / med["cove create --without-pip"],
            "> 1",
        ),
        ("virtualenv / cove create", med["virtualenv"] / med["cove create"], "(info)"),
    ]
    if "cove create (console script)" in med:
        ratios.append(
            (
                "uv venv --seed / cove create (console script)",
                med["uv venv --seed"] / med["cove create (console script)"],
                "> 1",
            )
        )
    print(f"python: {py}; cove runs under {cove_python}; {args.runs} runs each\n")
    if args.markdown:
        print("| command | median ms | min ms |\n| --- | ---: | ---: |")
        for name in cmds:
            print(f"| `{name}` | {med[name]:.1f} | {low[name]:.1f} |")
        print("\n| ratio (peer / cove, >1 means cove is faster) | value | target |")
        print("| --- | ---: | --- |")
        for label, value, target in ratios:
            print(f"| {label} | {value:.2f} | {target} |")
    else:
        for name in cmds:
            print(f"{name:<32} median {med[name]:8.1f} ms   min {low[name]:8.1f} ms")
        print()
        for label, value, target in ratios:
            print(f"{label:<58} {value:6.2f}  (target {target})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
