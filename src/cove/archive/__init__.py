"""Untrusted archives (wheels and sdists) read strictly: the structure is checked by cove itself,
not left to the running Python's zipfile and tarfile, and unpacking is bounded in size, member
count and compression ratio. The readers only say what is inside; their callers write it."""

# Annotations are evaluated (no __future__ import): NamedTuple compiles string ones, ms at startup.

from typing import NamedTuple

from cove.errors import CoveError

# An archive may always unpack to this much; beyond it, to ``max_ratio`` times its own size.
RATIO_FLOOR = 64 << 20


class ArchiveError(CoveError):
    """An archive is malformed, unsafe to unpack, or beyond the limits."""


class UnpackPolicy(NamedTuple):
    """What cove accepts when it unpacks an archive. The defaults hold every real wheel with a
    wide margin: torch 2.14 unpacks to 1.1 GB in 13,043 files, tensorflow-cpu 2.21 to 1.3 GB in
    15,632, and no real wheel inflates to more than 18 times its size."""

    max_size: int = 8 << 30  # bytes, all members together
    max_files: int = 200_000  # members, directories included
    max_ratio: float = 100.0  # unpacked size / archive size, once past RATIO_FLOOR
    refuse_executable_pth: bool = False  # wheels with a .pth that runs code at startup


def check_totals(
    label: str, files: int, size: int, archive_size: int, policy: UnpackPolicy
) -> None:
    """ArchiveError when ``files`` members of ``size`` bytes in all, from an archive of
    ``archive_size`` bytes, are more than ``policy`` allows (checked before anything is written)."""
    if files > policy.max_files:
        problem, variable = f"it has more than {policy.max_files:,} members", "ARCHIVE_MAX_FILES"
    elif size > policy.max_size:
        problem, variable = f"it unpacks to more than {_size(policy.max_size)}", "ARCHIVE_MAX_SIZE"
    elif size > RATIO_FLOOR and size > policy.max_ratio * archive_size:
        problem = (
            f"it unpacks to {_size(size)}, more than {policy.max_ratio:g} times its own "
            f"{_size(archive_size)} (a compression bomb?)"
        )
        variable = "ARCHIVE_MAX_RATIO"
    else:
        return
    setting = variable.lower().replace("_", "-")
    raise ArchiveError(
        f"{label} is refused: {problem}",
        hint=f"if the file is trusted, raise the limit with COVE_{variable} ({setting} in the "
        "[install] table of cove.toml)",
    )


def _size(n: int | float) -> str:
    if n >= 1 << 30:
        return f"{n / (1 << 30):.1f} GiB"
    return f"{n / (1 << 20):.1f} MiB" if n >= 1 << 20 else f"{n:,.0f} bytes"


def member_path(name: str, label: str) -> str:
    """``name`` as a relative posix path that stays inside the unpack directory (a trailing
    ``/`` dropped), or ArchiveError: no absolute path, drive, backslash, NUL, ``..``, ``.`` or
    empty segment, on every platform alike."""
    bare = name[:-1] if name.endswith("/") else name
    wrapped = f"/{bare}/"  # every segment between slashes: runs for each member of a wheel
    bad = (
        not bare
        or "\\" in bare
        or "\0" in bare
        or (len(bare) > 1 and bare[1] == ":")
        or "//" in wrapped
        or "/./" in wrapped
        or "/../" in wrapped
    )
    if bad:
        raise ArchiveError(
            f"{label} contains an unsafe member path: {name!r}",
            hint="the file is malformed or malicious; nothing was unpacked",
        )
    return bare
