"""PEP 503 project-name normalization without importing ``packaging.utils``, which pulls in
``packaging.tags`` (about 20 ms at startup): the read-only inspect commands need only this."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from collections.abc import Iterable

    from packaging.utils import NormalizedName

_SEPARATORS = re.compile(r"[-_.]+")


def canonical(name: str) -> NormalizedName:
    """The same result as ``packaging.utils.canonicalize_name(name)``."""
    return cast("NormalizedName", _SEPARATORS.sub("-", name).lower())


def option_names(values: Iterable[str]) -> frozenset[str]:
    """The projects a package-list option names (--only-binary, --no-binary), from each of its
    values: comma- or space-separated, canonical, ``:all:`` kept; ``:none:`` anywhere empties
    the set."""
    out: set[str] = set()
    for value in values:
        for item in value.replace(",", " ").split():
            out.add(item if item in (":all:", ":none:") else canonical(item))
    if ":none:" in out:
        out = set()
    return frozenset(out)
