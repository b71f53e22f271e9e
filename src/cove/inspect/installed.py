"""Installed distributions read straight from ``*.dist-info`` / ``*.egg-info`` directories: no
import, no subprocess, nothing run in the environment."""

# Annotations are evaluated (no __future__ import): NamedTuple compiles string ones, ms at startup.

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from cove.headers import read_headers
from cove.names import canonical

if TYPE_CHECKING:
    from email.message import Message

    from packaging.requirements import Requirement
    from packaging.utils import NormalizedName
    from packaging.version import Version


# Release-only versions already in normal form (no leading zeros, no suffixes): what nearly every
# installed distribution has. They need no parsing, and packaging.version's pattern costs
# milliseconds to compile at startup.
_NORMAL_RELEASE = re.compile(r"(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))*")


def pep440_text(version: str) -> str | None:
    """``str(packaging.version.Version(version))``, or None when the text is not PEP 440."""
    if _NORMAL_RELEASE.fullmatch(version):
        return version
    from packaging.version import InvalidVersion, Version

    try:
        return str(Version(version))
    except InvalidVersion:
        return None


class InstalledDistribution(NamedTuple):
    """One installed distribution, the one type every command uses for what is installed; its
    files are read only when asked for."""

    name: str  # as written in METADATA / PKG-INFO
    version: str
    path: Path  # the .dist-info or .egg-info directory (or an .egg-info file)

    @property
    def canonical_name(self) -> "NormalizedName":
        return canonical(self.name)

    @property
    def location(self) -> Path:
        return self.path.parent

    @property
    def parsed_version(self) -> "Version":
        """The version as packaging reads it; InvalidVersion when it is not PEP 440 (the
        installer's readers skip such distributions)."""
        from packaging.version import Version

        return Version(self.version)

    @property
    def valid_version(self) -> str | None:
        """The version as pip prints it (``str(Version(...))``), None when it is not PEP 440."""
        return pep440_text(self.version)

    @property
    def normalized_version(self) -> str:
        """The version as pip prints it, the raw text when it is not PEP 440."""
        return pep440_text(self.version) or self.version

    def read_text(self, filename: str) -> str | None:
        try:
            return (self.path / filename).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def metadata(self) -> "Message":
        """The metadata as pip sees it through importlib.metadata: folded values dedented by
        their 8-space indent, and the body repeated as a Description header."""
        import textwrap
        from email.message import Message
        from email.parser import Parser

        name = "METADATA" if self.path.suffix == ".dist-info" else "PKG-INFO"
        source = self.path / name if self.path.is_dir() else self.path
        try:
            text = source.read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = ""
        parsed = Parser().parsestr(text)
        repaired = Message()
        for key, value in parsed.items():
            if value and "\n" in value:
                value = textwrap.dedent(" " * 8 + value)
            repaired[key] = value
        body = parsed.get_payload()
        if isinstance(body, str) and body:
            repaired["Description"] = body
            repaired.set_payload(body)
        return repaired

    def requirements(self) -> "list[Requirement]":
        """Every Requires-Dist, markers kept (read with the header reader: the no-op install's
        check walks these). Raises ValueError on one that does not parse."""
        from packaging.requirements import InvalidRequirement, Requirement

        from cove.headers import read_header_lists

        name = "METADATA" if self.path.suffix == ".dist-info" else "PKG-INFO"
        text = self.read_text(name) if self.path.is_dir() else None
        if text is None and not self.path.is_dir():
            try:
                text = self.path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                text = None
        if text is None:
            raise ValueError(f"cannot read the metadata in {self.path}")
        out = []
        for line in read_header_lists(text).get("Requires-Dist", []):
            try:
                out.append(Requirement(line))
            except InvalidRequirement as exc:
                raise ValueError(f"invalid requirement {line!r}: {exc}") from None
        return out

    def requires(self, markers: Mapping[str, str]) -> "list[Requirement]":
        """Requires-Dist without extras, markers evaluated for the environment's interpreter.
        Raises ValueError on a requirement that does not parse (pip reports those)."""
        env = {**markers, "extra": ""}
        return [r for r in self.requirements() if r.marker is None or r.marker.evaluate(env)]

    def direct_url(self) -> dict[str, object] | None:
        """PEP 610 direct_url.json, when this was installed from a direct reference."""
        from cove import direct_url

        text = self.read_text("direct_url.json")
        return None if text is None else direct_url.loads(text)

    def editable_location(self) -> str | None:
        """Where an editable install's source lives (PEP 660 direct_url.json)."""
        from cove import direct_url

        return direct_url.editable_location(self.direct_url())

    @property
    def installer(self) -> str:
        text = self.read_text("INSTALLER")
        return text.strip() if text else ""

    @property
    def requested(self) -> bool:
        return (self.path / "REQUESTED").exists()

    def files(self) -> list[str] | None:
        """RECORD's paths (or installed-files.txt's), None when neither exists."""
        record = self.read_text("RECORD")
        if record is not None:
            import csv

            return [row[0] for row in csv.reader(record.splitlines()) if row]
        legacy = self.read_text("installed-files.txt")
        return None if legacy is None else [line for line in legacy.splitlines() if line]


def iter_installed(
    site_dirs: Sequence[Path], warnings: list[str] | None = None, *, sort: bool = True
) -> Iterator[InstalledDistribution]:
    """Every distribution in ``site_dirs``, duplicates included, in directory order (or sorted);
    broken ones are skipped with a warning appended to ``warnings``."""
    for site in site_dirs:
        try:
            entries = os.listdir(site)
        except OSError:
            continue
        for entry in sorted(entries) if sort else entries:
            if entry.endswith(".dist-info"):
                meta_file = "METADATA"
            elif entry.endswith(".egg-info"):
                meta_file = "PKG-INFO"
            else:
                continue
            path = Path(site) / entry
            meta = path / meta_file if path.is_dir() else path
            try:
                headers = read_headers(
                    meta.read_text(encoding="utf-8", errors="replace"), lower=True
                )
            except OSError:
                headers = {}
            if not headers.get("name"):
                if warnings is not None:
                    warnings.append(f"Skipping {path} due to invalid metadata entry 'name'")
                continue
            yield InstalledDistribution(headers["name"], headers.get("version", ""), path)


def read_installed(
    site_dirs: Sequence[Path], *, sort: bool = True
) -> tuple[list[InstalledDistribution], list[str]]:
    """One distribution per project (the first found wins, as on sys.path), and warnings."""
    found: dict[NormalizedName, InstalledDistribution] = {}
    warnings: list[str] = []
    for dist in iter_installed(site_dirs, warnings, sort=sort):
        found.setdefault(dist.canonical_name, dist)
    return list(found.values()), warnings


def installed_by_name(
    site_dirs: Sequence[Path], warnings: list[str] | None = None
) -> "dict[NormalizedName, InstalledDistribution]":
    """What an installer sees: one distribution per project (the first on ``sys.path`` wins)
    whose version is PEP 440; any other is left out with a warning appended to ``warnings``
    (an installer cannot compare it with a requirement)."""
    found: dict[NormalizedName, InstalledDistribution] = {}
    for dist in iter_installed(site_dirs, warnings):
        name = dist.canonical_name
        if name in found:
            continue
        if dist.valid_version is None:
            if warnings is not None:
                warnings.append(
                    f"Skipping {dist.path}: its version {dist.version!r} is not PEP 440"
                )
            continue
        found[name] = dist
    return found


def duplicates(site_dirs: Sequence[Path]) -> "dict[NormalizedName, list[InstalledDistribution]]":
    """Projects installed more than once across ``site_dirs`` (only the first is imported)."""
    seen: dict[NormalizedName, list[InstalledDistribution]] = {}
    for dist in iter_installed(site_dirs):
        seen.setdefault(dist.canonical_name, []).append(dist)
    return {name: dists for name, dists in seen.items() if len(dists) > 1}
