"""Console and GUI script launchers with the bytes pip writes, and shebang rewriting."""

# Annotations are evaluated (no __future__ import): NamedTuple compiles string ones, ms at startup.

import re
import shlex
from typing import NamedTuple

from cove.errors import WheelError

_TEMPLATE = """# -*- coding: utf-8 -*-
import re
import sys
from {module} import {import_name}
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
    sys.exit({func}())
"""
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.+-][A-Za-z0-9_.+\-]*$")
_PLAIN_PATH = re.compile(r"^[A-Za-z0-9_./+\-=:,@%~ ]+$")


class EntryPoint(NamedTuple):
    name: str
    module: str
    attr: str  # "main" or "cli.main"; empty never (a module-only entry point is rejected)
    gui: bool


def shebang(python: str) -> str:
    """The first line(s) pip writes: a plain ``#!`` line when the kernel can run it, else an
    ``exec`` through /bin/sh (paths with spaces or over 127 bytes), quoted safely. A bare name
    (no directory) means the interpreter beside the script: a relocatable environment."""
    if "/" not in python:
        here = '"$(dirname -- "$(realpath -- "$0")")"'
        return f"#!/bin/sh\n'''exec' {here}/{shlex.quote(python)} \"$0\" \"$@\"\n' '''\n"
    if " " not in python and len(python.encode()) <= 127 and _PLAIN_PATH.match(python):
        return f"#!{python}\n"
    quoted = f'"{python}"' if _PLAIN_PATH.match(python) else shlex.quote(python)
    return f"#!/bin/sh\n'''exec' {quoted} \"$0\" \"$@\"\n' '''\n"


def launcher(entry: EntryPoint, python: str) -> bytes:
    import_name = entry.attr.split(".")[0]
    body = _TEMPLATE.format(module=entry.module, import_name=import_name, func=entry.attr)
    return (shebang(python) + body).encode("utf-8")


def parse_entry_points(text: str, wheel_name: str) -> list[EntryPoint]:
    """console_scripts and gui_scripts from entry_points.txt; names that are paths are refused."""
    import configparser

    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        raise WheelError(
            f"{wheel_name} has a malformed entry_points.txt: {exc}", hint="rebuild the wheel"
        ) from None
    out: list[EntryPoint] = []
    for section, gui in (("console_scripts", False), ("gui_scripts", True)):
        if not parser.has_section(section):
            continue
        for name, value in parser.items(section):
            target = value.split("[", 1)[0].strip()
            module, _, attr = target.partition(":")
            if not _SAFE_NAME.match(name) or name in (".", ".."):
                raise WheelError(
                    f"{wheel_name} declares a script with an unsafe name: {name!r}",
                    hint="the wheel is malformed or malicious; nothing was installed",
                )
            if not module.strip() or not attr.strip():
                raise WheelError(
                    f"{wheel_name}: entry point {name!r} = {value!r} has no callable",
                    hint="entry points must look like 'module:function'",
                )
            out.append(EntryPoint(name, module.strip(), attr.strip(), gui))
    return out


def versioned_pip_names(entries: list[EntryPoint], version: tuple[int, int]) -> list[EntryPoint]:
    """pip's rule: ``pip``/``easy_install`` get launchers named for the target Python
    (pip, pip3, pip3.12), replacing versioned names the wheel was built with."""
    by_name = {e.name: e for e in entries}
    out: list[EntryPoint] = []
    for base, names in (
        ("pip", ["pip", f"pip{version[0]}", f"pip{version[0]}.{version[1]}"]),
        ("easy_install", ["easy_install", f"easy_install-{version[0]}.{version[1]}"]),
    ):
        ep = by_name.get(base)
        if ep is None:
            continue
        pattern = re.compile(rf"^{base}(-?\d+(\.\d+)?)?$")
        entries = [e for e in entries if not pattern.match(e.name)]
        out.extend(EntryPoint(n, ep.module, ep.attr, ep.gui) for n in names)
    return entries + out
