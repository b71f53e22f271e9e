"""``cove lock`` and ``cove export``: resolve requirements (arguments, -r files, a pyproject.toml's
dependencies, extras and groups) for the environment's interpreter or another target, install
nothing, and write the PEP 751 lock or the hashed requirements. The pins of the lock already
there are preferred unless an upgrade is asked for; the same inputs and index give the same
bytes."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from cove.operations.pipeline import Reporter
from cove.operations.wiring import (
    BuildOptions,
    Connection,
    Target,
    check_writable,
    gather_requirements,
    given_hashes,
    make_builder,
    make_source,
    open_configured,
    scratch_cache,
)

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet
    from packaging.utils import NormalizedName
    from packaging.version import Version

    from cove.lock.compose import FileFacts, Resolved, Root
    from cove.prepare.source import IndexSource
    from cove.python.target import TargetEnvironment
    from cove.requirements.files import Requirements
    from cove.resolve.provider import Policy
    from cove.resolve.source import Candidate
    from cove.settings import InstallSettings
    from cove.venv.environment import Environment

Format = Literal["pylock", "requirements"]
DEFAULT_LOCK = "pylock.toml"


@dataclass(frozen=True, slots=True)
class LockCommand:
    """``cove lock`` (or ``cove export``) as the command line asked for it."""

    target: Target
    flags: Mapping[str, object] = field(default_factory=dict)  # install settings by pip's names
    requirements: tuple[str, ...] = ()
    requirement_files: tuple[str, ...] = ()  # -r
    constraint_files: tuple[str, ...] = ()  # -c
    pyproject: str | None = None  # --from: a pyproject.toml
    extras: tuple[str, ...] = ()  # its extras to lock too
    groups: tuple[str, ...] = ()  # its dependency groups to lock too
    output: str | None = None  # -o: None for the format's default, "-" for stdout
    format: Format = "pylock"
    python_version: str | None = None  # another target: X.Y or X.Y.Z
    platforms: tuple[str, ...] = ()  # another target: wheel platform tags
    upgrade: bool = False  # resolve afresh, ignoring the existing lock's pins
    upgrade_packages: tuple[str, ...] = ()  # only these may move off their pins
    command: str | None = None  # the command line, for the requirements file's header
    build: BuildOptions = field(default_factory=BuildOptions)


@dataclass(frozen=True, slots=True)
class LockOutcome:
    text: str
    path: Path | None  # the file written (None: the text goes to stdout)
    packages: int
    changed: bool  # the file's bytes changed (or it is new)


def output_path(cmd: LockCommand) -> Path | None:
    """Where the result goes: -o, else pylock.toml for a lock and stdout for requirements."""
    if cmd.output == "-":
        return None
    if cmd.output is not None:
        return Path(cmd.output)
    return Path(DEFAULT_LOCK) if cmd.format == "pylock" else None


def lock_command(cmd: LockCommand, reporter: Reporter) -> LockOutcome:
    path = _checked(cmd)
    preferred = {} if cmd.upgrade else _existing_pins(cmd, path)
    for name in cmd.upgrade_packages:
        from cove.names import canonical

        preferred.pop(canonical(name), None)
    with scratch_cache() as scratch:
        # Nothing in the environment changes: an externally managed interpreter may be read.
        target = cmd.target._replace(break_system_packages=True)
        env, settings, cache_dir = open_configured(target, cmd.flags, scratch, reporter.warn)
        reqs = gather_requirements(
            cmd.requirements, (), cmd.requirement_files, cmd.constraint_files, settings,
            reporter.warn,
        )  # fmt: skip
        from cove.python.target import target_environment

        target_env = target_environment(env.interpreter, cmd.python_version, cmd.platforms)
        lock_dir = (path.parent if path is not None else Path()).absolute()
        text, count = _lock(cmd, env, settings, cache_dir, reqs, target_env, preferred, lock_dir,
                            reporter)  # fmt: skip
    changed = True if path is None else _write(path, text)
    return LockOutcome(text, path, count, changed)


def _checked(cmd: LockCommand) -> Path | None:
    """Where the result goes, once the command is known to make sense and the file can be
    written (refused before anything is resolved)."""
    from cove.errors import UsageError

    if not (cmd.requirements or cmd.requirement_files or cmd.pyproject):
        raise UsageError(
            "nothing to lock",
            hint="name requirements (cove lock requests), -r FILE, or --from pyproject.toml",
        )
    if (cmd.extras or cmd.groups) and not cmd.pyproject:
        raise UsageError(
            "--extra and --group name parts of a project: give its --from pyproject.toml",
            hint="cove lock --from pyproject.toml --extra NAME",
        )
    path = output_path(cmd)
    if path is not None:
        from cove.operations.sync import is_lock_file

        if cmd.format == "pylock" and not is_lock_file(str(path)):
            raise UsageError(
                f"-o {path}: PEP 751 names a lock file pylock.toml or pylock.NAME.toml",
                hint="name it pylock.toml (or pylock.dev.toml, ...), or write to stdout with -o -",
            )
        check_writable(path, "-o")
    return path


def _write(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` unless the file holds it already; whether it changed."""
    from cove.cache.files import write_atomic

    data = text.encode("utf-8")
    try:
        changed = path.read_bytes() != data
    except OSError:
        changed = True
    if changed:
        write_atomic(path, data, mode=0o666)  # a file of the user's: the umask decides
    return changed


def _existing_pins(cmd: LockCommand, path: Path | None) -> dict[NormalizedName, Version]:
    """The versions the lock already there pins (a pylock.toml, or a requirements file's ==
    pins); ``cove export`` to stdout prefers ./pylock.toml's, so it exports what is locked."""
    if path is None and cmd.format == "requirements" and Path(DEFAULT_LOCK).is_file():
        path = Path(DEFAULT_LOCK)
    if path is None or not path.is_file():
        return {}
    from packaging.version import Version

    from cove.names import canonical
    from cove.operations.sync import is_lock_file

    if is_lock_file(str(path)):
        from cove.errors import LockError
        from cove.lock.pylock import read_lock

        try:
            lock = read_lock(path).lock
        except LockError as exc:
            raise LockError(
                f"cannot keep the pins of {path}: {exc.message}",
                hint="correct or remove it, or lock afresh with --upgrade",
            ) from None
        return {p.name: p.version for p in lock.packages if p.version is not None}
    from cove.requirements.files import parse_file

    pins: dict[NormalizedName, Version] = {}
    for line in parse_file(path).lines:
        for spec in line.requirement.specifier:
            if spec.operator == "==" and "*" not in spec.version:
                pins[canonical(line.requirement.name)] = Version(spec.version)
    return pins


def _lock(
    cmd: LockCommand,
    env: Environment,
    settings: InstallSettings,
    cache_dir: Path,
    reqs: Requirements,
    target: TargetEnvironment,
    preferred: Mapping[NormalizedName, Version],
    lock_dir: Path,
    reporter: Reporter,
) -> tuple[str, int]:
    """Resolve the roots for ``target`` and write the result down: (text, packages)."""
    from cove.lock.compose import BASE, Root
    from cove.names import canonical
    from cove.operations.install import name_by_building
    from cove.resolve.resolver import resolve

    roots, requires_python = _roots(cmd, reqs, target.markers, reporter)
    editable = {canonical(line.requirement.name) for line in reqs.lines if line.editable}
    hashes = given_hashes(reqs)
    connection = Connection(
        lambda: make_source(
            env, settings, reqs.options, cache_dir, reporter.warn, hashes, target=target
        ),
        lambda source: make_builder(env, source, cache_dir, settings, cmd.build),
    )
    with connection:
        source = connection.building(
            frozenset(line.requirement.url or "" for line in reqs.lines if line.editable)
        )
        if reqs.unnamed:
            named = name_by_building(reqs.unnamed, connection, target.markers, reporter)
            roots += [Root(line.requirement, BASE, _via(line.source)) for line in named]
            editable |= {canonical(line.requirement.name) for line in named if line.editable}
        policy = _policy(reqs, settings, target, preferred)
        started = time.perf_counter()
        resolution = resolve([r.requirement for r in roots], source, policy)
        reporter.resolved(len(resolution.chosen), time.perf_counter() - started)
        resolved = _resolved(roots, resolution.chosen, source, target, editable)
        facts = _file_facts(resolved, source)
        if cmd.format == "requirements":
            text = _requirements_text(cmd, resolved, facts, source, settings, reqs, target)
        else:
            text = _pylock_text(resolved, facts, lock_dir, requires_python, target)
        return text, len(resolved)


def _roots(
    cmd: LockCommand, reqs: Requirements, markers: Mapping[str, str], reporter: Reporter
) -> tuple[list[Root], SpecifierSet | None]:
    """What is locked (the requirement lines and the pyproject.toml's chosen parts) whose
    markers hold for the target, and the project's requires-python."""
    from cove.lock.compose import BASE, Root
    from cove.requirements.markers import applies

    roots = [
        Root(line.requirement, BASE, _via(line.source))
        for line in reqs.lines
        if not line.constraint
    ]
    requires_python = None
    if cmd.pyproject:
        from cove.requirements.pyproject import read_pyproject, selected

        project = read_pyproject(Path(cmd.pyproject))
        requires_python = project.requires_python
        roots += [
            Root(req, scope, cmd.pyproject)
            for scope, req in selected(project, cmd.extras, cmd.groups)
        ]
    applying = [
        root
        for root in roots
        if applies(root.requirement.name, root.requirement.marker, markers, reporter.warn)
    ]
    return applying, requires_python


def _policy(
    reqs: Requirements,
    settings: InstallSettings,
    target: TargetEnvironment,
    preferred: Mapping[NormalizedName, Version],
) -> Policy:
    """How the resolver chooses for ``target``: the constraints that hold there, the lock's
    pins first."""
    from cove.operations.pipeline import constraint_limits
    from cove.requirements.markers import for_environment
    from cove.resolve.provider import Policy

    constraints = for_environment(
        (), [line.requirement for line in reqs.lines if line.constraint], target.markers
    ).constraints
    specs, urls = constraint_limits(constraints)
    return Policy(
        markers=target.markers,
        python_version=target.python_version,
        constraints=specs,
        constraint_urls=urls,
        pre=settings.pre or reqs.options.pre,
        preferred=preferred,
    )


def _via(source: str) -> str | None:
    """``# via`` of a requirement the person gave: ``-r FILE`` for a file's line."""
    if source == "argument" or not source:
        return None
    return f"-r {source.rpartition(':')[0] or source}"


def _resolved(
    roots: Sequence[Root],
    chosen: Mapping[NormalizedName, Candidate],
    source: IndexSource,
    target: TargetEnvironment,
    editable: set[NormalizedName],
) -> list[Resolved]:
    from cove.lock.compose import Resolved, needed_by

    metadata = {name: source.metadata(c) for name, c in chosen.items()}
    needs = needed_by(
        roots, chosen, {n: m.requires_dist for n, m in metadata.items()}, target.markers
    )
    return [
        Resolved(
            c,
            requires_python=metadata[name].requires_python,
            scopes=needs[name][0],
            required_by=needs[name][1],
            index=_index_of(c, source),
            editable=name in editable,
        )
        for name, c in sorted(chosen.items())
    ]


def _index_of(candidate: Candidate, source: IndexSource) -> str | None:
    """The configured index whose page offered the candidate's files (credentials removed)."""
    from cove.http.urls import split_auth
    from cove.index.evaluate import Release

    if not isinstance(candidate.origin, Release):
        return None
    page = split_auth(candidate.origin.link.source)[0]
    for index_url in source.config.locations.index_urls:
        plain = split_auth(index_url)[0]
        if page.startswith(plain.rstrip("/") + "/"):
            return plain
    return None


def _file_facts(resolved: Sequence[Resolved], source: IndexSource) -> dict[str, FileFacts]:
    """sha256 and size of every file the index gave no sha256 for (downloaded, or read when
    local) and of every direct archive: a lock records the hash of everything it names."""
    import hashlib

    from cove.lock.compose import FileFacts, archive_url, lock_files
    from cove.prepare.artifacts import Fetch

    wanted: dict[str, Fetch] = {}
    for r in resolved:
        label = str(r.candidate)
        for link in lock_files(r.candidate):
            local = link.url.startswith("file:")
            if "sha256" not in link.hashes or (local and link.size is None):
                wanted[link.url] = Fetch(link.url, link.filename, link.hashes, label=label)
        plain = archive_url(r.candidate)
        if plain is not None:
            filename = plain.rstrip("/").rsplit("/", 1)[-1]
            wanted[plain] = Fetch(plain, filename, label=label)
    if not wanted:
        return {}
    paths = source.preparer.fetch(list(wanted.values()))
    facts = {}
    for url, path in paths.items():
        sha = source.preparer.sha256(url)
        if sha is None:
            with open(path, "rb") as f:
                sha = hashlib.file_digest(f, "sha256").hexdigest()
        facts[url] = FileFacts(sha, path.stat().st_size)
    return facts


def _pylock_text(
    resolved: Sequence[Resolved],
    facts: Mapping[str, FileFacts],
    lock_dir: Path,
    requires_python: SpecifierSet | None,
    target: TargetEnvironment,
) -> str:
    from cove.lock.compose import make_pylock
    from cove.lock.pylock import dumps

    lock = make_pylock(
        resolved,
        facts,
        lock_dir=lock_dir,
        requires_python=requires_python,
        environments=[target.described] if target.described is not None else None,
    )
    return dumps(lock)


def _requirements_text(
    cmd: LockCommand,
    resolved: Sequence[Resolved],
    facts: Mapping[str, FileFacts],
    source: IndexSource,
    settings: InstallSettings,
    reqs: Requirements,
    target: TargetEnvironment,
) -> str:
    from cove.http.urls import split_auth
    from cove.lock.compose import make_pins
    from cove.lock.export import Options, requirements_text

    locations = source.config.locations
    options = Options(
        command=cmd.command,
        python_version=target.markers.get("python_version", ""),
        index_urls=tuple(split_auth(u)[0] for u in locations.index_urls),
        find_links=locations.find_links,
        trusted_hosts=(*settings.trusted_hosts, *reqs.options.trusted_hosts),
    )
    return requirements_text(make_pins(resolved, facts), options)
