"""Conflicts the resolver must end quickly, each explained as the chain from what was asked to
what cannot be met, and graphs resolvelib alone gets wrong or takes forever on (issue 10). A
loop fails the test through its timeout instead of hanging the suite."""

from __future__ import annotations

import re
from collections.abc import Iterable

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name

from cove.index.metadata import CandidateMetadata, MetadataError
from cove.resolve.explain import ResolutionError
from cove.resolve.provider import ExtrasCandidate, Need, Provider
from cove.resolve.resolver import resolve
from cove.resolve.source import Candidate
from tests.support import graphs
from tests.support.graphs import Graph, Projects
from tests.support.memory import MemorySource, policy, release

pytestmark = pytest.mark.timeout(60)


def pins(source: MemorySource, reqs: list[str], **kw: object) -> dict[str, str]:
    result = resolve([Requirement(r) for r in reqs], source, policy(**kw))
    return {str(n): str(c.version) for n, c in result.chosen.items()}


def explanation(source: MemorySource, reqs: list[str], **kw: object) -> list[str]:
    """The lines under "cannot resolve the requirements:"."""
    with pytest.raises(ResolutionError) as info:
        pins(source, reqs, **kw)
    first, *rest = info.value.message.splitlines()
    assert first == "cannot resolve the requirements:"
    return [line.removeprefix("  ") for line in rest]


def chain(depth: int, versions: tuple[str, ...], last: str) -> Graph:
    """a -> c1 -> ... -> c<depth> -> ``last``, and b 1.0 and 2.0."""
    projects = graphs.chain(versions, last, depth)
    projects["b"] = {"1.0": ([], None), "2.0": ([], None)}
    return projects


SIMPLE = MemorySource(
    {"a": {"1.0": (["b==2.0"], None)}, "b": {"1.0": ([], None), "2.0": ([], None)}}
)


@pytest.mark.parametrize("order", [["a", "b==1.0"], ["b==1.0", "a"]])
def test_the_smallest_conflict(order: list[str]) -> None:
    assert explanation(SIMPLE, order) == [
        "you asked for a",
        "a 1.0 requires b==2.0, but you asked for b==1.0",
        "so a cannot be installed",
    ]


def test_a_deep_conflict_with_a_pin_of_the_user_is_found_without_trying_combinations() -> None:
    """3**10 combinations of c1..c10 lead to b==2.0 against the user's b==1.0: resolvelib >= 1.1
    tried them all before (pip with resolvelib 1.2 takes over a minute); each candidate's
    metadata is now read once."""
    source = MemorySource(chain(10, ("1.0", "2.0", "3.0"), "b==2.0"))
    lines = explanation(source, ["a", "b==1.0"])
    assert lines[:3] == ["you asked for a", "a 1.0 requires c1", "c1 1.0, 2.0 and 3.0 require c2"]
    assert lines[-2:] == [
        "c10 1.0, 2.0 and 3.0 require b==2.0, but you asked for b==1.0",
        "so a cannot be installed",
    ]
    assert len(lines) == 13
    assert len(source.metadata_calls) == len(set(source.metadata_calls))  # each read once


def test_a_deep_conflict_with_the_only_version_of_another_request() -> None:
    """z has one version, so its b==1.0 holds in every solution, as the user's own would."""
    projects = chain(10, ("1.0", "2.0", "3.0"), "b==2.0")
    projects["z"] = {"1.0": (["b==1.0"], None)}
    lines = explanation(MemorySource(projects), ["a", "z"])
    assert lines[-2] == (
        "c10 1.0, 2.0 and 3.0 require b==2.0, but you asked for z, and z 1.0 (the only choice) "
        "requires b==1.0"
    )


def test_a_deep_chain_that_resolves_through_its_oldest_versions() -> None:
    projects = chain(10, ("2.0", "3.0"), "b==2.0")
    projects["c10"]["1.0"] = (["b==1.0"], None)
    got = pins(MemorySource(projects), ["a", "b==1.0"])
    assert got["c10"] == "1.0" and got["c9"] == "3.0" and got["b"] == "1.0"


def test_a_chain_deeper_than_one_walk() -> None:
    """Beyond the levels walked at once the resolver goes on by itself: no RecursionError, and
    the conflict at the bottom is still explained."""
    source = MemorySource(chain(150, ("1.0",), "b==2.0"))
    assert explanation(source, ["a", "b==1.0"]) == [
        "you asked for b==1.0, but you also asked for a, and a 1.0 (the only choice) requires "
        "c1, and c1 1.0 (the only choice) requires c2, and ..., and c149 1.0 (the only choice) "
        "requires c150, and c150 1.0 (the only choice) requires b==2.0"
    ]
    two = chain(150, ("1.0", "2.0"), "b==2.0")  # no only choices: the chain is walked instead
    lines = explanation(MemorySource(two), ["a", "b==1.0"])
    assert len(lines) == 24 and lines[8].endswith("more lines like these)")
    assert lines[-2:] == [
        "c150 1.0 and 2.0 require b==2.0, but you asked for b==1.0",
        "so a cannot be installed",
    ]
    assert pins(MemorySource(chain(150, ("1.0",), "b")), ["a", "b==1.0"])["c150"] == "1.0"


def test_many_versions_where_none_fits() -> None:
    source = MemorySource(
        {
            "a": {f"1.{i}": (["b==2.0"], None) for i in range(200)},
            "b": {"1.0": ([], None), "2.0": ([], None)},
        }
    )
    assert explanation(source, ["a", "b==1.0"])[1] == (
        "a 1.0 to 1.199 (200 versions) require b==2.0, but you asked for b==1.0"
    )


def test_many_versions_where_only_the_oldest_fits() -> None:
    projects: Projects = {
        "a": {"1.0": (["b==1.0"], None), **{f"1.{i}": (["b==2.0"], None) for i in range(1, 200)}},
        "b": {"1.0": ([], None), "2.0": ([], None)},
    }
    assert pins(MemorySource(projects), ["a", "b==1.0"]) == {"a": "1.0", "b": "1.0"}


def test_a_missing_project_deep_in_the_graph() -> None:
    source = MemorySource(
        {
            "a": {"1.0": (["c"], None)},
            "c": {"1.0": (["d>=1"], None)},
            "d": {"1.0": (["nope"], None)},
        }
    )
    assert explanation(source, ["a"]) == [
        "you asked for a",
        "a 1.0 requires c",
        "c 1.0 requires d>=1",
        "d 1.0 requires nope, but no versions of nope were found",
        "so a cannot be installed",
    ]


def test_an_extra_that_needs_what_the_user_excludes() -> None:
    source = MemorySource(
        {
            "a": {"1.0": (['b==1.0; extra == "x"'], None)},
            "b": {"1.0": ([], None), "2.0": ([], None)},
        }
    )
    assert explanation(source, ["a[x]", "b==2.0"])[:2] == [
        "you asked for a[x]",
        "a[x] 1.0 requires b==1.0, but you asked for b==2.0",
    ]
    assert pins(source, ["a", "b==2.0"]) == {"a": "1.0", "b": "2.0"}  # without the extra


def test_an_extras_base_that_cannot_be_used_is_told_as_the_base() -> None:
    source = MemorySource(
        {
            "e": {"2.0": (["b==2.0", 'x; extra == "y"'], None), "1.0": (['x; extra == "y"'], None)},
            "b": {"1.0": ([], None), "2.0": ([], None)},
            "x": {"1.0": ([], None)},
        }
    )
    assert pins(source, ["e[y]", "b==1.0"]) == {"e": "1.0", "b": "1.0", "x": "1.0"}
    assert explanation(source, ["e[y]==2.0", "b==1.0"])[1] == (
        "e 2.0 requires b==2.0, but you asked for b==1.0"
    )


def test_local_versions_pinned_against_each_other() -> None:
    source = MemorySource(
        {"a": {"1.0": (["b==2.0+foo"], None)}, "b": {"2.0+foo": ([], None), "2.0+bar": ([], None)}}
    )
    assert explanation(source, ["a", "b==2.0+bar"])[1] == (
        "a 1.0 requires b==2.0+foo, but you asked for b==2.0+bar"
    )


def test_a_dependency_that_excludes_the_only_range_the_user_allows() -> None:
    source = MemorySource(
        {
            "a": {"1.0": (["b<2,!=1.5"], None)},
            "b": {"1.0": ([], None), "1.5": ([], None), "2.0": ([], None)},
        }
    )
    assert explanation(source, ["a", "b>=1.5"])[1] == (
        "a 1.0 requires b!=1.5,<2, but you asked for b>=1.5"
    )
    assert explanation(source, ["b>=3"]) == [
        "you asked for b>=3, but no version of b matches it (b has 1.0, 1.5, 2.0)"
    ]


def test_two_pins_of_the_user() -> None:
    assert explanation(SIMPLE, ["b==1.0", "b==2.0"]) == [
        "you asked for b==1.0, but you also asked for b==2.0"
    ]


def test_a_constraint_is_named() -> None:
    lines = explanation(SIMPLE, ["a"], constraints={NormalizedName("b"): SpecifierSet("<2")})
    assert lines[1] == "a 1.0 requires b==2.0, but your constraint is b<2"


def test_a_conflict_through_the_only_choices_of_other_requests() -> None:
    projects: Projects = {
        "p": {"1.0": (["x"], None)},
        "x": {"1.0": (["c==1"], None)},
        "d": {"1.0": (["c==2"], None), "2.0": (["c==2"], None)},
        "c": {"1": ([], None), "2": ([], None)},
    }
    assert explanation(MemorySource(projects), ["p", "d"]) == [
        "you asked for d",
        "d 1.0 and 2.0 require c==2, but you asked for p, and p 1.0 (the only choice) requires "
        "x, and x 1.0 (the only choice) requires c==1",
        "so d cannot be installed",
    ]


def test_a_conflict_between_dependencies_names_both_chains() -> None:
    """Neither side is a dead end by itself, so the explanation is resolvelib's last conflict,
    each requirement with the way from the user to it."""
    source = MemorySource(
        {
            "p": {"1.0": (["x"], None), "2.0": (["x"], None)},
            "x": {"1.0": (["c==1"], None)},
            "d": {"1.0": (["c==2"], None), "2.0": (["c==2"], None)},
            "c": {"1": ([], None), "2": ([], None)},
        }
    )
    lines = explanation(source, ["p", "d"])
    # which versions of p and d the resolver held last depends on resolvelib's version
    assert any(
        re.fullmatch(r"you asked for p; p .\.0 requires x; x 1.0 requires c==1", x) for x in lines
    )
    assert any(re.fullmatch(r"you asked for d; d .\.0 requires c==2", x) for x in lines)
    assert lines[-1] == "no version of c meets all of these (c has 1, 2)"


def test_a_cycle_with_a_conflict_ends() -> None:
    source = MemorySource(
        {
            "a": {"1.0": (["b"], None)},
            "b": {"1.0": (["a", "c==2"], None)},
            "c": {"1": ([], None), "2": ([], None)},
        }
    )
    assert explanation(source, ["a", "c==1"])[1:3] == [
        "a 1.0 requires b",
        "b 1.0 requires c==2, but you asked for c==1",
    ]
    assert pins(source, ["a"]) == {"a": "1.0", "b": "1.0", "c": "2"}


def test_a_solvable_graph_that_backjumping_alone_calls_impossible() -> None:
    """resolvelib's backjump skips p1 1 here (its issue 206): p2 2 needs a p1 that does not
    exist, and p1 2 leads back to p2==2. Known dead ends are never offered, so it is not
    led there."""
    source = MemorySource(
        {
            "p0": {"2": (["p2==2"], None)},
            "p1": {"2": (["p0==2"], None), "1": ([], None)},
            "p2": {"2": (["p1==3"], None), "1": (["p1>=1,<3"], None)},
        }
    )
    assert pins(source, ["p2"]) == {"p2": "1", "p1": "1"}


@pytest.mark.parametrize("seed", [2, 5])
def test_random_graphs_with_ranges_resolve(seed: int) -> None:
    projects = graphs.random_graph(seed)
    got = pins(MemorySource(projects), ["p0", "p1", "p2"])
    for name, version in got.items():  # every requirement of every chosen candidate holds
        for dep in projects[name][version][0]:
            req = Requirement(dep)
            assert req.specifier.contains(got[canonicalize_name(req.name)]), (name, dep)


def listed(matches: object) -> list[str]:
    """resolvelib takes a sequence or a factory of iterators from find_matches."""
    found = matches() if callable(matches) else matches
    assert isinstance(found, Iterable)
    return [str(c) for c in found]


def test_find_matches_answers_an_identifier_with_no_requirement_left() -> None:
    """resolvelib asks for an identifier whose parents were all un-pinned (while patching the
    state after a backjump); this used to raise IndexError."""
    provider = Provider(SIMPLE, policy())
    for identifier in ("b", "b[x]"):
        found = provider.find_matches(identifier, {identifier: iter(())}, {identifier: iter(())})
        assert listed(found) == [f"{identifier} 2.0", f"{identifier} 1.0"]


def test_find_matches_leaves_out_incompatible_candidates_of_every_identifier() -> None:
    provider = Provider(SIMPLE, policy())
    b = NormalizedName("b")
    need = Need(b, frozenset({"x"}))
    newest = ExtrasCandidate(release("b", "2.0"), frozenset({"x"}))
    found = provider.find_matches("b[x]", {"b[x]": iter([need])}, {"b[x]": iter([newest])})
    assert listed(found) == ["b[x] 1.0"]
    found = provider.find_matches("b", {"b": iter([Need(b)])}, {"b": iter([release("b", "2.0")])})
    assert listed(found) == ["b 1.0"]


def test_a_resolver_that_gives_up_names_the_projects_most_in_conflict(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Seed 2 needs about 600 rounds; with 50 allowed the resolver gives up, and the error says
    which projects to pin."""
    from cove.resolve import resolver

    monkeypatch.setattr(resolver, "ROUNDS", 50)
    with pytest.raises(ResolutionError) as info:
        pins(MemorySource(graphs.random_graph(2)), ["p0", "p1", "p2"])
    message = info.value.message
    assert message.startswith("the resolver gave up after 50 rounds")
    names = message.partition("most often in conflict: ")[2].rstrip(")").split(", ")
    assert 1 <= len(names) <= 5 and all(re.fullmatch(r"p\d+", n) for n in names)
    assert info.value.hint == "pin some of these more tightly (name==version, or a narrower range)"


class BrokenSource(MemorySource):
    """x's metadata cannot be read (a build that fails, an index that errs)."""

    def metadata(self, candidate: Candidate) -> CandidateMetadata:
        if candidate.name == "x":
            raise MetadataError("x 1.0: its metadata is broken", hint="try another")
        return super().metadata(candidate)


def test_an_explanation_that_cannot_look_further_says_what_is_known() -> None:
    """The conflict is found before x is looked at; explaining it must not fail on x."""
    source = BrokenSource(
        {
            "a": {"1.0": (["b==2.0"], None)},
            "b": {"1.0": ([], None), "2.0": ([], None)},
            "x": {"1.0": ([], None)},
        }
    )
    lines = explanation(source, ["b==1.0", "a", "x"])
    assert "you asked for b==1.0" in lines
    assert "you asked for a; a 1.0 requires b==2.0" in lines
