"""PEP 503 project-name normalization without importing ``packaging.utils``, which pulls in
``packaging.tags`` (about 20 ms at startup): the read-only inspect commands need only this."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from packaging.utils import NormalizedName

_SEPARATORS = re.compile(r"[-_.]+")


def canonical(name: str) -> NormalizedName:
    """The same result as ``packaging.utils.canonicalize_name(name)``."""
    return cast("NormalizedName", _SEPARATORS.sub("-", name).lower())
