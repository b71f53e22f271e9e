"""``cove activate``: print the command that activates an environment in the current shell, so
``eval "$(cove activate)"`` works."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

SHELLS = (
    "bash",
    "zsh",
    "ksh",
    "sh",
    "dash",
    "fish",
    "csh",
    "tcsh",
    "nu",
    "powershell",
    "pwsh",
    "cmd",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", help="the environment (default: $VIRTUAL_ENV or .venv)")
    parser.add_argument("--shell", choices=SHELLS, help="the shell (default: from $SHELL)")


def detect_shell(environ: dict[str, str] | os._Environ[str]) -> str:
    """The user's shell from $SHELL (or PowerShell/cmd markers on Windows); sh when unknown."""
    shell = os.path.basename(environ.get("SHELL", "")).lower().removesuffix(".exe")
    if shell in SHELLS:
        return shell
    if environ.get("PSModulePath") and os.name == "nt":
        return "powershell"
    if os.name == "nt":
        return "cmd"
    if shell.endswith("ksh"):
        return "ksh"
    return "sh"


def activation_command(env: Path, bin_dir: str, shell: str) -> str:
    """The line that sources the right script, its path quoted for that shell."""
    from cove.venv.activation import csh_quote, fish_quote, ps_quote, sh_quote

    scripts = env / bin_dir
    if shell == "fish":
        return f"source {fish_quote(str(scripts / 'activate.fish'))}"
    if shell in ("csh", "tcsh"):
        return f"source {csh_quote(str(scripts / 'activate.csh'))}"
    if shell == "nu":
        return f"overlay use {str(scripts / 'activate.nu')!r}"
    if shell in ("powershell", "pwsh"):
        return f"& {ps_quote(str(scripts / 'Activate.ps1'))}"
    if shell == "cmd":
        return f'"{scripts / "activate.bat"}"'
    return f". {sh_quote(str(scripts / 'activate'))}"


def run(args: argparse.Namespace) -> int:
    from cove.venv.discover import find_environment

    env = find_environment(args.path, Path.cwd(), os.environ)
    bin_dir = "Scripts" if (env / "Scripts").is_dir() and not (env / "bin").is_dir() else "bin"
    print(activation_command(env, bin_dir, args.shell or detect_shell(os.environ)))
    return 0
