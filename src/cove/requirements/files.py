"""pip's requirements-file format: comments, continuations, ${VAR}, nested -r/-c files, index
options, and per-requirement --hash; parsed into plain values with file:line for errors."""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from packaging.requirements import InvalidRequirement, Requirement

from cove.errors import CoveError


class RequirementsError(CoveError):
    """A requirements file or argument cannot be read or understood."""


class UnnamedProject(RequirementsError):
    """A project directory whose name only a build can tell (no static [project] name)."""

    def __init__(self, path: Path, where: str) -> None:
        super().__init__(
            f"{where}: cannot tell the project name of {path} without building it",
            hint=f"write it as NAME @ {path.absolute().as_uri()}",
        )
        self.path = path


@dataclass(frozen=True, slots=True)
class RequirementLine:
    requirement: Requirement
    hashes: frozenset[str] = frozenset()  # "sha256:<hex>"
    source: str = ""  # "requirements.txt:3" or "argument"
    constraint: bool = False
    editable: bool = False  # -e: installed in development mode (PEP 660)


@dataclass
class FileOptions:
    """Options that requirements files may set (they add to the command line's)."""

    index_url: str | None = None
    extra_index_urls: list[str] = field(default_factory=list)
    no_index: bool = False
    find_links: list[str] = field(default_factory=list)
    trusted_hosts: list[str] = field(default_factory=list)
    pre: bool = False
    prefer_binary: bool = False
    require_hashes: bool = False
    only_binary: list[str] = field(default_factory=list)
    no_binary: list[str] = field(default_factory=list)


@dataclass
class Requirements:
    lines: list[RequirementLine] = field(default_factory=list)
    options: FileOptions = field(default_factory=FileOptions)
    # Project directories whose names only a build can tell, and whether they are editable.
    unnamed: list[tuple[Path, bool]] = field(default_factory=list)


def _add(
    result: Requirements,
    text: str,
    base: Path,
    where: str,
    *,
    hashes: frozenset[str] = frozenset(),
    constraint: bool = False,
    editable: bool = False,
) -> None:
    """One requirement line; a project directory with a dynamic name is kept for a build."""
    try:
        req = parse_requirement(text, base, where)
    except UnnamedProject as exc:
        if constraint:
            raise RequirementsError(
                f"{where}: a constraint needs a project name, {exc.path} has none without a build",
                hint=f"write it as NAME @ {exc.path.absolute().as_uri()}",
            ) from None
        result.unnamed.append((exc.path, editable))
        return
    result.lines.append(RequirementLine(req, hashes, where, constraint, editable))


_VAR = re.compile(r"\$\{([A-Z0-9_]+)\}")
_COMMENT = re.compile(r"(^|\s+)#.*$")
_VALUE_OPTIONS = {
    "-r": "requirement", "--requirement": "requirement",
    "-c": "constraint", "--constraint": "constraint",
    "-i": "index_url", "--index-url": "index_url",
    "--extra-index-url": "extra_index_url",
    "-f": "find_links", "--find-links": "find_links",
    "--trusted-host": "trusted_host",
    "--only-binary": "only_binary", "--no-binary": "no_binary",
    "-e": "editable", "--editable": "editable",
}  # fmt: skip
_FLAG_OPTIONS = {
    "--no-index": "no_index",
    "--pre": "pre",
    "--prefer-binary": "prefer_binary",
    "--require-hashes": "require_hashes",
}


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Joined continuation lines with comments removed, each with its first line number."""
    out: list[tuple[int, str]] = []
    buffer: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not buffer:
            start = number
        line = _COMMENT.sub("", raw) if not raw.rstrip().endswith("\\") else raw
        if line.rstrip().endswith("\\"):
            buffer.append(line.rstrip()[:-1])
            continue
        buffer.append(line)
        joined = "".join(buffer).strip()
        buffer = []
        joined = _COMMENT.sub("", joined).strip()
        if joined:
            out.append((start, joined))
    if buffer and "".join(buffer).strip():
        out.append((start, _COMMENT.sub("", "".join(buffer)).strip()))
    return out


def _expand(text: str, environ: Mapping[str, str]) -> str:
    return _VAR.sub(lambda m: environ.get(m.group(1), m.group(0)), text)


def parse_file(
    path: Path,
    environ: Mapping[str, str] | None = None,
    *,
    constraint: bool = False,
    into: Requirements | None = None,
    cwd: Path | None = None,
    _stack: tuple[Path, ...] = (),
) -> Requirements:
    """Parse ``path`` (and what it includes) into ``into`` (a new Requirements by default).

    As pip and uv read them: ``-r``/``-c`` and ``--find-links`` paths are relative to the file
    that names them, project paths and ``-e`` paths to the working directory (``cwd``)."""
    environ = os.environ if environ is None else environ
    cwd = Path.cwd() if cwd is None else cwd
    result = into if into is not None else Requirements()
    real = path.resolve()
    if real in _stack:
        chain = " -> ".join(p.name for p in (*_stack, real))
        raise RequirementsError(
            f"{path} includes itself ({chain})", hint="remove the -r/-c line that loops back"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        where = f" (included from {_stack[-1]})" if _stack else ""
        raise RequirementsError(
            f"cannot read requirements file {path}{where}: {exc.strerror}",
            hint="check the path; -r and -c paths are relative to the including file",
        ) from None
    except UnicodeDecodeError:
        raise RequirementsError(
            f"{path} is not UTF-8 text", hint="save the requirements file as UTF-8"
        ) from None
    for number, line in _logical_lines(text):
        where = f"{path}:{number}"
        _parse_line(
            _expand(line, environ),
            where,
            _Bases(path.parent, cwd),
            environ,
            constraint,
            result,
            (*_stack, real),
        )
    return result


class _Bases(NamedTuple):
    file_dir: Path  # -r, -c and --find-links paths start here
    cwd: Path  # requirement and -e paths start here


def _parse_line(
    line: str,
    where: str,
    base: _Bases,
    environ: Mapping[str, str],
    constraint: bool,
    result: Requirements,
    stack: tuple[Path, ...],
) -> None:
    try:
        words = shlex.split(line, posix=True)
    except ValueError as exc:
        raise RequirementsError(f"{where}: cannot parse {line!r}: {exc}", hint=_HINT) from None
    if not words:
        return
    if words[0].startswith("-"):
        _parse_option(words, where, base, environ, constraint, result, stack)
        return
    # A requirement, possibly followed by per-requirement options (--hash).
    spec_words, hashes = [], []
    i = 0
    while i < len(words):
        word = words[i]
        if word.startswith("--hash"):
            value = word.partition("=")[2] if "=" in word else _next(words, i, where)
            i += 1 if "=" in word else 2
            algo, sep, digest = value.partition(":")
            if not sep or not digest:
                raise RequirementsError(
                    f"{where}: bad --hash {value!r}", hint="write --hash=sha256:<hex digest>"
                )
            hashes.append(f"{algo.lower()}:{digest.lower()}")
            continue
        if word.startswith("--config-settings") or word.startswith("-C"):
            i += 1 if "=" in word else 2
            continue
        if word.startswith("-"):
            raise RequirementsError(f"{where}: unknown option {word!r}", hint=_HINT)
        spec_words.append(word)
        i += 1
    text = " ".join(spec_words)
    _add(result, text, base.cwd, where, hashes=frozenset(hashes), constraint=constraint)


_HINT = "see pip's requirements file format: one requirement or option per line"


def _next(words: list[str], i: int, where: str) -> str:
    if i + 1 >= len(words):
        raise RequirementsError(f"{where}: {words[i]} needs a value", hint=_HINT)
    return words[i + 1]


def _parse_option(
    words: list[str],
    where: str,
    base: _Bases,
    environ: Mapping[str, str],
    constraint: bool,
    result: Requirements,
    stack: tuple[Path, ...],
) -> None:
    word = words[0]
    name, eq, inline = word.partition("=")
    if name in _FLAG_OPTIONS and not eq:
        setattr(result.options, _FLAG_OPTIONS[name], True)
        return
    if name.startswith("-") and not name.startswith("--") and len(name) > 2 and not eq:
        name, inline, eq = name[:2], name[2:], "="  # -rfile.txt
    if name not in _VALUE_OPTIONS:
        raise RequirementsError(f"{where}: unknown option {word!r}", hint=_HINT)
    value = inline if eq else _next(words, 0, where)
    key = _VALUE_OPTIONS[name]
    opts = result.options
    if key in ("requirement", "constraint"):
        target = Path(value) if os.path.isabs(value) else base.file_dir / value
        parse_file(
            target, environ, constraint=constraint or key == "constraint", into=result,
            cwd=base.cwd, _stack=stack,
        )  # fmt: skip
    elif key == "index_url":
        opts.index_url = value
    elif key == "extra_index_url":
        opts.extra_index_urls.append(value)
    elif key == "find_links":
        is_local = "://" not in value
        opts.find_links.append(
            str(base.file_dir / value) if is_local and not os.path.isabs(value) else value
        )
    elif key == "trusted_host":
        opts.trusted_hosts.append(value)
    elif key == "only_binary":
        opts.only_binary.append(value)
    elif key == "no_binary":
        opts.no_binary.append(value)
    elif key == "editable":
        _add(result, value, base.cwd, where, constraint=constraint, editable=True)


def parse_requirement(text: str, base: Path, where: str) -> Requirement:
    """A PEP 508 requirement, or a path or URL to a wheel (turned into ``name @ url``)."""
    if text.startswith("git+"):
        egg = re.search(r"[#&]egg=([^&]+)", text)
        if egg is None:
            raise RequirementsError(
                f"{where}: cannot tell the project name of {text!r}",
                hint="write it as NAME @ " + text + ", or add #egg=NAME",
            )
        head, _, fragment = text.partition("#")
        kept = [p for p in fragment.split("&") if p and not p.startswith("egg=")]
        url = head + ("#" + "&".join(kept) if kept else "")
        return Requirement(f"{egg.group(1)} @ {url}")
    local = Path(text) if os.path.isabs(text) else base / text
    looks_like_path = "@" not in text.split("://", 1)[0] and (
        text.endswith((".whl", ".tar.gz", ".zip", ".tgz"))
        or text.startswith((".", "/", "~"))
        or ("://" in text and "@" not in text.split("://", 1)[0])
        or os.sep in text
    )
    error = ""
    if not looks_like_path:
        try:
            return Requirement(text)
        except InvalidRequirement as exc:
            error = str(exc)
    if text.endswith(".whl") and ("://" in text or local.exists() or "/" in text):
        from packaging.utils import InvalidWheelFilename, parse_wheel_filename

        try:
            name = parse_wheel_filename(text.rsplit("/", 1)[-1])[0]
        except InvalidWheelFilename:
            raise RequirementsError(
                f"{where}: {text!r} is not a valid wheel file name", hint="check the file"
            ) from None
        url = text if "://" in text else local.absolute().as_uri()
        return Requirement(f"{name} @ {url}")
    if local.is_dir():
        from cove.build.backend import static_name

        project = static_name(local)
        if project is None:
            raise UnnamedProject(local, where)
        return Requirement(f"{project} @ {local.absolute().as_uri()}")
    archive = text.rsplit("/", 1)[-1].split("#", 1)[0]
    if archive.endswith((".tar.gz", ".zip", ".tgz")):
        from packaging.utils import InvalidSdistFilename, parse_sdist_filename

        try:
            sdist_name = parse_sdist_filename(archive)[0]
        except InvalidSdistFilename:
            raise RequirementsError(
                f"{where}: {archive!r} is not a source distribution's file name",
                hint="source distributions are named NAME-VERSION.tar.gz",
            ) from None
        if "://" in text:
            return Requirement(f"{sdist_name} @ {text}")
        if not local.is_file():
            raise RequirementsError(f"{where}: {local} does not exist", hint="check the path")
        return Requirement(f"{sdist_name} @ {local.absolute().as_uri()}")
    if not error:
        raise RequirementsError(
            f"{where}: {text!r} is neither a requirement nor an existing path",
            hint="check the path, or write a requirement like name==1.0",
        )
    raise RequirementsError(
        f"{where}: invalid requirement {text!r}: {error}",
        hint="write it like name, name==1.0, name>=1,<2, name[extra] or name @ URL",
    )
