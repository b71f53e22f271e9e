"""Wheels unpacked once into the cache, keyed by the wheel's sha256, with a manifest of every
file's hash and size so installs link from here without reading the zip again, and each file's
mtime when it was unpacked: an environment hardlinked to the cache shares its inodes, so an edit
in place there changes the cache's copy, and an entry whose sizes or mtimes moved is unpacked
again before anything links from it (a stat per file; ``cache/verify.py`` checks the hashes)."""

# Annotations are evaluated (no __future__ import): NamedTuple compiles string ones, ms at startup.

import base64
import csv
import hashlib
import io
import json
import os
import stat
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from cove.cache import UNPACKED
from cove.errors import WheelError
from cove.faults import checkpoint

BUCKET = UNPACKED
MANIFEST = ".cove-manifest.json"
STAMPS = ".cove-stamps.json"  # each manifest file's st_mtime_ns as unpacked, in manifest order


class UnpackedFile(NamedTuple):
    path: str  # posix path inside the wheel
    hash: str  # "sha256=<urlsafe b64, no padding>"
    size: int
    executable: bool


class UnpackedWheel(NamedTuple):
    root: Path
    files: tuple[UnpackedFile, ...]
    repaired: tuple[str, ...] = ()  # files found changed in the cache, so unpacked again


def record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def safe_member(name: str, wheel: Path) -> str:
    """A member name that stays inside the unpack directory, or WheelError."""
    bad = (
        not name
        or name.startswith(("/", "\\"))
        or "\\" in name
        or (len(name) > 1 and name[1] == ":")
        or any(part in ("..", "") for part in PurePosixPath(name).parts)
        or "\0" in name
    )
    if bad or ".." in PurePosixPath(name).parts:
        raise WheelError(
            f"{wheel.name} contains an unsafe member path: {name!r}",
            hint="the wheel is malformed or malicious; nothing was installed",
        )
    return name


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _read_manifest(entry: Path) -> UnpackedWheel | None:
    try:
        rows = json.loads((entry / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return UnpackedWheel(entry, tuple(UnpackedFile(*row) for row in rows))


def _extract(wheel: Path, dest: Path) -> list[UnpackedFile]:
    import zipfile  # only needed on a cache miss

    try:
        zf = zipfile.ZipFile(wheel)
    except (OSError, zipfile.BadZipFile) as exc:
        raise WheelError(
            f"{wheel} is not a valid wheel: {exc}", hint="download it again or rebuild it"
        ) from None
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        for info in infos:
            safe_member(info.filename, wheel)
            if stat.S_ISLNK(info.external_attr >> 16):
                raise WheelError(
                    f"{wheel.name} contains a symlink: {info.filename!r}",
                    hint="wheels may not contain links; nothing was installed",
                )
        record_name = next(
            (
                i.filename
                for i in infos
                if i.filename.count("/") == 1 and i.filename.endswith(".dist-info/RECORD")
            ),
            None,
        )
        if record_name is None:
            raise WheelError(f"{wheel.name} has no .dist-info/RECORD", hint="rebuild the wheel")
        expected: dict[str, str] = {}
        rows = csv.reader(io.StringIO(zf.read(record_name).decode("utf-8")))
        for row in rows:
            if row and len(row) >= 2 and row[1]:
                expected[row[0]] = row[1]
        files: list[UnpackedFile] = []
        for info in infos:
            try:
                data = zf.read(info)
            except (zipfile.BadZipFile, OSError, ValueError) as exc:
                raise WheelError(
                    f"{wheel.name} is corrupt at {info.filename!r}: {exc}",
                    hint="download it again or rebuild it",
                ) from None
            digest = record_hash(data)
            want = expected.get(info.filename)
            if want is not None and want.startswith("sha256=") and want != digest:
                raise WheelError(
                    f"{wheel.name}: {info.filename!r} does not match the hash in its RECORD",
                    hint="the wheel is corrupt or was tampered with; nothing was installed",
                )
            target = dest / info.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            mode = info.external_attr >> 16
            executable = stat.S_ISREG(mode) and bool(mode & 0o111)  # pip's rule
            if executable:
                target.chmod(0o755)
            files.append(UnpackedFile(info.filename, digest, len(data), executable))
    return files


def _identity(wheel: Path) -> str:
    """What names this very file: a changed file gets a new mtime (and usually size)."""
    st = os.stat(wheel)
    return f"{os.path.abspath(wheel)}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}\0{st.st_dev}"


def _memo_path(bucket: Path, identity: str) -> Path:
    return bucket / "by-stat" / hashlib.sha256(identity.encode()).hexdigest()[:32]


def _remembered_key(bucket: Path, identity: str) -> str | None:
    """The sha256 worked out the last time this file was unpacked: hashing pip's wheel costs
    every create 3 ms, and hashing a large install's wheels costs more than linking them."""
    try:
        seen, key = json.loads(_memo_path(bucket, identity).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return str(key) if seen == identity else None


def unpack_wheel(wheel: Path, cache_dir: Path) -> UnpackedWheel:
    """The wheel's files in the cache, unpacked on first use (atomically, under a lock), and
    unpacked again when a file there was changed since (see the module's docstring)."""
    bucket = cache_dir / BUCKET
    found = None
    try:
        identity = _identity(wheel)
        key = _remembered_key(bucket, identity)
        if key is not None:
            found = _read_manifest(bucket / key)
        if found is None:
            key = _sha256_file(wheel)
    except OSError as exc:
        raise WheelError(f"cannot read {wheel}: {exc.strerror}", hint="check the path") from None
    assert key is not None
    if found is None:
        found = _unpacked(wheel, bucket, key)
        from cove.cache.files import store

        store(_memo_path(bucket, identity), json.dumps([identity, key]).encode())
    changed = changed_files(found)
    if changed is None or changed:
        found = _unpacked(wheel, bucket, key, keep=lambda entry: changed_files(entry) == [])
        found = found._replace(repaired=tuple(changed or ()))
    return found


def _unpacked(
    wheel: Path,
    bucket: Path,
    key: str,
    keep: Callable[[UnpackedWheel], bool] = lambda entry: True,
) -> UnpackedWheel:
    """The entry for ``key``, extracted from ``wheel`` unless one is there that ``keep``
    accepts (asked again under the lock: another process may have just replaced it)."""
    entry = bucket / key
    found = _read_manifest(entry)
    if found is not None and keep(found):
        return found
    import shutil

    from filelock import FileLock

    bucket.mkdir(parents=True, exist_ok=True)
    with FileLock(str(bucket / f"{key}.lock")):
        found = _read_manifest(entry)
        if found is not None and keep(found):
            return found
        for stale in bucket.glob(f".tmp-{key}-*"):  # left by a killed process: we hold the lock
            shutil.rmtree(stale, ignore_errors=True)
        tmp = bucket / f".tmp-{key}-{os.getpid()}"
        try:
            tmp.mkdir()
            files = _extract(wheel, tmp)
            rows = [[f.path, f.hash, f.size, f.executable] for f in files]
            (tmp / MANIFEST).write_text(json.dumps(rows), encoding="utf-8")
            _stamp(tmp, files)
            checkpoint("unpack")  # killed with a whole entry not yet renamed into place
            if entry.exists():  # stale, or changed since: replace it
                discard(entry)
            os.replace(tmp, entry)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return UnpackedWheel(entry, tuple(files))


def read_entry(entry: Path) -> UnpackedWheel | None:
    """An entry as its manifest describes it (None: it has no readable manifest)."""
    return _read_manifest(entry)


def unpack_again(wheel: Path, entry: Path) -> UnpackedWheel:
    """Replace ``entry`` (named by ``wheel``'s sha256) with the wheel unpacked afresh."""
    return _unpacked(wheel, entry.parent, entry.name, keep=lambda found: False)


def remove_entry(entry: Path) -> None:
    """Take an entry out of the cache under its lock; the next install unpacks it again."""
    from filelock import FileLock

    with FileLock(str(entry.parent / f"{entry.name}.lock")):
        discard(entry)


def discard(entry: Path) -> None:
    """Take an entry away: renamed aside first, so no reader sees it half deleted."""
    import shutil

    aside = entry.with_name(f".trash-{entry.name}-{os.getpid()}-{os.urandom(4).hex()}")
    os.replace(entry, aside)
    shutil.rmtree(aside, ignore_errors=True)


def _stamp(root: Path, files: Sequence[UnpackedFile]) -> None:
    """Note each file's mtime as unpacked, for ``changed_files``."""
    top = str(root)
    stamps = [os.stat(f"{top}/{f.path}").st_mtime_ns for f in files]
    (root / STAMPS).write_text(json.dumps(stamps), encoding="utf-8")


def restamp(entry: UnpackedWheel) -> None:
    """Accept the files as they are now (after their hashes were checked)."""
    _stamp(entry.root, entry.files)


def changed_files(entry: UnpackedWheel) -> list[str] | None:
    """The files whose size or mtime is not what it was when unpacked (one stat each, no
    reading: this runs before every link), or None when the entry has no stamps to tell by."""
    try:
        stamps = json.loads((entry.root / STAMPS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stamps, list) or len(stamps) != len(entry.files):
        return None
    top = str(entry.root)
    changed = []
    for f, mtime in zip(entry.files, stamps, strict=True):
        try:
            st = os.stat(f"{top}/{f.path}")
        except OSError:
            changed.append(f.path)
            continue
        if st.st_size != f.size or st.st_mtime_ns != mtime:
            changed.append(f.path)
    return changed
