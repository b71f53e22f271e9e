"""Where a run's time went, seen from the index: read the request log bench_remote.py keeps
(``--log-dir``: one ``<scenario>-<state>-<tool>-<n>.jsonl`` per run, times in seconds from just
before the tool started) and print what was asked when, how much was in flight, and the gaps in
which nothing was (the tool computing, or waiting on itself).

    .venv/bin/python bench/breakdown.py /tmp/logs/install-cold-cove-0.jsonl --timeline 0.5

The run's wall time (from ``<name>.run.json`` beside the log, or ``--wall``) adds the tail after
the last answer: for an install, unpacking, linking and the process's exit.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class Req:
    start: float
    first_byte: float
    end: float
    kind: str
    path: str
    status: int
    sent: int
    connection: int


def load(path: Path) -> list[Req]:
    fields = Req.__dataclass_fields__
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        raw = json.loads(line)
        out.append(Req(**{k: raw[k] for k in fields}))
    return sorted(out, key=lambda r: r.start)


def busy_spans(reqs: list[Req]) -> list[tuple[float, float]]:
    """The union of [start, end] of every request: when at least one was in flight."""
    spans: list[tuple[float, float]] = []
    for r in reqs:
        if spans and r.start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], r.end))
        else:
            spans.append((r.start, r.end))
    return spans


def analyse(reqs: list[Req], wall: float | None) -> dict[str, Any]:
    if not reqs:
        return {"requests": 0}
    spans = busy_spans(reqs)
    first, last = reqs[0].start, max(r.end for r in reqs)
    busy = sum(b - a for a, b in spans)
    gaps = sorted(
        ((spans[i + 1][0] - spans[i][1], spans[i][1]) for i in range(len(spans) - 1)),
        reverse=True,
    )
    total_request_time = sum(r.end - r.start for r in reqs)
    kinds: dict[str, dict[str, Any]] = {}
    for kind in sorted({r.kind for r in reqs}):
        mine = [r for r in reqs if r.kind == kind]
        kinds[kind] = {
            "count": len(mine),
            "mb": sum(r.sent for r in mine) / 1e6,
            "first": min(r.start for r in mine),
            "last_end": max(r.end for r in mine),
            "busy": sum(b - a for a, b in busy_spans(mine)),
        }
    out: dict[str, Any] = {
        "requests": len(reqs),
        "connections": len({r.connection for r in reqs}),
        "before_first_request": first,
        "first_to_last": last - first,
        "busy": busy,
        "idle_between": (last - first) - busy,
        "mean_in_flight_when_busy": total_request_time / busy if busy else 0.0,
        "peak_in_flight": peak(reqs),
        "largest_gaps": [(round(g, 3), round(at, 3)) for g, at in gaps[:5]],
        "kinds": kinds,
        "whole_files_again": sorted(
            name for name, n in Counter(r.path for r in reqs if r.kind == "file").items() if n > 1
        ),
    }
    if wall is not None:
        out["after_last_request"] = wall - last
    return out


def peak(reqs: list[Req]) -> int:
    events = sorted([(r.start, 1) for r in reqs] + [(r.end, -1) for r in reqs])
    now = best = 0
    for _, step in events:
        now += step
        best = max(best, now)
    return best


def timeline(reqs: list[Req], step: float, width: int = 60) -> list[str]:
    """One line per ``step`` seconds: how many requests of each kind were in flight at most."""
    if not reqs:
        return []
    end = max(r.end for r in reqs)
    lines = []
    t = 0.0
    while t < end:
        window = [r for r in reqs if r.start < t + step and r.end > t]
        counts = Counter(r.kind for r in window)
        started = sum(1 for r in reqs if t <= r.start < t + step)
        bar = "".join(k[0] * min(n, width) for k, n in sorted(counts.items()))[:width]
        lines.append(f"{t:7.2f}s {started:4d} new  {bar}")
        t += step
    return lines


def render(name: str, a: dict[str, Any]) -> list[str]:
    if not a["requests"]:
        return [f"{name}: no requests"]
    lines = [
        f"{name}: {a['requests']} requests on {a['connections']} connections, "
        f"peak {a['peak_in_flight']} in flight",
        f"  before the first request: {a['before_first_request']:.2f} s "
        f"(interpreter start, imports, settings, environment probe)",
        f"  first request to last answer: {a['first_to_last']:.2f} s, of which "
        f"{a['busy']:.2f} s with something in flight "
        f"(mean {a['mean_in_flight_when_busy']:.1f} at once) and {a['idle_between']:.2f} s with "
        "nothing in flight",
    ]
    if "after_last_request" in a:
        lines.append(f"  after the last answer: {a['after_last_request']:.2f} s")
    for kind, k in a["kinds"].items():
        lines.append(
            f"  {kind:9s} {k['count']:4d} requests, {k['mb']:7.2f} MB, "
            f"{k['first']:6.2f}-{k['last_end']:6.2f} s, {k['busy']:.2f} s busy"
        )
    gaps = ", ".join(f"{g:.2f} s at {at:.2f}" for g, at in a["largest_gaps"])
    lines.append(f"  largest gaps with nothing in flight: {gaps or 'none'}")
    if a["whole_files_again"]:
        lines.append(f"  whole files fetched more than once: {len(a['whole_files_again'])}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("logs", nargs="+", type=Path)
    parser.add_argument("--wall", type=float, help="the run's wall time (with one log)")
    parser.add_argument("--timeline", type=float, metavar="STEP", help="seconds per line")
    args = parser.parse_args()
    for path in args.logs:
        reqs = load(path)
        sidecar = path.with_suffix(".run.json")
        wall = args.wall if len(args.logs) == 1 else None
        if wall is None and sidecar.is_file():
            wall = float(json.loads(sidecar.read_text())["seconds"])
        print("\n".join(render(path.stem, analyse(reqs, wall))))
        if args.timeline:
            print("\n".join(timeline(reqs, args.timeline)))
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
