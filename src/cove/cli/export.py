"""``cove export``: ``cove lock --format requirements`` to stdout: the pinned requirements with
their hashes and ``# via`` comments, preferring the pins of ./pylock.toml when it exists."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from cove.cli.lock import add_lock_arguments

    add_lock_arguments(parser, formats=False)


def run(args: argparse.Namespace) -> int:
    from cove.cli.lock import run_lock

    return run_lock(args, "requirements", "export")
