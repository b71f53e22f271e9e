"""``pip inspect``'s JSON report (format version 1) for an environment's distributions."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from email.message import Message
from typing import Any

from cove.inspect.installed import InstalledDistribution

# Core metadata fields in PEP 566 order; True where a field may repeat.
FIELDS = (
    ("Metadata-Version", False), ("Name", False), ("Version", False), ("Dynamic", True),
    ("Platform", True), ("Supported-Platform", True), ("Summary", False),
    ("Description", False), ("Description-Content-Type", False), ("Keywords", False),
    ("Home-page", False), ("Download-URL", False), ("Author", False), ("Author-email", False),
    ("Maintainer", False), ("Maintainer-email", False), ("License", False),
    ("Classifier", True), ("Requires-Dist", True), ("Requires-Python", False),
    ("Requires-External", True), ("Project-URL", True), ("Provides-Extra", True),
    ("Provides-Dist", True), ("Obsoletes-Dist", True),
)  # fmt: skip


def metadata_json(msg: Message) -> dict[str, Any]:
    """PEP 566's JSON form of core metadata (keywords split, the body as description)."""
    out: dict[str, Any] = {}
    for field, multi in FIELDS:
        if field not in msg:
            continue
        key = field.lower().replace("-", "_")
        if multi:
            out[key] = [str(v) for v in msg.get_all(field) or []]
            continue
        value = str(msg.get(field))
        if key == "keywords":
            out[key] = [v.strip() for v in value.split(",")] if "," in value else value.split()
        else:
            out[key] = value
    body = msg.get_payload()
    if isinstance(body, str) and body:
        out["description"] = body
    return out


def inspect_report(
    dists: Sequence[InstalledDistribution], markers: Mapping[str, str], tool_version: str
) -> str:
    from pathlib import Path

    installed = []
    for dist in dists:
        entry: dict[str, Any] = {
            "metadata": metadata_json(dist.metadata()),
            "metadata_location": str(dist.path),
        }
        direct = dist.direct_url()
        if direct is not None:
            entry["direct_url"] = direct
        elif dist.path.suffix == ".egg-info" and dist.editable_location():
            location = dist.editable_location() or ""
            entry["direct_url"] = {"url": Path(location).as_uri(), "dir_info": {"editable": True}}
        if dist.installer:
            entry["installer"] = dist.installer
        if dist.path.suffix == ".dist-info":
            entry["requested"] = dist.requested
        installed.append(entry)
    report = {
        "version": "1",
        "pip_version": tool_version,
        "installed": installed,
        "environment": dict(markers),
    }
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"
