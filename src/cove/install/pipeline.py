"""One install or uninstall from start to end: resolve, plan, fetch, then change the
environment in a single transaction. Takes plain values; reports through a Reporter."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from packaging.requirements import Requirement
from packaging.version import InvalidVersion, Version

from cove.archive import UnpackPolicy
from cove.errors import CoveError
from cove.install.plan import InstalledRef, Plan, plan_install, plan_uninstall
from cove.names import canonical
from cove.resolve.source import Candidate

if TYPE_CHECKING:
    from filelock import BaseFileLock
    from packaging.utils import NormalizedName

    from cove.http.client import HttpClient
    from cove.install.prepare import DownloadProgress
    from cove.install.wheel import InstalledDist, LinkMode
    from cove.resolve.resolver import Resolution
    from cove.resolve.source import PackageSource
    from cove.target import Environment


class HashError(CoveError):
    """Hash-checking mode is on and a requirement is not pinned or has no hash."""


class Reporter(Protocol):
    """What the pipeline tells the person running it (implemented by the CLI)."""

    def resolved(self, count: int, seconds: float) -> None: ...
    def progress(self, files: int) -> DownloadProgress | None: ...
    def changed(self, plan: Plan, seconds: float, dry_run: bool) -> None: ...
    def warn(self, message: str) -> None: ...


@dataclass(frozen=True, slots=True)
class InstallRequest:
    requirements: tuple[Requirement, ...]
    constraints: tuple[Requirement, ...] = ()
    hashes: Mapping[NormalizedName, frozenset[str]] = field(default_factory=dict)
    require_hashes: bool = False
    upgrade: bool = False
    upgrade_strategy: Literal["only-if-needed", "eager"] = "only-if-needed"
    force_reinstall: bool = False
    no_deps: bool = False
    pre: bool = False
    link_mode: LinkMode = "hardlink"
    compile_bytecode: bool = False
    dry_run: bool = False
    editable: frozenset[NormalizedName] = frozenset()  # installed in development mode (PEP 660)
    unpack: UnpackPolicy = field(default_factory=UnpackPolicy)  # an editable may run a .pth


@dataclass(frozen=True, slots=True)
class InstallOutcome:
    plan: Plan
    resolution: Resolution | None  # None: everything was installed already, nothing resolved
    installed: tuple[InstalledDist, ...]


def scan_installed(site_packages: Path) -> dict[NormalizedName, InstalledRef]:
    """The distributions in one site-packages directory, by canonical name (first wins)."""
    from cove.headers import read_headers

    out: dict[NormalizedName, InstalledRef] = {}
    try:
        entries = sorted(site_packages.iterdir())
    except OSError:
        return out
    for path in entries:
        if path.suffix != ".dist-info":
            continue
        try:
            headers = read_headers((path / "METADATA").read_text(encoding="utf-8"))
            version = Version(headers["Version"])
        except (OSError, KeyError, InvalidVersion, UnicodeDecodeError):
            continue
        name = canonical(headers.get("Name", ""))
        if name:
            out.setdefault(name, InstalledRef(name, headers["Name"], version, path))
    return out


# Makes the package source and HTTP client on first need: a repeated install that is already
# satisfied never builds them (nor imports the index, resolver and HTTP modules).
Connect = Callable[[], "tuple[PackageSource, HttpClient]"]


def install(
    request: InstallRequest,
    env: Environment,
    connect: Connect,
    cache_dir: Path,
    reporter: Reporter,
) -> InstallOutcome:
    """Holds the environment's lock from reading what is installed to the last file linked, so
    two cove processes on one environment queue instead of planning from the same state."""
    from cove.install.transaction import environment_lock

    lock = environment_lock(env.root)
    with lock:
        installed = scan_installed(env.site_packages)
        return _install(request, env, connect, cache_dir, reporter, installed, lock)


def _install(
    request: InstallRequest,
    env: Environment,
    connect: Connect,
    cache_dir: Path,
    reporter: Reporter,
    installed: Mapping[NormalizedName, InstalledRef],
    lock: BaseFileLock,
) -> InstallOutcome:
    started = time.perf_counter()
    requested = frozenset(canonical(r.name) for r in request.requirements)
    from packaging.specifiers import SpecifierSet

    specs: dict[NormalizedName, SpecifierSet] = {}
    urls: dict[NormalizedName, str] = {}
    for c in request.constraints:
        name = canonical(c.name)
        specs[name] = specs.get(name, SpecifierSet()) & c.specifier
        if c.url:
            urls[name] = c.url
    if not (request.upgrade or request.force_reinstall or request.dry_run):
        from cove.install.satisfied import already_satisfied

        if already_satisfied(request.requirements, specs, installed, env.interpreter.markers):
            plan = Plan((), (), (), requested)
            reporter.changed(plan, 0.0, False)
            return InstallOutcome(plan, None, ())
    from cove.index.source import installed_candidates
    from cove.resolve.provider import Policy
    from cove.resolve.resolver import resolve

    source, client = connect()
    policy = Policy(
        markers=env.interpreter.markers,
        python_version=Version(env.interpreter.version_string),
        constraints=specs,
        constraint_urls=urls,
        pre=request.pre,
        installed=installed_candidates(installed),
        upgrade=requested if request.upgrade else frozenset(),
        upgrade_all=request.upgrade and request.upgrade_strategy == "eager",
        reinstall=requested if request.force_reinstall else frozenset(),
        no_deps=request.no_deps,
    )
    resolution = resolve(list(request.requirements), source, policy)
    reporter.resolved(len(resolution.chosen), time.perf_counter() - started)
    plan = plan_install(resolution.chosen, installed, requested, policy.reinstall)
    if request.require_hashes or request.hashes:
        _check_hashes(plan, request)
    if request.dry_run or plan.empty:
        reporter.changed(plan, 0.0, request.dry_run)
        return InstallOutcome(plan, resolution, ())
    started = time.perf_counter()
    wheels = _fetch(plan, request, source, client, cache_dir, reporter)
    done = _apply(plan, env, cache_dir, wheels, request, lock, source)
    if any(d.link_fallback for d in done):
        what = "cloned" if request.link_mode == "clone" else "hardlinked"
        reporter.warn(
            f"files were copied, not {what}: the filesystem cannot do it between the cache "
            "and the environment (set COVE_CACHE_DIR beside it, or --link-mode copy to silence "
            "this)"
        )
    reporter.changed(plan, time.perf_counter() - started, False)
    return InstallOutcome(plan, resolution, done)


def uninstall(
    names: list[NormalizedName],
    env: Environment,
    cache_dir: Path,
    reporter: Reporter,
    dry_run: bool = False,
) -> Plan:
    from cove.install.transaction import environment_lock

    lock = environment_lock(env.root)
    with lock:
        return _uninstall(names, env, cache_dir, reporter, dry_run, lock)


def _uninstall(
    names: list[NormalizedName],
    env: Environment,
    cache_dir: Path,
    reporter: Reporter,
    dry_run: bool,
    lock: BaseFileLock,
) -> Plan:
    started = time.perf_counter()
    plan, missing = plan_uninstall(names, scan_installed(env.site_packages))
    for name in missing:
        reporter.warn(f"skipping {name}: it is not installed")
    if not dry_run and plan.remove:
        from cove.install.transaction import Transaction

        with Transaction(env.root, cache_dir, _protected(env), lock) as txn:
            for ref in plan.remove:
                txn.remove(ref.path)
            txn.commit()
    reporter.changed(plan, time.perf_counter() - started, dry_run)
    return plan


def _check_hashes(plan: Plan, request: InstallRequest) -> None:
    unpinned = [
        str(r)
        for r in request.requirements
        if not any(s.operator in ("==", "===") and "*" not in s.version for s in r.specifier)
        and not r.url
    ]
    missing = [str(c) for c in plan.install if not request.hashes.get(c.name)]
    problems = []
    if unpinned:
        problems.append("not pinned with ==: " + ", ".join(unpinned))
    if missing:
        problems.append("no --hash for: " + ", ".join(missing))
    if problems:
        raise HashError(
            "hash-checking mode needs every requirement pinned and hashed; " + "; ".join(problems),
            hint="add name==version --hash=sha256:... lines for each (dependencies too), "
            "or drop --require-hashes and the --hash options",
        )


def _fetch(
    plan: Plan,
    request: InstallRequest,
    source: PackageSource,
    client: HttpClient,
    cache_dir: Path,
    reporter: Reporter,
) -> dict[NormalizedName, Path]:
    from cove.install.prepare import Fetch, fetch_all

    items = {}
    built: dict[NormalizedName, Path] = {}
    for c in plan.install:
        wheel = source.built_wheel(c)
        if wheel is not None:
            built[c.name] = wheel
            continue
        link = c.origin
        items[c.name] = Fetch(
            url=link.url,  # type: ignore[attr-defined]
            filename=link.filename,  # type: ignore[attr-defined]
            hashes=link.hashes,  # type: ignore[attr-defined]
            required=request.hashes.get(c.name, frozenset()),
            label=f"{c.name} {c.version}",
        )
    board = reporter.progress(len(items))
    completed = False
    try:
        paths = fetch_all(list(items.values()), client, cache_dir, board)
        completed = True
    finally:
        if board is not None:  # also on an error or Ctrl-C: the terminal gets its cursor back
            board.close(completed)
    return {**built, **{name: paths[item.url] for name, item in items.items()}}


def _protected(env: Environment) -> tuple[Path, ...]:
    return (env.site_packages, env.bin_dir, env.root / "include")


def _apply(
    plan: Plan,
    env: Environment,
    cache_dir: Path,
    wheels: Mapping[NormalizedName, Path],
    request: InstallRequest,
    lock: BaseFileLock,
    source: PackageSource,
) -> tuple[InstalledDist, ...]:
    from concurrent.futures import ThreadPoolExecutor

    from cove.install.transaction import Transaction

    python = env.script_python()
    version = (env.interpreter.version[0], env.interpreter.version[1])
    with Transaction(env.root, cache_dir, _protected(env), lock) as txn:
        for ref in plan.remove:
            txn.remove(ref.path)

        def link(candidate: Candidate) -> InstalledDist:
            editable = candidate.name in request.editable
            return txn.install(
                wheels[candidate.name],
                env.scheme(candidate.name),
                python=python,
                python_version=version,
                requested=candidate.name in plan.requested,
                link_mode=request.link_mode,
                extra_files=_direct_url(source, candidate, editable),
                unpack=request.unpack._replace(refuse_executable_pth=False)
                if editable
                else request.unpack,
            )

        # Linking is system calls that release the GIL: a few threads keep the disk busy.
        workers = min(4, os.cpu_count() or 1, len(plan.install) or 1)  # more only fight the GIL
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(link, c) for c in plan.install]
        done = tuple(f.result() for f in futures)  # the first failure rolls everything back
        if request.compile_bytecode and done:
            if env.interpreter.cache_tag is None:
                raise CoveError(
                    f"{env.python} does not say where compiled bytecode goes",
                    hint="install without --compile-bytecode",
                )
            txn.compiled(env.python, env.interpreter.cache_tag)
            compiled = {d.dist_info: d for d in txn.added}
            done = tuple(compiled[d.dist_info] for d in done)
        txn.commit()
    return done


def _direct_url(
    source: PackageSource, candidate: Candidate, editable: bool
) -> dict[str, bytes] | None:
    import json

    info = source.direct_url_info(candidate, editable)
    if info is None:
        return None
    return {"direct_url.json": json.dumps(info, sort_keys=True).encode()}
