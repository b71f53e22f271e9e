"""``pip freeze``'s lines for installed distributions, byte for byte: names as METADATA spells
them, sorted case-insensitively, PEP 610 direct references, editable installs with pip's
comments, and the packages pip hides unless ``--all``."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from cove.inspect.installed import InstalledDistribution
from cove.names import canonical

if TYPE_CHECKING:
    from packaging.utils import NormalizedName


def hidden(python_version: tuple[int, int]) -> frozenset[str]:
    """What pip freeze leaves out without --all: pip, and before 3.12 the build tools too."""
    names = {"pip"}
    if python_version < (3, 12):
        names |= {"setuptools", "distribute", "wheel"}
    return frozenset(names)


def _name_version(dist: InstalledDistribution) -> str:
    version = dist.valid_version
    if version is None:
        return f"{dist.name}==={dist.version}"
    return f"{dist.name}=={version}"


def _direct_reference(dist: InstalledDistribution, info: dict[str, object]) -> str:
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


GIT_TIMEOUT = 30  # seconds for one question to git about an editable install's clone


def _git(location: str, *args: str) -> str | None:
    import subprocess

    try:
        proc = subprocess.run(
            ["git", "-C", location, *args], capture_output=True, text=True, timeout=GIT_TIMEOUT
        )
    except (OSError, subprocess.TimeoutExpired):
        return None  # as pip: no version control information, the plain editable line
    return proc.stdout.strip() if proc.returncode == 0 else None


def _editable(dist: InstalledDistribution, location: str) -> list[str]:
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
    egg = canonical(dist.name).replace("-", "_")
    subdir = os.path.relpath(location, top)
    fragment = f"#egg={egg}" + (f"&subdirectory={subdir}" if subdir != "." else "")
    return [f"-e git+{url}@{commit}{fragment}"]


def frozen(dist: InstalledDistribution) -> list[str]:
    """The lines pip freeze prints for one distribution (comments first for editables)."""
    info = dist.direct_url()
    if info is None:  # the common case: one failed open, not two
        return [_name_version(dist)]
    location = dist.editable_location()
    if location is not None:
        return _editable(dist, location)
    return [_direct_reference(dist, info)]


def freeze_lines(
    dists: Iterable[InstalledDistribution],
    *,
    python_version: tuple[int, int],
    show_all: bool = False,
    exclude: Iterable[str] = (),
    exclude_editable: bool = False,
) -> list[str]:
    skip = {canonical(n) for n in exclude} | (set() if show_all else hidden(python_version))
    out: list[str] = []
    for dist in sorted(dists, key=lambda d: d.name.lower()):
        if dist.canonical_name in skip:
            continue
        if exclude_editable and dist.editable_location() is not None:
            continue
        out += frozen(dist)
    return out


# Lines of a requirements file that freeze copies through unchanged (once each).
_PASS_THROUGH = (
    "-r", "--requirement", "-f", "--find-links", "-i", "--index-url", "--pre",
    "--trusted-host", "--process-dependency-links", "--extra-index-url", "--use-feature",
)  # fmt: skip
_COMMENT = re.compile(r"(^|\s+)#.*$")


def _line_name(line: str) -> str | None:
    """The project a requirements-file line names, as pip works it out (None: unclear)."""
    editable = line.startswith(("-e", "--editable"))
    text = line[2:] if line.startswith("-e") else line[len("--editable") :]
    text = text.strip().lstrip("=") if editable else _COMMENT.sub("", line).strip()
    egg = re.search(r"#egg=([^&]+)", text)
    if egg:
        return egg.group(1)
    if editable:
        return None
    from packaging.requirements import InvalidRequirement, Requirement

    if text.endswith(".whl"):
        return text.rsplit("/", 1)[-1].split("-", 1)[0]
    try:
        return Requirement(text).name
    except InvalidRequirement:
        return None


def freeze_with_requirements(
    dists: Iterable[InstalledDistribution],
    requirement_files: Sequence[Path],
    *,
    python_version: tuple[int, int],
    show_all: bool = False,
    exclude: Iterable[str] = (),
    exclude_editable: bool = False,
) -> tuple[list[str], list[str]]:
    """``pip freeze -r FILE``: the file's lines in order with each named project frozen in
    place, then the rest. Returns stdout lines and warnings."""
    installations = {
        d.canonical_name: d
        for d in dists
        if not (exclude_editable and d.editable_location() is not None)
    }
    out, warnings = _in_file_order(requirement_files, installations)
    out.append("## The following requirements were added by pip freeze:")
    out += freeze_lines(
        installations.values(), python_version=python_version, show_all=show_all, exclude=exclude
    )
    return out, warnings


def _in_file_order(
    requirement_files: Sequence[Path],
    installations: dict[NormalizedName, InstalledDistribution],
) -> tuple[list[str], list[str]]:
    """The files' lines with each installed project they name frozen in its place (and taken
    out of ``installations``); comments and options once each. Returns lines and warnings."""
    out: list[str] = []
    warnings: list[str] = []
    emitted: set[str] = set()
    seen_in: dict[str, list[str]] = {}
    for path in requirement_files:
        for raw in path.read_text(encoding="utf-8").splitlines(keepends=True):
            if not raw.strip() or raw.strip().startswith("#") or raw.startswith(_PASS_THROUGH):
                line = raw.rstrip()
                if line not in emitted:
                    emitted.add(line)
                    out.append(line)
                continue
            name = _line_name(raw)
            if name is None:
                out.append(
                    f"Skipping line in requirement file [{path}] because it's not clear what "
                    f"it would install: {raw.strip()}"
                )
                out.append("  (add #egg=PackageName to the URL to avoid this warning)")
            elif canonical(name) in installations:
                out += frozen(installations.pop(canonical(name)))
                seen_in.setdefault(name, []).append(str(path))
            elif seen_in.get(name):
                seen_in[name].append(str(path))
            else:
                warnings.append(
                    f"Requirement file [{path}] contains "
                    f"{_COMMENT.sub('', raw).strip()}, but package {name!r} is not installed"
                )
    for name, files in seen_in.items():
        if len(files) > 1:
            warnings.append(
                f"Requirement {name} included multiple times [{', '.join(sorted(set(files)))}]"
            )
    return out, warnings
