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


def activated_environ(env: Path, bin_dir: str, prompt: str, base: dict[str, str]) -> dict[str, str]:
    """What activation changes, applied to a copy of ``base``; deactivating is exiting the shell."""
    out = dict(base)
    out.pop("PYTHONHOME", None)
    out["VIRTUAL_ENV"] = str(env)
    out["VIRTUAL_ENV_PROMPT"] = prompt
    out["PATH"] = os.pathsep.join([str(env / bin_dir), base.get("PATH", "")])
    return out


def _prompt(env: Path) -> str:
    for line in (env / "pyvenv.cfg").read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "prompt":
            value = value.strip()
            return value[1:-1] if value[:1] in "'\"" and value[-1:] == value[:1] else value
    return env.name


def run(args: argparse.Namespace) -> int:
    from cove.errors import CoveError
    from cove.venv.environment import find_environment

    env = find_environment(args.path, Path.cwd(), os.environ)
    bin_dir = "Scripts" if os.name == "nt" else "bin"
    shell = args.shell or os.environ.get("SHELL") or ("cmd.exe" if os.name == "nt" else "/bin/sh")
    exe = shutil.which(shell)
    if exe is None:
        raise CoveError(f"shell {shell!r} not found", hint="pass --shell PATH or set $SHELL")
    environ = activated_environ(env, bin_dir, _prompt(env), dict(os.environ))
    # The shell reads its own rc files, which may reset PS1; the prompt prefix is set through
    # the environment where the shell honours it (PS1 is inherited by sh, bash, ksh, zsh).
    if "PS1" in environ and not environ.get("VIRTUAL_ENV_DISABLE_PROMPT"):
        environ["PS1"] = f"({environ['VIRTUAL_ENV_PROMPT']}) {environ['PS1']}"
    return subprocess.call([exe], env=environ)
