"""Unpack a source distribution safely: it is untrusted input. It is read one way only, chosen by
its name (``.zip`` as a zip archive, the tar extensions as tar), and refused when its content is
another format or has a second archive inside. Every member is checked before anything is
written, by cove itself rather than the running Python's tarfile filter; then directories and
files are written through no link, hard links become copies of an earlier file, and symlinks
come last, each only to a place inside the tree once every link among the members is followed.
Set-id and sticky bits are dropped (files become 0644, or 0755 when executable); devices, FIFOs,
sparse files, and links in zip sdists are refused."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple

from cove.archive import ArchiveError, UnpackPolicy

if TYPE_CHECKING:
    from cove.archive.tar import TarMember

Format = Literal["zip", "", "gz", "bz2", "xz"]  # "" is an uncompressed tar

# pip's source archive names, each read one way (.tar.lz and .tlz are read as lzma, as pip does).
_FORMATS: tuple[tuple[str, Format], ...] = (
    (".zip", "zip"),
    (".tar.gz", "gz"),
    (".tgz", "gz"),
    (".tar.bz2", "bz2"),
    (".tbz", "bz2"),
    (".tar.xz", "xz"),
    (".txz", "xz"),
    (".tar.lzma", "xz"),
    (".tar.lz", "xz"),
    (".tlz", "xz"),
    (".tar", ""),
)
_DESCRIBED = {
    "zip": "a zip archive",
    "gz": "a gzip-compressed tar",
    "bz2": "a bzip2-compressed tar",
    "xz": "an xz- or lzma-compressed tar",
    "": "an uncompressed tar",
}
_MAX_HOPS = 40  # symlinks followed while resolving one target, as Linux allows
_MAX_PATH = 4096
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


class SdistError(ArchiveError):
    """A source distribution is malformed or unsafe to unpack."""


class _Node(NamedTuple):
    name: str
    kind: str  # "file", "dir", "symlink" or "hardlink"
    link: str


def sdist_format(filename: str) -> Format | None:
    """How a source archive of this name is read (None: not a name cove reads)."""
    lower = filename.lower()
    return next((fmt for suffix, fmt in _FORMATS if lower.endswith(suffix)), None)


def unpack_sdist(archive: Path, dest: Path, policy: UnpackPolicy | None = None) -> Path:
    """Extract ``archive`` into the new directory ``dest`` and return the project directory
    inside it. On any error nothing stays in ``dest``."""
    policy = policy or UnpackPolicy()
    name = archive.name
    fmt = sdist_format(name)
    if fmt is None:
        raise SdistError(
            f"{name} is not named like a source distribution",
            hint="sdists end in .tar.gz (or .zip, .tar.bz2, .tar.xz, .tar)",
        )
    try:
        with open(archive, "rb") as f:
            head = f.read(512)
    except OSError as exc:
        raise SdistError(f"cannot read {archive}: {exc.strerror}", hint="check the path") from None
    actual = _sniff(head)
    if actual != fmt:
        raise SdistError(
            f"{name} is named as {_DESCRIBED[fmt]} but is "
            + (_DESCRIBED[actual] if actual is not None else "none of the archive formats"),
            hint="cove reads an sdist only as its name says; rename or rebuild the file",
        )
    dest.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    try:
        if fmt == "zip":
            _unpack_zip(archive, dest, policy, written)
        else:
            _unpack_tar(archive, fmt, dest, policy, written)
    except BaseException as exc:
        for path in reversed(written):
            with contextlib.suppress(OSError):
                if path.is_dir() and not path.is_symlink():
                    path.rmdir()
                else:
                    path.unlink()
        if isinstance(exc, OSError):
            raise SdistError(
                f"cannot unpack {name}: {exc}", hint="check the free space and permissions"
            ) from None
        raise
    entries = list(dest.iterdir())
    if len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink():
        return entries[0]
    return dest


def _sniff(head: bytes) -> Format | None:
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"\x1f\x8b"):
        return "gz"
    if head.startswith(b"BZh"):
        return "bz2"
    if head.startswith((b"\xfd7zXZ\x00", b"\x5d\x00\x00")):
        return "xz"
    if head[257:262] == b"ustar":
        return ""
    return None


def _unpack_zip(archive: Path, dest: Path, policy: UnpackPolicy, written: list[Path]) -> None:
    from cove.archive.zip import ZipArchive

    with ZipArchive(archive, policy) as zf:
        nodes = [_Node(m.name, "dir" if m.is_dir else "file", "") for m in zf.members]
        _check_tree(nodes, archive.name)
        make_dir = _dir_maker(dest, written)
        for m in zf.members:
            if m.is_dir:
                make_dir(m.name)
            else:
                _write_file(
                    dest, m.name, zf.chunks(m), bool(m.mode & 0o111), None, make_dir, written
                )


def _unpack_tar(
    archive: Path, fmt: Format, dest: Path, policy: UnpackPolicy, written: list[Path]
) -> None:
    from cove.archive.tar import member_data, read_tar

    assert fmt != "zip"
    members = read_tar(archive, fmt, policy)
    nodes = [_Node(m.name, m.kind, m.link) for m in members]
    targets = _check_tree(nodes, archive.name)
    make_dir = _dir_maker(dest, written)
    with contextlib.closing(member_data(archive, fmt, members, policy)) as data:
        _write_tar(dest, members, data, targets, make_dir, written)


def _write_tar(
    dest: Path,
    members: list[TarMember],
    data: Iterator[tuple[TarMember, Iterator[bytes]]],
    targets: dict[str, str],
    make_dir: Callable[[str], None],
    written: list[Path],
) -> None:
    """Directories, files and hard links in archive order, then the symlinks."""
    for m in members:
        if m.kind == "dir":
            make_dir(m.name)
        elif m.kind == "file":
            member, pieces = next(data)
            assert member is m
            _write_file(dest, m.name, pieces, bool(m.mode & 0o111), m.mtime, make_dir, written)
        elif m.kind == "hardlink":  # a copy of the earlier file it names
            parent, _, _ = m.name.rpartition("/")
            make_dir(parent)
            source = dest / targets[m.name]
            with open(source, "rb") as f:
                chunks = iter(lambda: f.read(1 << 20), b"")
                executable = bool(os.stat(source).st_mode & 0o100)
                _write_file(dest, m.name, chunks, executable, m.mtime, make_dir, written)
    for m in members:
        if m.kind == "symlink":
            parent, _, _ = m.name.rpartition("/")
            make_dir(parent)
            os.symlink(m.link, dest / m.name)
            written.append(dest / m.name)


def _check_tree(nodes: list[_Node], label: str) -> dict[str, str]:
    """SdistError unless the members form a tree that stays inside the unpack directory; the
    target of each hard link, by the link's name."""

    def refuse(reason: str) -> SdistError:
        return SdistError(
            f"{label} has an unsafe member: {reason}",
            hint="the file is malformed or malicious; nothing was built",
        )

    by_name: dict[str, _Node] = {}
    for node in nodes:
        prior = by_name.get(node.name)
        if prior is not None and not (prior.kind == node.kind == "dir"):
            raise refuse(f"{node.name!r} appears twice")
        by_name[node.name] = node
    for node in by_name.values():
        parts = node.name.split("/")
        for i in range(1, len(parts)):
            above = by_name.get("/".join(parts[:i]))
            if above is not None and above.kind != "dir":
                raise refuse(f"{node.name!r} lies under {above.name!r}, a {above.kind}")
    links = {n.name: n.link for n in by_name.values() if n.kind == "symlink"}
    files: set[str] = set()
    hardlinks: dict[str, str] = {}
    for node in nodes:
        if node.kind == "file":
            files.add(node.name)
        elif node.kind == "symlink":
            base = node.name.split("/")[:-1]
            if _resolve(base, node.link, links) is None:
                raise refuse(f"the symlink {node.name!r} points outside the tree ({node.link!r})")
        elif node.kind == "hardlink":
            target = node.link
            while target.startswith("./"):
                target = target[2:]
            if target not in files:
                raise refuse(
                    f"the hard link {node.name!r} does not name an earlier file ({node.link!r})"
                )
            hardlinks[node.name] = target
    return hardlinks


def _resolve(base: list[str], target: str, links: dict[str, str]) -> list[str] | None:
    """Where ``target``, written in the directory ``base``, leads once every symlink among the
    members is followed component by component, as the kernel would, but on paper: None when
    it leaves the tree, is absolute, loops or grows past PATH_MAX."""
    stack = list(base)
    todo = list(reversed(target.split("/")))
    hops = 0
    if target.startswith("/") or "\\" in target or (len(target) > 1 and target[1] == ":"):
        return None
    while todo:
        part = todo.pop()
        if part in ("", "."):
            continue
        if part == "..":
            if not stack:
                return None
            stack.pop()
            continue
        stack.append(part)
        link = links.get("/".join(stack))
        if link is None:
            continue
        hops += 1
        if hops > _MAX_HOPS or link.startswith("/") or "\\" in link:
            return None
        stack.pop()
        todo.extend(reversed(link.split("/")))
        if sum(map(len, stack)) + sum(map(len, todo)) > _MAX_PATH:
            return None
    return stack


def _dir_maker(dest: Path, written: list[Path]) -> Callable[[str], None]:
    made: set[str] = {""}

    def make_dir(name: str) -> None:
        if name in made:
            return
        parent, _, _ = name.rpartition("/")
        make_dir(parent)
        path = dest / name
        os.mkdir(path, 0o755)
        written.append(path)
        made.add(name)

    return make_dir


def _write_file(
    dest: Path,
    name: str,
    pieces: Iterable[bytes] | Iterator[bytes],
    executable: bool,
    mtime: int | None,
    make_dir: Callable[[str], None],
    written: list[Path],
) -> None:
    parent, _, _ = name.rpartition("/")
    make_dir(parent)
    path = dest / name
    fd = os.open(
        path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o755 if executable else 0o644
    )
    written.append(path)
    with os.fdopen(fd, "wb") as out:
        for piece in pieces:
            out.write(piece)
    if mtime is not None:
        with contextlib.suppress(OSError, OverflowError, ValueError):
            os.utime(path, (mtime, mtime))
