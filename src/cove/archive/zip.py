"""A ZIP archive read strictly, with struct, not zipfile: every central directory entry must match
its local header (name, flags, compression, CRC, sizes), the entries must cover the file from its
first byte to the central directory with nothing hidden between them, exactly one end record
must close it, and each member inflates to exactly its declared size and CRC."""

# Annotations are evaluated (no __future__ import): NamedTuple compiles string ones, ms at startup.

import os
import stat
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple, Protocol

from cove.archive import ArchiveError, UnpackPolicy, check_totals, member_path

_END = struct.Struct("<4s4H2LH")  # end of central directory record (22 bytes)
_LOCATOR = struct.Struct("<4sLQL")  # zip64 end of central directory locator (20 bytes)
_END64 = struct.Struct("<4sQ2H2L4Q")  # zip64 end of central directory record (56 bytes)
_CENTRAL = struct.Struct("<4s6H3L5H2L")  # central directory file header (46 bytes)
_LOCAL = struct.Struct("<4s5H3L2H")  # local file header (30 bytes)
_END_SIG, _LOCATOR_SIG, _END64_SIG = b"PK\x05\x06", b"PK\x06\x07", b"PK\x06\x06"
_CENTRAL_SIG, _LOCAL_SIG, _DESCRIPTOR_SIG = b"PK\x01\x02", b"PK\x03\x04", b"PK\x07\x08"
_ZIP64_EXTRA, _UNICODE_PATH_EXTRA = 0x0001, 0x7075
_ENCRYPTED, _DESCRIPTOR, _STRONG_ENCRYPTION, _UTF8, _MASKED = 0x1, 0x8, 0x40, 0x800, 0x2000
_CHECKED_FLAGS = _ENCRYPTED | _DESCRIPTOR | _UTF8  # must agree between the two headers
_STORED, _DEFLATED = 0, 8
_CHUNK = 1 << 20


class ZipMember(NamedTuple):
    name: str  # a checked member path, without the trailing "/" of a directory
    is_dir: bool
    mode: int  # unix mode from the external attributes (0 when the zip carries none)
    method: int  # _STORED or _DEFLATED
    crc: int
    compressed_size: int
    size: int
    data_offset: int  # where the member's compressed bytes start in the file (-1: not read yet)


class RandomAccess(Protocol):
    """Bytes at any offset of a file that is not on disk (a wheel read with HTTP ranges)."""

    name: str
    size: int

    def read_at(self, offset: int, n: int) -> bytes: ...

    def close(self) -> None: ...


class _LocalFile:
    """A file on disk, read with pread, not mmap: a mapped file's pages count as the process's
    memory."""

    def __init__(self, path: Path) -> None:
        self.name = path.name
        self._file = open(path, "rb", buffering=0)  # noqa: SIM115 - closed by close()
        try:
            self.size = os.fstat(self._file.fileno()).st_size
        except BaseException:
            self._file.close()
            raise

    def read_at(self, offset: int, n: int) -> bytes:
        if hasattr(os, "pread"):
            return os.pread(self._file.fileno(), n, offset)
        self._file.seek(offset)  # pragma: no cover - Windows has no pread
        return self._file.read(n) or b""  # pragma: no cover

    def close(self) -> None:
        self._file.close()


class ZipArchive:
    """The members of a checked ZIP file, and their bytes on demand; use as a context manager."""

    def __init__(
        self, source: "Path | RandomAccess", policy: UnpackPolicy, *, whole: bool = True
    ) -> None:
        """``source``: a file on disk, or any RandomAccess (a remote wheel). ``whole=False``
        reads only the central directory and checks a member's local header when its bytes
        are asked for: enough to read one member (METADATA while resolving), at the cost
        zipfile has; unpacking checks the whole file."""
        self._source = _LocalFile(source) if isinstance(source, Path) else source
        self.label = self._source.name
        self._whole = whole
        self._pending: dict[str, tuple[int, bytes, int]] = {}  # name -> local offset, raw, flags
        try:
            self._size = self._source.size
            self.members = self._read(policy)
        except BaseException:
            self._source.close()
            raise

    def __enter__(self) -> "ZipArchive":
        return self

    def __exit__(self, *exc: object) -> None:
        self._source.close()

    def _at(self, offset: int, n: int) -> bytes:
        """Up to ``n`` bytes of the file from ``offset``."""
        return self._source.read_at(offset, n)

    def _error(self, reason: str, member: str | None = None) -> ArchiveError:
        where = f" at {member!r}" if member is not None else ""
        return ArchiveError(
            f"{self.label} is not a well-formed zip archive{where}: {reason}",
            hint="the file is malformed or malicious; nothing was unpacked",
        )

    def _read(self, policy: UnpackPolicy) -> list[ZipMember]:
        size = self._size
        entries, cd_offset, cd_end = self._end_record(size)
        check_totals(self.label, entries, 0, size, policy)  # before reading a huge directory
        m = self._at(cd_offset, cd_end - cd_offset)  # the whole central directory at once
        cd_end -= cd_offset
        members: list[tuple[int, int, ZipMember]] = []  # (local offset, end of its data, member)
        seen: set[str] = set()
        pos = 0
        total = 0
        for _ in range(entries):
            if pos + _CENTRAL.size > cd_end:
                raise self._error("the central directory is shorter than its entry count")
            header = _CENTRAL.unpack_from(m, pos)
            sig, _, _, flags, method, _, _, crc, csize, usize, name_len, extra_len = header[:12]
            comment_len, disk, _, external, offset = header[12:]
            if sig != _CENTRAL_SIG:
                raise self._error("a central directory entry has a bad signature")
            raw_name = m[pos + 46 : pos + 46 + name_len]
            extra = m[pos + 46 + name_len : pos + 46 + name_len + extra_len]
            pos += 46 + name_len + extra_len + comment_len
            if pos > cd_end:
                raise self._error("a central directory entry runs past the directory")
            name = self._name(raw_name, flags)
            fields = self._extras(extra, name) if extra_len else {}
            if _UNICODE_PATH_EXTRA in fields:
                raise self._error("the entry carries a second, Unicode name field", name)
            if usize == 0xFFFFFFFF or csize == 0xFFFFFFFF or offset == 0xFFFFFFFF or disk == 0xFFFF:
                usize, csize, offset, disk = self._zip64(fields, name, usize, csize, offset, disk)
            if disk != 0:
                raise self._error("the archive spans several disks", name)
            if flags & (_ENCRYPTED | _STRONG_ENCRYPTION | _MASKED):
                raise self._error("the member is encrypted", name)
            if method not in (_STORED, _DEFLATED):
                raise self._error(f"compression method {method} (only stored and deflate)", name)
            mode = external >> 16
            kind = stat.S_IFMT(mode)
            if kind == stat.S_IFLNK:
                raise ArchiveError(
                    f"{self.label} contains a symlink: {name!r}",
                    hint="cove unpacks no links from zip archives; nothing was unpacked",
                )
            if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
                raise self._error("the member is a device, FIFO or socket", name)
            is_dir = name.endswith("/")
            path = member_path(name, self.label)
            if path in seen:
                raise self._error("the name appears twice", name)
            seen.add(path)
            if is_dir and usize != 0:
                raise self._error("a directory entry holds data", name)
            if method == _STORED and csize != usize:
                raise self._error("a stored member's sizes differ", name)
            if self._whole:
                data_offset, end = self._local(
                    offset, raw_name, flags, method, crc, csize, usize, name
                )
            else:
                data_offset, end = -1, offset
                self._pending[path] = (offset, raw_name, flags)
            total += usize
            members.append(
                (offset, end, ZipMember(path, is_dir, mode, method, crc, csize, usize, data_offset))
            )
        if pos != cd_end:
            raise self._error("the central directory holds more than its entry count says")
        check_totals(self.label, entries, total, size, policy)
        if not self._whole:
            return [member for _, _, member in members]
        # The entries must tile the file: anything between them is a local header (or data)
        # that only some readers see.
        expected = 0
        for offset, end, member in sorted(members, key=lambda t: t[0]):
            if offset != expected:
                what = "overlaps another" if offset < expected else "follows bytes no entry owns"
                raise self._error(
                    f"the member {what} (offset {offset}, expected {expected})", member.name
                )
            expected = end
        if expected != cd_offset:
            raise self._error(
                f"bytes {expected}..{cd_offset} before the central directory belong to no entry"
            )
        return [member for _, _, member in members]

    def _end_record(self, size: int) -> tuple[int, int, int]:
        """(entries, central directory offset, its end) from the one end record, which must
        close the file (no data after it) and be the only one there."""
        if size == 0:
            raise self._error("it is empty")
        tail_start = max(0, size - (_END.size + 0xFFFF))
        tail = self._at(tail_start, size - tail_start)
        at = tail.rfind(_END_SIG)
        if at < 0 or size < _END.size:
            raise self._error("it has no end of central directory record")
        eocd = tail_start + at
        if eocd + _END.size > size:
            raise self._error("the end record is cut off")
        (_sig, disk, cd_disk, disk_entries, entries, cd_size, cd_offset,
         comment_len) = _END.unpack_from(tail, at)  # fmt: skip
        if eocd + _END.size + comment_len != size:
            raise self._error("data follows the end of central directory record")
        earlier = tail.find(_END_SIG)
        while 0 <= earlier < at:
            if earlier + _END.size <= len(tail):
                other_comment = _END.unpack_from(tail, earlier)[-1]
                if tail_start + earlier + _END.size + other_comment == size:
                    raise self._error("it has two end of central directory records")
            earlier = tail.find(_END_SIG, earlier + 1)
        cd_end = eocd
        locator = eocd - _LOCATOR.size
        if locator >= 0 and self._at(locator, 4) == _LOCATOR_SIG:
            _sig, locator_disk, end64, disks = _LOCATOR.unpack(self._at(locator, _LOCATOR.size))
            if locator_disk != 0 or disks > 1:
                raise self._error("the archive spans several disks")
            record = self._at(end64, _END64.size)
            if end64 + _END64.size > locator or record[:4] != _END64_SIG:
                raise self._error("the zip64 end record is missing")
            (_sig, record_size, _made, _needed, disk, cd_disk, disk_entries, entries64, cd_size64,
             cd_offset64) = _END64.unpack(record)  # fmt: skip
            if end64 + 12 + record_size != locator:
                raise self._error("data lies between the zip64 end record and its locator")
            for small, big, full in (
                (entries, entries64, 0xFFFF),
                (cd_size, cd_size64, 0xFFFFFFFF),
                (cd_offset, cd_offset64, 0xFFFFFFFF),
            ):
                if small not in (big, full):
                    raise self._error("the end record and the zip64 end record disagree")
            entries, cd_size, cd_offset, disk_entries = (
                entries64,
                cd_size64,
                cd_offset64,
                disk_entries if disk_entries != 0xFFFF else entries64,
            )
            cd_end = end64
        elif 0xFFFF in (entries, disk_entries) or 0xFFFFFFFF in (cd_size, cd_offset):
            raise self._error("the zip64 end record is missing")
        if disk != 0 or cd_disk != 0 or disk_entries != entries:
            raise self._error("the archive spans several disks")
        if cd_offset + cd_size != cd_end:
            raise self._error(
                "the central directory is not where the end record says (data before the "
                "archive, or a second archive inside it)"
            )
        return entries, cd_offset, cd_end

    def _name(self, raw: bytes, flags: int) -> str:
        try:
            name = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise self._error(f"the member name {raw!r} is not valid UTF-8") from None
        if not name.isascii() and not flags & _UTF8:
            raise self._error(
                "the member name is not marked UTF-8, so zip readers would disagree on it", name
            )
        return name

    def _extras(self, data: bytes, name: str) -> dict[int, bytes]:
        fields: dict[int, bytes] = {}
        pos = 0
        while pos < len(data):
            if pos + 4 > len(data):
                raise self._error("an extra field is cut off", name)
            key, length = struct.unpack_from("<2H", data, pos)
            if pos + 4 + length > len(data) or key in fields:
                raise self._error("the extra fields are malformed", name)
            fields[key] = data[pos + 4 : pos + 4 + length]
            pos += 4 + length
        return fields

    def _zip64(
        self, fields: dict[int, bytes], name: str, usize: int, csize: int, offset: int, disk: int
    ) -> tuple[int, int, int, int]:
        """The sizes, offset and disk a zip64 extra field holds for the values set to all ones."""
        data = fields.get(_ZIP64_EXTRA, b"")
        pos = 0
        values = []
        for value, width in ((usize, 8), (csize, 8), (offset, 8), (disk, 4)):
            full = 0xFFFFFFFF if width == 8 else 0xFFFF
            if value != full:
                values.append(value)
                continue
            if pos + width > len(data):
                raise self._error("the zip64 extra field is missing or short", name)
            values.append(int.from_bytes(data[pos : pos + width], "little"))
            pos += width
        return values[0], values[1], values[2], values[3]

    def _local(
        self,
        offset: int,
        raw_name: bytes,
        flags: int,
        method: int,
        crc: int,
        csize: int,
        usize: int,
        name: str,
    ) -> tuple[int, int]:
        """(where the data starts, where the entry ends) after checking the local header (and
        the data descriptor) agree with the central directory."""
        head = self._at(offset, _LOCAL.size + len(raw_name) + 64)  # the extra field, usually
        if len(head) < _LOCAL.size:
            raise self._error("its local header lies outside the file", name)
        (sig, _needed, local_flags, local_method, _time, _date, local_crc, local_csize,
         local_usize, name_len, extra_len) = _LOCAL.unpack_from(head)  # fmt: skip
        if sig != _LOCAL_SIG:
            raise self._error("its local header is missing", name)
        start = _LOCAL.size
        if len(head) < start + name_len + extra_len:
            head += self._at(offset + len(head), start + name_len + extra_len - len(head))
        if head[start : start + name_len] != raw_name:
            raise self._error("the local header names another file", name)
        fields = self._extras(head[start + name_len : start + name_len + extra_len], name)
        if _UNICODE_PATH_EXTRA in fields:
            raise self._error("the local header carries a second, Unicode name field", name)
        if local_flags & _CHECKED_FLAGS != flags & _CHECKED_FLAGS:
            raise self._error("the local header's flags differ from the central directory's", name)
        if local_method != method:
            raise self._error("the local header's compression method differs", name)
        zip64 = _ZIP64_EXTRA in fields
        if zip64 and 0xFFFFFFFF in (local_usize, local_csize):
            data = fields[_ZIP64_EXTRA]
            if len(data) < 16:
                raise self._error("the local zip64 extra field is short", name)
            local_usize, local_csize = struct.unpack_from("<2Q", data)
        declared = (local_crc, local_csize, local_usize)
        if flags & _DESCRIPTOR:  # the values may be zero here; the descriptor must hold them
            if any(
                v not in (0, want) for v, want in zip(declared, (crc, csize, usize), strict=True)
            ):
                raise self._error("the local header disagrees with the central directory", name)
        elif declared != (crc, csize, usize):
            raise self._error(
                "the local header's CRC or sizes differ from the central directory's", name
            )
        data_offset = offset + start + name_len + extra_len
        end = data_offset + csize
        if flags & _DESCRIPTOR:
            descriptor = self._at(end, 24)
            if descriptor[:4] == _DESCRIPTOR_SIG:
                descriptor = descriptor[4:]
                end += 4
            width = 8 if zip64 else 4
            if len(descriptor) < 4 + 2 * width:
                raise self._error("its data descriptor lies outside the file", name)
            got = (
                int.from_bytes(descriptor[:4], "little"),
                int.from_bytes(descriptor[4 : 4 + width], "little"),
                int.from_bytes(descriptor[4 + width : 4 + 2 * width], "little"),
            )
            if got != (crc, csize, usize):
                raise self._error("its data descriptor disagrees with the central directory", name)
            end += 4 + 2 * width
        return data_offset, end

    def chunks(self, member: ZipMember) -> Iterator[bytes]:
        """The member's bytes, a piece at a time; ArchiveError (after the last piece at the
        latest) unless they come to exactly its declared size and CRC."""
        if member.data_offset < 0:  # read with whole=False: check its local header now
            offset, raw_name, flags = self._pending[member.name]
            data_offset, _ = self._local(
                offset, raw_name, flags, member.method, member.crc, member.compressed_size,
                member.size, member.name,
            )  # fmt: skip
            member = member._replace(data_offset=data_offset)
        pos, end = member.data_offset, member.data_offset + member.compressed_size
        crc = 0
        total = 0
        if member.method == _STORED:
            while pos < end:
                piece = self._at(pos, min(_CHUNK, end - pos))
                if not piece:
                    break  # the file shrank under us: the size check below says so
                pos += len(piece)
                crc = zlib.crc32(piece, crc)
                total += len(piece)
                yield piece
        else:
            inflate = zlib.decompressobj(-15)
            while not inflate.eof:
                data = inflate.unconsumed_tail
                if not data and pos < end:
                    data = self._at(pos, min(_CHUNK, end - pos))
                    pos += len(data)
                try:
                    piece = inflate.decompress(data, _CHUNK)
                except zlib.error as exc:
                    raise self._error(
                        f"its compressed data is corrupt ({exc})", member.name
                    ) from None
                if not piece and not data:
                    break  # the input ran out before the stream ended
                total += len(piece)
                if total > member.size:
                    raise self._error("it inflates to more than its declared size", member.name)
                crc = zlib.crc32(piece, crc)
                yield piece
            if not inflate.eof or inflate.unused_data or inflate.unconsumed_tail or pos != end:
                raise self._error(
                    "its compressed data does not end where its header says", member.name
                )
        if total != member.size or crc != member.crc:
            raise self._error("its content does not match its CRC or size", member.name)
