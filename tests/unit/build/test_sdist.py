"""Unpacking sdists: every member checked by cove before anything is written, whatever the
running Python's tarfile would let through; one reading per file, chosen by its name."""

from __future__ import annotations

import io
import os
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest

from cove.archive import ArchiveError, UnpackPolicy
from cove.build.sdist import unpack_sdist
from tests.support.hostile import (
    TarEntry,
    path_max_escape,
    polyglot,
    project_entries,
    tar_bytes,
)

SYM, LNK, DIR = tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.DIRTYPE


def tree(root: Path) -> dict[str, str]:
    """Everything under ``root``: files with their content, links with their target."""
    out: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            out[rel] = "-> " + os.readlink(path)
        elif path.is_file():
            out[rel] = path.read_bytes().decode()
        else:
            out[rel] = "/"
    return out


@pytest.fixture
def place(tmp_path: Path) -> tuple[Path, Path]:
    """(unpack directory, canary directory beside it that must stay empty)."""
    canary = tmp_path / "canary"
    canary.mkdir()
    return tmp_path / "dest", canary


def test_the_path_max_symlink_chain_is_refused_before_anything_is_written(
    place: tuple[Path, Path], tmp_path: Path
) -> None:
    dest, canary = place
    sdist = tmp_path / "evil-1.0.tar.gz"
    sdist.write_bytes(tar_bytes(path_max_escape(str(dest), "canary/pwned")))
    with pytest.raises(ArchiveError, match=r"evil-1\.0\.tar\.gz has an unsafe member"):
        unpack_sdist(sdist, dest)
    assert list(canary.iterdir()) == []
    assert list(dest.iterdir()) == []


@pytest.mark.parametrize(
    "entries, reason",
    [
        ([TarEntry("p/../../outside.txt", b"x")], "unsafe member path"),
        ([TarEntry("/abs/outside.txt", b"x")], "unsafe member path"),
        ([TarEntry("p/a\\b.txt", b"x")], "unsafe member path"),
        ([TarEntry("p/l", type=SYM, link="/etc")], "points outside the tree"),
        ([TarEntry("p/l", type=SYM, link="../../canary")], "points outside the tree"),
        # each link stays inside; followed one after the other, they leave it
        (
            [
                TarEntry("p/a", type=DIR),
                TarEntry("p/a/up", type=SYM, link=".."),
                TarEntry("p/l", type=SYM, link="a/up/a/up/../../canary"),
            ],
            "points outside the tree",
        ),
        ([TarEntry("p/loop", type=SYM, link="loop/x")], "points outside the tree"),
        (
            [TarEntry("p/l", type=SYM, link="sub"), TarEntry("p/l/file.txt", b"x")],
            "lies under 'p/l', a symlink",
        ),
        # the order does not matter: a later link is in the way too
        (
            [TarEntry("p/l/file.txt", b"x"), TarEntry("p/l", type=SYM, link="sub")],
            "appears twice|lies under",
        ),
        ([TarEntry("p/hard", type=LNK, link="../../etc/passwd")], "does not name an earlier file"),
        (
            [TarEntry("p/hard", type=LNK, link="p/later"), TarEntry("p/later", b"x")],
            "does not name an earlier file",
        ),
        ([TarEntry("p/x", b"one"), TarEntry("p/x", b"two")], "appears twice"),
        ([TarEntry("p/dev", type=tarfile.CHRTYPE)], "device or FIFO"),
        ([TarEntry("p/blk", type=tarfile.BLKTYPE)], "device or FIFO"),
        ([TarEntry("p/fifo", type=tarfile.FIFOTYPE)], "device or FIFO"),
        (
            [TarEntry("p/sparse", b"x", pax={"GNU.sparse.major": "1", "GNU.sparse.minor": "0"})],
            "sparse",
        ),
        # a pax size that disagrees with the header: readers would split the stream differently
        ([TarEntry("p/big", b"x" * 2000, pax={"size": "10"})], "the pax header says 10 bytes"),
    ],
)
def test_unsafe_members_are_refused_and_nothing_is_written(
    entries: list[TarEntry], reason: str, place: tuple[Path, Path], tmp_path: Path
) -> None:
    dest, canary = place
    sdist = tmp_path / "bad-1.0.tar.gz"
    sdist.write_bytes(tar_bytes([*project_entries("p"), *entries]))
    with pytest.raises(ArchiveError, match=reason):
        unpack_sdist(sdist, dest)
    assert list(canary.iterdir()) == []
    assert list(dest.iterdir()) == []


def test_links_inside_the_tree_are_kept_and_modes_are_tamed(
    place: tuple[Path, Path], tmp_path: Path
) -> None:
    dest, _ = place
    sdist = tmp_path / "ok-1.0.tar.gz"
    entries = [
        *project_entries("ok-1.0", {"src/mod.py": b"VALUE = 1\n"}),
        TarEntry("ok-1.0/docs", type=DIR),
        TarEntry("ok-1.0/docs/mod.py", type=SYM, link="../src/mod.py"),
        TarEntry("ok-1.0/alias", type=SYM, link="docs/mod.py"),  # a chain of two
        TarEntry("ok-1.0/copy.py", type=LNK, link="ok-1.0/src/mod.py"),
        TarEntry("ok-1.0/run.sh", b"#!/bin/sh\n", mode=0o6755),  # setuid and setgid
        TarEntry("ok-1.0/sticky", b"s", mode=0o1777),
    ]
    sdist.write_bytes(tar_bytes(entries))
    project = unpack_sdist(sdist, dest)
    assert project == dest / "ok-1.0"
    found = tree(project)
    assert found["docs/mod.py"] == "-> ../src/mod.py"
    assert found["alias"] == "-> docs/mod.py"
    assert (project / "alias").read_text() == "VALUE = 1\n"
    assert found["copy.py"] == "VALUE = 1\n" and not (project / "copy.py").is_symlink()
    assert stat.S_IMODE((project / "run.sh").stat().st_mode) == 0o755 & ~_umask()
    assert stat.S_IMODE((project / "sticky").stat().st_mode) == 0o755 & ~_umask()
    assert stat.S_IMODE((project / "src/mod.py").stat().st_mode) == 0o644 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.parametrize("compression", ["", "gz", "bz2", "xz"])
def test_every_tar_compression_pip_reads(compression: str, tmp_path: Path) -> None:
    suffix = {"": ".tar", "gz": ".tar.gz", "bz2": ".tar.bz2", "xz": ".tar.xz"}[compression]
    sdist = tmp_path / f"fmt-1.0{suffix}"
    sdist.write_bytes(tar_bytes(project_entries("fmt-1.0", {"m.py": b"M\n"}), compression))
    project = unpack_sdist(sdist, tmp_path / "dest")
    assert (project / "m.py").read_text() == "M\n"


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_a_tar_and_zip_polyglot_is_refused_under_either_name(tmp_path: Path) -> None:
    tar = tar_bytes(project_entries("poly-1.0", {"which.py": b"FROM = 'tar'\n"}))
    zipped = _zip({"poly-1.0/pyproject.toml": b"", "poly-1.0/which.py": b"FROM = 'zip'\n"})
    both = polyglot(tar, zipped)
    for name, reason in (
        ("poly-1.0.tar.gz", "data follows the compressed stream"),
        ("poly-1.0.zip", "named as a zip archive but is a gzip-compressed tar"),
    ):
        sdist = tmp_path / name
        sdist.write_bytes(both)
        dest = tmp_path / f"dest-{name}"
        with pytest.raises(ArchiveError, match=reason):
            unpack_sdist(sdist, dest)
        assert not dest.exists() or list(dest.iterdir()) == []
    plain = tmp_path / "poly-1.0.tar"  # an uncompressed tar with a zip after its end
    plain.write_bytes(polyglot(tar_bytes(project_entries("poly-1.0"), ""), zipped))
    with pytest.raises(ArchiveError, match="data follows the end of the archive"):
        unpack_sdist(plain, tmp_path / "dest-plain")


@pytest.mark.parametrize(
    "name, data, says",
    [
        ("x-1.0.tar.gz", _zip({"x-1.0/a": b"a"}), "named as a gzip-compressed tar but is a zip"),
        ("x-1.0.zip", tar_bytes(project_entries("x-1.0")), "named as a zip archive but is a gzip"),
        ("x-1.0.tar.bz2", tar_bytes(project_entries("x-1.0")), "bzip2-compressed tar but is a"),
        ("x-1.0.tar", b"plain text, no archive at all\n" * 30, "none of the archive formats"),
        ("x-1.0.rar", b"Rar!", "not named like a source distribution"),
    ],
)
def test_content_must_match_the_name(name: str, data: bytes, says: str, tmp_path: Path) -> None:
    sdist = tmp_path / name
    sdist.write_bytes(data)
    with pytest.raises(ArchiveError, match=says):
        unpack_sdist(sdist, tmp_path / "dest")


def test_limits_bound_members_size_and_ratio(tmp_path: Path) -> None:
    sdist = tmp_path / "many-1.0.tar.gz"
    sdist.write_bytes(tar_bytes(project_entries("many-1.0", {f"f{i}.txt": b"" for i in range(50)})))
    with pytest.raises(ArchiveError, match="more than 20 members"):
        unpack_sdist(sdist, tmp_path / "a", UnpackPolicy(max_files=20))
    with pytest.raises(ArchiveError, match="unpacks to more than"):
        unpack_sdist(sdist, tmp_path / "b", UnpackPolicy(max_size=10_000))
    unpack_sdist(sdist, tmp_path / "c")  # within the defaults

    bomb = tmp_path / "bomb-1.0.tar.gz"  # 96 MiB of zeros in a 100 KB file
    bomb.write_bytes(tar_bytes([TarEntry("bomb-1.0/zeros", bytes(96 << 20))]))
    assert bomb.stat().st_size < 200_000
    with pytest.raises(ArchiveError, match="more than 100 times its own"):
        unpack_sdist(bomb, tmp_path / "d")
    assert list((tmp_path / "d").iterdir()) == []


def test_a_header_with_a_wrong_checksum_or_a_cut_off_stream_is_refused(tmp_path: Path) -> None:
    good = bytearray(tar_bytes(project_entries("cut-1.0"), ""))
    good[148:156] = b"0000000\0"  # the first header's checksum
    bad = tmp_path / "cut-1.0.tar"
    bad.write_bytes(bytes(good))
    with pytest.raises(ArchiveError, match="not a POSIX or GNU tar header"):
        unpack_sdist(bad, tmp_path / "a")
    whole = tar_bytes(project_entries("cut-1.0", {"big": os.urandom(50_000)}))
    short = tmp_path / "cut-1.0.tar.gz"
    short.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ArchiveError, match="cut off"):
        unpack_sdist(short, tmp_path / "b")


def test_names_that_are_not_utf8_are_refused(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT, encoding="latin-1") as tf:
        info = tarfile.TarInfo("p/caf\xe9.py")
        tf.addfile(info, io.BytesIO(b""))
    sdist = tmp_path / "p-1.0.tar"
    sdist.write_bytes(buf.getvalue())
    with pytest.raises(ArchiveError, match="not valid UTF-8"):
        unpack_sdist(sdist, tmp_path / "dest")


def test_zip_sdists_are_checked_as_strictly_as_wheels(tmp_path: Path) -> None:
    from tests.support.hostile import Member, raw_zip

    ok = tmp_path / "z-1.0.zip"
    ok.write_bytes(_zip({"z-1.0/pyproject.toml": b"", "z-1.0/z.py": b"Z\n"}))
    assert (unpack_sdist(ok, tmp_path / "a") / "z.py").read_text() == "Z\n"
    link = tmp_path / "l-1.0.zip"
    link.write_bytes(raw_zip([Member("l-1.0/etc", b"/etc", mode=0o120777)]))
    with pytest.raises(ArchiveError, match="contains a symlink"):
        unpack_sdist(link, tmp_path / "b")
    clash = tmp_path / "c-1.0.zip"
    clash.write_bytes(raw_zip([Member("c-1.0/a", b"file"), Member("c-1.0/a/b", b"under it")]))
    with pytest.raises(ArchiveError, match=r"lies under 'c-1\.0/a', a file"):
        unpack_sdist(clash, tmp_path / "c")
    assert list((tmp_path / "c").iterdir()) == []
