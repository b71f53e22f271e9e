"""A tar archive read strictly, by cove itself rather than the running Python's tarfile (whose
extraction filters could be bypassed before CPython 3.11.13, 3.12.11 and 3.13.4): POSIX ustar,
pax and GNU headers with their checksums, one compressed stream with nothing after it, sizes
bounded while decompressing. Only files, directories, symlinks and hard links are accepted;
what links may point at is the caller's decision."""

# Annotations are evaluated (no __future__ import): NamedTuple compiles string ones, ms at startup.

import re
import zlib
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Literal, NamedTuple, Protocol

from cove.archive import ArchiveError, UnpackPolicy, check_totals, member_path

if TYPE_CHECKING:
    import bz2
    import lzma

Compression = Literal["", "gz", "bz2", "xz"]
Kind = Literal["file", "dir", "symlink", "hardlink"]

_BLOCK = 512
_ZERO_BLOCK = bytes(_BLOCK)
_CHUNK = 1 << 20
_MAX_EXTENDED = 1 << 20  # a pax or GNU long-name header larger than this is refused
_MAX_HOPS = 40  # links followed while resolving one path, as Linux allows
_POSIX, _GNU = b"ustar\x0000", b"ustar  \x00"
_FILE_TYPES = (b"0", b"\0", b"7")
_KINDS: dict[bytes, Kind] = {b"5": "dir", b"2": "symlink", b"1": "hardlink"}
_PAX_RECORD = re.compile(rb"([0-9]{1,20}) ")


class TarMember(NamedTuple):
    name: str  # a checked member path ("./" and a directory's trailing "/" dropped)
    kind: Kind
    mode: int  # permission bits as archived (the caller decides what to keep)
    size: int  # bytes of data (files only)
    mtime: int
    link: str  # a link's target as archived ("" for files and directories)
    data_offset: int  # where the data starts in the uncompressed stream


class _Stream:
    """The archive's uncompressed bytes, read forward only; ArchiveError before more than the
    policy allows is decompressed, on corrupt data, and on anything after the compressed
    stream ends other than zero padding."""

    def __init__(
        self, raw: BinaryIO, compression: Compression, label: str, size: int, policy: UnpackPolicy
    ) -> None:
        self._raw = raw
        self._label = label
        self._archive_size = size
        self._policy = policy
        self._buf = b""
        self._at = 0  # read position within _buf
        self.pos = 0  # bytes of the uncompressed stream consumed
        self.files = 0  # members seen so far, counted against the policy
        self._ended = False
        self._gzip: zlib._Decompress | None = None
        self._other: bz2.BZ2Decompressor | lzma.LZMADecompressor | None = None
        if compression == "gz":
            self._gzip = zlib.decompressobj(zlib.MAX_WBITS | 16)  # the gzip wrapper, checked
        elif compression:
            module = "bz2" if compression == "bz2" else "lzma"
            try:
                if module == "bz2":
                    from bz2 import BZ2Decompressor

                    self._other = BZ2Decompressor()
                else:
                    from lzma import LZMADecompressor

                    self._other = LZMADecompressor()
            except ImportError:
                raise ArchiveError(
                    f"cannot unpack {label}: this Python was built without the {module} module",
                    hint="use a Python that has it, or an sdist in another format",
                ) from None

    def _error(self, reason: str) -> ArchiveError:
        return ArchiveError(
            f"{self._label} is not a well-formed tar archive: {reason}",
            hint="the file is malformed or malicious; nothing was unpacked",
        )

    def _more(self) -> bytes:
        """The next piece of uncompressed data (b"" at the end)."""
        if self._ended:
            return b""
        gzip, other = self._gzip, self._other
        decompressor = gzip or other
        if decompressor is None:
            piece = self._raw.read(_CHUNK)
            self._ended = not piece
            return piece
        while not decompressor.eof:
            if gzip is not None:  # zlib hands back the input it could not take yet
                data = gzip.unconsumed_tail or self._raw.read(_CHUNK)
                at_end = not data
            else:  # bz2 and lzma keep it themselves
                assert other is not None
                data = self._raw.read(_CHUNK) if other.needs_input else b""
                at_end = other.needs_input and not data
            try:
                piece = decompressor.decompress(data, _CHUNK)
            except (zlib.error, OSError, EOFError, ValueError) as exc:  # lzma.LZMAError: OSError
                raise self._error(f"its compressed data is corrupt ({exc})") from None
            if piece:
                return piece
            if at_end and not decompressor.eof:
                raise self._error("the compressed data is cut off")
        # The compressed stream ended: only zero padding may follow it.
        rest = decompressor.unused_data
        while True:
            if rest.strip(b"\0"):
                raise self._error("data follows the compressed stream (a second archive?)")
            rest = self._raw.read(_CHUNK)
            if not rest:
                break
        self._ended = True
        return b""

    def read(self, n: int) -> bytes:
        """Exactly ``n`` bytes, or fewer at the end of the stream."""
        self.bound(self.pos + n)
        out = []
        need = n
        while need:
            if self._at == len(self._buf):
                self._buf, self._at = self._more(), 0
                if not self._buf:
                    break
            piece = self._buf[self._at : self._at + need]
            self._at += len(piece)
            need -= len(piece)
            out.append(piece)
        data = b"".join(out)
        self.pos += len(data)
        return data

    def chunks(self, n: int) -> Iterator[bytes]:
        """The next ``n`` bytes a piece at a time; ArchiveError if the stream ends first."""
        while n:
            piece = self.read(min(n, _CHUNK))
            if not piece:
                raise self._error("it ends inside a member's data")
            n -= len(piece)
            yield piece

    def skip(self, n: int) -> None:
        for _ in self.chunks(n):
            pass

    def bound(self, end: int) -> None:
        """ArchiveError if the uncompressed stream would reach ``end`` bytes against the policy."""
        check_totals(self._label, self.files, end, self._archive_size, self._policy)

    def finish(self) -> None:
        """After the end-of-archive blocks: nothing but zeros to the end of the file."""
        while True:
            piece = self.read(_CHUNK)
            if not piece:
                return
            if piece.strip(b"\0"):
                raise self._error("data follows the end of the archive (a second archive?)")


def read_tar(path: Path, compression: Compression, policy: UnpackPolicy) -> list[TarMember]:
    """Every member of the archive, checked, in archive order (nothing is written)."""
    label = path.name
    with open(path, "rb") as raw:
        size = _file_size(raw)
        stream = _Stream(raw, compression, label, size, policy)
        members = list(_members(stream, label))
        stream.finish()
    return members


def member_data(
    path: Path, compression: Compression, members: list[TarMember], policy: UnpackPolicy
) -> Generator[tuple[TarMember, Iterator[bytes]], None, None]:
    """Each file member of ``members`` (as read_tar returned them) with its bytes, in order;
    consume each piece iterator before asking for the next member."""
    with open(path, "rb") as raw:
        stream = _Stream(raw, compression, path.name, _file_size(raw), policy)
        stream.files = len(members)
        for member in members:
            if member.kind != "file":
                continue
            stream.skip(member.data_offset - stream.pos)
            yield member, stream.chunks(member.size)


def _file_size(raw: BinaryIO) -> int:
    import os

    return os.fstat(raw.fileno()).st_size


def _members(stream: _Stream, label: str) -> Iterator[TarMember]:
    def error(reason: str, member: str | None = None) -> ArchiveError:
        where = f" at {member!r}" if member is not None else ""
        return ArchiveError(
            f"{label} is not a well-formed tar archive{where}: {reason}",
            hint="the file is malformed or malicious; nothing was unpacked",
        )

    pax: dict[str, str] = {}
    long_name: str | None = None
    long_link: str | None = None
    first = True
    while True:
        block = stream.read(_BLOCK)
        if len(block) < _BLOCK:
            raise error("it ends without the end-of-archive blocks")
        if block == _ZERO_BLOCK:
            if pax or long_name is not None or long_link is not None:
                raise error("an extended header is followed by no member")
            if stream.read(_BLOCK) not in (_ZERO_BLOCK, b""):
                raise error("a single zero block is followed by more data")
            return
        magic = block[257:265]
        if magic not in (_POSIX, _GNU) or not _checksum_ok(block):
            raise error(
                "not a POSIX or GNU tar header"
                if first
                else "a header is corrupt (its checksum or format is wrong)"
            )
        first = False
        typeflag = block[156:157]
        raw_name = _cstring(block[0:100])
        if magic == _POSIX and block[345]:
            raw_name = _cstring(block[345:500]) + b"/" + raw_name
        name = _text(raw_name, label)
        size = _number(block[124:136], name, error)
        if typeflag in (b"x", b"g", b"L", b"K"):
            if size > _MAX_EXTENDED:
                raise error(f"an extended header of {size:,} bytes", name)
            data = b"".join(stream.chunks(size))
            stream.skip(-size % _BLOCK)
            if typeflag == b"x":
                if pax:
                    raise error("two pax headers for one member", name)
                pax = _pax_records(data, label, error)
            elif typeflag == b"g":
                records = _pax_records(data, label, error)
                if {"path", "linkpath", "size"} & records.keys():
                    raise error("a global pax header renames or resizes every member")
            elif typeflag == b"L":
                if long_name is not None:
                    raise error("two long names for one member")
                long_name = _text(_cstring(data), label)
            else:
                if long_link is not None:
                    raise error("two long link names for one member")
                long_link = _text(_cstring(data), label)
            continue
        if "path" in pax and long_name is not None:
            raise error("a member has both a pax and a GNU long name", name)
        name = pax.get("path", long_name if long_name is not None else name)
        link = pax.get(
            "linkpath",
            long_link if long_link is not None else _text(_cstring(block[157:257]), label),
        )
        if "size" in pax:
            declared = pax["size"]
            if not declared.isdigit():
                raise error(f"a pax size of {declared!r}", name)
            # The header's own size must agree (or be unset when too large for it), or two tar
            # readers would see two different archives.
            if int(declared) != size and not (size == 0 and int(declared) >= 8**11):
                raise error(
                    f"the pax header says {int(declared):,} bytes, the tar header {size:,}", name
                )
            size = int(declared)
        if any(key.startswith("GNU.sparse.") for key in pax):
            raise error("sparse files are not supported", name)
        mtime = _mtime(pax.get("mtime"), block, name, error)
        pax, long_name, long_link = {}, None, None
        if typeflag in _FILE_TYPES:
            kind: Kind = "file"
            if typeflag == b"\0" and name.endswith("/"):
                kind = "dir"  # an old-style directory entry
        elif typeflag in _KINDS:
            kind = _KINDS[typeflag]
        elif typeflag in (b"3", b"4", b"6"):
            raise error("the member is a device or FIFO", name)
        else:
            raise error(f"unsupported entry type {typeflag!r}", name)
        if kind != "file" and size:
            raise error(f"a {kind} entry holds {size:,} bytes of data", name)
        if kind in ("symlink", "hardlink") and not link:
            raise error("a link with no target", name)
        if "\0" in link:
            raise error("a link target with a NUL byte", name)
        stripped = name
        while stripped.startswith("./"):
            stripped = stripped[2:]
        if stripped in ("", ".") and kind == "dir":
            continue  # the archive's root itself
        stream.files += 1
        stream.bound(stream.pos + size)
        path = member_path(stripped, label)
        mode = _number(block[100:108], name, error) & 0o7777
        yield TarMember(path, kind, mode, size, mtime, link, stream.pos)
        stream.skip(size + (-size % _BLOCK))


def _checksum_ok(block: bytes) -> bool:
    field = _cstring(block[148:156]).strip(b" ")
    if not field or not all(48 <= c <= 55 for c in field):
        return False
    stored = int(field, 8)
    header = block[:148] + b" " * 8 + block[156:]
    unsigned = sum(header)
    signed = sum(c - 256 if c > 127 else c for c in header)
    return stored in (unsigned, signed)


def _cstring(field: bytes) -> bytes:
    end = field.find(b"\0")
    return field if end < 0 else field[:end]


def _text(raw: bytes, label: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ArchiveError(
            f"{label} has a member name that is not valid UTF-8: {raw!r}",
            hint="the file is malformed; nothing was unpacked",
        ) from None


def _number(field: bytes, name: str, error: "_ErrorFactory") -> int:
    """An octal header number, or GNU's base-256 form (never negative)."""
    if field[:1] == b"\x80":
        return int.from_bytes(field[1:], "big")
    if field[:1] == b"\xff":
        raise error("a negative number in a header", name)
    digits = field.replace(b"\0", b" ").strip(b" ")
    if not digits:
        return 0
    if not all(48 <= c <= 55 for c in digits):
        raise error(f"a header number {field!r} that is not octal", name)
    return int(digits, 8)


class _ErrorFactory(Protocol):
    def __call__(self, reason: str, member: str | None = None) -> ArchiveError: ...


def _mtime(value: str | None, block: bytes, name: str, error: _ErrorFactory) -> int:
    if value is not None:
        try:
            return int(float(value))
        except ValueError:
            raise error(f"a pax mtime of {value!r}", name) from None
    return _number(block[136:148], name, error)


def _pax_records(data: bytes, label: str, error: _ErrorFactory) -> dict[str, str]:
    """``LENGTH KEY=VALUE\\n`` records; every length must add up exactly."""
    records: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        match = _PAX_RECORD.match(data, pos)
        length = int(match.group(1)) if match else 0
        record = data[pos : pos + length]
        if match is None or length <= match.end() - pos or len(record) != length:
            raise error("a malformed pax header")
        if not record.endswith(b"\n") or b"=" not in record:
            raise error("a malformed pax header")
        key, _, value = record[match.end() - pos : -1].partition(b"=")
        try:
            text_key, text_value = key.decode("utf-8"), value.decode("utf-8")
        except UnicodeDecodeError:
            raise error("a pax header that is not valid UTF-8") from None
        if text_key == "hdrcharset" or "\0" in text_value:
            raise error("a pax header with binary values")
        if text_key in records and text_key in ("path", "linkpath", "size"):
            raise error(f"a pax header that sets {text_key} twice")
        records[text_key] = text_value
        pos += length
    return records
