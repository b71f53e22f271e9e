"""Wire an install or uninstall command line to the pipeline: settings, environment, index
source, HTTP client and the reporter that prints progress and the summary."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from cove.cli import output

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from cove.build.builder import Builder
    from cove.http.client import HttpClient
    from cove.index.source import IndexSource
    from cove.install.plan import Plan
    from cove.install.prepare import DownloadProgress
    from cove.requirements.files import FileOptions, RequirementLine, Requirements
    from cove.settings import InstallSettings
    from cove.target import Environment


class Reporter:
    """Prints what happens, on stderr: counts and timings, then one line per change."""

    def __init__(self, quiet: int, verbose: int) -> None:
        self.quiet = quiet
        self.verbose = verbose
        self.tty = sys.stderr.isatty()

    def resolved(self, count: int, seconds: float) -> None:
        if self.quiet == 0 and self.verbose >= 0:
            output.info(
                f"Resolved {count} package{'s' * (count != 1)} in {output.duration(seconds)}"
            )

    def progress(self, files: int) -> DownloadProgress | None:
        """Bars only on a terminal and without -q; a pipe or a log gets no progress at all."""
        if self.quiet or not self.tty or not files:
            return None
        from cove.cli.progress import DownloadBoard
        from cove.install.prepare import DEFAULT_JOBS

        return DownloadBoard(files, slots=DEFAULT_JOBS, verbose=self.verbose)

    def changed(self, plan: Plan, seconds: float, dry_run: bool) -> None:
        if self.quiet and not dry_run:
            return
        if dry_run:
            output.info("Would change (dry run):" if not plan.empty else "Nothing to change")
        elif plan.empty:
            if self.quiet == 0:
                output.info("Nothing to change: everything is installed already")
            return
        elif self.quiet == 0:
            n = len(plan.install) or len(plan.remove)
            verb = "Installed" if plan.install else "Uninstalled"
            output.info(f"{verb} {n} package{'s' * (n != 1)} in {output.duration(seconds)}")
        for ref in plan.remove:
            output.info(f" - {ref.display_name}=={ref.version}")
        for c in plan.install:
            line = f" + {c.name}=={c.version}"
            if self.verbose:
                from cove.http.urls import redact

                where = c.url or getattr(c.origin, "url", None)
                line += f"  ({redact(where)})" if where else ""
            output.info(line)
        if self.verbose:
            for c in plan.keep:
                output.info(f" = {c.name}=={c.version}  (already installed)")

    def warn(self, message: str) -> None:
        output.warn(message)


def open_target(args: argparse.Namespace, cache_dir: Path) -> Environment:
    from cove.target import find_environment, open_environment, open_system

    if getattr(args, "system", False):
        return open_system(args.python, cache_dir, args.break_system_packages)
    root = find_environment(args.python, Path.cwd(), os.environ)
    return open_environment(root, cache_dir)


def _settings(args: argparse.Namespace, env_root: Path) -> InstallSettings:
    from cove.settings import load_install_settings

    flags: dict[str, object] = {
        "index-url": args.index_url,
        "extra-index-url": args.extra_index_url,
        "no-index": args.no_index,
        "find-links": args.find_links,
        "index-strategy": args.index_strategy,
        "trusted-host": args.trusted_host,
        "cert": args.cert,
        "client-cert": args.client_cert,
        "proxy": args.proxy,
        "timeout": args.timeout,
        "retries": args.retries,
        "offline": args.offline,
        "no-cache-dir": args.no_cache,
    }
    for key in ("pre", "prefer_binary", "require_hashes", "compile_bytecode"):
        flags[key.replace("_", "-")] = getattr(args, key, False)
    for key in ("only_binary", "no_binary"):
        flags[key.replace("_", "-")] = getattr(args, key, [])
    if getattr(args, "link_mode", None):
        flags["link-mode"] = args.link_mode
    return load_install_settings(flags, dict(os.environ), env_root, args.isolated)


def install_session(args: argparse.Namespace) -> int:
    import tempfile

    from cove.cache import default_cache_dir
    from cove.errors import UsageError

    if not args.requirements and not args.requirement and not args.editable:
        raise UsageError(
            "nothing to install", hint="name a package (cove install requests) or -r FILE"
        )
    base_cache_dir = default_cache_dir()
    with tempfile.TemporaryDirectory(prefix="cove-nocache-") as scratch:
        env = open_target(args, base_cache_dir)
        settings = _settings(args, env.root)
        cache_dir = Path(scratch) if settings.no_cache else base_cache_dir
        reqs, unnamed = _gather(args, settings)
        lines = [line for line in reqs.lines if not line.constraint]
        undo_clones: list[Callable[[], None]] = []
        lines = _clone_editable_git(lines, Path(args.src) if args.src else env.root / "src",
                                    undo_clones)  # fmt: skip
        try:
            text = _install_lines(args, env, settings, cache_dir, reqs, lines, unnamed)
        except BaseException:
            for undo in reversed(undo_clones):  # the environment is as it was: so is src/
                undo()
            raise
        if args.dry_run:
            for undo in reversed(undo_clones):
                undo()
        if args.report:
            if args.report == "-":
                output.stdout(text)
            else:
                Path(args.report).write_text(text, encoding="utf-8")
    return 0


def upgrade_seeded(staging: Path, final: Path, names: Sequence[str], quiet: int) -> None:
    """``cove create --upgrade-deps``: the newest ``names`` from the configured indexes, into an
    environment still in its staging directory (so a failure leaves nothing behind)."""
    from packaging.requirements import Requirement

    from cove.cache import default_cache_dir
    from cove.install.pipeline import InstallRequest, install
    from cove.requirements.files import FileOptions
    from cove.settings import load_install_settings
    from cove.target import open_environment

    cache_dir = default_cache_dir()
    env = open_environment(staging, cache_dir)
    env = env._replace(shebang=str(final / env.layout.bin_dir / env.layout.python_names[0]))
    settings = load_install_settings({}, dict(os.environ), staging)
    source, client = _source(env, settings, FileOptions(), cache_dir)
    request = InstallRequest(requirements=tuple(Requirement(n) for n in names), upgrade=True)
    try:
        install(request, env, lambda: (source, client), cache_dir, Reporter(quiet, 0))
    finally:
        source.close()


def _gather(
    args: argparse.Namespace, settings: InstallSettings
) -> tuple[Requirements, list[tuple[Path, bool]]]:
    """Requirements from arguments and files, and project directories (editable or not) whose
    names only a build can tell."""
    from cove.requirements.files import (
        RequirementLine,
        Requirements,
        UnnamedProject,
        parse_file,
        parse_requirement,
    )

    reqs = Requirements()
    cwd = Path.cwd()
    unnamed: list[tuple[Path, bool]] = []
    wanted = [(t, False) for t in args.requirements] + [(t, True) for t in args.editable]
    for text, is_editable in wanted:
        try:
            req = parse_requirement(text, cwd, "argument")
        except UnnamedProject as exc:
            unnamed.append((exc.path, is_editable))
            continue
        reqs.lines.append(RequirementLine(req, source="argument", editable=is_editable))
    for path in args.requirement:
        parse_file(Path(path), into=reqs)
    for path in [*settings.constraints, *args.constraint]:
        parse_file(Path(path), constraint=True, into=reqs)
    return reqs, unnamed + reqs.unnamed


def _install_lines(
    args: argparse.Namespace,
    env: Environment,
    settings: InstallSettings,
    cache_dir: Path,
    reqs: Requirements,
    lines: list[RequirementLine],
    unnamed: list[tuple[Path, bool]],
) -> str:
    """Build the install request from the requirement lines and run it; the JSON report when
    ``--report`` asks for one."""
    from cove.install.pipeline import InstallRequest, install
    from cove.names import canonical

    hashes: dict[object, frozenset[str]] = {}
    for line in reqs.lines:
        if line.hashes:
            name = canonical(line.requirement.name)
            hashes[name] = hashes.get(name, frozenset()) | line.hashes
    opts = reqs.options
    editable = [line.requirement for line in lines if line.editable]
    request = InstallRequest(
        requirements=tuple(line.requirement for line in lines),
        constraints=tuple(line.requirement for line in reqs.lines if line.constraint),
        hashes=hashes,  # type: ignore[arg-type]
        require_hashes=settings.require_hashes or opts.require_hashes,
        upgrade=args.upgrade,
        upgrade_strategy=args.upgrade_strategy,
        force_reinstall=args.force_reinstall,
        no_deps=args.no_deps,
        pre=settings.pre or opts.pre,
        link_mode=settings.link_mode,  # type: ignore[arg-type]
        compile_bytecode=settings.compile_bytecode,
        dry_run=args.dry_run,
        editable=frozenset(canonical(r.name) for r in editable),
        unpack=settings.unpack,
    )
    made: list[tuple[IndexSource, HttpClient, Builder]] = []

    def connect() -> tuple[IndexSource, HttpClient, Builder]:
        """The index source, HTTP client and builder, made once on first need."""
        if not made:
            source, client = _source(env, settings, opts, cache_dir)
            builder = _builder(args, env, source, client, cache_dir, settings)
            made.append((source, client, builder))
        return made[0]

    try:
        if unnamed:
            # Only a build tells these projects' names: build them now (once; reused below).
            from dataclasses import replace

            named = _name_by_building(unnamed, connect()[2])
            editable += [line.requirement for line in named if line.editable]
            request = replace(
                request,
                requirements=request.requirements + tuple(line.requirement for line in named),
                editable=request.editable
                | frozenset(canonical(line.requirement.name) for line in named if line.editable),
            )
        editable_urls = frozenset(r.url for r in editable if r.url)

        def connect_install() -> tuple[IndexSource, HttpClient]:
            source, client, builder = connect()
            source.set_builder(builder, editable_urls)
            return source, client

        reporter = Reporter(args.quiet, args.verbose)
        outcome = install(request, env, connect_install, cache_dir, reporter)
        for dist in outcome.installed:
            if canonical(dist.name) in request.editable:
                continue  # the user's own project, as its build backend makes it
            for pth in dist.executable_pth:
                reporter.warn(
                    f"{dist.name} {dist.version} installed {pth}, a .pth file that runs code "
                    "every time Python starts (COVE_REFUSE_EXECUTABLE_PTH=1 refuses such wheels)"
                )
        if args.report:
            from cove.install.report import install_report

            return install_report(outcome, env, connect_install()[0])
        return ""
    finally:
        for source, _, _ in made:
            source.close()


def _clone_editable_git(
    lines: list[RequirementLine], src: Path, undo: list[Callable[[], None]]
) -> list[RequirementLine]:
    """``-e git+URL#egg=NAME`` as pip does it: a clone in ``src/NAME`` installed editable from
    there (``undo`` collects how to take each clone back if the install fails)."""
    from dataclasses import replace

    from packaging.requirements import Requirement

    out = []
    for line in lines:
        url = line.requirement.url or ""
        if line.editable and url.startswith("git+"):
            from cove.build.vcs import clone_for_editing, parse_git_url

            git = parse_git_url(url)
            dest = src / line.requirement.name
            _commit, take_back = clone_for_editing(git, dest)
            undo.append(take_back)
            project = dest / git.subdirectory if git.subdirectory else dest
            req = Requirement(str(line.requirement))  # extras and markers kept
            req.url = project.as_uri()
            line = replace(line, requirement=req)
        out.append(line)
    return out


def _name_by_building(unnamed: list[tuple[Path, bool]], builder: Builder) -> list[RequirementLine]:
    from packaging.requirements import Requirement
    from packaging.utils import parse_wheel_filename

    from cove.requirements.files import RequirementLine

    out = []
    for path, is_editable in unnamed:
        wheel = builder.from_tree(path, str(path), editable=is_editable)
        name = parse_wheel_filename(wheel.name)[0]
        req = Requirement(f"{name} @ {path.absolute().as_uri()}")
        out.append(RequirementLine(req, source="argument", editable=is_editable))
    return out


def _builder(
    args: argparse.Namespace,
    env: Environment,
    source: IndexSource,
    client: HttpClient,
    cache_dir: Path,
    install_settings: InstallSettings,
) -> Builder:
    """Builds run in fresh cove environments filled through the same indexes and cache, within
    the same unpack limits (a .pth file there runs only in the build, which runs code anyway)."""
    from packaging.requirements import Requirement

    from cove.build.builder import Builder
    from cove.errors import UsageError
    from cove.install.pipeline import InstallRequest, install
    from cove.requirements.files import Requirements, parse_file
    from cove.target import open_environment

    unpack = install_settings.unpack
    build_constraints = Requirements()
    for path in getattr(args, "build_constraint", []):
        parse_file(Path(path), constraint=True, into=build_constraints)

    def install_into(root: Path, requirements: Sequence[str]) -> None:
        request = InstallRequest(
            requirements=tuple(Requirement(r) for r in requirements),
            constraints=tuple(line.requirement for line in build_constraints.lines),
            unpack=unpack._replace(refuse_executable_pth=False),
        )
        build_env = open_environment(root, cache_dir)
        install(request, build_env, lambda: (source, client), cache_dir, Reporter(2, 0))

    settings: dict[str, str | list[str]] = {}
    for item in args.config_settings:
        key, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"-C {item!r} is not KEY=VALUE", hint="write -C key=value")
        old = settings.get(key)
        settings[key] = value if old is None else [*([old] if isinstance(old, str) else old), value]
    return Builder(
        env.interpreter,
        cache_dir,
        install_into,
        isolation=not args.no_build_isolation,
        config_settings=settings,
        allowed=not args.no_build,
        unpack=unpack,
    )


def _source(
    env: Environment, settings: InstallSettings, opts: FileOptions, cache_dir: Path
) -> tuple[IndexSource, HttpClient]:
    from packaging.version import Version

    from cove.defaults import default_index_url
    from cove.http.client import HttpClient, HttpOptions
    from cove.index.evaluate import BinaryPolicy
    from cove.index.source import IndexSource, SourceConfig
    from cove.python.tags import supported_tags

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
        )
    )
    from cove.settings import _names

    config = SourceConfig(
        index_urls=tuple(dict.fromkeys(indexes)),
        find_links=tuple(dict.fromkeys([*settings.find_links, *opts.find_links])),
        strategy=settings.index_strategy,  # type: ignore[arg-type]
        binary=BinaryPolicy(
            only_binary=settings.only_binary | _names(opts.only_binary),
            no_binary=settings.no_binary | _names(opts.no_binary),
            prefer_binary=settings.prefer_binary or opts.prefer_binary,
        ),
    )
    source = IndexSource(
        client,
        config,
        supported_tags(env.interpreter),
        Version(env.interpreter.version_string),
        cache_dir,
        markers=env.interpreter.markers,
    )
    return source, client
