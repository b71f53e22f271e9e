"""``pip list``, ``pip show`` and ``pip check``, as pure functions of installed distributions
and the environment's marker values: the same text pip prints."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from cove.inspect.installed import InstalledDistribution

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


def check_lines(
    dists: Sequence[InstalledDistribution], markers: Mapping[str, str]
) -> tuple[list[str], bool]:
    """``pip check``'s findings (missing, then conflicting requirements) and whether any
    distribution's requirements could not be read."""
    versions = {d.canonical_name: d for d in dists}
    missing: list[str] = []
    conflicting: list[str] = []
    problems = False
    for dist in dists:
        try:
            requires = dist.requires(markers)
        except ValueError:
            problems = True
            continue
        lost: set[tuple[str, str]] = set()
        clash: set[tuple[str, str, str]] = set()
        for req in requires:
            name = canonicalize_name(req.name)
            other = versions.get(name)
            if other is None:
                lost.add((name, str(req)))
                continue
            from packaging.version import InvalidVersion, Version

            try:
                version = Version(other.version)
            except InvalidVersion:
                continue
            if not req.specifier.contains(version, prereleases=True):
                clash.add((name, str(version), str(req)))
        head = f"{dist.canonical_name} {dist.normalized_version}"
        missing += [f"{head} requires {n}, which is not installed." for n, _ in sorted(
            lost, key=lambda item: f"({item[0]!r}, <Requirement({item[1]!r})>)")]  # fmt: skip
        conflicting += [
            f"{head} has requirement {req}, but you have {n} {v}." for n, v, req in sorted(clash)
        ]
    return missing + conflicting, problems
