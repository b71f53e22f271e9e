"""``cove shell``: start the user's shell with an environment active, exit back to the old one."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", help="the environment (default: $VIRTUAL_ENV or .venv)")
    parser.add_argument("--shell", help="the shell to start (default: $SHELL)")


def run(args: argparse.Namespace) -> int:
    from cove.errors import CoveError
    from cove.venv.active import activated_environ, environment_prompt
    from cove.venv.discover import find_environment, read_pyvenv_cfg

    env = find_environment(args.path, Path.cwd(), os.environ)
    bin_dir = "Scripts" if os.name == "nt" else "bin"
    shell = args.shell or os.environ.get("SHELL") or ("cmd.exe" if os.name == "nt" else "/bin/sh")
    exe = shutil.which(shell)
    if exe is None:
        raise CoveError(f"shell {shell!r} not found", hint="pass --shell PATH or set $SHELL")
    environ = activated_environ(
        env, bin_dir, environment_prompt(read_pyvenv_cfg(env), env), os.environ
    )
    # The shell reads its own rc files, which may reset PS1; the prompt prefix is set through
    # the environment where the shell honours it (PS1 is inherited by sh, bash, ksh, zsh).
    if "PS1" in environ and not environ.get("VIRTUAL_ENV_DISABLE_PROMPT"):
        environ["PS1"] = f"({environ['VIRTUAL_ENV_PROMPT']}) {environ['PS1']}"
    return subprocess.call([exe], env=environ)
