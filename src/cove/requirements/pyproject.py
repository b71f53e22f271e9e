"""A project's requirements as its pyproject.toml states them, without a build: ``[project]
dependencies``, ``[project.optional-dependencies]`` (extras) and PEP 735 ``[dependency-groups]``
(``{include-group = "..."}`` followed, a cycle refused). Every error names the file and the key."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name

from cove.requirements.text import RequirementsError


@dataclass(frozen=True, slots=True)
class ProjectRequirements:
    """What a pyproject.toml asks for: its dependencies, one list per extra (names normalized),
    its dependency groups as written (expanded when asked for, so a broken group that is not
    used stands in no one's way), and its Requires-Python."""

    path: Path
    dependencies: tuple[Requirement, ...] = ()
    extras: Mapping[NormalizedName, tuple[Requirement, ...]] = field(default_factory=dict)
    groups: Mapping[NormalizedName, tuple[str, Any]] = field(default_factory=dict)  # name, value
    requires_python: SpecifierSet | None = None

    def extra(self, name: str) -> tuple[Requirement, ...]:
        found = self.extras.get(canonicalize_name(name))
        if found is None:
            raise self._unknown("extra", name, self.extras, "[project.optional-dependencies]")
        return found

    def group(self, name: str) -> tuple[Requirement, ...]:
        """The group's requirements, its includes expanded (PEP 735)."""
        key = canonicalize_name(name)
        if key not in self.groups:
            raise self._unknown("dependency group", name, self.groups, "[dependency-groups]")
        return _expand(self.path, self.groups, key, ())

    def _unknown(
        self, kind: str, name: str, table: Mapping[NormalizedName, object], where: str
    ) -> RequirementsError:
        has = ", ".join(sorted(table)) or "none"
        return RequirementsError(
            f"{self.path} has no {kind} {name!r} (its {where} has: {has})",
            hint=f"name a {kind} the project declares",
        )


def read_pyproject(path: Path) -> ProjectRequirements:
    """The requirements ``path`` (a pyproject.toml) states; dynamic dependencies are refused,
    since only a build could tell them."""
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RequirementsError(
            f"cannot read {path}: {exc.strerror}", hint="name a project's pyproject.toml"
        ) from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RequirementsError(
            f"{path} is not valid TOML: {exc}", hint="correct the file (TOML 1.0)"
        ) from None
    project = data.get("project", {})
    _expect(isinstance(project, dict), path, "project", "a table")
    dynamic = project.get("dynamic", [])
    for key in ("dependencies", "optional-dependencies"):
        if isinstance(dynamic, list) and key in dynamic:
            raise RequirementsError(
                f"{path}: [project] lists {key!r} as dynamic: only a build of the project can "
                "tell them",
                hint=f"list the {key} in [project] itself to lock them",
            )
    dependencies = _requirements(path, "project.dependencies", project.get("dependencies", []))
    optional = project.get("optional-dependencies", {})
    _expect(isinstance(optional, dict), path, "project.optional-dependencies", "a table")
    extras = {
        canonicalize_name(name): _requirements(path, f"project.optional-dependencies.{name}", v)
        for name, v in sorted(optional.items())
    }
    raw_groups = data.get("dependency-groups", {})
    _expect(isinstance(raw_groups, dict), path, "dependency-groups", "a table")
    requires_python = None
    if "requires-python" in project:
        text = project["requires-python"]
        try:
            _expect(isinstance(text, str), path, "project.requires-python", "a string")
            requires_python = SpecifierSet(text)
        except InvalidSpecifier:
            raise RequirementsError(
                f"{path}: project.requires-python {text!r} is not a version specifier",
                hint="write it like >=3.11",
            ) from None
    return ProjectRequirements(
        path, dependencies, extras, _groups(path, raw_groups), requires_python
    )


def _groups(path: Path, raw: Mapping[str, Any]) -> dict[NormalizedName, tuple[str, Any]]:
    """The groups by normalized name; two spellings of one name are refused (PEP 735)."""
    by_name: dict[NormalizedName, tuple[str, Any]] = {}
    for name, value in raw.items():
        key = canonicalize_name(name)
        if key in by_name:
            raise RequirementsError(
                f"{path}: dependency-groups {by_name[key][0]!r} and {name!r} are one group "
                "(names are compared normalized)",
                hint="keep one of them",
            )
        by_name[key] = (name, value)
    return by_name


def _expand(
    path: Path,
    groups: Mapping[NormalizedName, tuple[str, Any]],
    key: NormalizedName,
    chain: tuple[NormalizedName, ...],
) -> tuple[Requirement, ...]:
    """A group's requirements with every include-group followed; a loop is refused."""
    name, value = groups[key]
    where = f"dependency-groups.{name}"
    _expect(isinstance(value, list), path, where, "an array")
    out: list[Requirement] = []
    for i, item in enumerate(value):
        if isinstance(item, str):
            out += _requirements(path, f"{where}[{i}]", [item])
            continue
        included = item.get("include-group") if isinstance(item, dict) else None
        if not isinstance(included, str) or len(item) != 1:
            raise RequirementsError(
                f'{path}: {where}[{i}] is neither a requirement nor {{include-group = "NAME"}}',
                hint="write each entry as a PEP 508 string or an include-group table",
            )
        target = canonicalize_name(included)
        if target not in groups:
            raise RequirementsError(
                f"{path}: {where}[{i}] includes the group {included!r}, which is not defined",
                hint="define that group in [dependency-groups], or remove the include",
            )
        if target in (*chain, key):
            loop = " -> ".join(groups[n][0] for n in (*chain, key, target))
            raise RequirementsError(
                f"{path}: dependency-groups include each other in a cycle ({loop})",
                hint="remove one of the include-group entries",
            )
        out += _expand(path, groups, target, (*chain, key))
    return tuple(out)


def _requirements(path: Path, where: str, value: object) -> tuple[Requirement, ...]:
    _expect(isinstance(value, list), path, where, "an array of PEP 508 strings")
    assert isinstance(value, list)
    out = []
    for i, text in enumerate(value):
        place = where if where.endswith("]") else f"{where}[{i}]"
        _expect(isinstance(text, str), path, place, "a PEP 508 string")
        try:
            out.append(Requirement(text))
        except InvalidRequirement as exc:
            raise RequirementsError(
                f"{path}: {place} {text!r} is not a PEP 508 requirement: {exc}",
                hint="write it like name, name>=1,<2, name[extra] or name @ URL",
            ) from None
    return tuple(out)


def _expect(ok: bool, path: Path, where: str, what: str) -> None:
    if not ok:
        raise RequirementsError(f"{path}: {where} must be {what}", hint="correct the file")


def selected(
    project: ProjectRequirements, extras: Collection[str], groups: Sequence[str]
) -> list[tuple[str, Requirement]]:
    """(scope, requirement) for the dependencies ("" scope), each extra (``extra:NAME``) and
    each group (``group:NAME``) asked for, names normalized."""
    out = [("", r) for r in project.dependencies]
    for extra in extras:
        out += [(f"extra:{canonicalize_name(extra)}", r) for r in project.extra(extra)]
    for group in groups:
        out += [(f"group:{canonicalize_name(group)}", r) for r in project.group(group)]
    return out
