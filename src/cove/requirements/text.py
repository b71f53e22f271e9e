"""One requirement as people write it, on the command line or a requirements-file line, into a
packaging Requirement: PEP 508 (``name[extra] @ url ; marker``), a path or URL to a wheel, an
sdist or a project directory, a git URL with ``#egg=``, and ``-e`` targets, read as pip reads
them (the marker split off first, after ``"; "`` for a bare URL, where ``;`` may be data)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement

from cove.errors import CoveError


class RequirementsError(CoveError):
    """A requirements file or argument cannot be read or understood."""


class UnnamedProject(RequirementsError):
    """A project directory whose name only a build can tell (no static [project] name)."""

    def __init__(
        self, path: Path, where: str, extras: frozenset[str], marker: Marker | None
    ) -> None:
        super().__init__(
            f"{where}: cannot tell the project name of {path} without building it",
            hint=f"write it as NAME @ {path.as_uri()}",
        )
        self.path = path
        self.extras = extras
        self.marker = marker


URL_SCHEMES = ("http", "https", "file", "ftp")
VCS = ("git", "hg", "svn", "bzr")  # pip's version-control schemes are VCS+transport
ARCHIVES = (".whl", ".zip", ".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tbz", ".tar.xz", ".txz",
            ".tlz", ".tar.lz", ".tar.lzma")  # fmt: skip
_EXTRAS = re.compile(r"^(.+)(\[[^\]]+\])$")
_EGG = re.compile(r"[#&]egg=([^&]*)")
_SYNTAX = "write it like name, name==1.0, name>=1,<2, name[extra] or name @ URL"


def is_url(text: str) -> bool:
    """A URL pip installs from directly (not ``name @ url``, whose scheme would be "name @ x")."""
    try:
        scheme = urlsplit(text).scheme.lower() if ":" in text else ""
    except ValueError:  # "http://[broken": not a URL anything could be fetched from
        return False
    vcs, plus, _ = scheme.partition("+")
    return scheme in URL_SCHEMES or (bool(plus) and vcs in VCS)


def parse_requirement(text: str, base: Path, where: str) -> Requirement:
    """``text`` (one requirement, its marker included) as a Requirement; a project directory or
    file becomes ``name @ file:///...``. Paths start at ``base`` (the working directory)."""
    head, sep, tail = text.strip().partition("; " if is_url(text.strip()) else ";")
    marker = _marker(tail, where) if sep else None
    head = head.strip()
    if is_url(head):
        req = _from_url(head, where, marker)
    else:
        req = _from_path(head, base, where, marker) or _pep508(head, where)
    req.marker = marker
    return req


def parse_editable(text: str, base: Path, where: str) -> Requirement:
    """The target of ``-e``: a project directory (``./proj[extra]``, ``file:`` URL) or a
    ``git+URL#egg=NAME``, as pip accepts them."""
    target, extras = _split_extras(text, where)
    local = base / target
    if target.lower().startswith("file:"):
        local = _url_path(target)
    if local.is_dir():
        return _from_dir(_absolute(local), where, extras, None)
    url = "git+" + text if text.lower().startswith("git:") else text
    if url.lower().startswith("git+"):
        return _git(url, where, editable=True)
    raise RequirementsError(
        f"{where}: {text!r} is not a valid editable requirement: it is neither a project "
        "directory nor a git URL",
        hint="give -e the path of a project directory, or git+URL#egg=NAME",
    )


def _marker(text: str, where: str) -> Marker | None:
    if not text.strip():
        return None
    try:
        return Marker(text.strip())
    except InvalidMarker as exc:
        raise RequirementsError(
            f"{where}: invalid marker {text.strip()!r}: {exc}",
            hint='write markers like: name ; python_version < "3.12" and sys_platform == "linux"',
        ) from None


def _split_extras(text: str, where: str) -> tuple[str, frozenset[str]]:
    found = _EXTRAS.match(text)
    if found is None:
        return text, frozenset()
    try:
        extras = Requirement("placeholder" + found.group(2).lower()).extras
    except InvalidRequirement:
        raise RequirementsError(
            f"{where}: invalid extras {found.group(2)!r} in {text!r}",
            hint="write extras like ./project[dev,test]",
        ) from None
    return found.group(1), frozenset(extras)


def _looks_like_path(text: str) -> bool:
    return os.sep in text or (os.altsep is not None and os.altsep in text) or text.startswith(".")


def _absolute(path: Path) -> Path:
    return Path(os.path.normpath(path.absolute()))


def _from_path(text: str, base: Path, where: str, marker: Marker | None) -> Requirement | None:
    """A local project directory or archive as pip recognizes one, or None (then ``text`` is a
    PEP 508 requirement)."""
    target, extras = _split_extras(text, where)
    local = _absolute(base / target)
    if _looks_like_path(text) and local.is_dir():
        return _from_dir(local, where, extras, marker)
    if not target.lower().endswith(ARCHIVES):
        return None
    if local.is_file():
        return _from_archive(local, local.as_uri(), where, extras)
    before, at, _ = text.partition("@")
    if at and not _looks_like_path(before):
        return None  # name @ url
    raise RequirementsError(
        f"{where}: {text!r} looks like a file name, and {local} does not exist",
        hint="check the path: paths on requirement lines start at the working directory",
    )


def _from_dir(path: Path, where: str, extras: frozenset[str], marker: Marker | None) -> Requirement:
    if not (path / "pyproject.toml").is_file() and not (path / "setup.py").is_file():
        raise RequirementsError(
            f"{where}: the directory {path} is not a project: it has no pyproject.toml or setup.py",
            hint="give the directory that holds the project's pyproject.toml",
        )
    from cove.requirements.project import static_name

    name = static_name(path)
    if name is None:
        raise UnnamedProject(path, where, extras, marker)
    return _direct(name, extras, path.as_uri())


def _direct(name: str, extras: frozenset[str], url: str) -> Requirement:
    listed = f"[{','.join(sorted(extras))}]" if extras else ""
    return Requirement(f"{name}{listed} @ {url}")


def _from_archive(path: Path | None, url: str, where: str, extras: frozenset[str]) -> Requirement:
    """A wheel or sdist named by its file name (an ``#egg=`` fragment names any other)."""
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    egg = _EGG.search(url)
    plain = _without_egg(url)
    filename = plain.split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    if filename.lower().endswith(".whl"):
        try:
            return _direct(parse_wheel_filename(filename)[0], extras, plain)
        except InvalidWheelFilename:
            raise RequirementsError(
                f"{where}: {filename!r} is not a valid wheel file name",
                hint="wheels are named NAME-VERSION-PYTHON-ABI-PLATFORM.whl",
            ) from None
    if egg and egg.group(1):
        named = _pep508(egg.group(1), where)
        return _direct(named.name, extras | named.extras, plain)
    try:
        return _direct(parse_sdist_filename(filename)[0], extras, plain)
    except InvalidSdistFilename:
        where_from = str(path) if path is not None else url
        raise RequirementsError(
            f"{where}: cannot tell the project name of {where_from}",
            hint=f"write it as NAME @ {plain}, or add #egg=NAME to the URL",
        ) from None


def _url_path(url: str) -> Path:
    from urllib.request import url2pathname  # 20 ms of imports (http.client): only here

    return Path(url2pathname(urlsplit(url).path))


def _from_url(url: str, where: str, marker: Marker | None) -> Requirement:
    """A URL to an archive, a ``file:`` project directory, or a git repository."""
    scheme = urlsplit(url).scheme.lower()
    if "+" in scheme:
        return _git(url, where, editable=False)
    if scheme == "file":
        local = _url_path(url)
        if local.is_dir():
            return _from_dir(local, where, frozenset(), marker)
        if not local.is_file():
            raise RequirementsError(f"{where}: {local} does not exist", hint="check the path")
        return _from_archive(local, url, where, frozenset())
    return _from_archive(None, url, where, frozenset())


def _git(url: str, where: str, editable: bool) -> Requirement:
    """``git+URL#egg=NAME`` as ``NAME @ git+URL`` (the name cannot be known before a clone)."""
    if not url.lower().startswith("git+"):
        raise RequirementsError(
            f"{where}: cannot install from {url!r}: cove installs from git repositories only",
            hint="use a git+ URL, an archive URL, or a released version",
        )
    egg = _EGG.search(url)
    if egg is None or not egg.group(1):
        raise RequirementsError(
            f"{where}: cannot tell the project name of {url!r}",
            hint=f"add #egg=NAME to the URL{'' if editable else ', or write NAME @ ' + url}",
        )
    named = _pep508(egg.group(1), where)
    return _direct(named.name, frozenset(named.extras), _without_egg(url))


def _without_egg(url: str) -> str:
    """The URL without its ``egg=`` fragment part (a name, not part of where the file is)."""
    head, sep, fragment = url.partition("#")
    if not sep:
        return url
    kept = [part for part in fragment.split("&") if part and not part.startswith("egg=")]
    return head + ("#" + "&".join(kept) if kept else "")


def _pep508(text: str, where: str) -> Requirement:
    try:
        return Requirement(text)
    except InvalidRequirement as exc:
        error = str(exc).splitlines()[0]
    hint = _SYNTAX
    if os.sep in text:
        hint = f"it looks like a path, and {text} does not exist; check the path"
    elif "=" in text and not re.search(r"[<>!=~]=|===|[<>]", text):
        hint = "= is not a version operator: write name==1.0"
    elif "#" in text:
        hint = "a comment starts at a # with a space before it"
    elif "\t" in text:
        hint = "separate a requirement from its options with a space, not a tab"
    raise RequirementsError(f"{where}: invalid requirement {text!r}: {error}", hint=hint)
