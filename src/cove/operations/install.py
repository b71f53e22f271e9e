"""``cove install`` from start to end: settings and environment, requirements from arguments
and files (markers, hashes, per-line -C), editable git clones, projects built to learn their
names, the builder and index source, then the install pipeline; the JSON report when asked."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal, NamedTuple

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
    from packaging.utils import NormalizedName

    from cove.build.builder import Builder
    from cove.operations.pipeline import InstallOutcome, InstallRequest
    from cove.prepare.source import IndexSource
    from cove.requirements.files import RequirementLine, Requirements, UnnamedLine
    from cove.settings import InstallSettings
    from cove.venv.environment import Environment


class InstallCommand(NamedTuple):
    """``cove install`` as the command line asked for it (cli/install.py builds it)."""

    target: Target
    # Install settings given on the command line, by pip's option names (None: not given);
    # merged over the configuration (settings.py).
    flags: Mapping[str, object] = MappingProxyType({})
    requirements: tuple[str, ...] = ()  # PEP 508 requirements, paths and URLs
    editables: tuple[str, ...] = ()  # -e
    requirement_files: tuple[str, ...] = ()  # -r
    constraint_files: tuple[str, ...] = ()  # -c
    build_constraint_files: tuple[str, ...] = ()  # -b
    config_settings: tuple[str, ...] = ()  # -C KEY=VALUE, for every build
    src: str | None = None  # where -e git+ clones go
    no_build_isolation: bool = False
    no_build: bool = False
    upgrade: bool = False
    upgrade_strategy: Literal["only-if-needed", "eager"] = "only-if-needed"
    force_reinstall: bool = False
    no_deps: bool = False
    dry_run: bool = False
    report: str | None = None  # a file for the JSON report, "-" for stdout


def install_command(cmd: InstallCommand, reporter: Reporter) -> str:
    """Run the install; the JSON report's text when ``cmd.report`` asks for one (else "").
    A report file that could not be written is refused before anything changes."""
    from cove.errors import UsageError

    if not cmd.requirements and not cmd.requirement_files and not cmd.editables:
        raise UsageError(
            "nothing to install", hint="name a package (cove install requests) or -r FILE"
        )
    if cmd.report and cmd.report != "-":
        check_writable(Path(cmd.report), "--report")
    if cmd.requirement_files:  # the sync command's module only when a file could be a lock
        from cove.operations.sync import is_lock_file

        locks = [f for f in cmd.requirement_files if is_lock_file(f)]
        if locks:
            _install_lock(cmd, locks, reporter)
            return ""
    with scratch_cache() as scratch:
        env, settings, cache_dir = open_configured(cmd.target, cmd.flags, scratch, reporter.warn)
        reqs = gather_requirements(
            cmd.requirements, cmd.editables, cmd.requirement_files, cmd.constraint_files,
            settings, reporter.warn,
        )  # fmt: skip
        lines = [line for line in reqs.lines if not line.constraint]
        undo_clones: list[Callable[[], None]] = []
        src = Path(cmd.src) if cmd.src else env.root / "src"
        lines = _clone_editable_git(lines, src, undo_clones)
        try:
            text = _install_lines(cmd, env, settings, cache_dir, reqs, lines, reporter)
        except BaseException:
            for undo in reversed(undo_clones):  # the environment is as it was: so is src/
                undo()
            raise
        if cmd.dry_run:
            for undo in reversed(undo_clones):
                undo()
        if cmd.report and cmd.report != "-":
            Path(cmd.report).write_text(text, encoding="utf-8")
    return text if cmd.report == "-" else ""


def _install_lock(cmd: InstallCommand, locks: list[str], reporter: Reporter) -> None:
    """``-r pylock.toml``: what the lock names, installed as sync installs it, but nothing
    else is removed. A lock is the whole answer, so it comes alone."""
    from cove.errors import UsageError
    from cove.operations.sync import SyncCommand, sync_command

    if len(locks) > 1 or len(cmd.requirement_files) > 1 or cmd.requirements or cmd.editables:
        raise UsageError(
            f"-r {locks[0]} is a lock file (PEP 751): it is installed alone, as it names the "
            "whole set",
            hint="install the lock by itself, then the rest in a second cove install",
        )
    if cmd.report:
        raise UsageError(
            "--report is not written for a lock file install", hint="leave out --report"
        )
    sync_command(
        SyncCommand(
            cmd.target, locks[0], cmd.flags, remove_unnamed=False, dry_run=cmd.dry_run,
            build=_build_options(cmd),
        ),
        reporter,
    )  # fmt: skip


def _build_options(cmd: InstallCommand) -> BuildOptions:
    return BuildOptions(
        cmd.build_constraint_files,
        cmd.config_settings,
        isolation=not cmd.no_build_isolation,
        allowed=not cmd.no_build,
    )


def _install_lines(
    cmd: InstallCommand,
    env: Environment,
    settings: InstallSettings,
    cache_dir: Path,
    reqs: Requirements,
    lines: list[RequirementLine],
    reporter: Reporter,
) -> str:
    """Build the install request from the requirement lines and run it; the JSON report when
    ``--report`` asks for one."""
    from cove.operations.pipeline import install
    from cove.requirements.files import settings_dict

    request = _install_request(cmd, settings, reqs, lines)
    build = _build_options(cmd)
    per_project = {  # a requirements-file line's -C goes to the build of that project
        line.requirement.name: settings_dict(line.config_settings)
        for line in lines
        if line.config_settings
    }
    hashes = request.hashes  # naming projects by building them adds no hashes
    connection = Connection(
        lambda: make_source(env, settings, reqs.options, cache_dir, reporter.warn, hashes),
        lambda source: make_builder(env, source, cache_dir, settings, build, per_project),
    )
    with connection:
        if reqs.unnamed:
            # Only a build tells these projects' names: build them now (once; reused below).
            named = name_by_building(reqs.unnamed, connection, env.interpreter.markers, reporter)
            lines = [*lines, *named]
            request = _with_named(request, named)
        editable_urls = frozenset(
            line.requirement.url for line in lines if line.editable and line.requirement.url
        )
        outcome = install(
            request, env, lambda: connection.building(editable_urls), cache_dir, reporter
        )
        _warn_executable_pth(outcome, request.editable, reporter)
        if cmd.report:
            from cove.operations.report import install_report

            return install_report(outcome, env, connection.building(editable_urls))
        return ""


def _install_request(
    cmd: InstallCommand,
    settings: InstallSettings,
    reqs: Requirements,
    lines: list[RequirementLine],
) -> InstallRequest:
    """What to install (``lines``, under the files' constraints and hashes), and how."""
    from cove.names import canonical
    from cove.operations.pipeline import InstallRequest

    opts = reqs.options
    return InstallRequest(
        requirements=tuple(line.requirement for line in lines),
        constraints=tuple(line.requirement for line in reqs.lines if line.constraint),
        hashes=given_hashes(reqs),
        require_hashes=settings.require_hashes or opts.require_hashes,
        upgrade=cmd.upgrade,
        upgrade_strategy=cmd.upgrade_strategy,
        force_reinstall=cmd.force_reinstall,
        no_deps=cmd.no_deps,
        pre=settings.pre or opts.pre,
        link_mode=settings.link_mode,  # type: ignore[arg-type]
        compile_bytecode=settings.compile_bytecode,
        dry_run=cmd.dry_run,
        editable=frozenset(canonical(line.requirement.name) for line in lines if line.editable),
        unpack=settings.unpack,
    )


def _with_named(request: InstallRequest, named: list[RequirementLine]) -> InstallRequest:
    """``request`` with the projects a build has named asked for too."""
    from cove.names import canonical

    return request._replace(
        requirements=request.requirements + tuple(line.requirement for line in named),
        editable=request.editable
        | frozenset(canonical(line.requirement.name) for line in named if line.editable),
    )


def _warn_executable_pth(
    outcome: InstallOutcome, editable: frozenset[NormalizedName], reporter: Reporter
) -> None:
    """Say which installed wheels brought a .pth file that runs code at every start."""
    from cove.names import canonical

    for dist in outcome.installed:
        if canonical(dist.name) in editable:
            continue  # the user's own project, as its build backend makes it
        for pth in dist.executable_pth:
            reporter.warn(
                f"{dist.name} {dist.version} installed {pth}, a .pth file that runs code "
                "every time Python starts (COVE_REFUSE_EXECUTABLE_PTH=1 refuses such wheels)"
            )


def _clone_editable_git(
    lines: list[RequirementLine], src: Path, undo: list[Callable[[], None]]
) -> list[RequirementLine]:
    """``-e git+URL#egg=NAME`` as pip does it: a clone in ``src/NAME`` installed editable from
    there (``undo`` collects how to take each clone back if the install fails)."""
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
            line = line._replace(requirement=req)
        out.append(line)
    return out


def name_by_building(
    unnamed: list[UnnamedLine],
    connect: Callable[[], tuple[IndexSource, Builder]],
    markers: Mapping[str, str],
    reporter: Reporter,
) -> list[RequirementLine]:
    """Build each project to learn its name, unless its marker does not hold for the target."""
    from packaging.utils import parse_wheel_filename

    from cove.requirements.files import settings_dict
    from cove.requirements.markers import applies

    out = []
    for line in unnamed:
        if not applies(str(line.path), line.marker, markers, reporter.warn):
            continue
        own = settings_dict(line.config_settings)
        wheel = connect()[1].from_tree(
            line.path, str(line.path), editable=line.editable, settings=own
        )
        out.append(line.named(parse_wheel_filename(wheel.name)[0]))
    return out
