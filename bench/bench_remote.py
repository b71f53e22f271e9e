"""Time `cove install` beside `uv pip install` and `pip install` against a remote-like index:
latency per request, no PEP 658 files, no cache headers, empty or warm caches (issue 12).

    .venv/bin/python bench/bench_remote.py --runs 3 --latency 100ms --no-metadata \\
        --no-cache-headers --cold large
    .venv/bin/python bench/bench_remote.py --runs 3 --latency 100ms --no-metadata \\
        --no-cache-headers --cold --warm --dry-run large
    .venv/bin/python bench/bench_remote.py --runs 1 --default-index --cold large

Setup (untimed): the set's real wheels are fetched once (bench/wheelhouse.py) and served by
bench/index_server.py on 127.0.0.1 with the options given; each timed run gets a fresh empty
environment (made with ``cove create`` and its own cache, outside the timed region). *cold*: every
run starts with empty cove and uv caches and pip gets ``--no-cache-dir``; *warm*: each tool's
cache was filled by one untimed run of the same command. ``--dry-run`` times resolution alone
(``cove install --dry-run``, ``uv pip install --dry-run``, ``pip install --dry-run --report``).
Each run reports the wall time, the peak memory of the tool's process tree (``wait4``'s
``ru_maxrss``) and, from the server, the requests, the bytes and the most in flight at once.
``--default-index`` uses no local server: every tool goes to its built-in default index (no
``-i``, no configuration files), over the real network.
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
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.bench_create import ensure_peers, newest_pyenv, unused_dir
from bench.index_server import BenchIndex, add_arguments, describe, options_from
from bench.wheelhouse import DEFAULT_ROOT, ensure_wheels, requirements_of

TOOLS = ("cove", "uv", "pip")


@dataclass(slots=True)
class Run:
    """One timed command."""

    seconds: float
    max_rss_mb: float  # of the tool's process and the children it waited for
    cpu_seconds: float  # user + system
    server: dict[str, Any] = field(default_factory=dict)  # BenchIndex.take()'s summary


def measured(argv: list[str], env: dict[str, str], log: Path) -> Run:
    """Run ``argv`` to its end: wall time and ``wait4``'s rusage (this child's tree alone,
    unlike RUSAGE_CHILDREN, which is the maximum over every child ever waited for)."""
    with open(log, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(argv)}\n{log.read_text()[-4000:]}")
    return Run(elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime)


def tool_env(work: Path) -> dict[str, str]:
    """The machine's environment without any tool's settings: no configuration file of pip,
    uv or cove is read, so each uses what it is told or its built-in default."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "COVE_"))}
    base.pop("VIRTUAL_ENV", None)
    return {
        **base,
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_INPUT": "1",
        "UV_NO_CONFIG": "1",
        "UV_PYTHON_DOWNLOADS": "never",
        "COVE_CONFIG_FILE": str(work / "no-cove.toml"),  # does not exist: no cove settings
    }


def empty_environment(work: Path, py: str, name: str, env: dict[str, str]) -> Path:
    """``work/envs/<name>``, new and empty (pip seeded), made by ``cove create`` with a cache of
    its own, so a cold run's cache starts really empty."""
    target = unused_dir(work / "envs", name)
    subprocess.run(
        [sys.executable, "-m", "cove", "create", "-q", "-p", py, str(target)],
        check=True,
        env={**env, "COVE_CACHE_DIR": str(work / "create-cache")},
    )
    return target


def compile_cove(python: str = sys.executable) -> None:
    """Bytecode for cove's modules: an editable checkout may have none, and every run would
    compile them again."""
    where = subprocess.run(
        [python, "-c", "import cove, os; print(os.path.dirname(cove.__file__))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    subprocess.run([python, "-m", "compileall", "-q", where], check=True)


Command = Callable[[Path, Path], list[str]]  # (environment, cache dir) -> argv


def commands(
    uv: str,
    url: str | None,
    requirements: list[str],
    dry_run: bool,
    cold: bool,
    cove_b: str | None = None,
) -> dict[str, Command]:
    """Each tool's argv; ``url`` None: the tool's default index; ``cove_b`` another python
    with cove installed (tool ``cove-b``: an A/B run of two cove versions in the same rounds)."""
    cove = [sys.executable, "-m", "cove"]
    index_cove = ["-i", url] if url else []
    index_uv = ["--index-url", url] if url else []
    dry = ["--dry-run"] if dry_run else []

    def cove_cmd(env: Path, cache: Path, cove: list[str] = cove) -> list[str]:
        return [*cove, "install", "-q", "-p", str(env), *index_cove, *dry, *requirements]

    def cove_b_cmd(env: Path, cache: Path) -> list[str]:
        return cove_cmd(env, cache, [cove_b or sys.executable, "-m", "cove"])

    def uv_cmd(env: Path, cache: Path) -> list[str]:
        py = str(env / "bin" / "python")
        return [uv, "pip", "install", "-q", "-p", py, *index_uv, *dry, *requirements]

    def pip_cmd(env: Path, cache: Path) -> list[str]:
        argv = [str(env / "bin" / "python"), "-m", "pip", "install", "-q", *index_cove]
        if url:  # pip caches plain-http responses only from a trusted host
            argv += ["--trusted-host", "127.0.0.1"]
        argv += ["--no-cache-dir"] if cold else ["--cache-dir", str(cache)]
        if dry_run:
            argv += ["--dry-run", "--report", str(cache.parent / "pip-report.json")]
        return [*argv, *requirements]

    return {"cove": cove_cmd, "cove-b": cove_b_cmd, "uv": uv_cmd, "pip": pip_cmd}


def cache_env(tool: str, cache: Path) -> dict[str, str]:
    if tool.startswith("cove"):
        return {"COVE_CACHE_DIR": str(cache)}
    if tool == "uv":
        return {"UV_CACHE_DIR": str(cache)}
    return {}  # pip: --no-cache-dir or --cache-dir on its command line


def summarize(runs: list[Run]) -> dict[str, Any]:
    secs = [r.seconds for r in runs]
    out: dict[str, Any] = {
        "median_s": statistics.median(secs),
        "min_s": min(secs),
        "max_s": max(secs),
        "max_rss_mb": statistics.median(r.max_rss_mb for r in runs),
        "cpu_s": statistics.median(r.cpu_seconds for r in runs),
    }
    if runs[0].server:
        out["requests"] = statistics.median(r.server["requests"] for r in runs)
        out["peak_in_flight"] = max(r.server["peak_in_flight"] for r in runs)
        out["mb"] = statistics.median(r.server["bytes"] for r in runs) / 1e6
        out["whole_files"] = statistics.median(r.server["whole_files"] for r in runs)
        kinds: set[str] = set().union(*(r.server["by_kind"] for r in runs))
        out["by_kind"] = {
            k: statistics.median(r.server["by_kind"].get(k, 0) for r in runs) for k in sorted(kinds)
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--python", help="interpreter of the environments (default: pyenv 3.12)")
    parser.add_argument("--cold", action="store_true", help="empty caches every run")
    parser.add_argument("--warm", action="store_true", help="caches filled by an untimed run")
    parser.add_argument("--dry-run", action="store_true", help="resolution alone")
    parser.add_argument("--tools", nargs="+", choices=TOOLS, default=list(TOOLS))
    parser.add_argument("--skip-pip", action="store_true", help="cove and uv only")
    parser.add_argument(
        "--cove-b",
        metavar="PYTHON",
        help="also time `PYTHON -m cove` as tool cove-b in the same rounds (an A/B run)",
    )
    parser.add_argument(
        "--default-index",
        action="store_true",
        help="no local server: each tool's built-in default index, over the network",
    )
    parser.add_argument("--wheels", type=Path, default=DEFAULT_ROOT, help="wheelhouse root")
    parser.add_argument("--peers", type=Path, default=Path("/tmp/cove-bench-peers"))
    parser.add_argument("--log-dir", type=Path, help="keep each run's output and request log")
    parser.add_argument("--json", type=Path, help="write every run's figures here")
    parser.add_argument("requirements", nargs="*", default=["seed"], help="a set or requirements")
    add_arguments(parser)
    args = parser.parse_args()
    states = [s for s in ("cold", "warm") if getattr(args, s)] or ["cold", "warm"]
    tools = [t for t in args.tools if not (args.skip_pip and t == "pip")]
    if args.cove_b:
        tools.insert(tools.index("cove") + 1 if "cove" in tools else 0, "cove-b")
    py = args.python or newest_pyenv("3.12")
    uv, _ = ensure_peers(args.peers)
    label, requirements = requirements_of(args.requirements)
    options = options_from(args)
    work = Path(tempfile.mkdtemp(prefix="cove-bench-remote-"))
    logs = args.log_dir or work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = tool_env(work)
    compile_cove()
    if args.cove_b:
        compile_cove(args.cove_b)

    def fresh_env(name: str) -> Path:
        return empty_environment(work, py, name, env)

    results: dict[str, list[Run]] = {}
    index: BenchIndex | None = None
    try:
        if not args.default_index:
            root = ensure_wheels(args.requirements, py, args.wheels)
            index = BenchIndex(root, options, log=args.log_dir is not None).__enter__()
        url = index.url if index else None
        where = "default index (network)" if index is None else describe(options)
        print(f"{label}: {' '.join(requirements)}; {where}", file=sys.stderr)
        cmds = {
            state: commands(uv, url, requirements, args.dry_run, state == "cold", args.cove_b)
            for state in states
        }
        warm_caches = {tool: work / "warm" / tool for tool in tools}
        if "warm" in states:  # one untimed run per tool fills its cache
            for tool in tools:
                target = fresh_env(f"warm-{tool}")
                cache = warm_caches[tool]
                argv = cmds["warm"][tool](target, cache)
                measured(argv, {**env, **cache_env(tool, cache)}, logs / f"warmup-{tool}.txt")
        scenario = "resolve" if args.dry_run else "install"
        for n in range(args.runs):
            for state in states:
                for tool in tools:
                    target = fresh_env(tool)
                    if state == "cold":
                        cache = unused_dir(work / "cold", tool)
                        cache.mkdir()
                    else:
                        cache = warm_caches[tool]
                    argv = cmds[state][tool](target, cache)
                    name = f"{scenario}-{state}-{tool}-{n}"
                    if index is not None:
                        index.take(reset=True)
                    run = measured(argv, {**env, **cache_env(tool, cache)}, logs / f"{name}.txt")
                    if index is not None:
                        run.server, entries = index.take(reset=True)
                        if args.log_dir is not None:
                            with open(logs / f"{name}.jsonl", "w", encoding="utf-8") as out:
                                out.writelines(json.dumps(asdict(e)) + "\n" for e in entries)
                    if args.log_dir is not None:
                        (logs / f"{name}.run.json").write_text(json.dumps(asdict(run)))
                    results.setdefault(f"{scenario} {state} {tool}", []).append(run)
                    print(
                        f"  {name}: {run.seconds:.2f} s, {run.max_rss_mb:.0f} MB, "
                        f"{run.server.get('requests', '-')} requests, "
                        f"peak {run.server.get('peak_in_flight', '-')} in flight",
                        file=sys.stderr,
                    )
    finally:
        if index is not None:
            index.__exit__()
        shutil.rmtree(work, ignore_errors=True)  # the logs are in --log-dir when kept
    report(results, args, label, requirements, where, py)
    if args.json:
        args.json.write_text(
            json.dumps({k: [asdict(r) for r in v] for k, v in results.items()}, indent=1)
        )
    return 0


def report(
    results: dict[str, list[Run]],
    args: argparse.Namespace,
    label: str,
    requirements: list[str],
    where: str,
    py: str,
) -> None:
    stats = {k: summarize(v) for k, v in results.items()}
    print(f"\n{label} ({' '.join(requirements)}), Python {py}, {args.runs} runs; {where}")
    served = any("requests" in s for s in stats.values())
    head = "| command | median s | min s | max s | peak RSS MB | CPU s |"
    rule = "| --- | ---: | ---: | ---: | ---: | ---: |"
    if served:
        head += " requests | peak in flight | MB sent | whole files |"
        rule += " ---: | ---: | ---: | ---: |"
    print(f"\n{head}\n{rule}")
    for key, s in stats.items():
        line = (
            f"| {key} | {s['median_s']:.2f} | {s['min_s']:.2f} | {s['max_s']:.2f} "
            f"| {s['max_rss_mb']:.0f} | {s['cpu_s']:.1f} |"
        )
        if "requests" in s:
            line += (
                f" {s['requests']:.0f} | {s['peak_in_flight']} | {s['mb']:.1f} "
                f"| {s['whole_files']:.0f} |"
            )
        print(line)
    print("\n| ratio (cove / peer: below 1 means cove is faster) | value |\n| --- | ---: |")
    for key, s in stats.items():
        scenario, state, tool = key.split()
        if tool != "cove":
            continue
        for peer in ("cove-b", "uv", "pip"):
            other = stats.get(f"{scenario} {state} {peer}")
            if other:
                ratio = s["median_s"] / other["median_s"]
                print(f"| {scenario} {state}: cove / {peer} | {ratio:.2f}x |")
    if served:
        print("\nrequests by kind (median per run):")
        for key, s in stats.items():
            kinds = ", ".join(f"{k} {v:g}" for k, v in s["by_kind"].items())
            print(f"- {key}: {kinds}")


if __name__ == "__main__":
    raise SystemExit(main())
