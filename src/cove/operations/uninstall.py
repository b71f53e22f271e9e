"""``cove uninstall``: the projects named and those requirements files name, removed with every
file their RECORD lists, all or nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cove.operations.wiring import Target, open_configured, scratch_cache

if TYPE_CHECKING:
    from cove.install.plan import Plan
    from cove.operations.pipeline import Reporter


@dataclass(frozen=True, slots=True)
class UninstallCommand:
    target: Target
    names: tuple[str, ...] = ()
    requirement_files: tuple[str, ...] = ()
    no_cache: bool = False
    dry_run: bool = False


# Asked before anything is removed: the distributions ("name==version, ...") and where.
Confirm = Callable[[str, Path], bool]


def uninstall_command(cmd: UninstallCommand, reporter: Reporter, confirm: Confirm | None) -> Plan:
    """The plan carried out (nothing removed when ``confirm`` says no: an empty plan)."""
    from cove.errors import UsageError
    from cove.install.plan import Plan
    from cove.names import canonical
    from cove.operations.pipeline import scan_installed, uninstall
    from cove.requirements.files import Requirements, parse_file

    names = [canonical(n) for n in cmd.names]
    reqs = Requirements()
    for path in cmd.requirement_files:
        parse_file(path, into=reqs)
    names += [canonical(line.requirement.name) for line in reqs.lines]
    if reqs.unnamed:
        raise UsageError(
            f"cannot tell which project {reqs.unnamed[0].path} is without building it",
            hint="name the project to remove: cove uninstall NAME",
        )
    if not names:
        raise UsageError("nothing to uninstall", hint="name a package: cove uninstall requests")
    with scratch_cache() as scratch:
        # --no-cache and --isolated mean what they mean for install: the interpreter's probe
        # stays out of the cache, and configuration (no-cache-dir included) is ignored.
        flags: dict[str, object] = {"no-cache-dir": cmd.no_cache}
        env, _, cache_dir = open_configured(cmd.target, flags, scratch, reporter.warn)
        installed = scan_installed([env.site_packages])
        present = [installed[n] for n in names if n in installed]
        if present and confirm is not None and not cmd.dry_run:
            listing = ", ".join(f"{d.name}=={d.normalized_version}" for d in present)
            if not confirm(listing, env.root):
                return Plan((), (), (), frozenset())
        return uninstall(names, env, cache_dir, reporter, cmd.dry_run)
