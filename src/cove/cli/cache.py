"""``cove cache dir|info|clean``: where the cache is, what it holds, and emptying it (pip's
``cache purge`` is ``clean`` too)."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action", choices=["dir", "info", "clean", "purge"],
        help="dir: print the cache's path; info: what each bucket holds; clean (or purge): "
        "remove it all (environments keep hardlinked or copied files; symlinked ones break)",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from rich.filesize import decimal as _size  # the units the download board shows

    from cove.cache import default_cache_dir
    from cove.cache.usage import clean, usage
    from cove.cli import output

    cache_dir = default_cache_dir()
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
