"""Candidate selection, on the production path (judge_links, all_versions, then applicable, as
the index source and the resolver provider call them): which links a target can use and how
they rank, as pip ranks them."""

from __future__ import annotations

from typing import NamedTuple

import pytest
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag, parse_tag
from packaging.version import Version

from cove.index.evaluate import (
    BinaryPolicy,
    Judged,
    Reason,
    Release,
    all_versions,
    applicable,
    describe_target,
    judge_links,
)
from cove.index.models import Link, make_link

# A small target, best tag first: CPython 3.12 on glibc 2.28 x86_64.
TAGS = [
    Tag("cp312", "cp312", "manylinux_2_28_x86_64"),
    Tag("cp312", "cp312", "manylinux_2_17_x86_64"),
    Tag("cp312", "cp312", "manylinux2014_x86_64"),
    Tag("cp312", "abi3", "manylinux_2_28_x86_64"),
    Tag("cp312", "none", "manylinux_2_28_x86_64"),
    Tag("cp311", "abi3", "manylinux_2_28_x86_64"),
    Tag("py312", "none", "manylinux_2_28_x86_64"),
    Tag("py3", "none", "manylinux_2_28_x86_64"),
    Tag("cp312", "none", "any"),
    Tag("py312", "none", "any"),
    Tag("py3", "none", "any"),
]
PY = (3, 12, 1)


def link(filename: str, **kw: object) -> Link:
    made = make_link(filename, f"http://127.0.0.1:9/files/{filename}", **kw)  # type: ignore[arg-type]
    assert made is not None, filename
    return made


class Selected(NamedTuple):
    candidates: list[Release]
    judged: Judged

    def reasons(self) -> list[str]:
        return self.judged.reasons()


def run(
    links: list[Link],
    project: str = "foo",
    *,
    specifier: SpecifierSet | None = None,
    pre: bool = False,
    binary: BinaryPolicy | None = None,
    hashes: tuple[str, ...] = (),
) -> Selected:
    judged = judge_links(links, project, tags=TAGS, python_version=PY, binary=binary)
    chosen = applicable(all_versions(judged, hashes), specifier or SpecifierSet(), pre)
    return Selected(chosen, judged)


def order(selected: Selected) -> list[str]:
    return [r.link.filename for r in selected.candidates]


def reasons(selected: Selected) -> dict[str, Reason]:
    return {r.link.filename: r.reason for r in selected.judged.rejected}


def test_newest_first_and_a_wheel_beats_the_sdist_of_its_version() -> None:
    ev = run(
        [
            link("foo-1.0.tar.gz"),
            link("foo-2.0.tar.gz"),
            link("foo-1.0-py3-none-any.whl"),
            link("foo-2.0-py3-none-any.whl"),
            link("foo-1.5.tar.gz"),
        ]
    )
    assert order(ev) == ["foo-2.0-py3-none-any.whl", "foo-1.5.tar.gz", "foo-1.0-py3-none-any.whl"]
    assert [str(r.version) for r in ev.candidates] == ["2.0", "1.5", "1.0"]
    # Every usable file of a version is kept, best first, to fall back on.
    assert [f.filename for f in ev.candidates[0].links] == [
        "foo-2.0-py3-none-any.whl",
        "foo-2.0.tar.gz",
    ]
    assert ev.judged.rejected == ()


def test_prefer_binary_puts_any_wheel_before_any_sdist() -> None:
    links = [link("foo-2.0.tar.gz"), link("foo-1.0-py3-none-any.whl"), link("foo-1.5.tar.gz")]
    assert order(run(links)) == ["foo-2.0.tar.gz", "foo-1.5.tar.gz", "foo-1.0-py3-none-any.whl"]
    preferring = run(links, binary=BinaryPolicy(prefer_binary=True))
    assert order(preferring) == ["foo-1.0-py3-none-any.whl", "foo-2.0.tar.gz", "foo-1.5.tar.gz"]


def test_the_most_specific_tag_wins_then_the_highest_build() -> None:
    links = [
        link("foo-1.0-py3-none-any.whl"),
        link("foo-1.0-cp311-abi3-manylinux_2_28_x86_64.whl"),
        link("foo-1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"),
        link("foo-1.0-1-cp312-cp312-manylinux_2_17_x86_64.whl"),
        link("foo-1.0-10-cp312-cp312-manylinux_2_17_x86_64.whl"),
        link("foo-1.0-9b-cp312-cp312-manylinux_2_17_x86_64.whl"),
        link("foo-1.0.tar.gz"),
    ]
    files = [f.filename for f in run(links).candidates[0].links]
    assert files == [
        "foo-1.0-10-cp312-cp312-manylinux_2_17_x86_64.whl",
        "foo-1.0-9b-cp312-cp312-manylinux_2_17_x86_64.whl",
        "foo-1.0-1-cp312-cp312-manylinux_2_17_x86_64.whl",
        "foo-1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "foo-1.0-cp311-abi3-manylinux_2_28_x86_64.whl",
        "foo-1.0-py3-none-any.whl",
        "foo-1.0.tar.gz",
    ]


def test_between_equal_files_the_later_one_wins_as_in_pip() -> None:
    links = [link("foo-1.0.zip"), link("foo-1.0.tar.gz")]
    assert order(run(links)) == ["foo-1.0.tar.gz"]
    assert order(run(links[::-1])) == ["foo-1.0.zip"]


def test_unsupported_wheels_are_dropped_with_the_target_in_the_reason() -> None:
    ev = run(
        [
            link("foo-2.0-cp313-cp313-manylinux_2_28_x86_64.whl"),
            link("foo-2.0-cp312-cp312-win_amd64.whl"),
            link("foo-1.0-py3-none-any.whl"),
        ]
    )
    assert order(ev) == ["foo-1.0-py3-none-any.whl"]
    assert set(reasons(ev).values()) == {Reason.UNSUPPORTED_TAGS}
    assert ev.reasons() == ["no wheel of foo for your platform (cp312, manylinux_2_28_x86_64)"]
    assert str(ev.judged.rejected[1]) == (
        "foo-2.0-cp312-cp312-win_amd64.whl is built for cp312-cp312-win_amd64, not this interpreter"
    )


def test_requires_python_excludes_and_an_invalid_one_is_ignored() -> None:
    ev = run(
        [
            link("foo-3.0-py3-none-any.whl", requires_python=">=3.13"),
            link("foo-2.0-py3-none-any.whl", requires_python=">=3.12.2"),
            link("foo-1.5-py3-none-any.whl", requires_python="this is not a spec"),
            link("foo-1.0-py3-none-any.whl", requires_python=">=3.8,<4"),
        ]
    )
    assert [str(r.version) for r in ev.candidates] == ["1.5", "1.0"]
    assert ev.reasons() == [
        "foo 3.0 requires Python >=3.13",
        "foo 2.0 requires Python >=3.12.2",
    ]
    assert reasons(ev)["foo-3.0-py3-none-any.whl"] is Reason.REQUIRES_PYTHON


def test_reasons_group_versions_per_cause() -> None:
    old = [link(f"foo-1.{n}-py3-none-any.whl", requires_python="<3") for n in range(8)]
    ev = run([*old, link("foo-2.0b1-py3-none-any.whl"), link("foo-0.1-py3-none-any.whl")])
    assert ev.reasons() == ["foo 1.7, 1.6, 1.5, 1.4, 1.3 and 3 more require Python <3"]
    assert order(ev) == ["foo-0.1-py3-none-any.whl"]  # the pre-release is not offered
    ev = run([*old[:1], link("foo-2.0b1-py3-none-any.whl")], specifier=SpecifierSet("<2"))
    assert ev.reasons() == ["foo 1.0 requires Python <3"]
    wheels = run(
        [*LINKS, link("foo-3.0-cp39-cp39-win32.whl")],
        binary=BinaryPolicy(no_binary=frozenset({":all:"})),
    )
    assert wheels.reasons() == ["wheels of foo are refused by --no-binary"]


def test_other_projects_files_are_left_out_quietly() -> None:
    ev = run([link("bar-9.0-py3-none-any.whl"), link("foo-1.0.tar.gz")])
    assert order(ev) == ["foo-1.0.tar.gz"]
    assert reasons(ev) == {"bar-9.0-py3-none-any.whl": Reason.WRONG_PROJECT}
    assert ev.reasons() == []


LINKS = [link("foo-2.0.tar.gz"), link("foo-1.0-py3-none-any.whl")]


@pytest.mark.parametrize(
    "only, no, expected",
    [
        ((), (), ["foo-2.0.tar.gz", "foo-1.0-py3-none-any.whl"]),
        ((":all:",), (), ["foo-1.0-py3-none-any.whl"]),
        (("foo",), (), ["foo-1.0-py3-none-any.whl"]),
        (("other",), (), ["foo-2.0.tar.gz", "foo-1.0-py3-none-any.whl"]),
        ((), (":all:",), ["foo-2.0.tar.gz"]),
        ((), ("Foo",), ["foo-2.0.tar.gz"]),
        ((":all:",), ("foo",), ["foo-2.0.tar.gz"]),  # a name beats :all: of the other option
        (("foo",), (":all:",), ["foo-1.0-py3-none-any.whl"]),
    ],
)
def test_only_binary_and_no_binary(
    only: tuple[str, ...], no: tuple[str, ...], expected: list[str]
) -> None:
    policy = BinaryPolicy(only_binary=frozenset(only), no_binary=frozenset(no))
    ev = run(LINKS, binary=policy)
    assert order(ev) == expected
    for r in ev.judged.rejected:
        assert r.reason in (Reason.NO_BINARY, Reason.ONLY_BINARY)
        assert ("--no-binary" if r.link.is_wheel else "--only-binary") in str(r)


def test_binary_options_apply_in_order_as_pip_reads_them() -> None:
    p = BinaryPolicy().with_no_binary(":all:").with_only_binary("Foo_Bar,baz")
    assert p.no_binary == {":all:"} and p.only_binary == {"foo-bar", "baz"}
    assert p.wheels_allowed("foo.bar") and not p.sdists_allowed("foo-bar")
    assert not p.wheels_allowed("other") and p.sdists_allowed("other")
    p = p.with_no_binary("baz")
    assert p.only_binary == {"foo-bar"} and p.no_binary == {":all:", "baz"}
    p = p.with_only_binary(":all:")
    assert p.only_binary == {":all:"} and p.no_binary == frozenset()
    p = p.with_only_binary(":none:,x")
    assert p.only_binary == {"x"}
    assert p.with_no_binary("a,:all:,b").no_binary == {":all:", "b"}
    assert p.with_no_binary(":all:,:none:,b").no_binary == {"b"}


PRE = [
    link("foo-2.0b1-py3-none-any.whl"),
    link("foo-1.1.dev1-py3-none-any.whl"),
    link("foo-1.0.post1-py3-none-any.whl"),
    link("foo-1.0-py3-none-any.whl"),
]


@pytest.mark.parametrize(
    "links, spec, pre, expected",
    [
        (PRE, "", False, ["1.0.post1", "1.0"]),
        (PRE, "", True, ["2.0b1", "1.1.dev1", "1.0.post1", "1.0"]),
        (PRE, ">=1.0b1", False, ["2.0b1", "1.1.dev1", "1.0.post1", "1.0"]),  # names a pre-release
        (PRE, "==2.0b1", False, ["2.0b1"]),
        (PRE, ">1.0.post1", False, ["2.0b1", "1.1.dev1"]),  # nothing final matches
        (PRE[:2], "", False, ["2.0b1", "1.1.dev1"]),  # only pre-releases exist
        (PRE, "<2", False, ["1.0.post1", "1.0"]),
        (PRE, "!=1.0", False, ["1.0.post1"]),
    ],
)
def test_prerelease_rules(links: list[Link], spec: str, pre: bool, expected: list[str]) -> None:
    ev = run(links, specifier=SpecifierSet(spec), pre=pre)
    assert [str(r.version) for r in ev.candidates] == expected


YANKED = [
    link("foo-2.0-py3-none-any.whl", yanked="broken"),
    link("foo-2.0.tar.gz", yanked=""),
    link("foo-1.0-py3-none-any.whl"),
]


def test_yanked_files_are_dropped_unless_pinned() -> None:
    ev = run(YANKED)
    assert order(ev) == ["foo-1.0-py3-none-any.whl"]
    assert ev.candidates[0].yanked is None
    # Pinned with == or ===: the yanked files are offered, flagged.
    for spec in ("==2.0", "===2.0", "==2.0.0"):
        pinned = run(YANKED, specifier=SpecifierSet(spec))
        assert [f.filename for f in pinned.candidates[0].links] == [
            "foo-2.0-py3-none-any.whl",
            "foo-2.0.tar.gz",
        ]
        assert pinned.candidates[0].yanked == "broken"
    # Not a pin: a wildcard, or a range.
    assert run(YANKED, specifier=SpecifierSet("==2.*")).candidates == []
    assert run(YANKED, specifier=SpecifierSet(">=2")).candidates == []


def test_a_pinned_version_with_one_good_file_uses_only_that_file() -> None:
    links = [*YANKED, link("foo-2.0-cp312-cp312-manylinux_2_17_x86_64.whl")]
    ev = run(links, specifier=SpecifierSet("==2.0"))
    assert [f.filename for f in ev.candidates[0].links] == [
        "foo-2.0-cp312-cp312-manylinux_2_17_x86_64.whl"
    ]
    assert ev.candidates[0].yanked is None


def test_a_yanked_final_release_still_hides_pre_releases_as_in_pip() -> None:
    links = [link("foo-2.0b1-py3-none-any.whl"), link("foo-1.0-py3-none-any.whl", yanked="")]
    assert run(links).candidates == []
    assert order(run(links, pre=True)) == ["foo-2.0b1-py3-none-any.whl"]


def test_hashes_given_put_matching_files_first_and_drop_other_hashed_files() -> None:
    links = [
        link("foo-2.0-py3-none-any.whl", hashes={"sha256": "bb"}),
        link("foo-1.0-py3-none-any.whl", hashes={"sha256": "aa"}),
        link("foo-1.0.tar.gz"),  # no index hash: kept, its hash is checked once downloaded
    ]
    ev = run(links, hashes=("sha256:AA",))
    assert [f.filename for r in ev.candidates for f in r.links] == [
        "foo-1.0-py3-none-any.whl",
        "foo-1.0.tar.gz",
    ]
    # When nothing matches, nothing is dropped (the download then reports the mismatch).
    assert len(run(links, hashes=("sha256:cc",)).candidates) == 2


def test_judged_links_can_be_selected_again_for_other_specifiers() -> None:
    judged = judge_links(PRE, "foo", tags=TAGS, python_version=PY)
    assert len(judged.usable) == 4 and judged.target == "cp312, manylinux_2_28_x86_64"
    releases = all_versions(judged)
    pick = [str(r.version) for r in applicable(releases, SpecifierSet())]
    assert pick == ["1.0.post1", "1.0"]
    narrowed = applicable(releases, SpecifierSet("<1.0.post1"))
    assert [str(r.version) for r in narrowed] == ["1.0"]
    assert applicable(releases, SpecifierSet(), pre=True)[0].version == Version("2.0b1")


def test_all_versions_for_a_resolver_that_filters_itself() -> None:
    links = [
        *PRE,
        link("foo-3.0-py3-none-any.whl", yanked="bad"),
        link("foo-3.0.tar.gz", yanked=""),
        link("foo-2.5-py3-none-any.whl", yanked="bad"),
        link("foo-2.5.tar.gz"),
        link("foo-9.0-cp27-none-any.whl"),
    ]
    judged = judge_links(links, "foo", tags=TAGS, python_version=PY)
    versions = all_versions(judged)
    assert [(str(r.version), r.yanked) for r in versions] == [
        ("3.0", "bad"),  # every file yanked: kept, flagged, for an == pin
        ("2.5", None),
        ("2.0b1", None),
        ("1.1.dev1", None),
        ("1.0.post1", None),
        ("1.0", None),
    ]
    assert [f.filename for f in versions[0].links] == ["foo-3.0-py3-none-any.whl", "foo-3.0.tar.gz"]
    assert [f.filename for f in versions[1].links] == ["foo-2.5.tar.gz"]  # the good file only
    assert judged.reasons() == ["no wheel of foo for your platform (cp312, manylinux_2_28_x86_64)"]
    # With --prefer-binary, a version counts by its usable files, not its yanked wheel.
    preferring = judge_links(links[4:8], "foo", tags=TAGS, python_version=PY,
                             binary=BinaryPolicy(prefer_binary=True))  # fmt: skip
    assert [str(r.version) for r in all_versions(preferring)] == ["3.0", "2.5"]


def test_all_versions_groups_equal_versions_and_ranks_by_version_then_tag_then_build() -> None:
    """Versions are ranked once each and files by their version's place: 1.0 and 1.0.0 are one
    release (named as its best file names it), files of a version rank by tag, then build tag,
    then the index's order; with hashes, the files they allow come first and differing ones go."""
    links = [
        link("foo-1.0.0.tar.gz", hashes={"sha256": "aa"}),
        link("foo-1.0-py3-none-any.whl", hashes={"sha256": "bb"}),
        link("foo-1.0-1-py3-none-any.whl", hashes={"sha256": "cc"}),
        link("foo-1.0-cp312-cp312-manylinux_2_17_x86_64.whl", hashes={"sha256": "dd"}),
        link("foo-0.9-cp312-cp312-manylinux_2_28_x86_64.whl"),
        link("foo-1.0.0-py3-none-any.whl", hashes={"sha256": "ee"}),
        link("foo-10.0.tar.gz"),
        link("foo-2.0-py3-none-any.whl"),
    ]
    judged = judge_links(links, "foo", tags=TAGS, python_version=PY)
    releases = all_versions(judged)
    assert [str(r.version) for r in releases] == ["10.0", "2.0", "1.0", "0.9"]
    assert [f.filename for f in releases[2].links] == [
        "foo-1.0-cp312-cp312-manylinux_2_17_x86_64.whl",  # the best tag
        "foo-1.0-1-py3-none-any.whl",  # a build tag beats none
        "foo-1.0.0-py3-none-any.whl",  # the same key: later on the page first, as before
        "foo-1.0-py3-none-any.whl",
        "foo-1.0.0.tar.gz",
    ]
    assert releases[2].version is releases[2].links[0].version
    preferring = judge_links(links, "foo", tags=TAGS, python_version=PY,
                             binary=BinaryPolicy(prefer_binary=True))  # fmt: skip
    assert [str(r.version) for r in all_versions(preferring)] == ["2.0", "1.0", "0.9", "10.0"]
    hashed = all_versions(judged, ["sha256:bb", "sha256:aa"])
    assert [str(r.version) for r in hashed] == ["1.0", "10.0", "2.0", "0.9"]
    assert [f.filename for f in hashed[0].links] == ["foo-1.0-py3-none-any.whl", "foo-1.0.0.tar.gz"]


def test_describe_target() -> None:
    assert describe_target(TAGS) == "cp312, manylinux_2_28_x86_64"
    linux = [*parse_tag("cp312-cp312-linux_x86_64"), *parse_tag("py3-none-any")]
    assert describe_target(linux) == "cp312, linux_x86_64"
    win = [*parse_tag("cp312-cp312-win_amd64"), *parse_tag("py3-none-any")]
    assert describe_target(win) == "cp312, win_amd64"
    assert describe_target([]) == "no supported tags"
