"""``pip list``, ``pip show`` and ``pip check``, as pure functions of installed distributions
and the environment's marker values: the same text pip prints."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from cove.inspect.installed import InstalledDistribution, duplicates

if TYPE_CHECKING:
    from pathlib import Path

    from packaging.requirements import Requirement

# pip never lists these (they are the standard library's own).
STDLIB_NAMES = frozenset({"python", "wsgiref", "argparse"})


def _table(rows: list[list[str]]) -> list[str]:
    sizes = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [" ".join(cell.ljust(size) for cell, size in zip(row, sizes, strict=True)).rstrip()
             for row in rows]  # fmt: skip
    lines.insert(1, " ".join("-" * size for size in sizes))
    return lines


def not_required(
    dists: Sequence[InstalledDistribution], markers: Mapping[str, str]
) -> list[InstalledDistribution]:
    """What no other listed distribution depends on."""
    needed: set[NormalizedName] = set()
    for dist in dists:
        try:
            needed |= {canonicalize_name(r.name) for r in dist.requires(markers)}
        except ValueError:
            continue
    return [d for d in dists if d.canonical_name not in needed]


def list_text(
    dists: Sequence[InstalledDistribution],
    fmt: str,
    verbose: bool = False,
    latest: Mapping[str, tuple[Version, str]] | None = None,
) -> str:
    """``pip list`` output in ``columns``, ``freeze`` or ``json`` format; ``latest`` adds the
    newest release and its file kind (--outdated / --uptodate)."""
    ordered = sorted(dists, key=lambda d: d.canonical_name)
    if fmt == "json":
        data = []
        for d in ordered:
            info: dict[str, str] = {"name": d.name, "version": d.normalized_version}
            if verbose:
                info["location"] = str(d.location)
                info["installer"] = d.installer
            if latest is not None:
                info["latest_version"] = str(latest[d.canonical_name][0])
                info["latest_filetype"] = latest[d.canonical_name][1]
            location = d.editable_location()
            if location:
                info["editable_project_location"] = location
            data.append(info)
        return json.dumps(data) + "\n"
    if fmt == "freeze":
        return "".join(
            f"{d.name}=={d.normalized_version}" + (f" ({d.location})" if verbose else "") + "\n"
            for d in ordered
        )
    if not ordered:
        return ""
    editable = {d.canonical_name: d.editable_location() for d in ordered}
    header = ["Package", "Version"]
    if latest is not None:
        header += ["Latest", "Type"]
    if any(editable.values()):
        header.append("Editable project location")
    if verbose:
        header += ["Location", "Installer"]
    rows = [header]
    for d in ordered:
        row = [d.name, d.normalized_version]
        if latest is not None:
            row += [str(latest[d.canonical_name][0]), latest[d.canonical_name][1]]
        if any(editable.values()):
            row.append(editable[d.canonical_name] or "")
        if verbose:
            row += [str(d.location), d.installer]
        rows.append(row)
    return "".join(line + "\n" for line in _table(rows))


def show_text(
    wanted: Sequence[str],
    dists: Sequence[InstalledDistribution],
    markers: Mapping[str, str],
    files: bool = False,
) -> tuple[str, list[str]]:
    """``pip show``'s report for the ``wanted`` names, and the names not installed."""
    installed = {d.canonical_name: d for d in dists}
    missing = sorted(n for n in wanted if canonicalize_name(n) not in installed)

    def requires(d: InstalledDistribution) -> list[str]:
        try:
            return [r.name for r in d.requires(markers)]
        except ValueError:
            return []

    blocks = []
    for name in wanted:
        dist = installed.get(canonicalize_name(name))
        if dist is None:
            continue
        meta = dist.metadata()
        required_by = sorted(
            (other.metadata()["Name"] or "UNKNOWN")
            for other in installed.values()
            if dist.canonical_name in {canonicalize_name(r) for r in requires(other)}
        )
        required_by.sort(key=str.lower)
        lines = [
            f"Name: {dist.name}",
            f"Version: {dist.normalized_version}",
            f"Summary: {meta.get('Summary', '')}",
            f"Home-page: {meta.get('Home-page', '')}",
            f"Author: {meta.get('Author', '')}",
            f"Author-email: {meta.get('Author-email', '')}",
            f"License: {meta.get('License', '')}",
            f"Location: {dist.location}",
        ]
        location = dist.editable_location()
        if location is not None:
            lines.append(f"Editable project location: {location}")
        lines.append(f"Requires: {', '.join(sorted(requires(dist), key=str.lower))}")
        lines.append(f"Required-by: {', '.join(required_by)}")
        if files:
            lines.append("Files:")
            listed = dist.files()
            if listed is None:
                lines.append("Cannot locate RECORD or installed-files.txt")
            else:
                lines += [f"  {line.strip()}" for line in sorted(listed)]
        # pip's console expands tabs (to columns of 8) in what it prints.
        blocks.append(
            "".join(part.expandtabs(8) + "\n" for line in lines for part in line.split("\n"))
        )
    return "---\n".join(blocks), missing


class Finding(NamedTuple):
    """One thing ``cove check`` reports: pip check's sentence, and the requirement whose
    install would settle it (None when installing cannot)."""

    line: str
    requirement: str | None = None


def check_lines(
    dists: Sequence[InstalledDistribution], markers: Mapping[str, str]
) -> tuple[list[str], bool]:
    """``pip check``'s findings (missing, then conflicting requirements) and whether any
    distribution's requirements could not be read."""
    findings, problems = check_findings(dists, markers)
    return [finding.line for finding in findings], problems


def check_findings(
    dists: Sequence[InstalledDistribution], markers: Mapping[str, str]
) -> tuple[list[Finding], bool]:
    """``check_lines`` with the requirement that would settle each finding."""
    versions = {d.canonical_name: d for d in dists}
    missing: list[Finding] = []
    conflicting: list[Finding] = []
    problems = False
    for dist in dists:
        try:
            requires = dist.requires(markers)
        except ValueError:
            problems = True
            continue
        lost: dict[tuple[str, str], Requirement] = {}
        clash: dict[tuple[str, str, str], Requirement] = {}
        for req in requires:
            name = canonicalize_name(req.name)
            other = versions.get(name)
            if other is None:
                lost[(name, str(req))] = req
                continue
            from packaging.version import InvalidVersion, Version

            try:
                version = Version(other.version)
            except InvalidVersion:
                continue
            if not req.specifier.contains(version, prereleases=True):
                clash[(name, str(version), str(req))] = req
        head = f"{dist.canonical_name} {dist.normalized_version}"
        missing += [
            Finding(f"{head} requires {key[0]}, which is not installed.", _wanted(lost[key]))
            for key in sorted(lost, key=lambda item: f"({item[0]!r}, <Requirement({item[1]!r})>)")
        ]
        conflicting += [
            Finding(f"{head} has requirement {key[2]}, but you have {key[0]} {key[1]}.",
                    _wanted(clash[key]))
            for key in sorted(clash)
        ]  # fmt: skip
    return missing + conflicting, problems


def _wanted(req: Requirement) -> str:
    """What to install for a requirement that applies here: it without its marker."""
    extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
    return f"{canonicalize_name(req.name)}{extras}{req.specifier}"


def duplicate_lines(site_dirs: Sequence[Path]) -> list[str]:
    """``cove check``'s lines for projects installed more than once (only the first is used)."""
    lines = []
    for name, copies in sorted(duplicates(site_dirs).items()):
        where = ", ".join(f"{d.normalized_version} in {d.location}" for d in copies)
        lines.append(f"{name} is installed {len(copies)} times ({where}); the first one is used.")
    return lines
