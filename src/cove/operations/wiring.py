"""What every changing command wires first: the environment it acts on with the settings that
apply to it and the cache to use, and the index source its resolution reads."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from packaging.utils import NormalizedName

    from cove.prepare.source import IndexSource
    from cove.requirements.files import FileOptions
    from cove.settings import InstallSettings
    from cove.venv.environment import Environment


@dataclass(frozen=True, slots=True)
class Target:
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


def open_configured(
    target: Target, flags: Mapping[str, object], scratch: Path, warn: Callable[[str], None]
) -> tuple[Environment, InstallSettings, Path]:
    """The environment, the settings that apply to it and the cache directory to use: with
    --no-cache (or no-cache-dir configured) even the interpreter's probe stays out of the cache,
    so the settings are read before the environment is opened."""
    from cove.cache import default_cache_dir
    from cove.settings import load_install_settings
    from cove.venv.discover import find_environment

    root = None if target.system else find_environment(target.python, Path.cwd(), os.environ)
    settings = load_install_settings(flags, dict(os.environ), root, target.isolated)
    cache_dir = scratch if settings.no_cache else default_cache_dir()
    env = open_target(target, cache_dir)
    for note in env.recovered:  # what opening it repaired after an interrupted cove create
        warn(note)
    if target.system:  # the interpreter's own pip.conf (in its prefix) applies too
        settings = load_install_settings(flags, dict(os.environ), env.root, target.isolated)
    for message in settings.warnings:
        warn(message)
    return env, settings, cache_dir


def make_source(
    env: Environment,
    settings: InstallSettings,
    opts: FileOptions | None,
    cache_dir: Path,
    warn: Callable[[str], None],
    hashes: Mapping[NormalizedName, frozenset[str]] | None = None,
) -> IndexSource:
    from packaging.version import Version

    from cove.defaults import default_index_url
    from cove.http.client import HttpClient, HttpOptions
    from cove.index.evaluate import BinaryPolicy
    from cove.index.finder import Locations
    from cove.prepare.artifacts import Preparer
    from cove.prepare.source import IndexSource, SourceConfig
    from cove.python.tags import supported_tags
    from cove.requirements.files import FileOptions

    opts = opts or FileOptions()
    no_index = settings.no_index or opts.no_index
    indexes: list[str] = []
    if not no_index:
        indexes.append(opts.index_url or settings.index_url or default_index_url(cache_dir))
        indexes += [*settings.extra_index_urls, *opts.extra_index_urls]
    client = HttpClient(
        HttpOptions(
            cache_dir=cache_dir,
            timeout=settings.timeout,
            retries=settings.retries,
            cert=settings.cert,
            client_cert=settings.client_cert,
            proxy=settings.proxy,
            trusted_hosts=(*settings.trusted_hosts, *opts.trusted_hosts),
            offline=settings.offline,
            page_ttl=settings.cache_ttl,
            refresh=settings.refresh,
        )
    )
    from cove.settings import _names

    config = SourceConfig(
        Locations(
            index_urls=tuple(dict.fromkeys(indexes)),
            find_links=tuple(dict.fromkeys([*settings.find_links, *opts.find_links])),
            strategy=settings.index_strategy,  # type: ignore[arg-type]
        ),
        binary=BinaryPolicy(
            only_binary=settings.only_binary | _names(opts.only_binary),
            no_binary=settings.no_binary | _names(opts.no_binary),
            prefer_binary=settings.prefer_binary or opts.prefer_binary,
        ),
        hashes=hashes or {},
    )
    source = IndexSource(
        Preparer(client, cache_dir),
        config,
        supported_tags(env.interpreter),
        Version(env.interpreter.version_string),
        cache_dir,
        markers=env.interpreter.markers,
        warn=warn,
    )
    return source


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
