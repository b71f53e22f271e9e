"""``cove lock``: resolve requirements for an environment (or another Python and platform)
without installing, and write pylock.toml (PEP 751) or hashed requirements."""

from __future__ import annotations

import argparse
import shlex


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_lock_arguments(parser, formats=True)


def add_lock_arguments(parser: argparse.ArgumentParser, formats: bool) -> None:
    from cove.cli.install import (
        add_build_arguments,
        add_index_arguments,
        add_requirement_arguments,
        add_selection_arguments,
        add_target_arguments,
    )

    add_requirement_arguments(parser, "lock")
    parser.add_argument(
        "--from", dest="pyproject", metavar="PYPROJECT",
        help="lock a project's [project] dependencies (a pyproject.toml)",
    )  # fmt: skip
    parser.add_argument(
        "--extra", action="append", default=[], metavar="NAME",
        help="with --from: lock the extra NAME too ([project.optional-dependencies])",
    )  # fmt: skip
    parser.add_argument(
        "--group", action="append", default=[], metavar="NAME",
        help="with --from: lock the dependency group NAME too ([dependency-groups], PEP 735)",
    )  # fmt: skip
    parser.add_argument(
        "-o", "--output", metavar="FILE",
        help="where to write ('-': stdout); default: pylock.toml for a lock, stdout for "
        "requirements",
    )  # fmt: skip
    if formats:
        parser.add_argument(
            "--format", choices=["pylock", "requirements"], default="pylock",
            help="pylock: PEP 751 pylock.toml (the default); requirements: pinned with "
            "--hash lines, as pip-compile --generate-hashes writes them",
        )  # fmt: skip
    parser.add_argument(
        "--python-version", metavar="X.Y",
        help="lock for this Python version instead of the environment's",
    )  # fmt: skip
    parser.add_argument(
        "--platform", action="append", default=[], metavar="TAG",
        help="lock for this wheel platform (manylinux_2_17_x86_64, macosx_11_0_arm64, "
        "win_amd64, ...) instead of the environment's; repeat for more",
    )  # fmt: skip
    upgrade = parser.add_mutually_exclusive_group()
    upgrade.add_argument(
        "-U", "--upgrade", action="store_true",
        help="resolve afresh: the existing lock's pins are not preferred",
    )  # fmt: skip
    upgrade.add_argument(
        "-P", "--upgrade-package", action="append", default=[], metavar="NAME",
        help="let NAME move off its pin (the others stay); repeat for more",
    )  # fmt: skip
    add_selection_arguments(parser)
    add_build_arguments(parser)
    add_index_arguments(parser)
    add_target_arguments(parser)


def run(args: argparse.Namespace) -> int:
    return run_lock(args, args.format, "lock")


def run_lock(args: argparse.Namespace, format_: str, name: str) -> int:
    from cove.cli import output
    from cove.cli.install import settings_flags, target_of
    from cove.cli.reporter import Reporter
    from cove.operations.lock import LockCommand, lock_command
    from cove.operations.wiring import BuildOptions

    cmd = LockCommand(
        target=target_of(args),
        flags=settings_flags(args),
        requirements=tuple(args.requirements),
        requirement_files=tuple(args.requirement),
        constraint_files=tuple(args.constraint),
        pyproject=args.pyproject,
        extras=tuple(args.extra),
        groups=tuple(args.group),
        output=args.output,
        format=format_,  # type: ignore[arg-type]
        python_version=args.python_version,
        platforms=tuple(args.platform),
        upgrade=args.upgrade,
        upgrade_packages=tuple(args.upgrade_package),
        command=_command(args, name),
        build=BuildOptions(isolation=not args.no_build_isolation, allowed=not args.no_build),
    )
    reporter = Reporter(args.quiet, args.verbose)
    outcome = lock_command(cmd, reporter)
    if outcome.path is None:
        output.stdout(outcome.text)
    elif args.quiet == 0:
        what = "Wrote" if outcome.changed else "Unchanged:"
        n = outcome.packages
        output.info(f"{what} {outcome.path} ({n} package{'s' * (n != 1)})")
    return 0


def _command(args: argparse.Namespace, name: str) -> str:
    """The command that makes the file again, for a requirements file's header."""
    words = ["cove", name]
    if name == "lock" and args.format != "pylock":
        words += ["--format", args.format]
    for option, values in (("-r", args.requirement), ("-c", args.constraint),
                           ("--extra", args.extra), ("--group", args.group),
                           ("--platform", args.platform)):  # fmt: skip
        for value in values:
            words += [option, value]
    for option, value in (("--from", args.pyproject), ("--python-version", args.python_version),
                          ("-o", args.output)):  # fmt: skip
        if value:
            words += [option, value]
    return shlex.join([*words, *args.requirements])
