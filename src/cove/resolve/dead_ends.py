"""Candidates no solution can contain, whatever else is chosen, found before resolvelib tries them.

The user's own requirements and constraints hold in every solution. So a candidate with a
dependency that no candidate allowed by them can meet is a dead end, and so is a candidate whose
dependency leads only to dead ends. resolvelib learns nothing from a conflict: after
``a -> c1 -> ... -> c10 -> b==2`` meets the user's ``b==1`` it tries every combination of
versions of c1..c10 (3**10 with three each, the hang of issue 10) before it gives up. Pruning
dead ends first makes such a failure linear, and each dead end keeps the dependency that killed
it: the chain an explanation names.

Only proven facts are kept. A dependency cycle or a chain deeper than ``LEVELS`` is assumed to
work (that can only prune less, never wrongly); what was concluded under that assumption is not
kept beyond the walk that made it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

if TYPE_CHECKING:
    from cove.resolve.provider import Need

LEVELS = 60  # dependency levels walked at once; Python's stack allows about 100 here


class Graph(Protocol):
    """What the walk needs to know of the packages (the Provider)."""

    def dependencies(self, candidate: Any) -> Sequence[Need]: ...

    def options(self, need: Need) -> Iterator[Any] | None:
        """The candidates that could meet ``need`` in some solution, preferred first; None if
        that cannot be known cheaply (a direct reference that would have to be built)."""
        ...


class Refutation(NamedTuple):
    """Why no solution can meet ``need``: each candidate that could, with the dependency it
    cannot meet (``tried`` is empty when the user's requirements leave no candidate at all)."""

    need: Need
    tried: tuple[tuple[Any, Need], ...]


_UNKNOWN = object()


class DeadEnds:
    def __init__(self, graph: Graph) -> None:
        self._graph = graph
        self._proven: dict[object, Any] = {}  # node -> its Need/Refutation, or None: it works
        self._maybe: set[object] = set()  # works if the current walk's assumptions hold
        self._active: list[object] = []  # the walk's path
        self._assumed = False  # the current node's answer rests on an assumption
        self._keys: dict[int, tuple[Need, tuple[object, ...]]] = {}

    def blocker(self, candidate: Any) -> Need | None:
        """The dependency of ``candidate`` that no solution can meet; None if it may work."""
        found: Need | None = self._solve(("candidate", candidate), lambda: self._blocker(candidate))
        return found

    def refute(self, need: Need) -> Refutation | None:
        """Why no solution can meet ``need``; None if some candidate may."""
        found: Refutation | None = self._solve(self._key(need), lambda: self._refutation(need))
        return found

    def _blocker(self, candidate: Any) -> Need | None:
        for need in self._graph.dependencies(candidate):
            if self.refute(need) is not None:
                return need
        return None

    def _refutation(self, need: Need) -> Refutation | None:
        options = self._graph.options(need)
        if options is None:
            return None
        tried = []
        for candidate in options:
            why = self.blocker(candidate)
            if why is None:
                return None
            tried.append((candidate, why))
        return Refutation(need, tuple(tried))

    def _solve(self, node: object, compute: Callable[[], Any]) -> Any:
        known = self._proven.get(node, _UNKNOWN)
        if known is not _UNKNOWN:
            return known
        if node in self._maybe:
            return None
        if node in self._active or len(self._active) >= 2 * LEVELS:
            self._assumed = True  # a cycle, or too deep: assume it works
            return None
        outer, self._assumed = self._assumed, False
        self._active.append(node)
        try:
            found = compute()
        finally:
            self._active.pop()
            if not self._active:
                self._maybe.clear()
        if found is not None or not self._assumed:
            self._proven[node] = found  # a dead end never rests on an assumption
        elif self._active:
            self._maybe.add(node)
        self._assumed = (self._assumed or outer) and bool(self._active)
        return found

    def _key(self, need: Need) -> tuple[object, ...]:
        """Equal requirements from different parents share one answer; the key is built once
        per object (a specifier's text is slow to make) and the object kept so ids stay unique."""
        entry = self._keys.get(id(need))
        if entry is None:
            key = ("need", need.key, str(need.specifier), need.url, need.pinned)
            entry = self._keys[id(need)] = (need, key)
        return entry[1]
