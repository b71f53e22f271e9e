"""Markers on the requirements and constraints a person gives (``winonly; sys_platform ==
"win32"``), evaluated once for the target environment before anything is resolved: those that
do not hold are dropped, requirements with pip's message, constraints silently as pip does."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

from packaging.markers import Marker
from packaging.requirements import Requirement


def marker_holds(marker: Marker | None, environment: Mapping[str, str]) -> bool:
    """Whether a top-level marker holds for ``environment`` (the target interpreter's marker
    values; ``extra`` is empty, since nothing asked for an extra of the person's own list)."""
    return marker is None or marker.evaluate({**environment, "extra": ""})


def ignored_message(name: str, marker: Marker) -> str:
    """What pip says of a requirement whose marker does not hold."""
    return f"Ignoring {name}: markers '{marker}' don't match your environment"


def applies(
    name: str, marker: Marker | None, environment: Mapping[str, str], warn: Callable[[str], None]
) -> bool:
    """Whether a requirement the person gave applies to ``environment``; one that does not is
    named through ``warn`` with pip's message."""
    if marker_holds(marker, environment):
        return True
    assert marker is not None
    warn(ignored_message(name, marker))
    return False


class Applicable(NamedTuple):
    requirements: tuple[Requirement, ...]
    constraints: tuple[Requirement, ...]
    ignored: tuple[str, ...]  # one message per requirement dropped


def for_environment(
    requirements: Sequence[Requirement],
    constraints: Sequence[Requirement],
    environment: Mapping[str, str],
) -> Applicable:
    """The requirements and constraints whose markers hold for ``environment``."""
    kept = tuple(r for r in requirements if marker_holds(r.marker, environment))
    dropped = tuple(
        ignored_message(r.name, r.marker)
        for r in requirements
        if r.marker is not None and not marker_holds(r.marker, environment)
    )
    limits = tuple(c for c in constraints if marker_holds(c.marker, environment))
    return Applicable(kept, limits, dropped)
