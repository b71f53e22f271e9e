"""The strict ZIP reader accepts what real writers produce (data descriptors, zip64 records and
extra fields, stored and deflated members, archive comments) and reads each member back whole."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from cove.archive import ArchiveError, UnpackPolicy
from cove.archive.zip import ZipArchive


class _Unseekable(io.RawIOBase):
    """A write-only stream: zipfile must then write data descriptors after each member."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b: object) -> int:
        chunk = bytes(b)  # type: ignore[call-overload]
        self.data += chunk
        return len(chunk)


def _read_all(path: Path, policy: UnpackPolicy | None = None) -> dict[str, bytes]:
    with ZipArchive(path, policy or UnpackPolicy()) as zf:
        return {m.name: b"".join(zf.chunks(m)) for m in zf.members if not m.is_dir}


FILES = {"pkg/__init__.py": b"A = 1\n" * 1000, "pkg/data.bin": bytes(range(256)) * 64, "x": b""}


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_data_descriptors_and_zip64_extras_are_read(method: int, tmp_path: Path) -> None:
    stream = _Unseekable()
    with zipfile.ZipFile(stream, "w", method) as zf:
        for name, data in FILES.items():
            with zf.open(name, "w", force_zip64=True) as out:
                out.write(data)
        zf.mkdir("empty-dir")
        zf.comment = b"built by a test"
    path = tmp_path / "descriptors.zip"
    path.write_bytes(bytes(stream.data))
    with zipfile.ZipFile(path) as zf:
        assert all(i.flag_bits & 0x8 for i in zf.infolist() if not i.is_dir())
    assert _read_all(path) == FILES


def test_zip64_end_records_for_many_members(tmp_path: Path) -> None:
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(70_000):  # more than the 65,535 a plain end record can count
            zf.writestr(f"m/{i}", b"")
    with ZipArchive(path, UnpackPolicy()) as zf:
        assert len(zf.members) == 70_000
    with pytest.raises(ArchiveError, match="more than 69,999 members"):
        ZipArchive(path, UnpackPolicy(max_files=69_999))


def test_a_member_whose_bytes_change_on_disk_is_caught(tmp_path: Path) -> None:
    path = tmp_path / "flip.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("a.txt", b"hello world")
    data = bytearray(path.read_bytes())
    data[data.index(b"hello")] = ord("j")  # the same size, another CRC
    path.write_bytes(bytes(data))
    with ZipArchive(path, UnpackPolicy()) as zf, pytest.raises(ArchiveError, match="CRC"):
        for member in zf.members:
            b"".join(zf.chunks(member))
