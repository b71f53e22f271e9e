"""Swapping a directory into place, and telling a swap's leftovers from anything else."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cove.venv import swap


def test_only_swap_directories_count_as_leftovers(tmp_path: Path) -> None:
    env = tmp_path / "env"
    for name in (
        ".env.cove-new-0123abcd",
        ".env.cove-old-0123abcd",
        ".env.cove-new-0123ABCD",  # not a tag cove makes
        ".env.cove-new-0123abc",
        ".env.x.cove-new-0123abcd",  # the leftover of an environment named "env.x"
        ".env2.cove-new-0123abcd",
        ".env.cove-txn-0123abcd",
    ):
        (tmp_path / name).mkdir()
    (tmp_path / ".env.cove-old-ffffffff").write_text("a file")
    os.symlink(tmp_path / "elsewhere", tmp_path / ".env.cove-new-eeeeeeee")
    assert swap.leftovers(env) == [
        swap.Leftover(tmp_path / ".env.cove-new-0123abcd", swap.NEW, "0123abcd"),
        swap.Leftover(tmp_path / ".env.cove-old-0123abcd", swap.OLD, "0123abcd"),
    ]
    assert swap.restorable(env)  # missing, with the old one moved aside beside it
    (tmp_path / ".env.cove-old-0123abcd").rmdir()
    assert not swap.restorable(env)  # only an unfinished new one: a first create was killed
    (tmp_path / ".env.cove-old-0123abcd").mkdir()
    env.mkdir()
    assert not swap.restorable(env)


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two-renames"])
def test_replace_leaves_only_the_new_one(exchange: bool, tmp_path: Path) -> None:
    path, staging = tmp_path / "env", tmp_path / ".env.cove-new-0123abcd"
    path.mkdir()
    (path / "old").write_text("old")
    staging.mkdir()
    (staging / "new").write_text("new")
    swap.replace(staging, path, "0123abcd", existing=True, exchange=exchange)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["env"]
    assert [p.name for p in path.iterdir()] == ["new"]


def test_replace_an_empty_directory(tmp_path: Path) -> None:
    path, staging = tmp_path / "env", tmp_path / ".env.cove-new-0123abcd"
    path.mkdir()
    staging.mkdir()
    (staging / "new").write_text("new")
    swap.replace(staging, path, "0123abcd", existing=False)
    assert [p.name for p in path.iterdir()] == ["new"] and not staging.exists()


def test_a_held_directory_is_refused(tmp_path: Path) -> None:
    import contextlib

    from cove.errors import VenvError

    with contextlib.ExitStack() as first:
        swap.hold(tmp_path, first)
        with contextlib.ExitStack() as second, pytest.raises(VenvError) as info:
            swap.hold(tmp_path, second)
        assert "another cove process" in info.value.message and info.value.hint
    with contextlib.ExitStack() as again:
        swap.hold(tmp_path, again)  # released with the first
