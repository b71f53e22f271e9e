"""``cove uninstall``: remove distributions and everything their RECORD lists, all or nothing."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME", help="projects to remove")
    parser.add_argument(
        "-r", "--requirement", action="append", default=[], metavar="FILE",
        help="remove the projects a requirements file names",
    )  # fmt: skip
    parser.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--dry-run", action="store_true", help="print what would be removed")
    from cove.cli.install import add_target_arguments

    add_target_arguments(parser)


def run(args: argparse.Namespace) -> int:
    import tempfile

    from cove.cli.session import Reporter, open_configured
    from cove.errors import UsageError
    from cove.install.pipeline import scan_installed, uninstall
    from cove.names import canonical
    from cove.requirements.files import Requirements, parse_file

    names = [canonical(n) for n in args.names]
    reqs = Requirements()
    for path in args.requirement:
        parse_file(path, into=reqs)
    names += [canonical(line.requirement.name) for line in reqs.lines]
    if reqs.unnamed:
        where = reqs.unnamed[0].path
        raise UsageError(
            f"cannot tell which project {where} is without building it",
            hint="name the project to remove: cove uninstall NAME",
        )
    if not names:
        raise UsageError("nothing to uninstall", hint="name a package: cove uninstall requests")
    with tempfile.TemporaryDirectory(prefix="cove-nocache-") as scratch:
        # --no-cache and --isolated mean what they mean for install: the interpreter's probe
        # stays out of the cache, and configuration (no-cache-dir included) is ignored.
        flags: dict[str, object] = {"no-cache-dir": args.no_cache}
        env, _settings, cache_dir = open_configured(args, flags, Path(scratch))
        installed = scan_installed([env.site_packages])
        reporter = Reporter(args.quiet, args.verbose)
        present = [installed[n] for n in names if n in installed]
        if present and not args.yes and not args.dry_run and sys.stdin.isatty():
            from cove.cli import output

            listing = ", ".join(f"{d.name}=={d.normalized_version}" for d in present)
            if not output.confirm(f"Remove {listing} from {env.root}?"):
                return 1
        plan = uninstall(names, env, cache_dir, reporter, args.dry_run)
    return 0 if plan.remove or not names else 1
