"""The prepare stage of an install: the wheel file of every candidate the plan installs, taken
from the cache, downloaded in parallel (hash-checked) or built from its sdist."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from cove.prepare.artifacts import Fetch
from cove.resolve.source import Candidate, DirectReference

if TYPE_CHECKING:
    from collections.abc import Callable

    from packaging.utils import NormalizedName

    from cove.prepare.artifacts import DownloadProgress
    from cove.prepare.source import IndexSource


def prepare_wheels(
    candidates: Sequence[Candidate],
    source: IndexSource,
    required: Mapping[NormalizedName, frozenset[str]],
    progress: Callable[[int], DownloadProgress | None],
) -> dict[NormalizedName, Path]:
    """name -> wheel file. ``required`` are the user's --hash values; ``progress`` makes the
    display for that many downloads (None: no display)."""
    built: dict[NormalizedName, Path] = {}
    items: dict[NormalizedName, Fetch] = {}
    for c in candidates:
        link = c.link
        assert link is not None, f"{c} is installed already"
        if link.is_wheel:
            items[c.name] = Fetch(
                link.url, link.filename, link.hashes, required.get(c.name, frozenset()), str(c)
            )
        else:  # an sdist from an index, fetched for its metadata during resolution
            builder = source.builder
            assert builder is not None and not isinstance(c.origin, DirectReference)
            sdist = source.metadata_reader.sdist(c)
            built[c.name] = builder.from_sdist(sdist, str(c), project=c.name)
    board = progress(len(items))
    completed = False
    try:
        paths = source.preparer.fetch(list(items.values()), board)
        completed = True
    finally:
        if board is not None:  # also on an error or Ctrl-C: the terminal gets its cursor back
            board.close(completed)
    return {**built, **{name: paths[item.url] for name, item in items.items()}}
