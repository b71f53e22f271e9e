"""The wheel tags a target interpreter accepts, in priority order, computed from its probe (the
same list ``packaging.tags.sys_tags()`` gives inside that interpreter on glibc Linux, macOS and
Windows)."""

from __future__ import annotations

import re

from packaging.tags import Tag, compatible_tags, cpython_tags, generic_tags, mac_platforms

from cove.python.interpreter import Interpreter

# glibc keeps compatibility within a major version; manylinux tags start at these versions.
_OLDEST_GLIBC_MINOR = {"x86_64": 5, "i686": 5}
_LEGACY_MANYLINUX = {(2, 17): "manylinux2014", (2, 12): "manylinux2010", (2, 5): "manylinux1"}
# Architectures whose manylinux tags exist at all (PEP 600 lists what auditwheel supports).
_MANYLINUX_ARCHS = {"x86_64", "i686", "aarch64", "armv7l", "ppc64", "ppc64le", "s390x", "riscv64"}


def _normalize(platform: str) -> str:
    return platform.replace("-", "_").replace(".", "_").replace(" ", "_")


def _linux_platforms(interpreter: Interpreter) -> list[str]:
    linux = _normalize(interpreter.platform_tag)
    if not linux.startswith("linux_"):
        return [linux]
    if not interpreter.is_64bit:
        linux = {"linux_x86_64": "linux_i686", "linux_aarch64": "linux_armv8l"}.get(linux, linux)
    arch = linux.split("_", 1)[1]
    archs = ["armv8l", "armv7l"] if arch == "armv8l" else [arch]
    out: list[str] = []
    libc, libc_version = interpreter.libc
    match = re.match(r"(\d+)\.(\d+)", libc_version or "")
    if libc == "glibc" and match:
        major, minor = int(match.group(1)), int(match.group(2))
        for a in archs:
            if a not in _MANYLINUX_ARCHS:
                continue
            oldest = _OLDEST_GLIBC_MINOR.get(a, 17)
            for m in range(minor, oldest - 1, -1):
                out.append(f"manylinux_{major}_{m}_{a}")
                legacy = _LEGACY_MANYLINUX.get((major, m))
                if legacy:
                    out.append(f"{legacy}_{a}")
    out += [f"linux_{a}" for a in archs]
    return out


def _platforms(interpreter: Interpreter) -> list[str]:
    system = interpreter.markers.get("platform_system", "")
    if system == "Darwin" or interpreter.sys_platform == "darwin":
        plat = _normalize(interpreter.platform_tag)  # macosx_11_0_arm64
        parts = plat.split("_")
        arch = "_".join(parts[3:]) if len(parts) > 3 else interpreter.markers["platform_machine"]
        try:
            version = (int(parts[1]), int(parts[2])) if len(parts) > 2 else None
        except ValueError:
            version = None
        return list(mac_platforms(version, arch))
    if interpreter.os_name == "nt" or system == "Windows":
        return [_normalize(interpreter.platform_tag)]
    if system == "Linux" or interpreter.sys_platform.startswith("linux"):
        return _linux_platforms(interpreter)
    return [_normalize(interpreter.platform_tag)]


def _abi(interpreter: Interpreter) -> list[str]:
    """cp312, cp313t from SOABI (``cpython-313t-x86_64-linux-gnu``); Windows has none."""
    soabi = interpreter.soabi or ""
    match = re.match(r"cpython-(\d+)(\w*?)(?:-|$)", soabi)
    if match:
        return [f"cp{match.group(1)}{match.group(2)}"]
    major, minor = interpreter.version[0], interpreter.version[1]
    if interpreter.implementation == "cpython":
        return [f"cp{major}{minor}"]
    if soabi:
        return [_normalize(soabi.split("-")[0] + "_" + soabi.split("-")[1])] if "-" in soabi else []
    return []


def supported_tags(interpreter: Interpreter) -> list[Tag]:
    version = (interpreter.version[0], interpreter.version[1])
    platforms = _platforms(interpreter)
    abis = _abi(interpreter)
    if interpreter.implementation == "cpython":
        tags = list(cpython_tags(version, abis, platforms))
        name = f"cp{version[0]}{version[1]}"
    else:
        short = {"pypy": "pp", "ironpython": "ip", "jython": "jy"}.get(
            interpreter.implementation, interpreter.implementation
        )
        name = f"{short}{version[0]}{version[1]}"  # pp310: PyPy names the Python it implements
        tags = list(generic_tags(name, abis, platforms))
    seen = set(tags)
    tags += [t for t in compatible_tags(version, name, platforms) if t not in seen]
    return tags
