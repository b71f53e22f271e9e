"""Find interpreters (PATH, pyenv, the py launcher, the one running cove) and match a request such
as ``3.12``, ``python3.13``, ``pypy3.10``, ``>=3.11`` or a path against them."""

# Annotations are evaluated (no __future__ import): NamedTuple compiles string ones, ms at startup.

import os
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from cove.errors import InterpreterError
from cove.python.interpreter import Interpreter
from cove.python.probe import probe

_NAME = re.compile(r"^(python|pypy)(\d+(\.\d+)?)?(\.exe)?$")
_REQUEST = re.compile(
    r"^(?P<impl>cpython|python|pypy|cp|pp)?-?(?P<version>\d+(?:\.\d+){0,2})?$", re.IGNORECASE
)


class Request(NamedTuple):
    """A parsed interpreter request; ``version`` holds the given components, e.g. (3, 12)."""

    implementation: str | None  # "cpython", "pypy" or None for any
    version: tuple[int, ...]
    specifier: str | None = None  # a PEP 440 specifier set such as ">=3.11,<3.13"


def parse_request(text: str) -> Request | None:
    """The request a version-like text stands for; None when it is not version-like."""
    text = text.strip()
    if text and text[0] in "<>=!~":
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            SpecifierSet(text)
        except InvalidSpecifier:
            return None
        return Request(None, (), text)
    m = _REQUEST.match(text)
    if not m or not (m.group("impl") or m.group("version")):
        return None
    impl = (m.group("impl") or "").lower()
    implementation = {"pypy": "pypy", "pp": "pypy", "cpython": "cpython", "cp": "cpython"}.get(impl)
    version = tuple(int(p) for p in (m.group("version") or "").split(".") if p)
    return Request(implementation, version)


def matches(request: Request, implementation: str, version: tuple[int, int, int]) -> bool:
    """Whether an interpreter of this implementation and version satisfies the request."""
    if request.implementation and request.implementation != implementation:
        return False
    if request.specifier is not None:
        from packaging.specifiers import SpecifierSet

        return SpecifierSet(request.specifier).contains(".".join(map(str, version)), True)
    return version[: len(request.version)] == request.version


def best_match(request: Request, found: Iterable[Interpreter]) -> Interpreter | None:
    """The newest matching interpreter; CPython before other implementations on a tie."""
    candidates = [i for i in found if matches(request, i.implementation, i.version)]
    if not candidates:
        return None
    return max(candidates, key=lambda i: (i.version, i.implementation == "cpython"))


def _pyenv_root() -> Path:
    return Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")


def candidate_paths(environ: dict[str, str] | None = None) -> Iterator[Path]:
    """Executables that look like interpreters, in preference order (may repeat)."""
    env = os.environ if environ is None else environ
    shims = _pyenv_root() / "shims"
    for entry in env.get("PATH", "").split(os.pathsep):
        if not entry or Path(entry) == shims:
            continue  # pyenv shims are slow wrappers; pyenv's versions are listed below
        try:
            names = sorted(os.listdir(entry))
        except OSError:
            continue
        for name in names:
            if _NAME.match(name):
                path = Path(entry) / name
                if os.access(path, os.X_OK) and not path.is_dir():
                    yield path
    versions = _pyenv_root() / "versions"
    if versions.is_dir():
        for d in sorted(versions.iterdir()):
            for name in ("python3", "pypy3", "python"):
                exe = d / "bin" / name
                if exe.exists():
                    yield exe
                    break
    import shutil

    if os.name == "nt" and shutil.which("py"):
        import subprocess

        proc = subprocess.run(["py", "--list-paths"], capture_output=True, text=True)
        for line in proc.stdout.splitlines():
            parts = line.split()
            if parts and parts[-1].lower().endswith(".exe"):
                yield Path(parts[-1])
    yield Path(sys.executable)


def _guess_version(path: Path) -> tuple[int, ...] | None:
    """The version a path's name promises (python3.12, pyenv's 3.12.1/), to skip hopeless probes."""
    m = _NAME.match(path.name)
    if m and m.group(2):
        return tuple(int(p) for p in m.group(2).split("."))
    parent = path.parent.parent.name
    if path.parent.name == "bin" and re.match(r"^\d+\.\d+(\.\d+)?$", parent):
        return tuple(int(p) for p in parent.split("."))
    return None


def find_interpreters(
    cache_dir: Path, request: Request | None = None, *, environ: dict[str, str] | None = None
) -> list[Interpreter]:
    """Every working interpreter found (3.8+), one per real executable, in discovery order."""
    seen: set[str] = set()
    out: list[Interpreter] = []
    for path in candidate_paths(environ):
        real = os.path.realpath(path)
        if real in seen:
            continue
        guess = _guess_version(path)
        if request is not None and request.version and guess is not None:
            n = min(len(guess), len(request.version))
            if guess[:n] != request.version[:n]:
                continue
        seen.add(real)
        try:
            out.append(probe(path, cache_dir))
        except InterpreterError:
            continue
    return out


def find_interpreter(request: str | None, cache_dir: Path) -> Interpreter:
    """The interpreter a ``-p`` value names; None means the interpreter running cove."""
    if request is None:
        return probe(Path(sys.executable), cache_dir)
    text = request.strip()
    looks_like_path = os.sep in text or "/" in text or text.startswith((".", "~"))
    if looks_like_path or Path(text).is_file():
        return probe(Path(os.path.expanduser(text)), cache_dir)
    parsed = parse_request(text)
    if parsed is None:
        import shutil

        on_path = shutil.which(text)
        if on_path:
            return probe(Path(on_path), cache_dir)
        raise InterpreterError(
            f"'{request}' is neither a Python version, an interpreter name on PATH nor a path",
            hint="use e.g. -p 3.12, -p python3.13, -p pypy3.10 or -p /usr/bin/python3",
        )
    found = best_match(parsed, find_interpreters(cache_dir, parsed))
    if found is None:
        raise InterpreterError(
            f"no interpreter found for '{request}'",
            hint="`cove python list` shows the interpreters cove can see (PATH and pyenv)",
        )
    return found
