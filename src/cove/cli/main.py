"""Entry point: parse argv, import only the command that runs, turn CoveError into exit codes."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (3 ms of cove --version)
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

# Commands whose process may end without Python's teardown once they are done: they close their
# files, locks and temporary directories before returning (threads are checked at the end). The
# teardown costs 5 ms of a 35 ms create. `shell` is left out: its subshell owns the terminal.
QUICK_EXIT = frozenset({"create", "activate", "python", "install", "uninstall", "freeze", "list",
                        "show", "check", "tree", "inspect", "cache", "run", "status", "lock",
                        "export", "sync"})  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    """``argv`` None means this process is cove: a quick command then ends it at once."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list == ["--version"]:  # without argparse: the quickest answer cove gives
        from cove import __version__

        sys.stdout.write(f"cove {__version__}\n")
        return 0
    if args_list[:1] == ["run"]:  # a prefix to another command: started without argparse
        from cove.cli import run

        words = run.quick_parse(args_list[1:])
        if words is not None:
            return _run(lambda: run.execute(*words))
    from cove.cli.parsing import parse

    parsed = parse(args_list)
    if parsed is None:
        return 2
    module, args = parsed
    code = _run(lambda: module.run(args))
    if argv is None and module.__name__.rpartition(".")[2] in QUICK_EXIT:
        _exit_at_once(code)
    return code


def _exit_at_once(code: int) -> None:
    """End the process without the interpreter's teardown, once output is flushed, unless a
    thread is still at work (it might be writing a cache file)."""
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        return
    import contextlib

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (cove freeze | head)
            stream.flush()
    os._exit(code)


def _run(command: Callable[[], int]) -> int:
    from cove.errors import CoveError

    try:
        result = command()
    except CoveError as exc:
        from cove.cli import output

        output.error(exc)
        return exc.exit_code
    except KeyboardInterrupt:
        print("cove: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        if isinstance(exc, BrokenPipeError) and _stdout_gone():
            # The reader has gone (cove freeze | head -1): it read what it wanted. End
            # quietly, as pip does, with stdout on /dev/null so no later flush fails again.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
        # The system refused something (permissions, a full disk) outside a transaction:
        # say what failed, not a traceback. (Inside one, the transaction undoes the change and
        # says so itself: only there is "nothing was changed" known to be true.)
        from cove.cli import output

        where = f" ({exc.filename})" if exc.filename else ""
        output.error(
            CoveError(
                f"{exc.strerror or exc}{where}",
                hint="check that path's permissions and the free space",
            )
        )
        return 1
    return result


def _stdout_gone() -> bool:
    """Whether stdout is a pipe whose reader has closed it (another pipe may have broken)."""
    import select

    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (AttributeError, OSError, ValueError):  # no poll (Windows) or no real stdout
        return False


if __name__ == "__main__":
    raise SystemExit(main())
