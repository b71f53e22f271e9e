"""``pip freeze``'s lines for installed distributions, byte for byte: names as METADATA spells
them, sorted case-insensitively, PEP 610 direct references, editable installs with pip's
comments, and the packages pip hides unless ``--all``."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from cove.inspect.installed import Installed


def hidden(python_version: tuple[int, int]) -> frozenset[str]:
    """What pip freeze leaves out without --all: pip, and before 3.12 the build tools too."""
    names = {"pip"}
    if python_version < (3, 12):
        names |= {"setuptools", "distribute", "wheel"}
    return frozenset(names)


def _name_version(dist: Installed) -> str:
    try:
        Version(dist.version)
    except InvalidVersion:
        return f"{dist.name}==={dist.version}"
    return f"{dist.name}=={dist.version}"


def _direct_reference(dist: Installed, info: dict[str, object]) -> str:
    url = str(info["url"])
    fragments = []
    vcs = info.get("vcs_info")
    archive = info.get("archive_info")
    if isinstance(vcs, dict):
        text = f"{dist.name} @ {vcs.get('vcs')}+{url}@{vcs.get('commit_id')}"
    else:
        text = f"{dist.name} @ {url}"
        if isinstance(archive, dict) and archive.get("hash"):
            fragments.append(str(archive["hash"]))
    if info.get("subdirectory"):
        fragments.append(f"subdirectory={info['subdirectory']}")
    return text + ("#" + "&".join(fragments) if fragments else "")


def _git(location: str, *args: str) -> str | None:
    try:
        proc = subprocess.run(
            ["git", "-C", location, *args], capture_output=True, text=True, timeout=30
        )
    except OSError:
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def _editable(dist: Installed, location: str) -> list[str]:
    """pip's lines for an editable install: a VCS requirement, or the path with a comment."""
    display = _name_version(dist)
    top = _git(location, "rev-parse", "--show-toplevel")
    if top is None:
        return [f"# Editable install with no version control ({display})", f"-e {location}"]
    remote = _git(location, "config", "--get-regexp", r"remote\..*\.url")
    commit = _git(location, "rev-parse", "HEAD")
    if not remote or not commit:
        return [f"# Editable Git install with no remote ({display})", f"-e {location}"]
    urls = dict(line.split(" ", 1) for line in remote.splitlines() if " " in line)
    url = urls.get("remote.origin.url") or next(iter(urls.values()))
    if "://" not in url and ":" in url:  # scp-like git@host:path
        host, _, path = url.partition(":")
        url = f"ssh://{host}/{path}"
    egg = canonicalize_name(dist.name).replace("-", "_")
    subdir = os.path.relpath(location, top)
    fragment = f"#egg={egg}" + (f"&subdirectory={subdir}" if subdir != "." else "")
    return [f"-e git+{url}@{commit}{fragment}"]


def freeze_lines(
    dists: Iterable[Installed],
    *,
    python_version: tuple[int, int],
    show_all: bool = False,
    exclude: Iterable[str] = (),
    exclude_editable: bool = False,
) -> list[str]:
    skip: set[str] = {canonicalize_name(n) for n in exclude}
    if not show_all:
        skip |= hidden(python_version)
    out: list[str] = []
    for dist in sorted(dists, key=lambda d: d.name.lower()):
        if dist.canonical_name in skip:
            continue
        info = dist.direct_url()
        dir_info = info.get("dir_info") if info else None
        editable = isinstance(dir_info, dict) and bool(dir_info.get("editable"))
        if editable and info is not None:
            if exclude_editable:
                continue
            from urllib.parse import unquote, urlsplit

            out += _editable(dist, unquote(urlsplit(str(info["url"])).path))
        elif info is not None:
            out.append(_direct_reference(dist, info))
        else:
            out.append(_name_version(dist))
    return out
