"""``--report``: the JSON installation report pip writes (format version 1), for tools that read
it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cove.operations.pipeline import InstallOutcome
    from cove.prepare.source import IndexSource
    from cove.venv.environment import Environment


def install_report(outcome: InstallOutcome, env: Environment, source: IndexSource) -> str:
    from cove import __version__

    items: list[dict[str, Any]] = []
    for candidate in outcome.plan.install:
        link = candidate.link
        assert link is not None
        meta = source.metadata(candidate)
        archive: dict[str, Any] = {}
        if "sha256" in link.hashes:
            archive = {"hash": f"sha256={link.hashes['sha256']}", "hashes": dict(link.hashes)}
        metadata: dict[str, Any] = {
            "metadata_version": "2.1",
            "name": meta.name,
            "version": str(meta.version),
        }
        if meta.requires_dist:
            metadata["requires_dist"] = [str(r) for r in meta.requires_dist]
        if meta.requires_python is not None:
            metadata["requires_python"] = str(meta.requires_python)
        if meta.provides_extras:
            metadata["provides_extra"] = sorted(meta.provides_extras)
        entry: dict[str, Any] = {
            "download_info": {"url": link.url, "archive_info": archive},
            "is_direct": candidate.direct,
            "is_yanked": candidate.yanked is not None,
            "requested": candidate.name in outcome.plan.requested,
            "metadata": metadata,
        }
        extras = outcome.resolution.extras.get(candidate.name) if outcome.resolution else None
        if extras and entry["requested"]:
            entry["requested_extras"] = sorted(extras)
        items.append(entry)
    report = {
        "version": "1",
        "pip_version": f"cove {__version__}",
        "install": items,
        "environment": dict(env.interpreter.markers),
    }
    return json.dumps(report, indent=2, sort_keys=False) + "\n"
