"""``cove install``: resolve requirements against the indexes and link them into an environment,
all or nothing."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cove.operations.wiring import Target


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-p",
        "--python",
        metavar="ENV",
        help="the environment (its directory or its python); default: $VIRTUAL_ENV, else .venv",
    )
    parser.add_argument("-q", "--quiet", action="count", default=0, help="print less")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="print more")
    parser.add_argument(
        "--isolated", action="store_true", help="ignore environment variables and config files"
    )
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    parser.add_argument(
        "--system",
        action="store_true",
        help="change the interpreter -p names (else python3 on PATH) itself, not a venv",
    )
    parser.add_argument(
        "--break-system-packages",
        action="store_true",
        help="with --system: change it even when its OS manages it (PEP 668)",
    )


def add_index_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("where packages come from")
    group.add_argument("-i", "--index-url", metavar="URL", help="the package index (Simple API)")
    group.add_argument(
        "--extra-index-url", action="append", default=[], metavar="URL", help="more indexes"
    )
    group.add_argument("--no-index", action="store_true", help="use no index, only --find-links")
    group.add_argument(
        "-f", "--find-links", action="append", default=[], metavar="DIR|URL",
        help="a directory or page of wheel files",
    )  # fmt: skip
    group.add_argument(
        "--index-strategy",
        choices=["first-index", "best-match"],
        help="first-index (the default, as uv): take each project from the first index that "
        "has it, so an extra index cannot shadow a project of the main one; best-match: compare "
        "the files of every index and take the best, which is what pip does. Either way an "
        "index that cannot be reached is skipped with a warning, as pip skips it",
    )
    group.add_argument(
        "--trusted-host", action="append", default=[], metavar="HOST",
        help="read plain http:// pages from HOST (or HOST:PORT), and skip its TLS checks; "
        "without it such an index is ignored, as pip ignores it (localhost is always trusted)",
    )  # fmt: skip
    group.add_argument("--cert", metavar="PATH", help="CA bundle for TLS")
    group.add_argument("--client-cert", metavar="PATH", help="client certificate (PEM)")
    group.add_argument("--proxy", metavar="URL", help="proxy for all requests")
    group.add_argument("--timeout", type=float, metavar="SECONDS")
    group.add_argument("--retries", type=int, metavar="N")
    group.add_argument("--offline", action="store_true", help="use only the cache and local files")
    group.add_argument(
        "--refresh", action="store_true",
        help="ask the indexes again for every page, even one the cache holds as fresh",
    )  # fmt: skip
    group.add_argument(
        "--cache-ttl", type=float, metavar="SECONDS",
        help="use a cached index page younger than this without asking again (default 0: "
        "as the index's Cache-Control says; an index that sends none is asked every run)",
    )  # fmt: skip


def add_requirement_arguments(parser: argparse.ArgumentParser, verb: str) -> None:
    """REQ ..., -r FILE and -c FILE: what install and lock take requirements from."""
    parser.add_argument("requirements", nargs="*", metavar="REQ", help="PEP 508 requirements")
    parser.add_argument(
        "-r", "--requirement", action="append", default=[], metavar="FILE",
        help=f"{verb} the requirements of a requirements file",
    )  # fmt: skip
    parser.add_argument(
        "-c", "--constraint", action="append", default=[], metavar="FILE",
        help="constrain versions with a file",
    )  # fmt: skip


def add_build_arguments(parser: argparse.ArgumentParser) -> None:
    """How projects are built from source (BuildOptions)."""
    parser.add_argument(
        "--no-build-isolation", action="store_true",
        help="build with the environment's own packages instead of a fresh build environment",
    )  # fmt: skip
    parser.add_argument("--no-build", action="store_true", help="never build from source")


def add_selection_arguments(parser: argparse.ArgumentParser) -> None:
    """Which files of an index may be chosen: pre-releases, wheels or sources."""
    parser.add_argument("--pre", action="store_true", help="allow pre-releases")
    parser.add_argument("--only-binary", action="append", default=[], metavar="NAMES")
    parser.add_argument("--no-binary", action="append", default=[], metavar="NAMES")
    parser.add_argument("--prefer-binary", action="store_true")


def add_change_arguments(parser: argparse.ArgumentParser) -> None:
    """How an environment is changed: a dry run, bytecode, how files are linked."""
    parser.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    parser.add_argument("--compile-bytecode", action="store_true")
    parser.add_argument(
        "--link-mode", choices=["hardlink", "copy", "symlink", "clone"], default=None
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_requirement_arguments(parser, "install")
    parser.add_argument(
        "-e", "--editable", action="append", default=[], metavar="PATH",
        help="install a project directory (or a git+URL#egg=NAME, cloned into --src) in "
        "development mode (PEP 660)",
    )  # fmt: skip
    parser.add_argument(
        "--src", metavar="DIR",
        help="where -e git+URL clones go (default: the environment's src/, as pip)",
    )  # fmt: skip
    add_build_arguments(parser)
    parser.add_argument(
        "-C", "--config-settings", action="append", default=[], metavar="KEY=VALUE",
        help="pass a setting to the build backend",
    )  # fmt: skip
    parser.add_argument(
        "-b", "--build-constraint", action="append", default=[], metavar="FILE",
        help="constrain the versions installed into build environments",
    )  # fmt: skip
    parser.add_argument("-U", "--upgrade", action="store_true", help="upgrade what is named")
    parser.add_argument(
        "--upgrade-strategy", choices=["only-if-needed", "eager"], default="only-if-needed"
    )
    parser.add_argument("--force-reinstall", action="store_true")
    parser.add_argument("--no-deps", action="store_true", help="do not install dependencies")
    add_selection_arguments(parser)
    parser.add_argument("--require-hashes", action="store_true")
    parser.add_argument("--report", metavar="FILE", help="write a JSON report ('-': stdout)")
    add_change_arguments(parser)
    add_index_arguments(parser)
    add_target_arguments(parser)


def settings_flags(args: argparse.Namespace) -> dict[str, object]:
    """The install options given on the command line, by pip's names (None: not given)."""
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
        "refresh": getattr(args, "refresh", False),
        "cache-ttl": getattr(args, "cache_ttl", None),
        "no-cache-dir": args.no_cache,
    }
    for key in ("pre", "prefer_binary", "require_hashes", "compile_bytecode"):
        flags[key.replace("_", "-")] = getattr(args, key, False)
    for key in ("only_binary", "no_binary"):
        flags[key.replace("_", "-")] = getattr(args, key, [])
    if getattr(args, "link_mode", None):
        flags["link-mode"] = args.link_mode
    return flags


def target_of(args: argparse.Namespace) -> Target:
    from cove.operations.wiring import Target

    return Target(
        python=args.python,
        system=getattr(args, "system", False),
        break_system_packages=getattr(args, "break_system_packages", False),
        isolated=args.isolated,
    )


def run(args: argparse.Namespace) -> int:
    from cove.cli import output
    from cove.cli.reporter import Reporter
    from cove.operations.install import InstallCommand, install_command

    cmd = InstallCommand(
        target=target_of(args),
        flags=settings_flags(args),
        requirements=tuple(args.requirements),
        editables=tuple(args.editable),
        requirement_files=tuple(args.requirement),
        constraint_files=tuple(args.constraint),
        build_constraint_files=tuple(args.build_constraint),
        config_settings=tuple(args.config_settings),
        src=args.src,
        no_build_isolation=args.no_build_isolation,
        no_build=args.no_build,
        upgrade=args.upgrade,
        upgrade_strategy=args.upgrade_strategy,
        force_reinstall=args.force_reinstall,
        no_deps=args.no_deps,
        dry_run=args.dry_run,
        report=args.report,
    )
    text = install_command(cmd, Reporter(args.quiet, args.verbose))
    if text:
        output.stdout(text)
    return 0
