"""Core metadata read without the email package gives what packaging's parser gives."""

from __future__ import annotations

import pytest
from packaging.metadata import parse_email
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from cove.index.metadata import MetadataError, parse_metadata

METADATA = b"""\
Metadata-Version: 2.1
Name: Demo.Pkg
Version: 1.0.post1
Summary: a summary: with a colon
Requires-Python: >=3.8, !=3.9.*
Requires-Dist: requests (>=2.0)
Requires-Dist: tomli; python_version < "3.11"
Requires-Dist: pytest >=7 ;
  extra == "test"
Provides-Extra: test
provides-extra: docs
Description-Content-Type: text/markdown

Requires-Dist: not-a-header (this is the description)
"""


def test_reads_what_packaging_reads() -> None:
    raw, _ = parse_email(METADATA)
    found = parse_metadata(METADATA, "demo.whl")
    assert found.name == raw["name"] == "Demo.Pkg"
    assert str(found.version) == "1.0.post1"
    # packaging keeps a folded line's newline, which its own Requirement then rejects
    unfolded = [" ".join(t.split()) for t in raw["requires_dist"]]
    assert [str(r) for r in found.requires_dist] == [str(Requirement(t)) for t in unfolded]
    assert len(found.requires_dist) == 3
    assert str(found.requires_dist[2].marker) == 'extra == "test"'
    assert found.requires_python == SpecifierSet(raw["requires_python"])
    assert found.provides_extras == frozenset(raw["provides_extra"]) == {"test", "docs"}


def test_crlf_line_endings() -> None:
    found = parse_metadata(METADATA.replace(b"\n", b"\r\n"), "demo.whl")
    assert [r.name for r in found.requires_dist] == ["requests", "tomli", "pytest"]


@pytest.mark.parametrize(
    "data, message",
    [
        (b"Metadata-Version: 2.1\nVersion: 1.0\n", "no Name or Version"),
        (b"Name: demo\nVersion: one\n", "invalid version"),
        (b"Name: demo\nVersion: 1.0\nRequires-Dist: bad name here\n", "invalid requirement"),
    ],
)
def test_broken_metadata_is_named(data: bytes, message: str) -> None:
    with pytest.raises(MetadataError, match=message):
        parse_metadata(data, "demo.whl")
