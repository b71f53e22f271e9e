"""One install or uninstall from start to end: resolve, plan, fetch, then change the
environment in a single transaction. Takes plain values; reports through a Reporter."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal, NamedTuple, Protocol

from packaging.requirements import Requirement
from packaging.version import Version

from cove.archive import UnpackPolicy
from cove.errors import CoveError
from cove.install.plan import Pinned, Plan, plan_exact, plan_install, plan_uninstall
from cove.names import canonical

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet
    from packaging.utils import NormalizedName

    from cove.cache.unpacked import UnpackedWheel
    from cove.inspect.installed import InstalledDistribution
    from cove.install.wheel import InstalledDist, LinkMode
    from cove.prepare.artifacts import DownloadProgress
    from cove.prepare.source import IndexSource
    from cove.prepare.wheels import Prepared
    from cove.resolve.resolver import Resolution
    from cove.resolve.source import Candidate
    from cove.venv.environment import Environment
    from cove.venv.lock import EnvironmentLock


class HashError(CoveError):
    """Hash-checking mode is on and a requirement is not pinned or has no hash."""


class Reporter(Protocol):
    """What the pipeline tells the person running it (implemented by the CLI)."""

    def resolved(self, count: int, seconds: float) -> None: ...
    def progress(self, files: int) -> DownloadProgress | None: ...
    def changed(self, plan: Plan, seconds: float, dry_run: bool) -> None: ...
    def warn(self, message: str) -> None: ...


class _Quiet:
    """A Reporter that says nothing: installs into build environments."""

    def resolved(self, count: int, seconds: float) -> None:
        pass

    def progress(self, files: int) -> DownloadProgress | None:
        return None

    def changed(self, plan: Plan, seconds: float, dry_run: bool) -> None:
        pass

    def warn(self, message: str) -> None:
        pass


QUIET: Reporter = _Quiet()


class InstallRequest(NamedTuple):
    requirements: tuple[Requirement, ...]
    constraints: tuple[Requirement, ...] = ()
    hashes: Mapping[NormalizedName, frozenset[str]] = MappingProxyType({})
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
    unpack: UnpackPolicy = UnpackPolicy()  # an editable may run a .pth


class InstallOutcome(NamedTuple):
    plan: Plan
    resolution: Resolution | None  # None: everything was installed already, nothing resolved
    installed: tuple[InstalledDist, ...]


def scan_installed(
    site_dirs: Sequence[Path], reporter: Reporter | None = None
) -> dict[NormalizedName, InstalledDistribution]:
    """What is installed in ``site_dirs`` (the first on ``sys.path`` wins), by canonical name;
    a distribution that cannot be read is skipped, and the reporter hears of it."""
    from cove.inspect.installed import installed_by_name

    warnings: list[str] = []
    found = installed_by_name(site_dirs, warnings)
    if reporter is not None:
        for warning in warnings:
            reporter.warn(warning)
    return found


# Makes the package source and HTTP client on first need: a repeated install that is already
# satisfied never builds them (nor imports the index, resolver and HTTP modules).
Connect = Callable[[], "IndexSource"]


def install(
    request: InstallRequest,
    env: Environment,
    connect: Connect,
    cache_dir: Path,
    reporter: Reporter,
    lock: EnvironmentLock | None = None,
) -> InstallOutcome:
    """Holds the environment's lock from reading what is installed to the last file linked, so
    two cove processes on one environment queue instead of planning from the same state
    (``lock``: the caller holds it already, as create does for an environment it builds)."""
    with _locked(env, reporter, lock) as held:
        return _install(request, env, connect, cache_dir, reporter, held)


class ExactRequest(NamedTuple):
    """Install exactly ``pinned``, nothing resolved (a lock, or a requirements file pinning
    everything with hashes); with ``remove_unnamed`` (sync) also remove every distribution the
    pins do not name, but ``keep_unnamed``. ``options`` carries how to install (link mode,
    bytecode, dry run, unpack limits); its hashes and editables come from the pins."""

    pinned: tuple[Pinned, ...]
    remove_unnamed: bool = False
    keep_unnamed: frozenset[NormalizedName] = frozenset()
    options: InstallRequest = InstallRequest(())


def install_exact(
    request: ExactRequest, env: Environment, connect: Connect, cache_dir: Path, reporter: Reporter
) -> InstallOutcome:
    """Removals and installs in one transaction, under the environment's lock. When what is
    installed is already what the pins say, nothing is contacted (``connect`` is not called)."""
    with _locked(env, reporter) as lock:
        installed = scan_installed([env.site_packages], reporter)
        todo, keep, remove = plan_exact(
            request.pinned, installed, request.remove_unnamed, request.keep_unnamed
        )
        requested = frozenset(p.name for p in request.pinned)
        if not todo and not remove:
            plan = Plan((), (), tuple(keep), requested)
            reporter.changed(plan, 0.0, request.options.dry_run)
            return InstallOutcome(plan, None, ())
        options = request.options._replace(
            # A direct reference's hashes are its archive's, checked as it is fetched: the wheel
            # built from it has its own.
            hashes={p.name: p.hashes for p in request.pinned if p.hashes and not _url_of(p)},
            editable=frozenset(p.name for p in request.pinned if p.editable),
        )
        source = connect()
        candidates = [_candidate_of(pin, source) for pin in todo]
        plan = Plan(tuple(candidates), tuple(remove), tuple(keep), requested)
        if options.dry_run:
            reporter.changed(plan, 0.0, True)
            return InstallOutcome(plan, None, ())

        def sizes(wheels: Mapping[NormalizedName, Prepared]) -> None:
            for pin, candidate in zip(todo, candidates, strict=True):
                link = candidate.link
                if link is not None and link.is_wheel and not candidate.direct:
                    _check_size(pin, wheels[pin.name].path)

        done = _execute(plan, env, cache_dir, options, lock, source, reporter, sizes)
        return InstallOutcome(plan, None, done)


def _candidate_of(pin: Pinned, source: IndexSource) -> Candidate:
    """The candidate a pin names, made ready: its sdist fetched (size checked) before anything
    builds it, a direct reference's archive likewise, a pinned requirement found on the index."""
    from cove.index.evaluate import applicable

    if pin.candidate is not None:
        link = pin.candidate.link
        if link is not None and not link.is_wheel and pin.size is not None:
            _check_size(pin, source.metadata_reader.sdist(pin.candidate))
        return pin.candidate
    req = pin.requirement
    assert req is not None, pin
    if req.url:
        plain = req.url.partition("#")[0]
        if (pin.hashes or pin.size is not None) and _archive(plain):
            from cove.prepare.artifacts import Fetch

            name = plain.rstrip("/").rsplit("/", 1)[-1]
            item = Fetch(plain, name, required=pin.hashes, label=f"{req.name} ({name})")
            _check_size(pin, source.preparer.fetch([item])[plain])  # then built from there
        return source.direct(req)
    found = applicable(source.candidates(pin.name), req.specifier, pre=True)
    if not found:
        why = source.describe_unavailable(pin.name) or f"the index has no {req}"
        raise CoveError(
            f"{pin.where or req}: {req} cannot be installed: {why}",
            hint="check the index options (--index-url, --find-links) and the pins' hashes",
        )
    return found[0]


def _url_of(pin: Pinned) -> str | None:
    return pin.requirement.url if pin.requirement is not None else None


def _archive(url: str) -> bool:
    """Whether a direct reference's URL names a file (not a git repository or a directory)."""
    if url.startswith("git+"):
        return False
    if url.startswith("file:"):
        from urllib.parse import urlsplit
        from urllib.request import url2pathname

        return not Path(url2pathname(urlsplit(url).path)).is_dir()
    return True


def _check_size(pin: Pinned, path: Path) -> None:
    if pin.size is None:
        return
    actual = path.stat().st_size
    if actual != pin.size:
        from cove.prepare.artifacts import HashMismatch

        raise HashMismatch(
            f"{pin.where}: {path.name} is {actual} bytes, but its size says {pin.size}",
            hint="the file or the lock is corrupt or was tampered with; nothing was installed",
        )


def _install(
    request: InstallRequest,
    env: Environment,
    connect: Connect,
    cache_dir: Path,
    reporter: Reporter,
    lock: EnvironmentLock,
) -> InstallOutcome:
    """Requirements are judged satisfied by any distribution the interpreter can import (as
    pip judges them); only the environment's own site-packages is ever changed."""
    started = time.perf_counter()
    site_dirs = env.site_dirs()
    installed = scan_installed(site_dirs, reporter)
    from cove.requirements.markers import for_environment

    applicable = for_environment(
        request.requirements, request.constraints, env.interpreter.markers
    )  # once, for the target: the satisfied check, the resolver and the report see the same
    for message in applicable.ignored:
        reporter.warn(message)
    request = request._replace(
        requirements=applicable.requirements, constraints=applicable.constraints
    )
    requested = frozenset(canonical(r.name) for r in request.requirements)
    specs, urls = constraint_limits(request.constraints)
    if not (request.upgrade or request.force_reinstall or request.dry_run):
        from cove.install.satisfied import already_satisfied

        if already_satisfied(request.requirements, specs, installed, env.interpreter.markers):
            plan = Plan((), (), (), requested)
            reporter.changed(plan, 0.0, False)
            return InstallOutcome(plan, None, ())
    from cove.prepare.source import installed_candidates
    from cove.resolve.provider import Policy
    from cove.resolve.resolver import resolve

    source = connect()
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
    # What the plan may replace: the environment's own distributions, never the base's.
    own = (
        {n: d for n, d in installed.items() if d.location == env.site_packages}
        if site_dirs[0] == env.site_packages
        else scan_installed([env.site_packages])
    )
    plan = plan_install(resolution.chosen, own, requested, policy.reinstall)
    for candidate in plan.install:
        if candidate.yanked is not None:  # only the user's own == pin lets one through
            because = f" ({candidate.yanked})" if candidate.yanked else ""
            reporter.warn(f"{candidate} is yanked{because}; using it because you pinned it")
    if request.require_hashes or request.hashes:
        _check_hashes(plan, request)
    if request.dry_run or plan.empty:
        reporter.changed(plan, 0.0, request.dry_run)
        return InstallOutcome(plan, resolution, ())
    done = _execute(plan, env, cache_dir, request, lock, source, reporter)
    return InstallOutcome(plan, resolution, done)


def constraint_limits(
    constraints: Sequence[Requirement],
) -> tuple[dict[NormalizedName, SpecifierSet], dict[NormalizedName, str]]:
    """What constraints allow of each project: the specifiers joined, and a URL it must come
    from (``name @ url``)."""
    from packaging.specifiers import SpecifierSet

    specs: dict[NormalizedName, SpecifierSet] = {}
    urls: dict[NormalizedName, str] = {}
    for c in constraints:
        name = canonical(c.name)
        specs[name] = specs.get(name, SpecifierSet()) & c.specifier
        if c.url:
            urls[name] = c.url
    return specs, urls


def _execute(
    plan: Plan,
    env: Environment,
    cache_dir: Path,
    request: InstallRequest,
    lock: EnvironmentLock,
    source: IndexSource,
    reporter: Reporter,
    check: Callable[[Mapping[NormalizedName, Prepared]], None] | None = None,
) -> tuple[InstalledDist, ...]:
    """Bring the plan's wheels onto disk, then change the environment in one transaction;
    ``check`` sees the wheels before anything changes."""
    started = time.perf_counter()
    from cove.cache.unpacked import EntryChanged, unpack_wheel
    from cove.prepare.wheels import prepare_wheels

    def unpack(candidate: Candidate, wheel: Path) -> UnpackedWheel:
        # Each file's tamper check is left to the process that links it (install/forked.py).
        return unpack_wheel(wheel, cache_dir, _policy(request, candidate), defer_check=True)

    wheels = prepare_wheels(plan.install, source, request.hashes, reporter.progress, unpack)
    source.quiesce()  # resolution and downloads are over: its idle threads may go
    if check is not None:
        check(wheels)
    try:
        with _undone_on_os_error("install"):
            done = _apply(plan, env, cache_dir, wheels, request, lock, source, reporter)
    except EntryChanged:
        # Everything was undone; every entry is checked now, what changed unpacked again (and
        # reported), and the install made again with no check left to the link.
        by_name = {c.name: c for c in plan.install}
        wheels = {
            name: w._replace(
                unpacked=unpack_wheel(w.path, cache_dir, _policy(request, by_name[name]))
            )
            for name, w in wheels.items()
        }
        with _undone_on_os_error("install"):
            done = _apply(plan, env, cache_dir, wheels, request, lock, source, reporter)
    if any(d.link_fallback for d in done):
        what = "cloned" if request.link_mode == "clone" else "hardlinked"
        reporter.warn(
            f"files were copied, not {what}: the filesystem cannot do it between the cache "
            "and the environment (set COVE_CACHE_DIR beside it, or --link-mode copy to silence "
            "this)"
        )
    reporter.changed(plan, time.perf_counter() - started, False)
    return done


def uninstall(
    names: list[NormalizedName],
    env: Environment,
    cache_dir: Path,
    reporter: Reporter,
    dry_run: bool = False,
) -> Plan:
    with _locked(env, reporter) as lock:
        return _uninstall(names, env, cache_dir, reporter, dry_run, lock)


def _uninstall(
    names: list[NormalizedName],
    env: Environment,
    cache_dir: Path,
    reporter: Reporter,
    dry_run: bool,
    lock: EnvironmentLock,
) -> Plan:
    started = time.perf_counter()
    plan, missing = plan_uninstall(names, scan_installed([env.site_packages], reporter))
    for name in missing:
        reporter.warn(f"skipping {name}: it is not installed")
    if not dry_run and plan.remove:
        from cove.install.transaction import Transaction

        with (
            _undone_on_os_error("uninstall"),
            Transaction(env.root, cache_dir, _protected(env), lock) as txn,
        ):
            txn.remove(*(ref.path for ref in plan.remove))
            txn.commit()
    reporter.changed(plan, time.perf_counter() - started, dry_run)
    return plan


@contextlib.contextmanager
def _undone_on_os_error(what: str) -> Iterator[None]:
    """A refused write or a full disk inside a transaction: the transaction has put every file
    back by the time this sees it, so the hint may say nothing changed (only here is it true)."""
    try:
        yield
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        raise CoveError(
            f"the {what} failed: {exc.strerror or exc}{where}",
            hint="nothing was changed (every file was put back); check that path's "
            "permissions and the free space",
        ) from None


@contextlib.contextmanager
def _locked(
    env: Environment, reporter: Reporter, lock: EnvironmentLock | None = None
) -> Iterator[EnvironmentLock]:
    """The environment's lock, and the environment as a killed cove process would have left it
    had it finished or never started (its journal says which), before anything reads it."""
    from cove.install.transaction import recover
    from cove.venv.lock import environment_lock

    def waiting() -> None:
        reporter.warn(f"another cove process is changing {env.root}: waiting for it to finish")

    with lock or environment_lock(env.root, waiting) as held:
        found = recover(env.root).describe(env.root)
        if found:
            reporter.warn(found)
        yield held


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


def _protected(env: Environment) -> tuple[Path, ...]:
    return (env.site_packages, env.bin_dir, env.root / "include")


def _apply(
    plan: Plan,
    env: Environment,
    cache_dir: Path,
    wheels: Mapping[NormalizedName, Prepared],
    request: InstallRequest,
    lock: EnvironmentLock,
    source: IndexSource,
    reporter: Reporter,
) -> tuple[InstalledDist, ...]:
    from cove.install.transaction import Transaction, WheelInstall, shared_warnings

    python = env.script_python()
    version = (env.interpreter.version[0], env.interpreter.version[1])
    # Linking is system calls that release the GIL: a few threads keep the disk busy; more
    # only fight the GIL.
    workers = min(4, os.cpu_count() or 1)
    unpacked = [wheels[c.name].unpacked for c in plan.install]
    for c, found in zip(plan.install, unpacked, strict=True):
        if found.repaired:
            more = f" and {len(found.repaired) - 1} more" if found.repaired[1:] else ""
            reporter.warn(
                f"the cache's copy of {c.name} {c.version} had changed ({found.repaired[0]}"
                f"{more}; edited in place in an environment hardlinked to it?): unpacked it "
                "again, so this environment gets the wheel's files"
            )
    items = [
        WheelInstall(
            wheels[c.name].path,
            env.scheme(c.name),
            requested=c.name in plan.requested,
            extra_files=_direct_url(source, c, c.name in request.editable),
            unpacked=found,
        )
        for c, found in zip(plan.install, unpacked, strict=True)
    ]
    with Transaction(env.root, cache_dir, _protected(env), lock) as txn:
        txn.remove(*(ref.path for ref in plan.remove))
        done = txn.install_all(
            items, python=python, python_version=version, link_mode=request.link_mode,
            jobs=workers,
        )  # fmt: skip
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
    for message in shared_warnings(txn.shared):
        reporter.warn(message)
    return done


def _policy(request: InstallRequest, candidate: Candidate) -> UnpackPolicy:
    """The request's unpack limits; an editable install of the user's own project may have a
    .pth file that runs code (its build backend makes one)."""
    if candidate.name in request.editable:
        return request.unpack._replace(refuse_executable_pth=False)
    return request.unpack


def _direct_url(
    source: IndexSource, candidate: Candidate, editable: bool
) -> dict[str, bytes] | None:
    from cove import direct_url
    from cove.prepare.direct import direct_url_info
    from cove.resolve.source import DirectReference

    if not isinstance(candidate.origin, DirectReference):
        return None
    info = direct_url_info(candidate.origin, editable, source.preparer.sha256)
    return {"direct_url.json": direct_url.dumps(info)}
