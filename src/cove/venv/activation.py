"""Render the activation scripts from the template files, quoting the environment's path and
prompt for each shell so no character in them can break a script or run anything."""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

from cove.venv.layout import Layout

POSIX_SCRIPTS = (
    "activate",
    "activate.fish",
    "activate.csh",
    "activate.nu",
    "Activate.ps1",
    "activate_this.py",
)
WINDOWS_SCRIPTS = (
    "activate",
    "activate.bat",
    "deactivate.bat",
    "Activate.ps1",
    "activate.fish",
    "activate.nu",
    "activate_this.py",
)
_PLAIN = re.compile(r"^[A-Za-z0-9_.,:=+@/ -]*$")


def sh_quote(text: str) -> str:
    """POSIX shells: one single-quoted word."""
    return "'" + text.replace("'", "'\\''") + "'"


def fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def csh_quote(text: str) -> str:
    """csh expands ``!`` even inside single quotes, and has no way to quote a newline there."""
    return "'" + text.replace("'", "'\\''").replace("!", "\\!").replace("\n", "\\\n") + "'"


def ps_quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def nu_quote(text: str) -> str:
    hashes = "#"
    while f"'{hashes}" in text:
        hashes += "#"
    return f"r{hashes}'{text}'{hashes}"


def bat_escape(text: str) -> str:
    """Inside ``set "VAR=..."`` only ``%`` needs doubling; ``"`` cannot appear in a Windows path."""
    return text.replace("%", "%%")


def _relocatable_sh(bin_dir: str, fallback: str) -> str:
    return (
        'if [ -n "${BASH_SOURCE-}" ]; then _cove_here="${BASH_SOURCE}"\n'
        'elif [ -n "${ZSH_VERSION-}" ]; then eval \'_cove_here="${(%):-%x}"\'\n'
        'elif [ -n "${KSH_VERSION-}" ]; then eval \'_cove_here="${.sh.file}"\'\n'
        "else _cove_here=''; fi\n"
        'if [ -n "$_cove_here" ]; then\n'
        '    VIRTUAL_ENV=$(cd -- "$(dirname -- "$_cove_here")/.." && pwd -P)\n'
        "else\n"
        "    # dash cannot tell where a sourced file is: use where the environment was made.\n"
        f"    VIRTUAL_ENV={fallback}\n"
        "fi\n"
        "unset _cove_here"
    )


def render_activation(
    layout: Layout, env: Path, prompt: str, *, relocatable: bool = False
) -> dict[str, bytes]:
    """File name in the environment's bin directory -> content."""
    env_str = str(env)
    bin_name = layout.bin_dir
    templates = Path(__file__).with_name("templates")  # package data, beside this module
    names = WINDOWS_SCRIPTS if layout.windows else POSIX_SCRIPTS
    prompt_prefix = f"({prompt}) "
    if relocatable:
        set_sh = _relocatable_sh(bin_name, sh_quote(env_str))
        set_fish = "set -gx VIRTUAL_ENV (builtin realpath (dirname (status filename))/..)"
    else:
        set_sh = f"VIRTUAL_ENV={sh_quote(env_str)}"
        set_fish = f"set -gx VIRTUAL_ENV {fish_quote(env_str)}"
    ps1_prefix = sh_quote(prompt_prefix) if _PLAIN.match(prompt) else "'(${VIRTUAL_ENV_PROMPT}) '"
    out: dict[str, bytes] = {}
    for name in names:
        text = (templates / name).read_text(encoding="utf-8")
        if name == "activate":
            text = (
                text.replace("__SET_VIRTUAL_ENV__", set_sh)
                .replace("__VIRTUAL_PROMPT__", sh_quote(prompt))
                .replace("__PS1_PREFIX__", ps1_prefix)
            )
        elif name == "activate.fish":
            text = text.replace("__SET_VIRTUAL_ENV__", set_fish).replace(
                "__VIRTUAL_PROMPT__", fish_quote(prompt)
            )
        elif name == "activate.csh":
            text = (
                text.replace("__VIRTUAL_ENV__", csh_quote(env_str))
                .replace("__VIRTUAL_PROMPT__", csh_quote(prompt))
                .replace("__PROMPT_PREFIX__", csh_quote(prompt_prefix.replace("%", "%%")))
            )
        elif name == "activate.nu":
            text = (
                text.replace("__VIRTUAL_ENV__", nu_quote(env_str))
                .replace("__BIN_NAME_NU__", nu_quote(bin_name))
                .replace("__VIRTUAL_PROMPT__", nu_quote(prompt))
            )
        elif name == "Activate.ps1":
            text = (
                text.replace("__VIRTUAL_ENV__", ps_quote(env_str))
                .replace("__BIN_NAME_PS__", ps_quote(bin_name))
                .replace("__VIRTUAL_PROMPT__", ps_quote(prompt))
            )
        elif name in ("activate.bat", "deactivate.bat"):
            text = text.replace("__VIRTUAL_ENV__", bat_escape(env_str)).replace(
                "__VIRTUAL_PROMPT__", bat_escape(prompt)
            )
        elif name == "activate_this.py":
            text = (
                text.replace("__BIN_NAME__", repr(bin_name))
                .replace("__VIRTUAL_PROMPT__", repr(prompt))
                .replace("__SITE_PACKAGES__", repr(layout.site_packages))
            )
        text = text.replace("__BIN_NAME__", bin_name)
        if name.endswith(".bat"):
            text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        out[name] = text.encode("utf-8")
    return out


def write_activation(
    layout: Layout,
    env: Path,
    prompt: str,
    *,
    relocatable: bool = False,
    bin_dir: Path | None = None,
    staged: bool = False,
    venv_scripts: Path | None = None,
) -> list[Path]:
    """Write the scripts into ``bin_dir`` (default: the environment's). Each is written to a
    temporary name and renamed, unless ``staged``: a directory not yet swapped into place is
    already invisible, and every file created costs time on slow disks.

    ``venv_scripts`` is the interpreter's ``venv/scripts``: its Activate.ps1 is taken as it is,
    as venv takes it (it has nothing to fill in: it finds the environment from where it lies
    and reads the prompt from pyvenv.cfg), so the file is venv's own for that Python."""
    target = bin_dir if bin_dir is not None else env / layout.bin_dir
    rendered = render_activation(layout, env, prompt, relocatable=relocatable)
    if venv_scripts is not None:
        with contextlib.suppress(OSError):
            rendered["Activate.ps1"] = (venv_scripts / "common" / "Activate.ps1").read_bytes()
    written = []
    for name, data in rendered.items():
        path = target / name
        if staged:
            path.write_bytes(data)
        else:
            tmp = target / f".{name}.tmp"
            tmp.write_bytes(data)
            os.replace(tmp, path)
        written.append(path)
    return written
