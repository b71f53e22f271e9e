"""pip's requirements-file format, read as pip reads it: each logical line is a requirement
(kept verbatim, markers and all) with its own options (--hash, -C), an ``-e`` target, an
``-r``/``-c`` include, or options for the whole run; parsed into plain values, with file:line
in every error and a warning for whatever pip would silently ignore."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from packaging.markers import Marker
from packaging.requirements import Requirement

from cove.requirements.lines import (
    Option,
    OptionError,
    decode,
    expand,
    logical_lines,
    read_options,
    split_line,
)
from cove.requirements.text import (
    RequirementsError,
    UnnamedProject,
    parse_editable,
    parse_requirement,
)

__all__ = [
    "FileOptions",
    "RequirementLine",
    "Requirements",
    "RequirementsError",
    "UnnamedLine",
    "UnnamedProject",
    "parse_file",
    "settings_dict",
]

Settings = tuple[tuple[str, str], ...]  # -C KEY=VALUE pairs in the order given


class RequirementLine(NamedTuple):
    requirement: Requirement  # its marker included: evaluated for the target before resolving
    hashes: frozenset[str] = frozenset()  # "sha256:<hex>"
    source: str = ""  # "requirements.txt:3" or "argument"
    constraint: bool = False
    editable: bool = False  # -e: installed in development mode (PEP 660)
    config_settings: Settings = ()  # this line's -C, for the build of this project


class UnnamedLine(NamedTuple):
    """A project directory whose name only a build can tell (a setup.py-only project)."""

    path: Path
    editable: bool = False
    extras: frozenset[str] = frozenset()
    marker: Marker | None = None
    source: str = ""
    config_settings: Settings = ()

    def named(self, name: str) -> RequirementLine:
        """The line once a build has told the project's name."""
        extras = f"[{','.join(sorted(self.extras))}]" if self.extras else ""
        req = Requirement(f"{name}{extras} @ {self.path.as_uri()}")
        req.marker = self.marker
        return RequirementLine(
            req, source=self.source, editable=self.editable, config_settings=self.config_settings
        )


@dataclass
class FileOptions:
    """Options that requirements files may set (they add to the command line's)."""

    index_url: str | None = None
    extra_index_urls: list[str] = field(default_factory=list)
    no_index: bool = False
    find_links: list[str] = field(default_factory=list)
    trusted_hosts: list[str] = field(default_factory=list)
    pre: bool = False
    prefer_binary: bool = False
    require_hashes: bool = False
    only_binary: list[str] = field(default_factory=list)
    no_binary: list[str] = field(default_factory=list)


@dataclass
class Requirements:
    lines: list[RequirementLine] = field(default_factory=list)
    options: FileOptions = field(default_factory=FileOptions)
    unnamed: list[UnnamedLine] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # what pip would ignore without a word


def settings_dict(pairs: Iterable[tuple[str, str]]) -> dict[str, str | list[str]]:
    """Build-backend settings as pip passes them: a key given twice holds a list of values."""
    out: dict[str, str | list[str]] = {}
    for key, value in pairs:
        old = out.get(key)
        out[key] = value if old is None else [*([old] if isinstance(old, str) else old), value]
    return out


def add_requirement(
    result: Requirements,
    text: str,
    base: Path,
    where: str,
    *,
    editable: bool = False,
    constraint: bool = False,
    hashes: frozenset[str] = frozenset(),
    config_settings: Settings = (),
) -> None:
    """One requirement (an argument or a file's line) into ``result``; a project directory
    whose name is dynamic is kept for a build."""
    try:
        if editable:
            req = parse_editable(text, base, where)
        else:
            req = parse_requirement(text, base, where)
    except UnnamedProject as exc:
        if constraint:
            raise RequirementsError(
                f"{where}: a constraint needs a project name, {exc.path} has none without a build",
                hint=f"write it as NAME @ {exc.path.as_uri()}",
            ) from None
        result.unnamed.append(
            UnnamedLine(exc.path, editable, exc.extras, exc.marker, where, config_settings)
        )
        return
    if constraint and (editable or req.extras):
        what = "editable (-e)" if editable else f"extras ({text})"
        raise RequirementsError(
            f"{where}: a constraint cannot be {what}; constraints only limit versions, as in pip",
            hint="write the constraint as NAME==VERSION (or NAME @ URL), the rest as a requirement",
        )
    result.lines.append(RequirementLine(req, hashes, where, constraint, editable, config_settings))


def parse_file(
    path: Path | str,
    environ: Mapping[str, str] | None = None,
    *,
    constraint: bool = False,
    into: Requirements | None = None,
    cwd: Path | None = None,
    _stack: tuple[Path, ...] = (),
    _included_at: str = "",
) -> Requirements:
    """Parse ``path`` (and what it includes) into ``into`` (a new Requirements by default).

    As pip and uv read them: ``-r``/``-c`` and ``--find-links`` paths are relative to the file
    that names them, project paths and ``-e`` paths to the working directory (``cwd``)."""
    environ = os.environ if environ is None else environ
    cwd = Path.cwd() if cwd is None else cwd
    result = into if into is not None else Requirements()
    included = f" (included at {_included_at})" if _included_at else ""
    path = _local_file(str(path), included)
    real = path.resolve()
    if real in _stack:
        chain = " -> ".join(p.name for p in (*_stack, real))
        raise RequirementsError(
            f"{path} includes itself ({chain}){included}",
            hint="remove the -r/-c line that loops back",
        )
    text = _read(path, included)
    for number, line in logical_lines(text):
        where = f"{path}:{number}"
        requirement, options_text = split_line(expand(line, environ))
        try:
            options, stray = read_options(options_text)
        except OptionError as exc:
            raise RequirementsError(f"{where}: {exc.message}", hint=exc.hint or _HINT) from None
        context = _Line(where, path.parent, cwd, environ, constraint, result, (*_stack, real))
        if requirement:
            _requirement_line(context, requirement, options, stray)
        elif any(o.spec.dest == "editable" for o in options):
            _editable_line(context, options, stray)
        elif any(o.spec.dest in ("requirement", "constraint") for o in options):
            _include_line(context, options, stray)
        else:
            _option_line(context, options, stray)
    return result


_HINT = "see pip's requirements file format: one requirement or option per line"


def _local_file(name: str, included: str) -> Path:
    lowered = name.lower()
    if lowered.startswith(("http://", "https://")):
        raise RequirementsError(
            f"cannot read requirements file {name}{included}: cove reads requirements files "
            "from disk only",
            hint="download the file first and give its path",
        )
    if lowered.startswith("file:"):
        from urllib.parse import urlsplit
        from urllib.request import url2pathname

        return Path(url2pathname(urlsplit(name).path))
    return Path(name)


def _read(path: Path, included: str) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RequirementsError(
            f"cannot read requirements file {path}{included}: {exc.strerror}",
            hint="check the path; -r and -c paths are relative to the including file",
        ) from None
    try:
        return decode(data)
    except (UnicodeDecodeError, LookupError) as exc:
        raise RequirementsError(
            f"{path} cannot be decoded: {exc}",
            hint="save it as UTF-8, or declare its encoding (# -*- coding: NAME -*-)",
        ) from None


class _Line(NamedTuple):
    where: str
    file_dir: Path  # -r, -c and --find-links paths start here
    cwd: Path  # requirement and -e paths start here
    environ: Mapping[str, str]
    constraint: bool
    result: Requirements
    stack: tuple[Path, ...]

    def ignored(
        self, options: Iterable[Option], what: str, advice: str = "give it a line of its own"
    ) -> None:
        for option in options:
            self.result.warnings.append(
                f"{self.where}: {option.spelled} has no effect on {what}, and is ignored "
                f"(as pip ignores it); {advice}"
            )

    def ignored_words(self, stray: list[str], why: str = "they are not options") -> None:
        if stray:
            self.result.warnings.append(f"{self.where}: {' '.join(stray)!r} ignored: {why}")


def _requirement_line(line: _Line, text: str, options: list[Option], stray: list[str]) -> None:
    hashes = frozenset(_hash(o.value) for o in options if o.spec.dest == "hash")
    settings = _settings(options)
    for option in options:
        if option.spec.dest == "global_option":
            line.result.warnings.append(
                f"{line.where}: --global-option is ignored: cove builds every project through "
                "PEP 517, as pip does with a pyproject.toml; give the backend -C KEY=VALUE"
            )
    line.ignored((o for o in options if o.spec.scope == "file"), "a requirement line")
    line.ignored_words(stray)
    add_requirement(
        line.result, text, line.cwd, line.where, constraint=line.constraint, hashes=hashes,
        config_settings=settings,
    )  # fmt: skip


def _editable_line(line: _Line, options: list[Option], stray: list[str]) -> None:
    first = next(o for o in options if o.spec.dest == "editable")
    others = [o for o in options if o is not first and o.spec.dest != "config_settings"]
    line.ignored(others, "an -e line")
    if stray and stray[0].startswith(";"):
        line.result.warnings.append(
            f"{line.where}: the marker after -e is ignored: pip takes no marker on an -e line, "
            "and installs the project everywhere"
        )
    else:
        line.ignored_words(stray)
    add_requirement(
        line.result, first.value, line.cwd, line.where, editable=True, constraint=line.constraint,
        config_settings=_settings(options),
    )  # fmt: skip


def _include_line(line: _Line, options: list[Option], stray: list[str]) -> None:
    """``-r FILE`` or ``-c FILE``: the first of them on the line (an -r before any -c), as pip."""
    include = min(
        (o for o in options if o.spec.dest in ("requirement", "constraint")),
        key=lambda o: o.spec.dest != "requirement",
    )
    line.ignored((o for o in options if o is not include), f"a {include.spelled} line")
    line.ignored_words(stray)
    value = include.value
    target = value if value.lower().startswith(("http:", "https:", "file:")) else None
    if target is None:
        target = value if os.path.isabs(value) else str(line.file_dir / value)
    parse_file(
        target, line.environ, constraint=line.constraint or include.spec.dest == "constraint",
        into=line.result, cwd=line.cwd, _stack=line.stack, _included_at=line.where,
    )  # fmt: skip


def _option_line(line: _Line, options: list[Option], stray: list[str]) -> None:
    opts = line.result.options
    for option in options:
        dest, value = option.spec.dest, option.value
        if option.spec.scope == "requirement":
            line.ignored([option], "a line without a requirement", "put it on its requirement's")
        elif dest == "index_url":
            opts.index_url = value
        elif dest == "extra_index_url":
            opts.extra_index_urls.append(value)
        elif dest == "no_index":
            opts.no_index = True
        elif dest == "find_links":
            beside = line.file_dir / value  # pip's rule: beside the file if it is there
            opts.find_links.append(str(beside) if beside.exists() else value)
        elif dest == "trusted_host":
            opts.trusted_hosts.append(value)
        elif dest in ("pre", "prefer_binary", "require_hashes"):
            setattr(opts, dest, True)
        elif dest == "only_binary":
            opts.only_binary.append(value)
        elif dest == "no_binary":
            opts.no_binary.append(value)
        # --use-feature: pip's features change nothing in cove (the value was checked)
    line.ignored_words(stray)


def _hash(value: str) -> str:
    algo, _, digest = value.partition(":")
    return f"{algo.lower()}:{digest.lower()}"


def _settings(options: list[Option]) -> Settings:
    return tuple(
        (key, val)
        for o in options
        if o.spec.dest == "config_settings"
        for key, _, val in [o.value.partition("=")]
    )
