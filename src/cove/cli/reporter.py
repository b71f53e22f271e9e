"""The Reporter the install and uninstall pipelines talk to: counts and timings, the download
board on a terminal, then one line per change, all on stderr."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from cove.cli import output

if TYPE_CHECKING:
    from cove.install.plan import Plan
    from cove.prepare.artifacts import DownloadProgress


class Reporter:
    """Prints what happens, on stderr: counts and timings, then one line per change."""

    def __init__(self, quiet: int, verbose: int) -> None:
        self.quiet = quiet
        self.verbose = verbose
        self.tty = sys.stderr.isatty()

    def resolved(self, count: int, seconds: float) -> None:
        if self.quiet == 0 and self.verbose >= 0:
            output.info(
                f"Resolved {count} package{'s' * (count != 1)} in {output.duration(seconds)}"
            )

    def progress(self, files: int) -> DownloadProgress | None:
        """Bars only on a terminal and without -q; a pipe or a log gets no progress at all."""
        if self.quiet or not self.tty or not files:
            return None
        from cove.cli.progress import DownloadBoard
        from cove.prepare.artifacts import DEFAULT_JOBS

        return DownloadBoard(
            files, slots=min(DEFAULT_JOBS, 8), verbose=self.verbose
        )  # rows on screen

    def changed(self, plan: Plan, seconds: float, dry_run: bool) -> None:
        if self.quiet and not dry_run:
            return
        if dry_run:
            output.info("Would change (dry run):" if not plan.empty else "Nothing to change")
        elif plan.empty:
            if self.quiet == 0:
                output.info("Nothing to change: everything is installed already")
            return
        elif self.quiet == 0:
            n = len(plan.install) or len(plan.remove)
            verb = "Installed" if plan.install else "Uninstalled"
            output.info(f"{verb} {n} package{'s' * (n != 1)} in {output.duration(seconds)}")
        for dist in plan.remove:
            output.info(f" - {dist.name}=={dist.normalized_version}")
        for c in plan.install:
            line = f" + {c.name}=={c.version}"
            if self.verbose:
                from cove.http.urls import redact

                where = c.url or (c.link.url if c.link else None)
                line += f"  ({redact(where)})" if where else ""
            output.info(line)
        if self.verbose:
            for c in plan.keep:
                output.info(f" = {c.name}=={c.version}  (already installed)")

    def warn(self, message: str) -> None:
        if self.quiet < 2:  # as pip: -qq shows errors only
            output.warn(message)
