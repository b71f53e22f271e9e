"""The environment a resolution is for, without installing: an interpreter's own marker values
and wheel tags, or those of another Python version and platform (``cove lock --python-version
3.11 --platform manylinux_2_17_x86_64``), worked out here from the probe alone."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from packaging.markers import Marker
from packaging.tags import Tag
from packaging.version import Version

from cove.errors import UsageError
from cove.python.interpreter import Interpreter
from cove.python.tags import expand_platform, supported_tags

_LINUX = re.compile(r"(?:manylinux(?:1|2010|2014)|(?:many|musl)linux_\d+_\d+|linux)_(.+)")
_MACOS = re.compile(r"macosx_\d+_\d+_(.+)")
# What platform.machine() says on Windows, by the wheel tag's architecture.
_WINDOWS_MACHINES = {"amd64": "AMD64", "arm64": "ARM64"}


class TargetEnvironment(NamedTuple):
    """What a resolution reads of the environment it is for: the marker values, the wheel tags
    it accepts (best first) and the full Python version Requires-Python is checked against.
    ``described`` is the target as given on the command line (None for the interpreter's own),
    written into a lock as its ``environments`` marker."""

    markers: Mapping[str, str]
    tags: Sequence[Tag]
    python_version: Version
    described: Marker | None = None


def target_environment(
    interpreter: Interpreter, python_version: str | None = None, platforms: Sequence[str] = ()
) -> TargetEnvironment:
    """The interpreter's own target, or with ``python_version`` (X.Y or X.Y.Z; X.Y means X.Y.0)
    and ``platforms`` (wheel platform tags, each with the older ones it implies) in its place.
    The implementation and its ABI flags stay the interpreter's."""
    if python_version is None and not platforms:
        return TargetEnvironment(
            dict(interpreter.markers),
            supported_tags(interpreter),
            Version(interpreter.version_string),
        )
    markers = dict(interpreter.markers)
    target = interpreter
    if python_version is not None:
        version = _version(python_version)
        full = ".".join(map(str, version))
        markers.update(
            python_version=f"{version[0]}.{version[1]}",
            python_full_version=full,
            implementation_version=full,
        )
        target = interpreter._replace(version=version, version_string=full)
    expanded: list[str] | None = None
    if platforms:
        expanded = list(dict.fromkeys(p for tag in platforms for p in expand_platform(tag)))
        markers.update(_platform_markers(platforms[0]))
    described = " and ".join(
        f'{key} == "{markers[key]}"'
        for key in ("python_version", "sys_platform", "platform_machine")
        if markers.get(key)
    )
    return TargetEnvironment(
        markers,
        supported_tags(target, expanded),
        Version(target.version_string),
        Marker(described) if described else None,
    )


def _version(text: str) -> tuple[int, int, int]:
    found = re.fullmatch(r"(\d+)\.(\d+)(?:\.(\d+))?", text.strip())
    if found is None:
        raise UsageError(
            f"--python-version {text!r} is not a Python version",
            hint="write it as X.Y or X.Y.Z, e.g. --python-version 3.12",
        )
    return int(found.group(1)), int(found.group(2)), int(found.group(3) or 0)


def _platform_markers(tag: str) -> dict[str, str]:
    """sys_platform, platform_system, os_name and platform_machine of a wheel platform tag;
    the kernel's release and version cannot be known, so they are left empty."""
    normalized = tag.replace("-", "_").replace(".", "_")
    linux, macos = _LINUX.fullmatch(normalized), _MACOS.fullmatch(normalized)
    if linux is not None:
        values = ("linux", "Linux", "posix", linux.group(1))
    elif macos is not None:
        arch = macos.group(1)
        values = ("darwin", "Darwin", "posix", "arm64" if arch == "universal2" else arch)
    elif normalized == "win32":
        values = ("win32", "Windows", "nt", "x86")
    elif normalized.startswith("win_"):
        arch = normalized.removeprefix("win_")
        values = ("win32", "Windows", "nt", _WINDOWS_MACHINES.get(arch, arch.upper()))
    else:
        raise UsageError(
            f"--platform {tag!r} is not a platform cove can lock for",
            hint="name a wheel platform tag: manylinux_2_17_x86_64, musllinux_1_2_aarch64, "
            "macosx_11_0_arm64, win_amd64, linux_x86_64",
        )
    keys = ("sys_platform", "platform_system", "os_name", "platform_machine")
    return {**dict(zip(keys, values, strict=True)), "platform_release": "", "platform_version": ""}
