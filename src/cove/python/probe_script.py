"""Run inside a target interpreter (any Python from 2.7 on, stdlib only) to describe it as JSON.

cove runs it with site disabled (``-I -S``; ``-E -s -S`` on 2.7), so nothing the environment
holds runs: no .pth file, no sitecustomize. The one thing site.py does that the answer depends
on, setting a venv's sys.prefix from its pyvenv.cfg, is done here the way site.venv() does it,
before sysconfig is first imported (it reads sys.prefix then).

Kept compatible with old Pythons so cove can say "too old" instead of crashing.
"""

import json
import os
import platform
import re
import struct
import sys


def _enter_venv():
    # type: () -> None
    """site.venv() for an interpreter run with -S (PEP 405): pyvenv.cfg beside the executable
    or one directory up makes that directory's parent sys.prefix, and its home sys._home."""
    if sys.version_info < (3, 3):
        return  # no venv support in site.py; too old for cove anyway
    if sys.platform == "darwin" and "__PYVENV_LAUNCHER__" in os.environ:
        executable = sys._base_executable = os.environ["__PYVENV_LAUNCHER__"]  # type: ignore[attr-defined]
    else:
        executable = sys.executable
    exe_dir = os.path.dirname(os.path.abspath(executable))
    site_prefix = os.path.dirname(exe_dir)
    for conf in (os.path.join(exe_dir, "pyvenv.cfg"), os.path.join(site_prefix, "pyvenv.cfg")):
        if os.path.isfile(conf):
            break
    else:
        return
    sys._home = None  # type: ignore[attr-defined]
    with open(conf, encoding="utf-8") as f:
        for line in f:
            key, sep, value = line.partition("=")
            if sep and key.strip().lower() == "home":
                sys._home = value.strip()  # type: ignore[attr-defined]
    sys.prefix = sys.exec_prefix = site_prefix


def _scheme():
    # type: () -> dict[str, str]
    import sysconfig

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


def _elf_interpreter(path):
    # type: (str) -> str
    """The dynamic loader an ELF executable names (its PT_INTERP), or '' for anything else."""
    try:
        with open(path, "rb") as f:
            ident = f.read(16)
            if len(ident) < 16 or ident[:4] != b"\x7fELF":
                return ""
            wide = ident[4:5] == b"\x02"
            order = "<" if ident[5:6] == b"\x01" else ">"
            f.seek(32 if wide else 28)
            (phoff,) = struct.unpack(order + ("Q" if wide else "I"), f.read(8 if wide else 4))
            f.seek(54 if wide else 42)
            phentsize, phnum = struct.unpack(order + "HH", f.read(4))
            for i in range(phnum):
                f.seek(phoff + i * phentsize)
                if wide:
                    p_type, _, offset, _, _, size = struct.unpack(order + "IIQQQQ", f.read(40))
                else:
                    p_type, offset, _, _, size = struct.unpack(order + "IIIII", f.read(20))
                if p_type == 3:  # PT_INTERP
                    f.seek(offset)
                    return f.read(size).rstrip(b"\0").decode("latin-1")
    except (IOError, OSError, struct.error, ValueError):
        pass
    return ""


def _musl_version(loader):
    # type: (str) -> str
    """'1.2.4' from the banner a musl loader prints when run bare; '' when it is not musl."""
    import subprocess

    try:
        proc = subprocess.Popen([loader], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        err = proc.communicate()[1].decode("latin-1")
    except (IOError, OSError):
        return ""
    match = re.match(r"\s*musl libc[^\n]*\n\s*Version (\d+\.\d+[0-9.]*)", err)
    return match.group(1) if match else ""


def _libc(executable):
    # type: (str) -> list[str]
    """platform.libc_ver(), except that a musl interpreter reports ['musl', version] (PEP 656):
    older Pythons cannot tell musl apart, so ask the loader it was linked against."""
    lib, version = platform.libc_ver()
    if lib == "glibc" or not sys.platform.startswith("linux"):
        return [lib, version]
    loader = _elf_interpreter(executable)
    musl = _musl_version(loader) if "musl" in os.path.basename(loader) else ""
    return ["musl", musl] if musl else [lib, version]


def _install_paths():
    # type: () -> dict[str, str]
    """Where pip installs into this interpreter itself (its default sysconfig scheme)."""
    import sysconfig

    paths = sysconfig.get_paths()
    keys = ("purelib", "platlib", "scripts", "data", "include")
    return dict((k, paths[k]) for k in keys if k in paths)


def _user_site():
    # type: () -> tuple[str, str]
    """The user base as site.py works it out when PYTHONUSERBASE is unset, and the user
    site-packages relative to it: cove adds PYTHONUSERBASE itself, at each run. Importing site
    under -S runs nothing from Python 3.3 on; 2.7's would run site.main(), and has no helpers."""
    if sys.version_info < (3, 3):
        return "", ""
    try:
        import site

        saved = os.environ.pop("PYTHONUSERBASE", None)
        try:
            base = site._getuserbase()  # type: ignore[attr-defined]
        finally:
            if saved is not None:
                os.environ["PYTHONUSERBASE"] = saved
        if not base:
            return "", ""
        rel = os.path.relpath(site._get_path(base), base)  # type: ignore[attr-defined]
        return base, rel.replace("\\", "/")
    except Exception:  # older Pythons lack these helpers: no user site is reported
        return "", ""


def main():
    # type: () -> None
    _enter_venv()
    import sysconfig

    stdlib = sysconfig.get_paths()["stdlib"]
    executable = os.path.abspath(sys.executable)
    base_executable = getattr(sys, "_base_executable", None) or executable
    user_base, user_site = _user_site()
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
        "libc": _libc(os.path.realpath(executable)),
        "ensurepip_wheels": _bundled(stdlib),
        "cache_tag": getattr(getattr(sys, "implementation", None), "cache_tag", None),
        "install_paths": _install_paths(),
        "user_base": user_base,
        "user_site": user_site,
    }
    sys.stdout.write(json.dumps(info))


if __name__ == "__main__":
    main()
