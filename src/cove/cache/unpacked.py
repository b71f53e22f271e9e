"""Wheels unpacked once into the cache, keyed by the wheel's sha256, with a manifest of every
file's hash and size so installs link from here without reading the zip again.

A wheel is untrusted: its zip structure is checked by cove.archive.zip, its members are streamed
to disk within the unpack limits, and it must agree with itself where pip does not look: its
RECORD lists every file with the right hash and size and nothing else, and its .dist-info
directory and METADATA carry the name and version of its file name.

Each file's mtime as unpacked is kept too: an environment hardlinked to the cache shares its
inodes, so an edit in place there changes the cache's copy, and an entry whose sizes or mtimes
moved is unpacked again before anything links from it (a stat per file; ``cache/verify.py``
checks the hashes). An install may leave that stat to the link (``defer_check``): the entry then
carries its stamps, each file is checked just before it is linked (by whichever process links
it), and a change raises ``EntryChanged`` for the caller to undo, repair and link again."""

# Annotations are evaluated (no __future__ import): NamedTuple compiles string ones, ms at startup.

import base64
import csv
import hashlib
import io
import json
import os
import stat
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from cove.archive import ArchiveError, UnpackPolicy, member_path
from cove.cache import UNPACKED
from cove.errors import WheelError
from cove.faults import checkpoint

if TYPE_CHECKING:  # a cache hit never reads the zip
    from cove.archive.zip import ZipArchive, ZipMember

BUCKET = UNPACKED
MANIFEST = ".cove-manifest.json"
STAMPS = ".cove-stamps.json"  # each manifest file's st_mtime_ns as unpacked, in manifest order
_SIGNATURES = ("RECORD.jws", "RECORD.p7s")  # may be missing from RECORD (they sign it)
_HASHES = ("sha256", "sha384", "sha512", "sha3_256", "sha3_384", "sha3_512", "blake2b", "blake2s")
_MAX_INFO_FILE = 64 << 20  # RECORD and METADATA are read into memory: a sane bound
_REFUSED = "pip would install this wheel; cove refuses it because"


class UnpackedFile(NamedTuple):
    path: str  # posix path inside the wheel
    hash: str  # "sha256=<urlsafe b64, no padding>"
    size: int
    executable: bool


class UnpackedWheel(NamedTuple):
    root: Path
    files: tuple[UnpackedFile, ...]
    repaired: tuple[str, ...] = ()  # files found changed in the cache, so unpacked again
    executable_pth: tuple[str, ...] = ()  # .pth files that run code when Python starts
    # Each file's mtime as unpacked, in ``files`` order, when the check against them is left to
    # the link (``unpack_wheel(defer_check=True)``); empty: checked already.
    stamps: tuple[int, ...] = ()


class EntryChanged(WheelError):
    """A file of a cache entry is not as it was unpacked, found just before it was linked."""

    def __init__(self, wheel: str, path: str) -> None:
        super().__init__(
            f"the cache's copy of {wheel} changed while it was being installed ({path})",
            hint="nothing was changed; run the command again",
        )
        self.wheel = wheel
        self.path = path


def record_hash(data: bytes) -> str:
    return _encode("sha256", hashlib.sha256(data).digest())


def _encode(algo: str, digest: bytes) -> str:
    return f"{algo}=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def safe_member(name: str, wheel: Path) -> str:
    """A member name that stays inside the unpack directory, or WheelError."""
    try:
        return member_path(name, wheel.name)
    except ArchiveError as exc:
        raise WheelError(exc.message, hint=exc.hint) from None


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _read_manifest(entry: Path) -> UnpackedWheel | None:
    try:
        data = json.loads((entry / MANIFEST).read_text(encoding="utf-8"))
        files = tuple(UnpackedFile(*row) for row in data["files"])
        return UnpackedWheel(entry, files, executable_pth=tuple(data["executable_pth"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _refused(wheel: Path, reason: str) -> WheelError:
    return WheelError(
        f"{_REFUSED} {reason} ({wheel.name})",
        hint="the wheel is malformed or was altered after it was built; nothing was installed",
    )


def _extract(wheel: Path, dest: Path, policy: UnpackPolicy) -> UnpackedWheel:
    from cove.archive.zip import ZipArchive

    try:
        with ZipArchive(wheel, policy) as archive:
            members = [m for m in archive.members if not m.is_dir]
            names = {m.name for m in members}
            dist_info = _dist_info(wheel, names)
            record = _read_small(archive, members, f"{dist_info}/RECORD", wheel)
            if record is None:
                raise WheelError(
                    f"{wheel.name} has no {dist_info}/RECORD", hint="rebuild the wheel"
                )
            expected = _parse_record(record, dist_info, names, wheel)
            metadata = _read_small(archive, members, f"{dist_info}/METADATA", wheel)
            _check_metadata(metadata, wheel)
            dirs: set[str] = set()
            for name in names:
                parent = name.rpartition("/")[0]
                while parent and parent not in dirs:
                    dirs.add(parent)
                    parent = parent.rpartition("/")[0]
            top = os.fspath(dest)  # paths as strings: a Path per file is most of the Python
            for d in sorted(dirs):  # parents first
                if d in names:
                    raise WheelError(
                        f"{wheel.name} has {d!r} both as a file and as a directory",
                        hint="the wheel is malformed; nothing was installed",
                    )
                os.mkdir(f"{top}/{d}")
            files: list[UnpackedFile] = []
            for m in members:
                files.append(_write(archive, m, top, expected.get(m.name), wheel))
    except ArchiveError as exc:
        raise WheelError(exc.message, hint=exc.hint) from None
    pth = tuple(f.path for f in files if _runs_code(f.path, dest))
    return UnpackedWheel(dest, tuple(files), executable_pth=pth)


def _dist_info(wheel: Path, names: set[str]) -> str:
    """The one .dist-info directory, named for the wheel's own name and version."""
    from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
    from packaging.version import InvalidVersion, Version

    try:
        project, version, _build, _tags = parse_wheel_filename(wheel.name)
    except InvalidWheelFilename as exc:
        raise WheelError(
            f"{wheel.name} is not a valid wheel file name: {exc}",
            hint="wheels are named NAME-VERSION-PYTHON-ABI-PLATFORM.whl",
        ) from None
    tops = {n.split("/", 1)[0] for n in names if "/" in n}
    found = sorted(t for t in tops if t.endswith(".dist-info"))
    if len(found) != 1:
        raise WheelError(
            f"{wheel.name} must have exactly one .dist-info directory, found {len(found)}",
            hint="rebuild the wheel",
        )
    dist_info = found[0]
    stem, _, info_version = dist_info[: -len(".dist-info")].rpartition("-")
    try:
        same = canonicalize_name(stem) == project and Version(info_version) == version
    except InvalidVersion:
        same = False
    if not same:
        raise _mismatch(wheel, f"its {dist_info} directory is not named for {project} {version}")
    return dist_info


def _mismatch(wheel: Path, reason: str) -> WheelError:
    return WheelError(
        f"{wheel.name} is refused: {reason}",
        hint="the wheel was renamed or built wrong; nothing was installed",
    )


def _read_small(
    archive: "ZipArchive", members: list["ZipMember"], name: str, wheel: Path
) -> bytes | None:
    member = next((m for m in members if m.name == name), None)
    if member is None:
        return None
    if member.size > _MAX_INFO_FILE:
        raise _refused(wheel, f"its {name} is {member.size:,} bytes")
    return b"".join(archive.chunks(member))


def _parse_record(
    data: bytes, dist_info: str, names: set[str], wheel: Path
) -> dict[str, tuple[str, str, int]]:
    """path -> (hash algorithm, urlsafe b64 digest, size) for every file RECORD lists, which
    must be every file the wheel has (RECORD itself and its signatures excepted)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _refused(wheel, "its RECORD is not UTF-8") from None
    record = f"{dist_info}/RECORD"
    unlisted = {record, *(f"{dist_info}/{s}" for s in _SIGNATURES)}
    expected: dict[str, tuple[str, str, int]] = {}
    for row in csv.reader(io.StringIO(text)):
        if not row:
            continue
        if len(row) != 3:
            raise _refused(wheel, f"its RECORD has a row of {len(row)} fields: {row!r}")
        path, digest, size = row
        try:
            member_path(path, wheel.name)
        except ArchiveError:
            raise _refused(wheel, f"its RECORD lists the unsafe path {path!r}") from None
        if path in expected:
            raise _refused(wheel, f"its RECORD lists {path!r} twice")
        if path in unlisted:
            expected[path] = ("", "", 0)
            continue
        if path not in names:
            raise _refused(wheel, f"its RECORD lists {path!r}, which the wheel does not contain")
        algo, _, value = digest.partition("=")
        if algo not in _HASHES or not value:
            raise _refused(wheel, f"its RECORD gives {path!r} no usable hash ({digest!r})")
        if not size.isdigit():
            raise _refused(wheel, f"its RECORD gives {path!r} no size ({size!r})")
        expected[path] = (algo, value.rstrip("="), int(size))
    missing = sorted(names - expected.keys() - unlisted)
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        raise _refused(wheel, f"its RECORD does not list {missing[0]!r}{more}")
    return expected


def _check_metadata(metadata: bytes | None, wheel: Path) -> None:
    from packaging.utils import canonicalize_name, parse_wheel_filename
    from packaging.version import InvalidVersion, Version

    from cove.headers import read_headers

    project, version = parse_wheel_filename(wheel.name)[:2]
    if metadata is None:
        raise WheelError(f"{wheel.name} has no METADATA", hint="rebuild the wheel")
    headers = read_headers(metadata.decode("utf-8", "replace"))
    name, given = headers.get("Name", ""), headers.get("Version", "")
    try:
        same = canonicalize_name(name) == project and Version(given) == version
    except InvalidVersion:
        same = False
    if not same:
        said = f"{name or '(no name)'} {given or '(no version)'}"
        raise _mismatch(wheel, f"its METADATA says {said}, its file name {project} {version}")


def _write(
    archive: "ZipArchive",
    member: "ZipMember",
    top: str,
    expected: tuple[str, str, int] | None,
    wheel: Path,
) -> UnpackedFile:
    """Stream one member to disk under ``top`` (a new directory of cove's own), hashing as it
    goes, and hold it to its RECORD row."""

    algo, want, want_size = expected or ("", "", 0)  # None: RECORD itself or a signature
    sha256 = hashlib.sha256()
    other = hashlib.new(algo) if algo not in ("", "sha256") else None
    size = 0
    target = f"{top}/{member.name}"
    # Unbuffered, created here or refused: pieces are up to 1 MiB already, and a buffered
    # file costs each of a wheel's thousands of files an isatty probe and a buffer.
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    with open(fd, "wb", buffering=0) as out:
        for piece in archive.chunks(member):
            sha256.update(piece)
            if other is not None:
                other.update(piece)
            size += len(piece)
            view = memoryview(piece)
            while view:
                view = view[out.write(view) :]
    digest = sha256.digest()
    if algo:
        got = other.digest() if other is not None else digest
        if _encode(algo, got) != f"{algo}={want}":
            raise _refused(wheel, f"{member.name!r} does not match the hash in its RECORD")
        if size != want_size:
            raise _refused(
                wheel, f"{member.name!r} is {size:,} bytes, its RECORD says {want_size:,}"
            )
    executable = stat.S_ISREG(member.mode) and bool(member.mode & 0o111)  # pip's rule
    if executable:
        os.chmod(target, 0o755)
    return UnpackedFile(member.name, _encode("sha256", digest), size, executable)


def _runs_code(path: str, root: Path) -> bool:
    """Whether ``path`` is a .pth file that lands in site-packages with a line site.py runs."""
    top, _, rest = path.partition("/")
    in_site = "/" not in path or (
        top.endswith(".data") and rest.count("/") == 1 and rest.startswith(("purelib/", "platlib/"))
    )
    if not (in_site and path.endswith(".pth")):
        return False
    data = (root / path).read_bytes().removeprefix(b"\xef\xbb\xbf")
    return any(line.startswith((b"import ", b"import\t")) for line in data.splitlines())


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


def unpack_wheel(
    wheel: Path, cache_dir: Path, policy: UnpackPolicy | None = None, *, defer_check: bool = False
) -> UnpackedWheel:
    """The wheel's files in the cache, unpacked on first use (atomically, under a lock) within
    ``policy``'s limits, and unpacked again when a file there was changed since (see the module's
    docstring); WheelError for a wheel that fails a check, leaving no entry behind.
    ``defer_check``: only the files an install reads (its .dist-info and scripts) are checked
    here, the others by the link (the entry comes back with its ``stamps``)."""
    policy = policy or UnpackPolicy()
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
        found = _unpacked(wheel, bucket, key, policy)
        from cove.cache.files import store

        store(_memo_path(bucket, identity), json.dumps([identity, key]).encode())
    stamps = _stamps(found)
    changed = None
    if stamps is not None:
        changed = _changed(found, stamps, _read_now if defer_check else None)
        if not changed and defer_check:
            found = found._replace(stamps=stamps)
    if changed is None or changed:
        found = _unpacked(wheel, bucket, key, policy, keep=lambda entry: changed_files(entry) == [])
        found = found._replace(repaired=tuple(changed or ()))
    if policy.refuse_executable_pth and found.executable_pth:
        raise WheelError(
            f"{wheel.name} installs {found.executable_pth[0]}, a .pth file that runs code "
            "every time Python starts, and refuse-executable-pth is set",
            hint="install it anyway with COVE_REFUSE_EXECUTABLE_PTH=0, or pick another package",
        )
    return found


def _unpacked(
    wheel: Path,
    bucket: Path,
    key: str,
    policy: UnpackPolicy,
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
            unpacked = _extract(wheel, tmp, policy)
            rows = [[f.path, f.hash, f.size, f.executable] for f in unpacked.files]
            manifest = {"files": rows, "executable_pth": list(unpacked.executable_pth)}
            (tmp / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
            _stamp(tmp, unpacked.files)
            checkpoint("unpack")  # killed with a whole entry not yet renamed into place
            if entry.exists():  # stale, or changed since: replace it
                discard(entry)
            os.replace(tmp, entry)
        except OSError as exc:
            raise WheelError(
                f"cannot unpack {wheel.name} into the cache: {exc}",
                hint="check the free space and permissions of the cache directory",
            ) from None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return unpacked._replace(root=entry)


def read_entry(entry: Path) -> UnpackedWheel | None:
    """An entry as its manifest describes it (None: it has no readable manifest)."""
    return _read_manifest(entry)


def unpack_again(wheel: Path, entry: Path, policy: UnpackPolicy | None = None) -> UnpackedWheel:
    """Replace ``entry`` (named by ``wheel``'s sha256) with the wheel unpacked afresh."""
    return _unpacked(
        wheel, entry.parent, entry.name, policy or UnpackPolicy(), keep=lambda found: False
    )


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


def _stamps(entry: UnpackedWheel) -> tuple[int, ...] | None:
    """The entry's files' mtimes as unpacked; None when it has none to tell by."""
    try:
        stamps = json.loads((entry.root / STAMPS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stamps, list) or len(stamps) != len(entry.files):
        return None
    return tuple(stamps)


def _read_now(path: str) -> bool:
    """Whether an install reads this file before it links anything (to lay the wheel out):
    its .dist-info (WHEEL, METADATA, entry points) and its scripts (rewritten, not linked)."""
    top, _, rest = path.partition("/")
    return top.endswith(".dist-info") or (top.endswith(".data") and rest.startswith("scripts/"))


def changed_files(entry: UnpackedWheel) -> list[str] | None:
    """The files whose size or mtime is not what it was when unpacked (one stat each, no
    reading: this runs before every link), or None when the entry has no stamps to tell by."""
    stamps = _stamps(entry)
    return None if stamps is None else _changed(entry, stamps)


def _changed(
    entry: UnpackedWheel, stamps: Sequence[int], only: Callable[[str], bool] | None = None
) -> list[str]:
    """The files (``only`` those it accepts) whose size or mtime is not its stamp's."""
    top = str(entry.root)
    changed = []
    for f, mtime in zip(entry.files, stamps, strict=True):
        if only is not None and not only(f.path):
            continue
        try:
            st = os.stat(f"{top}/{f.path}")
        except OSError:
            changed.append(f.path)
            continue
        if st.st_size != f.size or st.st_mtime_ns != mtime:
            changed.append(f.path)
    return changed
