"""What every changing command wires first: the environment it acts on with the settings that
apply to it and the cache to use, and the index source its resolution reads."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from packaging.utils import NormalizedName

    from cove.build.builder import Builder
    from cove.http.client import HttpOptions
    from cove.index.evaluate import BinaryPolicy
    from cove.index.finder import Locations
    from cove.prepare.source import IndexSource
    from cove.python.target import TargetEnvironment
    from cove.requirements.files import FileOptions, Requirements
    from cove.settings import InstallSettings
    from cove.venv.environment import Environment


class Target(NamedTuple):
    """Which environment a command acts on, as the command line names it."""

    python: str | None = None  # -p: an environment (or, with system, an interpreter)
    system: bool = False  # --system: the interpreter itself, not a venv
    break_system_packages: bool = False
    isolated: bool = False  # --isolated: no configuration files or variables


def open_target(target: Target, cache_dir: Path) -> Environment:
    from cove.venv.discover import find_environment
    from cove.venv.environment import open_environment, open_system

    if target.system:
        return open_system(target.python, cache_dir, target.break_system_packages)
    root = find_environment(target.python, Path.cwd(), os.environ)
    return open_environment(root, cache_dir)


@contextlib.contextmanager
def scratch_cache() -> Iterator[Callable[[], Path]]:
    """The cache directory of a --no-cache command: a temporary one, made on first call (a
    command that uses the cache makes none) and removed when the block ends."""
    with contextlib.ExitStack() as stack:
        made: list[Path] = []

        def scratch() -> Path:
            if not made:
                import tempfile

                temporary = tempfile.TemporaryDirectory(prefix="cove-nocache-")
                made.append(Path(stack.enter_context(temporary)))
            return made[0]

        yield scratch


def open_configured(
    target: Target,
    flags: Mapping[str, object],
    scratch: Callable[[], Path],
    warn: Callable[[str], None],
) -> tuple[Environment, InstallSettings, Path]:
    """The environment, the settings that apply to it and the cache directory to use: with
    --no-cache (or no-cache-dir configured) even the interpreter's probe stays out of the cache
    (in ``scratch()``, see ``scratch_cache``), so the settings are read before the environment
    is opened."""
    from cove.cache import default_cache_dir
    from cove.settings import load_install_settings
    from cove.venv.discover import find_environment

    root = None if target.system else find_environment(target.python, Path.cwd(), os.environ)
    settings = load_install_settings(flags, dict(os.environ), root, target.isolated)
    cache_dir = scratch() if settings.no_cache else default_cache_dir()
    env = open_target(target, cache_dir)
    for note in env.recovered:  # what opening it repaired after an interrupted cove create
        warn(note)
    if target.system:  # the interpreter's own pip.conf (in its prefix) applies too
        settings = load_install_settings(flags, dict(os.environ), env.root, target.isolated)
    for message in settings.warnings:
        warn(message)
    return env, settings, cache_dir


class BuildOptions(NamedTuple):
    """How projects are built from source, as the command line says."""

    build_constraint_files: tuple[str, ...] = ()  # -b
    config_settings: tuple[str, ...] = ()  # -C KEY=VALUE, for every build
    isolation: bool = True  # False: --no-build-isolation
    allowed: bool = True  # False: --no-build


def gather_requirements(
    requirements: Sequence[str],
    editables: Sequence[str],
    requirement_files: Sequence[str],
    constraint_files: Sequence[str],
    settings: InstallSettings,
    warn: Callable[[str], None],
) -> Requirements:
    """Requirements from arguments (``editables`` in development mode) and -r files, and
    constraints from -c files and the configuration; project directories whose names only a
    build can tell are kept apart (``Requirements.unnamed``)."""
    from cove.requirements.files import Requirements, add_requirement, parse_file

    reqs = Requirements()
    cwd = Path.cwd()
    wanted = [(t, False) for t in requirements] + [(t, True) for t in editables]
    for text, is_editable in wanted:
        add_requirement(reqs, text, cwd, "argument", editable=is_editable)
    for path in requirement_files:
        parse_file(path, into=reqs)
    for path in [*settings.constraints, *constraint_files]:
        parse_file(path, constraint=True, into=reqs)
    for message in reqs.warnings:
        warn(message)
    return reqs


def given_hashes(reqs: Requirements) -> dict[NormalizedName, frozenset[str]]:
    """Every ``--hash`` the requirement lines give, by project (a project's lines add up)."""
    from cove.names import canonical

    hashes: dict[NormalizedName, frozenset[str]] = {}
    for line in reqs.lines:
        if line.hashes:
            name = canonical(line.requirement.name)
            hashes[name] = hashes.get(name, frozenset()) | line.hashes
    return hashes


def make_source(
    env: Environment,
    settings: InstallSettings,
    opts: FileOptions | None,
    cache_dir: Path,
    warn: Callable[[str], None],
    hashes: Mapping[NormalizedName, frozenset[str]] | None = None,
    target: TargetEnvironment | None = None,
) -> IndexSource:
    """The index source for the environment's interpreter, or for ``target`` (a lock made for
    another Python or platform)."""
    from cove.http.client import HttpClient
    from cove.prepare.artifacts import Preparer
    from cove.prepare.source import IndexSource, SourceConfig
    from cove.requirements.files import FileOptions

    opts = opts or FileOptions()
    client = HttpClient(_http_options(settings, opts, cache_dir))
    config = SourceConfig(
        _locations(settings, opts, cache_dir),
        _binary_policy(settings, opts),
        hashes or {},
        hash_checking=bool(hashes) or settings.require_hashes or opts.require_hashes,
    )
    if target is None:
        from cove.python.target import target_environment

        target = target_environment(env.interpreter)
    return IndexSource(
        Preparer(client, cache_dir),
        config,
        target.tags,
        target.python_version,
        cache_dir,
        markers=target.markers,
        warn=warn,
    )


def _locations(settings: InstallSettings, opts: FileOptions, cache_dir: Path) -> Locations:
    """Where artifacts are looked for: the configuration's indexes and find-links, then the
    requirements files' (no index at all with --no-index)."""
    from cove.index.finder import Locations

    indexes: list[str] = []
    if not (settings.no_index or opts.no_index):
        index_url = opts.index_url or settings.index_url
        if not index_url:
            from cove.defaults import default_index_url

            index_url = default_index_url(cache_dir)
        indexes.append(index_url)
        indexes += [*settings.extra_index_urls, *opts.extra_index_urls]
    return Locations(
        index_urls=tuple(dict.fromkeys(indexes)),
        find_links=tuple(dict.fromkeys([*settings.find_links, *opts.find_links])),
        strategy=settings.index_strategy,  # type: ignore[arg-type]
    )


def _http_options(settings: InstallSettings, opts: FileOptions, cache_dir: Path) -> HttpOptions:
    from cove.http.client import HttpOptions

    return HttpOptions(
        cache_dir=cache_dir,
        timeout=settings.timeout,
        retries=settings.retries,
        backoff=settings.retry_backoff,
        retry_after_max=settings.retry_after_max,
        page_max_size=settings.page_max_size,
        cert=settings.cert,
        client_cert=settings.client_cert,
        proxy=settings.proxy,
        trusted_hosts=(*settings.trusted_hosts, *opts.trusted_hosts),
        offline=settings.offline,
        page_ttl=settings.cache_ttl,
        refresh=settings.refresh,
    )


def _binary_policy(settings: InstallSettings, opts: FileOptions) -> BinaryPolicy:
    from cove.index.evaluate import BinaryPolicy
    from cove.names import option_names

    return BinaryPolicy(
        only_binary=settings.only_binary | option_names(opts.only_binary),
        no_binary=settings.no_binary | option_names(opts.no_binary),
        prefer_binary=settings.prefer_binary or opts.prefer_binary,
    )


class Connection:
    """The index source and its builder, made together on first need (an install that finds
    everything satisfied reads no index) and closed when the ``with`` block ends."""

    def __init__(
        self,
        make_source: Callable[[], IndexSource],
        make_builder: Callable[[IndexSource], Builder],
    ) -> None:
        self._make_source = make_source
        self._make_builder = make_builder
        self._source: IndexSource | None = None
        self._builder: Builder | None = None
        self._editable_urls: frozenset[str] | None = None

    def __call__(self) -> tuple[IndexSource, Builder]:
        if self._source is None:
            self._source = self._make_source()
        if self._builder is None:
            self._builder = self._make_builder(self._source)
        return self._source, self._builder

    def building(self, editable_urls: frozenset[str]) -> IndexSource:
        """The source with the builder attached, ``editable_urls`` built for development."""
        source, builder = self()
        if self._editable_urls != editable_urls:
            source.set_builder(builder, editable_urls)
            self._editable_urls = editable_urls
        return source

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._source is not None:
            self._source.close()


def make_builder(
    env: Environment,
    source: IndexSource,
    cache_dir: Path,
    install_settings: InstallSettings,
    options: BuildOptions,
    project_settings: dict[str, dict[str, str | list[str]]] | None = None,
) -> Builder:
    """Builds run in fresh cove environments filled through the same indexes and cache, within
    the same unpack limits (a .pth file there runs only in the build, which runs code anyway)."""
    from packaging.requirements import Requirement

    from cove.build.builder import Builder
    from cove.errors import UsageError
    from cove.operations.pipeline import QUIET, InstallRequest, install
    from cove.requirements.files import Requirements, parse_file, settings_dict
    from cove.venv.environment import open_environment

    unpack = install_settings.unpack
    build_constraints = Requirements()
    for path in options.build_constraint_files:
        parse_file(path, constraint=True, into=build_constraints)

    def install_into(root: Path, requirements: Sequence[str]) -> None:
        request = InstallRequest(
            requirements=tuple(Requirement(r) for r in requirements),
            constraints=tuple(line.requirement for line in build_constraints.lines),
            unpack=unpack._replace(refuse_executable_pth=False),
        )
        build_env = open_environment(root, cache_dir)
        install(request, build_env, lambda: source, cache_dir, QUIET)

    pairs = [item.partition("=") for item in options.config_settings]
    for key, sep, _ in pairs:
        if not sep:
            raise UsageError(f"-C {key!r} is not KEY=VALUE", hint="write -C key=value")
    return Builder(
        env.interpreter,
        cache_dir,
        install_into,
        isolation=options.isolation,
        config_settings=settings_dict((key, value) for key, _, value in pairs),
        project_settings=project_settings,
        allowed=options.allowed,
        unpack=unpack,
    )


def check_writable(path: Path, option: str) -> None:
    """Refuse an output file that cannot be written before anything changes: a report that
    fails after the install would leave the environment changed and the command failed."""
    from cove.errors import CoveError

    directory = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise CoveError(f"{option} {path} is a directory", hint="name a file to write")
    if not directory.is_dir():
        raise CoveError(
            f"{option} {path}: the directory {directory} does not exist",
            hint="create it first, or name a file in an existing directory",
        )
    if not os.access(directory, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise CoveError(f"{option} {path} cannot be written", hint="check its permissions")
