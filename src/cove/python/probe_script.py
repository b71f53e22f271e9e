"""Run inside a target interpreter (any Python from 2.7 on, stdlib only) to describe it as JSON.

Kept compatible with old Pythons so cove can say "too old" instead of crashing.
"""

import json
import os
import platform
import sys
import sysconfig


def _scheme():
    # type: () -> dict[str, str]
    names = sysconfig.get_scheme_names()
    if "venv" in names:
        scheme = "venv"
    elif os.name == "nt":
        scheme = "nt"
    else:
        scheme = "posix_prefix"
    marker = "/@COVE_BASE@"
    keys = ("base", "platbase", "installed_base", "installed_platbase")
    paths = sysconfig.get_paths(scheme, vars=dict((k, marker) for k in keys))
    out = {}
    for key in ("purelib", "platlib", "scripts", "include", "data"):
        value = paths.get(key, "")
        if value.startswith(marker):
            out[key] = value[len(marker) :].lstrip("/\\").replace("\\", "/")
    return out


def _markers():
    # type: () -> dict[str, str]
    impl = sys.implementation if hasattr(sys, "implementation") else None
    if impl is not None:
        v = impl.version
        impl_version = "%d.%d.%d" % (v.major, v.minor, v.micro)
        if v.releaselevel != "final":
            impl_version += v.releaselevel[0] + str(v.serial)
        impl_name = impl.name
    else:
        impl_version, impl_name = "0", ""
    return {
        "implementation_name": impl_name,
        "implementation_version": impl_version,
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "platform_python_implementation": platform.python_implementation(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    }


def _bundled(stdlib):
    # type: (str) -> list[str]
    bundled = os.path.join(stdlib, "ensurepip", "_bundled")
    try:
        names = sorted(os.listdir(bundled))
    except OSError:
        return []
    return [os.path.join(bundled, n) for n in names if n.endswith(".whl")]


def main():
    # type: () -> None
    stdlib = sysconfig.get_paths()["stdlib"]
    executable = os.path.abspath(sys.executable)
    base_executable = getattr(sys, "_base_executable", None) or executable
    info = {
        "executable": executable,
        "base_executable": os.path.abspath(base_executable),
        "real_executable": os.path.realpath(executable),
        "implementation": sys.implementation.name if hasattr(sys, "implementation") else "cpython",
        "version": list(sys.version_info[:3]),
        "version_string": platform.python_version(),
        "prefix": sys.prefix,
        "base_prefix": getattr(sys, "base_prefix", getattr(sys, "real_prefix", sys.prefix)),
        "in_venv": getattr(sys, "base_prefix", sys.prefix) != sys.prefix,
        "sys_platform": sys.platform,
        "os_name": os.name,
        "is_64bit": sys.maxsize > 2**32,
        "stdlib": stdlib,
        "scheme": _scheme(),
        "markers": _markers(),
        "soabi": sysconfig.get_config_var("SOABI"),
        "platform_tag": sysconfig.get_platform(),
        "libc": list(platform.libc_ver()),
        "ensurepip_wheels": _bundled(stdlib),
    }
    sys.stdout.write(json.dumps(info))


if __name__ == "__main__":
    main()
