"""``cove cache verify``: read every unpacked wheel back and check each file against the wheel's
RECORD (and the manifest made when it was unpacked), and every download against the sha256 it
is filed under. A damaged entry is unpacked again from its wheel when a copy with the right hash
is at hand (the cached download, or the file it was last unpacked from), else removed so the next
install unpacks it afresh; a damaged download is removed. The install path only stats (see
``cache/unpacked.py``): this is where the hashes are read."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

from cove.cache import ARTIFACTS, UNPACKED
from cove.cache.unpacked import (
    UnpackedWheel,
    changed_files,
    read_entry,
    remove_entry,
    restamp,
    unpack_again,
)
from cove.errors import WheelError


@dataclass(frozen=True, slots=True)
class Finding:
    what: str  # "demo 1.0 (unpacked)", "demo-1.0-py3-none-any.whl (download)"
    problem: str
    action: str
    repaired: bool


@dataclass(frozen=True, slots=True)
class Verification:
    entries: int  # unpacked wheels read
    files: int  # their files
    downloads: int
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        """Everything was sound or has been repaired."""
        return all(f.repaired for f in self.findings)


def verify_cache(cache_dir: Path) -> Verification:
    entries = files = downloads = 0
    findings: list[Finding] = []
    artifacts = cache_dir / ARTIFACTS
    for path, sha256 in _downloads(artifacts):
        downloads += 1
        if _digest(path).hex() != sha256:
            findings.append(_remove_download(path))
    bucket = cache_dir / UNPACKED
    for entry in _entries(bucket):
        entries += 1
        found = read_entry(entry)
        if found is None:
            problems = ["its manifest is missing or unreadable"]
            label = entry.name[:16]
        else:
            files += len(found.files)
            problems = _damage(found)
            label = _label(found)
        if not problems:
            if found is not None and changed_files(found) != []:
                restamp(found)  # right content, stale stamps: trust them again
            continue
        problem = problems[0] + (f" (and {len(problems) - 1} more)" if problems[1:] else "")
        findings.append(_repair(entry, f"{label} (unpacked)", problem, cache_dir))
    return Verification(entries, files, downloads, tuple(findings))


def _downloads(artifacts: Path) -> list[tuple[Path, str]]:
    """Each cached download with the sha256 it is filed under (``xx/<sha256>/<file>``)."""
    out = []
    for shard in sorted(artifacts.glob("??")):
        for folder in sorted(shard.iterdir()):
            if len(folder.name) == 64 and folder.is_dir():
                out += [(f, folder.name) for f in sorted(folder.iterdir()) if f.is_file()]
    return out


def _entries(bucket: Path) -> list[Path]:
    try:
        return sorted(
            p for p in bucket.iterdir() if len(p.name) == 64 and p.is_dir() and p.name.isalnum()
        )
    except OSError:
        return []


def _damage(found: UnpackedWheel) -> list[str]:
    """What is wrong with an entry: files missing, or not what the manifest and RECORD say."""
    problems = []
    actual: dict[str, str] = {}
    expected = {f.path: f.hash for f in found.files}
    for path, digest in expected.items():
        try:
            actual[path] = _record_form(_digest(found.root / path))
        except OSError:
            problems.append(f"{path} is missing")
            continue
        if actual[path] != digest:
            problems.append(f"{path} changed")
    records = [p for p in expected if p.count("/") == 1 and p.endswith(".dist-info/RECORD")]
    if not records:
        return problems or ["it has no RECORD"]
    if records[0] not in actual or actual[records[0]] != expected[records[0]]:
        return problems  # RECORD itself is damaged: nothing to check the rest against
    text = (found.root / records[0]).read_text(encoding="utf-8", errors="replace")
    for row in csv.reader(io.StringIO(text)):
        if len(row) < 2 or not row[1].startswith("sha256="):
            continue
        if row[0] not in expected:
            problems.append(f"{row[0]} is in RECORD but not in the manifest")
        elif actual.get(row[0]) == expected[row[0]] != row[1]:
            problems.append(f"{row[0]} does not match its RECORD hash (nor does the manifest)")
    return problems


def _repair(entry: Path, what: str, problem: str, cache_dir: Path) -> Finding:
    try:
        wheel = _wheel_for(entry.name, cache_dir)
        if wheel is not None:
            unpack_again(wheel, entry)
            return Finding(what, problem, f"unpacked again from {wheel}", True)
        remove_entry(entry)
        return Finding(
            what, problem, "removed (no copy of its wheel here: the next install unpacks it)", True
        )
    except (OSError, WheelError) as exc:
        reason = exc.message if isinstance(exc, WheelError) else (exc.strerror or str(exc))
        return Finding(what, problem, f"could not repair it: {reason}", False)


def _wheel_for(key: str, cache_dir: Path) -> Path | None:
    """A wheel file whose sha256 is ``key``: the cached download, else one it was unpacked from
    (the unpacked bucket remembers the paths of wheels it has seen)."""
    candidates = sorted((cache_dir / ARTIFACTS / key[:2] / key).glob("*.whl"))
    for memo in sorted((cache_dir / UNPACKED / "by-stat").glob("*")):
        try:
            identity, seen = json.loads(memo.read_text(encoding="utf-8"))
        except (OSError, ValueError, TypeError):
            continue
        if seen == key:
            candidates.append(Path(str(identity).split("\0", 1)[0]))
    for path in candidates:
        try:
            if path.is_file() and _digest(path).hex() == key:
                return path
        except OSError:
            continue
    return None


def _remove_download(path: Path) -> Finding:
    what = f"{path.name} (download)"
    problem = f"its content does not match the sha256 it is filed under ({path.parent.name})"
    try:
        path.unlink()
    except OSError as exc:
        return Finding(what, problem, f"could not remove it: {exc.strerror}", False)
    return Finding(what, problem, "removed (downloaded again when needed)", True)


def _label(found: UnpackedWheel) -> str:
    """``demo 1.0`` from the entry's .dist-info directory name."""
    for f in found.files:
        top = f.path.split("/", 1)[0]
        if top.endswith(".dist-info"):
            name, _, version = top[: -len(".dist-info")].partition("-")
            return f"{name} {version}"
    return found.root.name[:16]


def _digest(path: Path) -> bytes:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").digest()


def _record_form(digest: bytes) -> str:
    """RECORD's form of a sha256: ``sha256=<urlsafe base64, no padding>``."""
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
