"""Time `cove install` beside `pip install` and `uv pip install` in one run, on the same wheels
served by a local index server (so the network is out of the measurement).

    /root/.pyenv/versions/3.11.7/bin/python3 bench/bench_install.py --runs 7 --markdown

Setup (untimed): the wheels of the requirements (default: the seed workflow's ``requests flask``,
pinned) are fetched once with the machine's pip into a bench-only wheelhouse
(bench/wheelhouse.py), served on 127.0.0.1 by bench/index_server.py (PEP 691 JSON, PEP 658
metadata, pages revalidated every time; ``--latency``, ``--no-metadata``, ``--no-cache-headers``
and the server's other options make it remote-like), and every tool runs once so its cache is
warm. Each timed run installs into a
fresh environment made outside the timed region (``cove create``; pip's runs get the seeded pip).
Scenarios: a warm install into an empty environment, a no-op install where everything is
already there, and the seed workflow end to end (create an environment with pip, install, freeze:
``cove`` against ``python -m venv`` + pip and ``uv venv --seed`` + ``uv pip``). pip runs twice
in the install scenarios: as it ships (compiling bytecode) and with --no-compile, which is the
work cove and uv do by default. Cold caches, resolution alone and peak memory: bench_remote.py.
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
from bench.bench_create import ensure_peers, newest_pyenv, unused_dir
from bench.index_server import BenchIndex, add_arguments, describe, options_from
from bench.wheelhouse import DEFAULT_ROOT, ensure_wheels, requirements_of

REQUIREMENTS = ["seed"]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--python", help="interpreter of the environments (default: pyenv 3.12)")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--peers", type=Path, default=Path("/tmp/cove-bench-peers"))
    parser.add_argument("--cache", type=Path, default=Path("/tmp/cove-bench-install-cache"))
    parser.add_argument(
        "--skip-pip",
        action="store_true",
        help="time cove and uv only (pip takes minutes on big sets)",
    )
    parser.add_argument("--wheels", type=Path, default=DEFAULT_ROOT, help="wheelhouse root")
    parser.add_argument(
        "requirements", nargs="*", default=REQUIREMENTS, help="a set (seed, large) or requirements"
    )
    add_arguments(parser)
    args = parser.parse_args()
    _, args.requirements = requirements_of(args.requirements)
    py = args.python or newest_pyenv("3.12")
    uv, _ = ensure_peers(args.peers)
    work = Path(tempfile.mkdtemp(prefix="cove-bench-install-"))
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "COVE_"))}
    base.pop("VIRTUAL_ENV", None)
    env = {
        **base,
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_CACHE_DIR": str(args.cache / "pip"),
        "UV_CACHE_DIR": str(args.cache / "uv"),
        "COVE_CACHE_DIR": str(args.cache / "cove"),
    }
    cove = [sys.executable, "-m", "cove"]
    # An installed cove has bytecode (pip compiles on install); an editable checkout on a machine
    # with PYTHONDONTWRITEBYTECODE would recompile every module on every run.
    import cove as cove_pkg

    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(Path(cove_pkg.__file__).parent)], check=True
    )
    try:
        root = ensure_wheels(args.requirements, py, args.wheels)
        wheels = sorted(root.glob("*.whl"))
        with BenchIndex(root, options_from(args)) as server:
            url = server.url
            # pip caches plain-http responses only from a trusted host.
            pip_index = ["-i", url, "--trusted-host", "127.0.0.1"]

            def fresh(name: str) -> Path:
                target = unused_dir(work / "envs", name)
                subprocess.run([*cove, "create", "-q", "-p", py, str(target)], check=True, env=env)
                return target

            tools = {
                "cove install": lambda e: [*cove, "install", "-q", "-p", str(e), "-i", url],
                "pip install": lambda e: [str(e / "bin/pip"), "install", "-q", *pip_index],
                "pip install --no-compile": lambda e: [
                    str(e / "bin/pip"),
                    "install",
                    "-q",
                    "--no-compile",
                    *pip_index,
                ],
                "uv pip install": lambda e: [
                    uv,
                    "pip",
                    "install",
                    "-q",
                    "-p",
                    str(e / "bin/python"),
                    "--index-url",
                    url,
                ],
            }
            # The seed workflow end to end, each tool making its own environment with pip in it.
            workflows = {
                "cove create + install + freeze": lambda e: [
                    [*cove, "create", "-q", "-p", py, str(e)],
                    [*cove, "install", "-q", "-p", str(e), "-i", url, *args.requirements],
                    [*cove, "freeze", "-p", str(e)],
                ],
                "venv + pip install + pip freeze": lambda e: [
                    [py, "-m", "venv", str(e)],
                    [str(e / "bin/pip"), "install", "-q", *pip_index, *args.requirements],
                    [str(e / "bin/pip"), "freeze"],
                ],
                "uv venv --seed + uv pip install + uv pip freeze": lambda e: [
                    [uv, "venv", "-q", "--seed", "--offline", "-p", py, str(e)],
                    [uv, "pip", "install", "-q", "-p", str(e / "bin/python"), "--index-url", url,
                     *args.requirements],
                    [uv, "pip", "freeze", "-p", str(e / "bin/python")],
                ],
            }  # fmt: skip
            if args.skip_pip:
                tools = {t: argv for t, argv in tools.items() if not t.startswith("pip")}
                workflows = {w: steps for w, steps in workflows.items() if not w.startswith("venv")}
            times: dict[str, list[float]] = {f"{t} (warm)": [] for t in tools}
            times |= {f"{t} (no-op)": [] for t in tools}
            times |= {f"{w} (workflow)": [] for w in workflows}
            for argv in tools.values():  # warm every cache once
                subprocess.run([*argv(fresh("warm")), *args.requirements], check=True, env=env)
            # uv seeds the newest pip from its default index: fetched once here, then --offline.
            seeded = work / "envs" / "uv-seeded"
            subprocess.run([uv, "venv", "-q", "--seed", "-p", py, str(seeded)], check=True, env=env)
            for _ in range(args.runs):
                for tool, argv in tools.items():
                    target = fresh(tool.replace(" ", "_"))
                    cmd = [*argv(target), *args.requirements]
                    for scenario in ("warm", "no-op"):
                        start = time.perf_counter()
                        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
                        elapsed = time.perf_counter() - start
                        if done.returncode != 0:
                            sys.exit(f"failed: {' '.join(cmd)}\n{done.stderr}")
                        times[f"{tool} ({scenario})"].append(elapsed)
                for name, steps in workflows.items():
                    target = unused_dir(work / "envs", "workflow")
                    start = time.perf_counter()
                    for cmd in steps(target):
                        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
                        if done.returncode != 0:
                            sys.exit(f"failed: {' '.join(cmd)}\n{done.stderr}")
                    times[f"{name} (workflow)"].append(time.perf_counter() - start)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    med = {k: statistics.median(v) * 1000 for k, v in times.items()}
    print(
        f"{len(wheels)} wheels ({' '.join(args.requirements)}), Python {py}, {args.runs} runs; "
        f"{describe(options_from(args))}"
    )
    rows = [(k, med[k], min(times[k]) * 1000, max(times[k]) * 1000) for k in times]
    if args.markdown:
        print("\n| command | median ms | min ms | max ms |\n| --- | ---: | ---: | ---: |")
        for k, m, lo, hi in rows:
            print(f"| {k} | {m:.1f} | {lo:.1f} | {hi:.1f} |")
        print("\n| ratio | value |\n| --- | ---: |")
    ratios = [
        (f"{peer} (workflow)", "cove create + install + freeze (workflow)")
        for peer in (
            "venv + pip install + pip freeze",
            "uv venv --seed + uv pip install + uv pip freeze",
        )
    ]
    for scenario in ("warm", "no-op"):
        ratios += [
            (f"{peer} ({scenario})", f"cove install ({scenario})")
            for peer in ("pip install", "pip install --no-compile", "uv pip install")
        ]
    for peer, ours in ratios:
        if peer in med:
            ratio, line = med[peer] / med[ours], f"{peer} / {ours}"
            print(f"| {line} | {ratio:.2f}x |" if args.markdown else f"{line}: {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
