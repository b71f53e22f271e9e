"""Unpacking wheels into the cache: the ZIP is read strictly, bounded, streamed, and held to its
own RECORD and file name; a wheel that fails leaves no entry and no temporary directory."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from cove.archive import UnpackPolicy
from cove.cache import UNPACKED
from cove.cache.unpacked import unpack_wheel
from cove.errors import WheelError
from tests.support.hostile import Member, raw_zip, wheel_members, write_wheel

WHEEL = "hostile-1.0-py3-none-any.whl"


def members_of(files: dict[str, bytes] | None = None, **kw: object) -> list[Member]:
    return [Member(name, data) for name, data in wheel_members(files=files, **kw).items()]  # type: ignore[arg-type]


def cache_is_empty(cache: Path) -> bool:
    """No entry, no temporary directory: only the per-key lock files may remain."""
    bucket = cache / UNPACKED
    return not bucket.exists() or all(p.suffix == ".lock" for p in bucket.iterdir())


def refused(tmp_path: Path, data: bytes, match: str, policy: UnpackPolicy | None = None) -> None:
    tmp_path.mkdir(exist_ok=True)
    wheel = tmp_path / WHEEL
    wheel.write_bytes(data)
    cache = tmp_path / "cache"
    with pytest.raises(WheelError, match=match) as caught:
        unpack_wheel(wheel, cache, policy)
    assert WHEEL in caught.value.message and caught.value.hint
    assert cache_is_empty(cache)


def test_a_well_formed_wheel_unpacks(tmp_path: Path) -> None:
    wheel = tmp_path / WHEEL
    wheel.write_bytes(
        raw_zip(members_of({"hostile/__init__.py": b"X = 1\n", "hostile.pth": b"/x"}))
    )
    found = unpack_wheel(wheel, tmp_path / "cache")
    assert (found.root / "hostile/__init__.py").read_bytes() == b"X = 1\n"
    assert {f.path for f in found.files} >= {"hostile/__init__.py", "hostile-1.0.dist-info/RECORD"}
    assert found.executable_pth == ()  # a path line, no code


def _with(members: list[Member], name: str, **changes: object) -> list[Member]:
    out = []
    for m in members:
        if m.name == name:
            for key, value in changes.items():
                setattr(m, key, value)
        out.append(m)
    return out


MOD = "hostile/__init__.py"


@pytest.mark.parametrize(
    "change, match",
    [
        ({"local_name": b"hostile/__init__.pz"}, "local header names another file"),
        ({"local_crc": 0x12345678}, "CRC or sizes differ"),
        ({"local_compressed_size": 3}, "CRC or sizes differ"),
        ({"local_method": zipfile.ZIP_STORED}, "compression method differs"),
        ({"method": 12}, "compression method 12"),
        ({"flags": 0x1}, "encrypted"),
        ({"declared_size": 4}, "inflates to more than its declared size"),
        ({"declared_size": 400}, "does not match its CRC or size"),
        ({"mode": 0o120777}, "contains a symlink"),
        ({"mode": 0o010644}, "device, FIFO or socket"),
    ],
)
def test_headers_that_disagree_are_refused(
    change: dict[str, object], match: str, tmp_path: Path
) -> None:
    refused(tmp_path, raw_zip(_with(members_of(), MOD, **change)), match)


def test_entries_the_central_directory_does_not_list_are_refused(tmp_path: Path) -> None:
    hidden = Member("hostile/hidden.py", b"import os; os.system('evil')\n", in_central=False)
    between = members_of()
    between.insert(1, hidden)
    refused(tmp_path / "a", raw_zip(between), "follows bytes no entry owns")
    before = [hidden, *members_of()]
    refused(tmp_path / "b", raw_zip(before), "follows bytes no entry owns")
    after = [*members_of(), hidden]
    refused(tmp_path / "c", raw_zip(after), "before the central directory belong to no entry")


def test_data_around_the_archive_is_refused(tmp_path: Path) -> None:
    good = raw_zip(members_of())
    refused(tmp_path / "a", good + b"trailing", "data follows the end of central directory")
    refused(tmp_path / "b", raw_zip(members_of(), prefix=b"#!/bin/sh\n"), "not where the end")
    refused(
        tmp_path / "c",
        raw_zip(members_of(), prefix=b"#!/bin/sh\n", absolute_offsets=True),
        "follows bytes no entry owns",
    )
    # A second end record hidden in the first one's comment, also ending the file.
    second = b"PK\x05\x06" + bytes(16) + b"\x00\x00"
    refused(tmp_path / "d", raw_zip(members_of(), comment=second), "two end of central directory")
    refused(tmp_path / "e", good + good, "not where the end record says")  # two zips, one file


@pytest.mark.parametrize(
    "name, match",
    [
        ("hostile/a\0b.py", "unsafe member path"),
        ("hostile\\evil.py", "unsafe member path"),
        ("C:/evil.py", "unsafe member path"),
        ("", "unsafe member path"),
        ("hostile//x.py", "unsafe member path"),
        ("hostile/./x.py", "unsafe member path"),
        ("../evil.py", "unsafe member path"),
        ("/etc/evil", "unsafe member path"),
        (b"hostile/caf\xe9.py", "is not valid UTF-8"),
    ],
)
def test_unsafe_names_are_refused(name: str | bytes, match: str, tmp_path: Path) -> None:
    members = members_of()
    members.append(Member(name, b"x", flags=0x800))
    refused(tmp_path, raw_zip(members), match)


def test_names_not_marked_utf8_and_duplicates_are_refused(tmp_path: Path) -> None:
    unmarked = [*members_of(), Member("hostile/café.py".encode(), b"x", flags=0)]
    refused(tmp_path / "a", raw_zip(unmarked), "not marked UTF-8")
    twice = [*members_of(), Member(MOD, b"X = 2\n")]
    refused(tmp_path / "b", raw_zip(twice), "appears twice")
    clash = members_of({MOD: b"", "hostile": b"a file where a directory is"})
    refused(tmp_path / "c", raw_zip(clash), "both as a file and as a directory")


def test_limits_bound_count_size_and_ratio(tmp_path: Path) -> None:
    many = members_of({f"hostile/m{i}.py": b"" for i in range(30)})
    refused(tmp_path / "a", raw_zip(many), "more than 20 members", UnpackPolicy(max_files=20))
    refused(tmp_path / "b", raw_zip(many), "unpacks to more than", UnpackPolicy(max_size=100))
    bomb = members_of({"hostile/zeros.bin": bytes(80 << 20)})  # 80 MiB of zeros in 80 KB
    refused(tmp_path / "c", raw_zip(bomb), "more than 100 times its own")
    wheel = tmp_path / "d" / WHEEL
    wheel.parent.mkdir()
    wheel.write_bytes(raw_zip(bomb))
    found = unpack_wheel(wheel, tmp_path / "d" / "cache", UnpackPolicy(max_ratio=2000))
    assert (found.root / "hostile/zeros.bin").stat().st_size == 80 << 20


@pytest.mark.timeout(120)
def test_members_are_streamed_not_read_whole(tmp_path: Path) -> None:
    """A 400 MiB member unpacks with far less memory than its size (it used to be read whole)."""
    wheel = write_wheel(tmp_path, wheel_members(files={"hostile/big.bin": bytes(400 << 20)}))
    code = (
        "import resource, sys; from pathlib import Path\n"
        "from cove.archive import UnpackPolicy\n"
        "from cove.cache.unpacked import unpack_wheel\n"
        "unpack_wheel(Path(sys.argv[1]), Path(sys.argv[2]), UnpackPolicy(max_ratio=10**6))\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(wheel), str(tmp_path / "cache")],
        capture_output=True,
        text=True,
        check=True,
    )
    peak_kib = int(done.stdout)
    assert peak_kib < 200 * 1024, f"peak memory {peak_kib} KiB for a 400 MiB member"


@pytest.mark.parametrize(
    "kw, files, match",
    [
        # RECORD lists a file the wheel does not have
        (
            {"record": "hostile/__init__.py,sha256=x,1\nhostile/gone.py,sha256=x,1\n"},
            None,
            "lists 'hostile/gone.py', which the wheel does not contain",
        ),
        ({"record": "hostile-1.0.dist-info/RECORD,,\n"}, None, "does not list"),
        ({"record": "../../etc/passwd,sha256=x,1\n"}, None, "unsafe path '../../etc/passwd'"),
        ({"record": "/etc/passwd,sha256=x,1\n"}, None, "unsafe path '/etc/passwd'"),
    ],
)
def test_record_must_list_the_wheel_as_it_is(
    kw: dict[str, str], files: dict[str, bytes] | None, match: str, tmp_path: Path
) -> None:
    refused(tmp_path, raw_zip(members_of(files, **kw)), f"pip would install this wheel.*{match}")


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"metadata_name": "other"}, "METADATA says other 1.0, its file name hostile 1.0"),
        ({"metadata_version": "2.0"}, "METADATA says hostile 2.0"),
        ({"metadata_version": "1.0.0"}, None),  # the same version, as packaging compares them
        ({"dist_info": "other-1.0.dist-info"}, "other-1.0.dist-info directory is not named"),
        ({"dist_info": "Hostile-1.0.0.dist-info"}, None),  # normalized names and versions agree
    ],
)
def test_dist_info_and_metadata_must_name_the_wheel(
    kw: dict[str, str], match: str | None, tmp_path: Path
) -> None:
    data = raw_zip(members_of(None, **kw))
    if match is not None:
        refused(tmp_path, data, f"{WHEEL} is refused: its {match}")
        return
    wheel = tmp_path / WHEEL
    wheel.write_bytes(data)
    assert unpack_wheel(wheel, tmp_path / "cache").files


def _record_rows(members: dict[str, bytes]) -> str:
    return members["hostile-1.0.dist-info/RECORD"].decode()


def test_wrong_hashes_sizes_and_unlisted_files_are_refused(tmp_path: Path) -> None:
    members = wheel_members()
    rows = _record_rows(members)
    wrong_hash = rows.replace(rows.split(",")[1], "sha256=" + "A" * 43, 1)
    refused(tmp_path / "a", raw_zip(members_of(record=wrong_hash)), "does not match the hash")
    size = str(len(members[MOD]))
    wrong_size = rows.replace(f",{size}\n", f",{int(size) + 1}\n", 1)
    refused(tmp_path / "b", raw_zip(members_of(record=wrong_size)), "RECORD says")
    extra = [*members_of(), Member("hostile/extra.py", b"unlisted")]
    refused(tmp_path / "c", raw_zip(extra), "does not list 'hostile/extra.py'")
    weak = rows.replace("sha256=", "md5=", 1)
    refused(tmp_path / "d", raw_zip(members_of(record=weak)), "no usable hash")
    signed = [*members_of(), Member("hostile-1.0.dist-info/RECORD.jws", b"{}")]
    wheel = tmp_path / "e" / WHEEL
    wheel.parent.mkdir()
    wheel.write_bytes(raw_zip(signed))  # signatures need no row: they sign RECORD
    assert unpack_wheel(wheel, tmp_path / "e" / "cache").files


def test_executable_pth_files_are_found_and_can_be_refused(tmp_path: Path) -> None:
    files = {
        "hostile/__init__.py": b"",
        "hostile-startup.pth": b"# a comment\nimport os; os.environ['PWNED'] = '1'\n",
        "hostile-1.0.data/purelib/other.pth": b"\xef\xbb\xbfimport\tsys\n",
        "hostile/nested.pth": b"import os\n",  # not in site-packages itself: never run
    }
    wheel = write_wheel(tmp_path, wheel_members(files=files))
    found = unpack_wheel(wheel, tmp_path / "cache")
    assert sorted(found.executable_pth) == [
        "hostile-1.0.data/purelib/other.pth",
        "hostile-startup.pth",
    ]
    with pytest.raises(WheelError, match=r"a \.pth file that runs code"):
        unpack_wheel(wheel, tmp_path / "cache", UnpackPolicy(refuse_executable_pth=True))


def test_a_failed_unpack_leaves_no_entry_and_clears_a_killed_one(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    wheel = tmp_path / WHEEL
    wheel.write_bytes(raw_zip(_with(members_of(), MOD, declared_size=400)))  # fails at the end
    with pytest.raises(WheelError):
        unpack_wheel(wheel, cache)
    assert cache_is_empty(cache)
    wheel.write_bytes(raw_zip(members_of()))
    import hashlib

    key = hashlib.sha256(wheel.read_bytes()).hexdigest()
    stale = cache / UNPACKED / f".tmp-{key}-99999999"  # what a killed cove leaves
    stale.mkdir(parents=True)
    (stale / "half-written.py").write_bytes(b"x")
    unpack_wheel(wheel, cache)
    assert not stale.exists()
    assert sorted(p.name for p in (cache / UNPACKED).iterdir() if not p.name.endswith(".lock")) == [
        key,
        "by-stat",
    ]
    assert os.listdir(cache / UNPACKED / key)
