"""``cove sync FILE`` and ``cove install -r pylock.toml``: install exactly what a lock (PEP 751)
or a requirements file pinning everything with hashes names, nothing resolved; sync also
removes every distribution the file does not name, all in one transaction. A file that does not
fit the environment is refused before anything changes."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

from packaging.utils import NormalizedName

from cove.operations.pipeline import Reporter
from cove.operations.wiring import (
    BuildOptions,
    Connection,
    Target,
    make_builder,
    make_source,
    open_configured,
    scratch_cache,
)

if TYPE_CHECKING:
    from packaging.requirements import Requirement
    from packaging.version import Version

    from cove.direct_url import DirectUrl
    from cove.install.plan import Pinned
    from cove.operations.pipeline import InstallOutcome
    from cove.requirements.files import FileOptions, RequirementLine, Requirements
    from cove.settings import InstallSettings
    from cove.venv.environment import Environment

# What sync leaves alone though the file does not name it (unless --exact): the installer and
# what cove create seeds beside it, as pip-sync and uv pip sync keep them.
KEPT = frozenset(NormalizedName(n) for n in ("pip", "setuptools", "wheel"))


class SyncCommand(NamedTuple):
    """``cove sync`` (or ``cove install -r pylock.toml``) as the command line asked for it."""

    target: Target
    file: str
    flags: Mapping[str, object] = MappingProxyType({})  # install settings, by pip's names
    extras: tuple[str, ...] = ()  # a lock's extras to install
    groups: tuple[str, ...] | None = None  # a lock's dependency groups (None: its default ones)
    remove_unnamed: bool = True  # False for install -r pylock.toml
    exact: bool = False  # remove pip, setuptools and wheel too when the file does not name them
    dry_run: bool = False
    build: BuildOptions = BuildOptions()


def is_lock_file(path: str) -> bool:
    """Whether ``path`` names a PEP 751 lock (``pylock.toml`` or ``pylock.NAME.toml``)."""
    from packaging.pylock import is_valid_pylock_path

    return is_valid_pylock_path(Path(path))


def sync_command(cmd: SyncCommand, reporter: Reporter) -> InstallOutcome:
    with scratch_cache() as scratch:
        env, settings, cache_dir = open_configured(cmd.target, cmd.flags, scratch, reporter.warn)
        path = Path(cmd.file)
        opts: FileOptions | None = None
        if is_lock_file(cmd.file):
            pinned = _from_lock(path, env, cmd, reporter)
        else:
            pinned, opts = _from_requirements(path, env, cmd, reporter)
        return _install(cmd, env, settings, cache_dir, pinned, opts, reporter)


def _from_lock(path: Path, env: Environment, cmd: SyncCommand, reporter: Reporter) -> list[Pinned]:
    """The lock's artifacts for this environment: its markers and tags, the extras and groups
    asked for; every package that does not fit is named before anything changes."""
    from cove.lock.artifacts import pinned_from_lock
    from cove.lock.pylock import read_lock, select_artifacts
    from cove.python.tags import supported_tags

    found = read_lock(path)
    for warning in found.warnings:
        reporter.warn(warning)
    choices = select_artifacts(
        found.lock,
        str(path),
        markers=env.interpreter.markers,
        tags=supported_tags(env.interpreter),
        extras=cmd.extras,
        groups=cmd.groups,
    )
    return pinned_from_lock(found.lock, choices, path)


def _from_requirements(
    path: Path, env: Environment, cmd: SyncCommand, reporter: Reporter
) -> tuple[list[Pinned], FileOptions]:
    """Every line of a requirements file as a pin, in hash-checking mode: pinned with ``==``
    (or a direct reference) and hashed; markers evaluated for the environment."""
    from cove.errors import CoveError
    from cove.names import canonical
    from cove.requirements.files import parse_file
    from cove.requirements.markers import applies

    reqs = parse_file(path)
    for message in reqs.warnings:
        reporter.warn(message)
    _refuse_unnamed(reqs)
    problems: list[str] = []
    pinned: dict[str, Pinned] = {}
    markers = env.interpreter.markers
    for line in reqs.lines:
        req = line.requirement
        if line.constraint or not applies(req.name, req.marker, markers, reporter.warn):
            continue
        name = canonical(req.name)
        problem = _pin_problem(line)
        if problem is None and name in pinned:
            problem = f"{line.source}: {req.name} is listed twice"
        if problem is not None:
            problems.append(problem)
        else:
            pinned[name] = _pin(line)
    if problems:
        raise CoveError(
            f"{path} cannot be synced: hash-checking mode needs every line pinned and hashed:\n"
            + "\n".join(f"  {p}" for p in problems),
            hint="write name==version --hash=sha256:... lines for each (dependencies too), as "
            "cove lock --format requirements (or pip-compile --generate-hashes) makes them",
        )
    return list(pinned.values()), reqs.options


def _refuse_unnamed(reqs: Requirements) -> None:
    """A project directory whose name only a build tells is not a pin."""
    from cove.errors import CoveError

    if reqs.unnamed:
        first = reqs.unnamed[0]
        raise CoveError(
            f"{first.source}: sync installs named projects only; {first.path} has no static name",
            hint=f"write it as NAME @ {first.path.as_uri()}",
        )


def _pin_problem(line: RequirementLine) -> str | None:
    """Why a requirements-file line cannot be a pin in hash-checking mode (None: it can)."""
    req = line.requirement
    if req.url is None and _exact_version(req) is None:
        return f"{line.source}: {req} is not pinned with =="
    plain = (req.url or "").partition("#")[0]
    source_tree = plain.startswith("git+") or _is_directory(plain)
    if not line.hashes and not source_tree and "sha256=" not in (req.url or ""):
        return f"{line.source}: {req} has no --hash"
    return None


def _exact_version(req: Requirement) -> Version | None:
    """The one version ``req`` pins with ``==`` or ``===`` (None: not exactly one)."""
    from packaging.version import Version

    exact = [s for s in req.specifier if s.operator in ("==", "===") and "*" not in s.version]
    return Version(exact[0].version) if len(exact) == 1 else None


def _pin(line: RequirementLine) -> Pinned:
    from cove.install.plan import Pinned
    from cove.names import canonical

    req = line.requirement
    version = None if req.url else _exact_version(req)
    record = _record(req.url, line.hashes, line.editable) if req.url else None
    return Pinned(
        canonical(req.name), version, requirement=req, direct_url=record, hashes=line.hashes,
        editable=line.editable, where=line.source,
    )  # fmt: skip


def _record(url: str, hashes: frozenset[str], editable: bool) -> DirectUrl:
    """The PEP 610 record an install from a direct reference writes, as far as its line tells:
    an installed copy is kept only when its own matches. A git ref that is not a full commit
    never matches (only a checkout tells which commit it is now), nor does an archive with no
    sha256 to compare."""
    import re

    from cove import direct_url
    from cove.prepare.direct import fragment_hashes

    plain, _, fragment = url.partition("#")
    if plain.startswith("git+"):
        from cove.build.vcs import parse_git_url

        git = parse_git_url(url)
        commit = git.ref if git.ref and re.fullmatch(r"[0-9a-f]{40}", git.ref) else ""
        return direct_url.for_vcs(git.repo, commit, git.ref, git.subdirectory)
    if _is_directory(plain):
        return direct_url.for_directory(plain, editable)
    given = [h.partition(":")[2] for h in hashes if h.startswith("sha256:")]
    return direct_url.for_archive(
        plain, given[0] if given else fragment_hashes(fragment).get("sha256")
    )


def _is_directory(url: str) -> bool:
    """Whether ``url`` (without its fragment) is a ``file:`` URL of a directory."""
    from urllib.parse import urlsplit
    from urllib.request import url2pathname

    return url.startswith("file:") and Path(url2pathname(urlsplit(url).path)).is_dir()


def _install(
    cmd: SyncCommand,
    env: Environment,
    settings: InstallSettings,
    cache_dir: Path,
    pinned: list[Pinned],
    opts: FileOptions | None,
    reporter: Reporter,
) -> InstallOutcome:
    from cove.operations.pipeline import ExactRequest, InstallRequest, install_exact
    from cove.prepare.artifacts import HashMismatch

    request = ExactRequest(
        tuple(pinned),
        remove_unnamed=cmd.remove_unnamed,
        keep_unnamed=frozenset() if cmd.exact else KEPT,
        options=InstallRequest(
            (),
            link_mode=settings.link_mode,  # type: ignore[arg-type]
            compile_bytecode=settings.compile_bytecode,
            dry_run=cmd.dry_run,
            unpack=settings.unpack,
        ),
    )
    hashes = {p.name: p.hashes for p in pinned if p.hashes}
    editable_urls = frozenset(
        p.requirement.url for p in pinned if p.editable and p.requirement and p.requirement.url
    )
    connection = Connection(  # for the pins not installed yet
        lambda: make_source(env, settings, opts, cache_dir, reporter.warn, hashes),
        lambda source: make_builder(env, source, cache_dir, settings, cmd.build),
    )
    with connection:
        try:
            return install_exact(
                request, env, lambda: connection.building(editable_urls), cache_dir, reporter
            )
        except HashMismatch as exc:
            raise _located(exc, pinned) from None


def _url_of(pin: Pinned) -> str | None:
    return pin.requirement.url if pin.requirement is not None else None


def _located(exc: Exception, pinned: list[Pinned]) -> Exception:
    """A hash mismatch with the entry it contradicts named (the file, the package, the field),
    where the message names one of the pins' files."""
    from cove.errors import CoveError

    assert isinstance(exc, CoveError)
    for pin in pinned:
        link = pin.candidate.link if pin.candidate is not None else None
        url = link.url if link is not None else (_url_of(pin) or "").partition("#")[0]
        filename = link.filename if link is not None else url.rstrip("/").rsplit("/", 1)[-1]
        if filename and exc.message.startswith(f"{filename} ") and pin.where:
            message = exc.message.replace("but the index says", "but the lock says")
            return type(exc)(f"{pin.where}: {message}", hint=exc.hint)
    return exc
