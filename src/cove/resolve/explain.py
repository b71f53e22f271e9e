"""Why nothing satisfies the requirements, in a few lines a person can act on: the chain from
what they asked for, through each parent, to the requirement that cannot be met and why."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from packaging.utils import NormalizedName
from packaging.version import Version

from cove.errors import CoveError
from cove.resolve.provider import PYTHON, ExtrasCandidate, Need, Provider
from cove.resolve.source import Candidate

if TYPE_CHECKING:
    from cove.resolve.dead_ends import Refutation

MAX_LINES = 24
HEAD = 8  # lines kept before a cut

HINT_DEFAULT = "loosen or change the requirements above, or check the index has what you need"
HINT_PYTHON = "use an environment with a Python that fits (cove create -p VERSION)"
HINT_MISSING = "check the name and the index (--index-url, --extra-index-url, --find-links)"
HINT_YANKED = "choose another version, or pin the yanked one with == in your own requirements"
HINT_URLS = "ask for {name} from one URL, the same one everywhere"


class ResolutionError(CoveError):
    """No set of candidates satisfies every requirement."""


@dataclass
class _Writer:
    provider: Provider
    lines: list[str] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)

    def hint(self, text: str) -> None:
        if text not in self.hints:
            self.hints.append(text)


def explain(causes: Iterable[Any], provider: Provider) -> ResolutionError:
    """The error for resolvelib's ResolutionImpossible ``causes`` (requirement, parent) pairs."""
    w = _Writer(provider)
    unique = list({(str(i.requirement), _label(i.parent)): i for i in causes}.values())
    try:
        refuted = _refuted_requests(provider) or [
            (i, r) for i in unique if (r := provider.dead_ends.refute(i.requirement))
        ]
    except CoveError:  # looking further failed (a build, the network): say what is known
        refuted = []
    if refuted:
        told: set[NormalizedName] = set()
        for info, refutation in refuted:
            need = info.requirement
            if info.parent is None and not refutation.tried:
                if need.name in told:
                    continue  # "b==1 but also b==2" says "b==2 but also b==1" too
                told.add(need.name)
            _chain(w, need, info.parent, refutation)
    else:
        _conflicts(w, unique)
    lines = w.lines
    if len(lines) > MAX_LINES:  # the start and the end say most: what was asked, what fails
        cut = len(lines) - MAX_LINES + 1
        lines = [*lines[:HEAD], f"... ({cut} more lines like these)", *lines[HEAD + cut :]]
    hint = w.hints[0] if len(w.hints) == 1 else HINT_DEFAULT
    if HINT_PYTHON in w.hints:
        hint = HINT_PYTHON
    return ResolutionError("cannot resolve the requirements:\n  " + "\n  ".join(lines), hint=hint)


@dataclass(frozen=True, slots=True)
class _Asked:
    """A user's requirement in the shape of resolvelib's RequirementInformation."""

    requirement: Need
    parent: None = None


def _refuted_requests(provider: Provider) -> list[tuple[Any, Refutation]]:
    """The user's own requirements no solution can meet: whatever resolvelib last tried, these
    say it from the start. One that fails only against the others' needs ("b==1, but a 1.0
    requires b==2") is left out when another one says it as a chain."""
    found = [(_Asked(n), r) for n in provider.root if (r := provider.dead_ends.refute(n))]
    chains = [(i, r) for i, r in found if r.tried]
    return chains or found


# -- a requirement no solution can meet --------------------------------------------------------


def _chain(w: _Writer, need: Need, parent: Any, refutation: Refutation) -> None:
    """From the user's requirement down to what cannot be met."""
    head = _asked(w, need, parent)
    w.seen.add(str(need))
    if not refutation.tried:
        w.lines.append(f"{head}, but {_why(w, need)}")
        return
    w.lines.append(head)
    _tree(w, refutation, "")
    if parent is None:
        w.lines.append(f"so {need} cannot be installed")


def _asked(w: _Writer, need: Need, parent: Any) -> str:
    """ "you asked for a", or how the resolver came to the parent that asked for ``need``."""
    if parent is None:
        return f"you asked for {need}"
    return "; ".join([*_path(w.provider, parent), f"{_label(parent)} requires {need}"])


def _tree(w: _Writer, refutation: Refutation, indent: str) -> None:
    """One line per group of candidates that fail on the same dependency, each followed by why
    that dependency cannot be met (indented when the candidates fail in different ways)."""
    groups: dict[str, tuple[list[Any], Need]] = {}
    for candidate, dependency in refutation.tried:
        who, why = _unwrap(w.provider, candidate, dependency)
        groups.setdefault(str(why), ([], why))[0].append(who)
    inner = indent + ("  " if len(groups) > 1 else "")
    for text, (candidates, dependency) in groups.items():
        requires = f"{_versions(candidates)} {'requires' if len(candidates) == 1 else 'require'}"
        below = w.provider.dead_ends.refute(dependency)
        assert below is not None  # it is why each of these candidates is a dead end
        if not below.tried:
            w.lines.append(f"{indent}{requires} {text}, but {_why(w, dependency)}")
        elif text in w.seen:
            w.lines.append(f"{indent}{requires} {text}, which cannot be met (see above)")
        else:
            w.seen.add(text)
            w.lines.append(f"{indent}{requires} {text}")
            _tree(w, below, inner)


def _unwrap(provider: Provider, candidate: Any, dependency: Need) -> tuple[Any, Need]:
    """``b[x] 1.0`` failing on its own base ``b==1.0`` is told as the base's failure."""
    while isinstance(candidate, ExtrasCandidate) and dependency.pinned is not None:
        base = dependency.pinned
        found = provider.dead_ends.blocker(base)
        if found is None:
            break
        candidate, dependency = base, found
    return candidate, dependency


def _why(w: _Writer, need: Need) -> str:
    """Why no candidate at all is left for ``need``, given the user's own requirements."""
    p = w.provider
    if need.name == PYTHON:
        w.hint(HINT_PYTHON)
        return f"the environment has Python {p.policy.python_version}"
    name = need.name
    versions = _known(p, need)
    if not versions:
        w.hint(HINT_MISSING)
        return p.source.describe_unavailable(name) or f"no versions of {name} were found"
    fits = [c for c in versions if p.admits(need.specifier, c.version)]
    if not fits:
        skipped = p.source.describe_unavailable(name)
        if skipped and "requires Python" in skipped:
            w.hint(HINT_PYTHON)
        else:
            w.hint(HINT_DEFAULT)
        seen = f"; also seen and skipped: {skipped}" if skipped else ""
        return f"no version of {name} matches it ({name} has {_shown(versions)}){seen}"
    root = [r for r in p.root_for(name) if r is not need]
    constraint = p.policy.constraints.get(name)
    also = any(need is r for r in p.root)
    reasons = [
        _given(p, r, also) for r in root if any(not p.admits(r.specifier, c.version) for c in fits)
    ]
    if constraint is not None and any(not constraint.contains(c.version, True) for c in fits):
        reasons.append(f"your constraint is {name}{constraint}")
    left = [
        c
        for c in fits
        if all(p.admits(r.specifier, c.version) for r in root)
        and (constraint is None or constraint.contains(c.version, prereleases=True))
    ]
    yanked = [c for c in left if isinstance(c, Candidate) and c.yanked is not None]
    if left and len(yanked) == len(left):
        w.hint(HINT_YANKED)
        y = yanked[0]
        because = f" ({y.yanked})" if y.yanked else ""
        only = "is" if len(yanked) == 1 else "and the others that match are"
        return (
            f"{name} {y.version}{because} {only} yanked, and a yanked version is used only when "
            "your own requirement pins it with =="
        )
    w.hint(HINT_DEFAULT)
    if reasons:
        return " and ".join(reasons)
    return f"no version of {name} meets it together with your requirements"


def _given(p: Provider, need: Need, also: bool = False) -> str:
    """How a requirement every solution meets came to be: the user asked for it, or it is a
    requirement of the only choice for one they asked for (a long way shown by its ends)."""
    steps: list[str] = []
    while (via := p.implied_by(need)) is not None:
        steps.insert(0, f"{_label(via[1])} (the only choice) requires {need}")
        need = via[0]
    if len(steps) > 4:
        steps = [*steps[:2], "...", *steps[-2:]]
    return ", and ".join([f"you {'also ' if also else ''}asked for {need}", *steps])


def _known(p: Provider, need: Need) -> list[Any]:
    """Every version of the project cove could see, installed one included."""
    if need.pinned is not None:
        return [need.pinned]
    found: list[Any] = list(p.listing(need.name))
    installed = p.policy.installed.get(need.name)
    if installed is not None and installed.version not in {c.version for c in found}:
        found.append(installed)
    return found


# -- requirements that conflict in the resolver's last state -------------------------------------


def _conflicts(w: _Writer, causes: Sequence[Any]) -> None:
    """Requirements on one project that no version meets together, each with where it came from
    (several versions of one parent that want the same thing share a line)."""
    p = w.provider
    by_name: dict[NormalizedName, dict[tuple[str, str], tuple[Need, list[Any]]]] = {}
    for info in causes:
        need: Need = info.requirement
        key = (str(need), "" if info.parent is None else p.identify(info.parent))
        entry = by_name.setdefault(need.name, {}).setdefault(key, (need, []))
        if info.parent is not None:
            entry[1].append(info.parent)
    for name, items in by_name.items():
        for need, parents in items.values():
            if not parents:
                w.lines.append(f"you asked for {need}")
                continue
            path = _path(p, parents[0])
            verb = "requires" if len(parents) == 1 else "require"
            w.lines.append("; ".join([*path, f"{_versions(parents)} {verb} {need}"]))
        if name == PYTHON:
            w.lines.append(f"the environment has Python {p.policy.python_version}")
            w.hint(HINT_PYTHON)
            continue
        urls = list(dict.fromkeys(url for need, _ in items.values() if (url := _url(need))))
        if len(urls) > 1:  # one project comes from one place: whatever the index has
            count = "two" if len(urls) == 2 else str(len(urls))
            w.lines.append(f"{name} cannot be installed from {count} URLs at once: {_listed(urls)}")
            w.hint(HINT_URLS.format(name=name))
            continue
        some = next(iter(items.values()))[0]
        versions = _known(p, some)
        if not versions:
            w.lines.append(
                p.source.describe_unavailable(name) or f"no versions of {name} were found"
            )
            w.hint(HINT_MISSING)
            continue
        line = f"no version of {name} meets all of these ({name} has {_shown(versions)})"
        constraint = p.policy.constraints.get(name)
        if constraint is not None:
            line += f"; your constraint is {name}{constraint}"
        skipped = p.source.describe_unavailable(name)
        if skipped:
            line += f"; also seen and skipped: {skipped}"
            if "requires Python" in skipped:
                w.hint(HINT_PYTHON)
        w.lines.append(line)
        w.hint(HINT_DEFAULT)


def _url(need: Need) -> str | None:
    """The URL ``need`` asks for: its own, or that of the direct reference it is pinned to
    (``pkg[x] @ URL`` needs ``pkg`` from that very URL)."""
    return need.url or (need.pinned.url if need.pinned is not None else None)


def _path(p: Provider, candidate: Any) -> list[str]:
    """How the resolver came to ``candidate``: "you asked for x", "x 1.0 requires y", ...
    (the shortest way it recorded, at most four steps shown)."""
    frontier: list[tuple[Any, list[str]]] = [(candidate, [])]
    visited = {candidate}
    while frontier:
        current, trail = frontier.pop(0)
        for need, parent in p.asked.get(p.identify(current), []):
            if not p.is_satisfied_by(need, current):
                continue
            if parent is None:
                steps = [f"you asked for {need}", *trail]
                return steps if len(steps) <= 4 else [steps[0], "...", *steps[-2:]]
            if parent not in visited:
                visited.add(parent)
                frontier.append((parent, [f"{_label(parent)} requires {need}", *trail]))
    return []


# -- words ---------------------------------------------------------------------------------------


def _label(candidate: Any) -> str:
    if candidate is None:
        return ""
    installed = isinstance(candidate, Candidate) and candidate.installed
    return f"{candidate} (installed)" if installed else str(candidate)


def _versions(candidates: Sequence[Any]) -> str:
    """``a 1.0``, ``a 1.0 and 2.0``, ``a 1.0, 2.0 and 3.0``, or ``a 1.0 to 9.0 (12 versions)``."""
    if len(candidates) == 1:
        return _label(candidates[0])
    first = candidates[0]
    name = str(first).rsplit(" ", 1)[0]
    versions = sorted({c.version for c in candidates})
    if len(versions) == 1:
        return f"{name} {versions[0]}"
    if len(versions) <= 4:
        return f"{name} {_listed([str(v) for v in versions])}"
    return f"{name} {versions[0]} to {versions[-1]} ({len(versions)} versions)"


def _listed(items: Sequence[str]) -> str:
    """``a and b``, ``a, b and c``."""
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _shown(candidates: Iterable[Any]) -> str:
    versions: list[Version] = sorted({c.version for c in candidates})
    shown = ", ".join(str(v) for v in versions[-8:])
    return f"{shown} (and {len(versions) - 8} older)" if len(versions) > 8 else shown
