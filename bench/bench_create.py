"""Time `cove create` beside `python -m venv`, virtualenv and `uv venv` in one run.

    /root/.pyenv/versions/3.11.7/bin/python3 bench/bench_create.py --runs 15 --markdown

Run it with an interpreter's real path, not a pyenv shim (the shim adds ~100 ms per call),
ideally the python of a venv that cove is installed into, as pipx would install it (a base
interpreter may import extra `.pth` files at every start; bench/RESULTS.md says which). cove
runs under that interpreter (``sys.executable -m cove``) and, when it exists, as the ``cove``
console script next to it. Peers are installed into a throwaway venv (``--peers``, default
/tmp/cove-bench-peers, reused when present) with pip as configured on the machine.

Every tool runs once untimed so its cache is warm (caches live under ``--cache``, default
/tmp/cove-bench-cache, and persist across runs); then the commands run round-robin, each into a
fresh directory removed outside the timed region, and the median and minimum wall times are
reported with the ratios the project tracks. Timed commands run with every HTTP(S) proxy variable
pointing at a closed local port, so a tool that tried to download inside the timed region would
fail the run instead of quietly timing the network.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEAD_PROXY = "http://127.0.0.1:9"  # discard port: nothing listens, connections fail at once
PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")

COVE = "cove create"
COVE_NOPIP = "cove create --without-pip"
COVE_SCRIPT = "cove create (console script)"
COVE_SCRIPT_NOPIP = "cove create --without-pip (console script)"
VENV = "python -m venv"
VENV_NOPIP = "python -m venv --without-pip"
VIRTUALENV = "virtualenv"
VIRTUALENV_NOSEED = "virtualenv --no-seed"
UV = "uv venv"
UV_SEED = "uv venv --seed"


def unused_dir(parent: Path, name: str) -> Path:
    """A path under ``parent`` that no run of this bench has used yet. Benches remove what they
    made once, at the end, never between runs: on this VM's ext4, making files just after a
    large tree was removed is slower (a warm ``cove sync`` rose from 457 to 792 ms over ten
    rounds that each removed the last environment first, and stayed at 394-421 ms when none
    was removed), and that cost belongs to no tool."""
    parent.mkdir(parents=True, exist_ok=True)
    n = 0
    while (parent / f"{name}-{n}").exists():
        n += 1
    return parent / f"{name}-{n}"


def newest_pyenv(minor: str) -> str:
    """The real path of the newest pyenv-installed CPython `minor` (never the shim)."""
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found = sorted(
        (p for p in root.glob(f"{minor}.*") if (p / "bin" / f"python{minor}").is_file()),
        key=lambda p: tuple(int(x) if x.isdigit() else -1 for x in p.name.split(".")),
    )
    if not found:
        sys.exit(f"no Python {minor} under {root}; pass --python PATH")
    return str(found[-1] / "bin" / f"python{minor}")


def ensure_peers(peers: Path) -> tuple[str, str]:
    """virtualenv and uv in a throwaway venv, installed with pip's own configuration."""
    uv, virtualenv = peers / "bin" / "uv", peers / "bin" / "virtualenv"
    if not (uv.exists() and virtualenv.exists()):
        subprocess.run([sys.executable, "-m", "venv", str(peers)], check=True)
        pip = [str(peers / "bin" / "python"), "-m", "pip", "install", "-q"]
        subprocess.run([*pip, "virtualenv", "uv"], check=True)
    return str(uv), str(virtualenv)


def commands(
    py: str, peers: Path, cache: Path, skip_cove: bool
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Timed argv per label (the target directory is appended), and the warm-up argv for any
    label whose warm-up differs (uv fills its cache online, then is timed --offline)."""
    uv, virtualenv = ensure_peers(peers)
    app_data = ["--app-data", str(cache / "virtualenv"), "--no-periodic-update"]
    cmds: dict[str, list[str]] = {}
    if not skip_cove:
        module = [sys.executable, "-m", "cove", "create", "-q", "-p", py]
        cmds[COVE] = module
        cmds[COVE_NOPIP] = [*module, "--without-pip"]
        script = Path(sys.executable).with_name("cove")
        if script.is_file():
            cmds[COVE_SCRIPT] = [str(script), "create", "-q", "-p", py]
            cmds[COVE_SCRIPT_NOPIP] = [*cmds[COVE_SCRIPT], "--without-pip"]
    cmds[VENV] = [py, "-m", "venv"]
    cmds[VENV_NOPIP] = [py, "-m", "venv", "--without-pip"]
    cmds[VIRTUALENV] = [virtualenv, "-q", *app_data, "-p", py]
    cmds[VIRTUALENV_NOSEED] = [virtualenv, "-q", *app_data, "--no-seed", "-p", py]
    cmds[UV] = [uv, "venv", "-q", "--offline", "-p", py]
    cmds[UV_SEED] = [uv, "venv", "-q", "--seed", "--offline", "-p", py]
    warm = {UV_SEED: [uv, "venv", "-q", "--seed", "-p", py]}
    return cmds, warm


def environments(cache: Path) -> tuple[dict[str, str], dict[str, str]]:
    """The warm-up environment (network allowed) and the timed one (downloads fail)."""
    base = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONHOME")}
    base["COVE_CACHE_DIR"] = str(cache / "cove")
    base["UV_CACHE_DIR"] = str(cache / "uv")
    timed = dict(base)
    timed.update(dict.fromkeys(PROXY_VARS, DEAD_PROXY))
    timed["no_proxy"] = timed["NO_PROXY"] = ""
    return base, timed


def run(argv: list[str], target: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run([*argv, str(target)], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(argv)} {target}\n{done.stderr}")
    return elapsed


def version(argv: list[str]) -> str:
    done = subprocess.run(argv, capture_output=True, text=True)
    return (done.stdout or done.stderr).strip().splitlines()[0] if done.returncode == 0 else "?"


def ratio_rows(med: dict[str, float]) -> list[tuple[str, float, str]]:
    wanted = [
        (UV_SEED, COVE, "> 1"),
        (VENV, COVE, ">= 20"),
        (VENV_NOPIP, COVE_NOPIP, "> 1"),
        (UV, COVE_NOPIP, "(info)"),
        (VIRTUALENV, COVE, "(info)"),
        (UV_SEED, COVE_SCRIPT, "> 1"),
        (VENV, COVE_SCRIPT, ">= 20"),
        (VENV_NOPIP, COVE_SCRIPT_NOPIP, "> 1"),
    ]
    return [
        (f"{peer} / {cove}", med[peer] / med[cove], target)
        for peer, cove, target in wanted
        if peer in med and cove in med
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per command")
    parser.add_argument("--python", help="interpreter of the environments (default: pyenv 3.12)")
    parser.add_argument("--markdown", action="store_true", help="print markdown tables")
    parser.add_argument("--skip-cove", action="store_true", help="time the peers only")
    parser.add_argument("--peers", type=Path, default=Path("/tmp/cove-bench-peers"))
    parser.add_argument("--cache", type=Path, default=Path("/tmp/cove-bench-cache"))
    args = parser.parse_args()
    py = os.path.realpath(args.python) if args.python else newest_pyenv("3.12")
    cmds, warm = commands(py, args.peers, args.cache, args.skip_cove)
    warm_env, timed_env = environments(args.cache)
    work = Path(tempfile.mkdtemp(prefix="cove-bench-"))
    times: dict[str, list[float]] = {name: [] for name in cmds}
    try:
        for name, argv in cmds.items():  # fill every tool's cache, untimed
            run(warm.get(name, argv), unused_dir(work, "env"), warm_env)
        for _ in range(args.runs):
            for name, argv in cmds.items():  # round-robin: all tools share the machine's noise
                times[name].append(run(argv, unused_dir(work, "env"), timed_env))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    med = {name: statistics.median(t) * 1000 for name, t in times.items()}
    low = {name: min(t) * 1000 for name, t in times.items()}
    uv_bin, venv_bin = cmds[UV][0], cmds[VIRTUALENV][0]
    print(f"bench python: {sys.executable} ({platform.python_version()})")
    print(f"target python: {py} ({version([py, '-V'])})")
    peers = version([venv_bin, "--version"]).split(" from ")[0], version([uv_bin, "-V"])
    print(f"peers: {'; '.join(peers)}")
    print(f"runs: {args.runs} per command, round-robin, warm caches under {args.cache}\n")
    if args.markdown:
        print("| command | median ms | min ms |\n| --- | ---: | ---: |")
        for name in cmds:
            print(f"| `{name}` | {med[name]:.1f} | {low[name]:.1f} |")
        if rows := ratio_rows(med):
            print("\n| ratio (peer / cove, > 1 means cove is faster) | value | target |")
            print("| --- | ---: | --- |")
            for label, value, goal in rows:
                print(f"| {label} | {value:.2f} | {goal} |")
    else:
        for name in cmds:
            print(f"{name:<44} median {med[name]:8.1f} ms   min {low[name]:8.1f} ms")
        print()
        for label, value, goal in ratio_rows(med):
            print(f"{label:<72} {value:6.2f}  (target {goal})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
