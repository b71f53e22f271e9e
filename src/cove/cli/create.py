"""``cove create [PATH]``: a new environment, like ``python -m venv`` but with pip linked from the
cache instead of installed by a pip subprocess."""

from __future__ import annotations

import argparse
import os
import shlex
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", default=".venv", help="where (default: .venv)")
    parser.add_argument(
        "-p",
        "--python",
        metavar="PYTHON",
        help="interpreter: a version (3.12, 3.12.1), a name (python3.13, pypy3.10) or a path",
    )
    parser.add_argument(
        "--prompt", help="prompt prefix inside the environment ('.': this dir, from Python 3.9)"
    )
    parser.add_argument(
        "--system-site-packages",
        action="store_true",
        help="give the environment access to the interpreter's site-packages",
    )
    links = parser.add_mutually_exclusive_group()
    links.add_argument(
        "--symlinks",
        dest="symlinks",
        action="store_true",
        default=True,
        help="symlink the interpreter (default)",
    )
    links.add_argument(
        "--copies", dest="symlinks", action="store_false", help="copy the interpreter"
    )
    parser.add_argument("--clear", action="store_true", help="replace an existing environment")
    parser.add_argument(
        "--upgrade",
        action="store_true",
        help="point an existing environment at its (upgraded) interpreter, keeping packages",
    )
    parser.add_argument("--without-pip", action="store_true", help="do not seed pip")
    parser.add_argument(
        "--upgrade-deps",
        action="store_true",
        help="upgrade the seeded pip (and setuptools before 3.12) to the newest from the index",
    )
    parser.add_argument(
        "--relocatable",
        action="store_true",
        help="scripts and activation that keep working after the directory moves",
    )
    parser.add_argument(
        "--no-gitignore",
        "--without-scm-ignore-files",
        dest="gitignore",
        action="store_false",
        help="do not write the .gitignore that venv writes from Python 3.13 on",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")


def run(args: argparse.Namespace) -> int:
    from cove.cache import default_cache_dir
    from cove.cli import output
    from cove.errors import UsageError
    from cove.python.discovery import find_interpreter
    from cove.venv.create import CreateOptions

    if args.clear and args.upgrade:
        raise UsageError("--clear and --upgrade cannot be combined", hint="choose one of them")
    if args.upgrade_deps and args.without_pip:
        raise UsageError(
            "--upgrade-deps needs pip, but --without-pip was given", hint="drop one of them"
        )
    cache_dir = default_cache_dir()
    interpreter = find_interpreter(args.python, cache_dir)
    options = CreateOptions(
        prompt=args.prompt,
        system_site_packages=args.system_site_packages,
        symlinks=args.symlinks,
        clear=args.clear,
        upgrade=args.upgrade,
        with_pip=not args.without_pip,
        relocatable=args.relocatable,
        gitignore=args.gitignore,
        upgrade_deps=args.upgrade_deps,
    )
    path = Path(args.path)
    from cove.cli.reporter import Reporter
    from cove.operations.create import create

    reporter = Reporter(1 if args.quiet else 0, 0)
    created = create(
        path, interpreter, options, cache_dir=cache_dir, cwd=Path.cwd(), reporter=reporter
    )
    for note in created.recovered:
        output.warn(note)
    if created.link_fallback:
        output.warn("the cache is on another filesystem: files were copied, not hardlinked")
    if not args.quiet:
        impl = "PyPy" if interpreter.implementation == "pypy" else "CPython"
        output.info(f"Using {impl} {interpreter.version_string} at {interpreter.executable}")
        seeded = f" with {', '.join(created.seeded)}" if created.seeded else ""
        output.info(f"Created environment at {args.path}{seeded}")
        activate = created.path / created.layout.bin_dir / "activate"
        shown = os.path.relpath(activate) if not path.is_absolute() else str(activate)
        output.info(f"Activate with: source {shlex.quote(shown)}")
    return 0
