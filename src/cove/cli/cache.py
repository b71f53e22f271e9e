"""``cove cache dir|info|clean|verify``: where the cache is, what it holds, emptying it (pip's
``cache purge`` is ``clean`` too), and checking it file by file."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action", choices=["dir", "info", "clean", "purge", "verify"],
        help="dir: print the cache's path; info: what each bucket holds; clean (or purge): "
        "remove it all (environments keep hardlinked or copied files; symlinked ones break); "
        "verify: check every unpacked wheel against its RECORD and every download against its "
        "sha256, and repair what is damaged (exit 1 if something could not be repaired)",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from rich.filesize import decimal as _size  # the units the download board shows

    from cove.cache import default_cache_dir
    from cove.cache.usage import clean, usage
    from cove.cli import output

    cache_dir = default_cache_dir()
    if args.action == "verify":
        return _verify(cache_dir)
    if args.action == "dir":
        output.stdout(f"{cache_dir}\n")
    elif args.action == "info":
        rows = usage(cache_dir)
        width = max([len("bucket"), *(len(r.name) for r in rows)])
        lines = [f"Cache: {cache_dir}", f"{'bucket':<{width}}  {'files':>8}  {'size':>10}"]
        lines += [f"{r.name:<{width}}  {r.files:>8}  {_size(r.size):>10}" for r in rows]
        total = sum(r.size for r in rows), sum(r.files for r in rows)
        lines.append(f"{'total':<{width}}  {total[1]:>8}  {_size(total[0]):>10}")
        output.stdout("\n".join(lines) + "\n")
    else:
        removed = clean(cache_dir)
        if removed.files:
            output.info(f"Removed {removed.files} files ({_size(removed.size)}) from {cache_dir}")
        else:
            output.info(f"Nothing to remove: {cache_dir} holds no cache")
    return 0


def _verify(cache_dir: Path) -> int:
    from cove.cache.verify import verify_cache
    from cove.cli import output

    result = verify_cache(cache_dir)
    lines = [
        f"Checked {result.entries} unpacked wheel{'s' * (result.entries != 1)} "
        f"({result.files} files) and {result.downloads} download{'s' * (result.downloads != 1)}"
        f" in {cache_dir}"
    ]
    for f in result.findings:
        verb = "repaired" if f.repaired else "NOT repaired"
        lines.append(f"{verb}: {f.what}: {f.problem}; {f.action}")
    if not result.findings:
        lines.append("Everything matches.")
    output.stdout("\n".join(lines) + "\n")
    return 0 if result.ok else 1
