"""Describe an interpreter by running the probe script inside it, cached by path and mtime so a
second look at the same executable starts no subprocess."""

from __future__ import annotations

import json
import os
import zlib
from pathlib import Path
from typing import Any

from cove.cache import INTERPRETERS
from cove.errors import InterpreterError
from cove.python.interpreter import Interpreter

# v2: "libc" is ["musl", version] on musl, where platform.libc_ver() knows nothing.
# v3: "cache_tag", the tag in compiled bytecode's file names.
# v4: "install_paths", sysconfig's default install paths (for --system).
# v5: "user_base" and "user_site", site.py's user site-packages.
# v6: probed with site disabled; an answer that an environment's .pth files or sitecustomize
#     ran beside, and could have shaped, is not reused.
CACHE_BUCKET = INTERPRETERS
MIN_VERSION = (3, 8)


def _cache_key(executable: Path) -> str | None:
    """Changes whenever the path, what it points to, or the real file itself changes."""
    try:
        real = os.path.realpath(executable)
        st = os.stat(real)
    except OSError:
        return None
    return f"{os.path.abspath(executable)}\0{real}\0{st.st_mtime_ns}\0{st.st_size}\0{st.st_ino}"


def _cache_name(key: str) -> str:
    """A short file name for ``key``. Two checksums rather than a cryptographic hash: loading
    OpenSSL for hashlib is a tenth of a quick command's startup, and a clash is harmless because
    each entry stores its full key and is used only when that key matches."""
    raw = key.encode("utf-8", "surrogateescape")
    return f"{zlib.crc32(raw):08x}{zlib.adler32(raw):08x}"


def _from_json(data: dict[str, Any]) -> Interpreter:
    return Interpreter(
        executable=data["executable"],
        base_executable=data["base_executable"],
        real_executable=data["real_executable"],
        implementation=data["implementation"],
        version=(data["version"][0], data["version"][1], data["version"][2]),
        version_string=data["version_string"],
        prefix=data["prefix"],
        base_prefix=data["base_prefix"],
        in_venv=bool(data["in_venv"]),
        sys_platform=data["sys_platform"],
        os_name=data["os_name"],
        is_64bit=bool(data["is_64bit"]),
        stdlib=data["stdlib"],
        scheme=dict(data.get("scheme") or {}),
        markers=dict(data.get("markers") or {}),
        soabi=data.get("soabi"),
        platform_tag=data.get("platform_tag") or "",
        libc=(data.get("libc") or ["", ""])[0:2],  # type: ignore[arg-type]
        ensurepip_wheels=tuple(data.get("ensurepip_wheels") or ()),
        cache_tag=data.get("cache_tag"),
        install_paths=dict(data.get("install_paths") or {}),
        user_base=data.get("user_base") or "",
        user_site=data.get("user_site") or "",
    )


def _run_probe(executable: Path) -> dict[str, Any]:
    import subprocess

    script = Path(__file__).with_name("probe_script.py")
    if not executable.exists():
        raise InterpreterError(
            f"no interpreter at {executable}",
            hint="give a path to a python executable or a version (see `cove python list`)",
        )
    if executable.is_dir() or not os.access(executable, os.X_OK):
        raise InterpreterError(
            f"{executable} is not an executable file",
            hint="give the path of a python executable, e.g. /usr/bin/python3",
        )
    try:
        # Site disabled: the environment's .pth files and sitecustomize never run (the script
        # works out what site.py would). Pythons without -I (2.7) are asked again without it.
        for flags in (["-I", "-S"], ["-E", "-s", "-S"]):
            proc = subprocess.run(
                [str(executable), *flags, str(script)],
                capture_output=True,
                timeout=30,
                stdin=subprocess.DEVNULL,
            )
            if proc.returncode != 2 or b"-I" not in proc.stderr:
                break
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InterpreterError(
            f"could not run {executable}: {exc}",
            hint="check that it is a working Python interpreter",
        ) from None
    try:
        data: dict[str, Any] = json.loads(proc.stdout)
        if proc.returncode != 0 or not isinstance(data, dict):
            raise ValueError
        _ = data["version"][2]  # shape check: raises on a malformed answer
    except (ValueError, KeyError, IndexError, TypeError):
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise InterpreterError(
            f"{executable} does not behave like a Python interpreter ({tail[0]})",
            hint="check that it is a working Python 3.8+ interpreter",
        ) from None
    return data


def probe(executable: Path, cache_dir: Path) -> Interpreter:
    """The Interpreter at ``executable`` (absolute or relative path); refuses Pythons below 3.8."""
    executable = Path(os.path.abspath(executable))
    key = _cache_key(executable)
    cache_file = cache_dir / CACHE_BUCKET / f"{_cache_name(key)}.json" if key else None
    data: dict[str, Any] | None = None
    if cache_file is not None:
        try:
            data = json.loads(cache_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = None
        if not isinstance(data, dict) or data.get("cache_key") != key:
            data = None
    if data is None:
        data = _run_probe(executable)
        _check_version(executable, data)
        if cache_file is not None:
            _write_atomic(cache_file, json.dumps({**data, "cache_key": key}))
    # The probe reports sys.executable as the interpreter resolved it; keep the path we were given.
    data["executable"] = str(executable)
    return _from_json(data)


def remember_venv(base: Interpreter, python: Path, root: Path, cache_dir: Path) -> None:
    """Cache what the probe would report for ``python``, the symlinked interpreter of the venv
    at ``root`` just made from ``base``, so the first command in a new environment runs no
    probe. Inside such a venv only sys.executable, sys.prefix and being in a venv differ from
    the base interpreter, and before 3.11 sys._base_executable, which then names the venv's own
    python (the tests compare this with a real probe on every CPython from 3.8)."""
    if base.in_venv or base.implementation != "cpython":
        return  # a venv of a venv, or another implementation: probe it when it is used
    key = _cache_key(python)
    if key is None:
        return
    data = {
        **base._asdict(),
        "executable": str(python),
        "prefix": str(root),
        "in_venv": True,
        "base_executable": str(python) if base.version < (3, 11) else base.base_executable,
        "scheme": dict(base.scheme),
        # A venv installs into itself, by the venv scheme the probe reports relative to a root;
        # headers still go where the base interpreter keeps them.
        "install_paths": {
            **{
                key: os.path.join(root, base.scheme[key]) if base.scheme[key] else str(root)
                for key in ("purelib", "platlib", "scripts", "data")
                if key in base.scheme
            },
            **(
                {"include": base.install_paths["include"]}
                if "include" in base.install_paths
                else {}
            ),
        },
        "markers": dict(base.markers),
        "cache_key": key,
    }
    _write_atomic(cache_dir / CACHE_BUCKET / f"{_cache_name(key)}.json", json.dumps(data))


def _check_version(executable: Path, data: dict[str, Any]) -> None:
    version = tuple(data["version"][:2])
    if version < MIN_VERSION:
        raise InterpreterError(
            f"{executable} is Python {data.get('version_string', version)}, "
            f"but cove needs Python {MIN_VERSION[0]}.{MIN_VERSION[1]} or newer",
            hint="pick a newer interpreter with -p (see `cove python list`)",
        )


def _write_atomic(path: Path, text: str) -> None:
    from cove.cache.files import store

    store(path, text.encode("utf-8"))  # an unwritable cache must not fail the command
