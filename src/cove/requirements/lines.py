"""The text layer of pip's requirements-file format, as pip documents it: decoding, logical
lines (``\\`` continuations, ``#`` comments), ``${VAR}`` expansion, and one line split into its
requirement text (kept verbatim: markers and URLs are never shell-split) and its option words,
read the way pip's option parser reads them. Pure: nothing here opens a file."""

from __future__ import annotations

import codecs
import re
import shlex
from collections.abc import Mapping
from typing import NamedTuple

# A comment starts at a "#" that begins the line or follows whitespace ("x.whl#sha256=" is not).
_COMMENT = re.compile(r"(^|\s+)#.*$")
# Only ${NAME} with an upper-case POSIX name is expanded; "$HOME" or "${home}" stay as written.
_VAR = re.compile(r"\$\{([A-Z0-9_]+)\}")
_CODING = re.compile(rb"coding[:=]\s*([-\w.]+)")  # PEP 263, in the first two lines
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16's: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode(data: bytes) -> str:
    """A requirements file's text: by its byte-order mark, else a PEP 263 ``coding`` comment on
    one of its first two lines, else UTF-8. Raises UnicodeDecodeError or LookupError."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(codec)
    for line in data.split(b"\n")[:2]:
        declared = _CODING.search(line) if line.startswith(b"#") else None
        if declared:
            return data.decode(declared.group(1).decode("ascii"))
    return data.decode("utf-8")


def logical_lines(text: str) -> list[tuple[int, str]]:
    """The non-empty lines with comments removed, each with the number of its first physical
    line. A line ending in ``\\`` continues on the next one; a comment line ends it."""
    out: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0

    def emit(number: int, line: str) -> None:
        line = _COMMENT.sub("", line).strip()
        if line:
            out.append((number, line))

    for number, raw in enumerate(text.splitlines(), 1):
        is_comment = _COMMENT.match(raw) is not None
        if raw.endswith("\\") and not is_comment:
            if not pending:
                start = number
            pending.append(raw.rstrip("\\"))
            continue
        if pending:
            pending.append(" " + raw if is_comment else raw)  # so the comment still starts one
            emit(start, "".join(pending))
            pending = []
        else:
            emit(number, raw)
    if pending:
        emit(start, "".join(pending))
    return out


def expand(line: str, environ: Mapping[str, str]) -> str:
    """``${NAME}`` replaced by the variable's value; unset or empty variables stay as written."""
    return _VAR.sub(lambda m: environ.get(m.group(1)) or m.group(0), line)


def split_line(line: str) -> tuple[str, str]:
    """(requirement text, options text): the words up to the first one that starts with "-"
    (words split on single spaces, so the requirement keeps its exact spacing and quotes)."""
    words = line.split(" ")
    for i, word in enumerate(words):
        if word.startswith("-"):
            return " ".join(words[:i]).strip(), " ".join(words[i:])
    return line.strip(), ""


class Spec(NamedTuple):
    """One option a requirements file may hold."""

    names: tuple[str, ...]
    dest: str
    takes_value: bool
    scope: str  # "file": an option line's; "requirement": one requirement's


SPECS = (
    Spec(("-i", "--index-url", "--pypi-url"), "index_url", True, "file"),
    Spec(("--extra-index-url",), "extra_index_url", True, "file"),
    Spec(("--no-index",), "no_index", False, "file"),
    Spec(("-c", "--constraint"), "constraint", True, "file"),
    Spec(("-r", "--requirement"), "requirement", True, "file"),
    Spec(("-e", "--editable"), "editable", True, "file"),
    Spec(("-f", "--find-links"), "find_links", True, "file"),
    Spec(("--no-binary",), "no_binary", True, "file"),
    Spec(("--only-binary",), "only_binary", True, "file"),
    Spec(("--prefer-binary",), "prefer_binary", False, "file"),
    Spec(("--require-hashes",), "require_hashes", False, "file"),
    Spec(("--pre",), "pre", False, "file"),
    Spec(("--trusted-host",), "trusted_host", True, "file"),
    Spec(("--use-feature",), "use_feature", True, "file"),
    Spec(("--global-option",), "global_option", True, "requirement"),
    Spec(("--hash",), "hash", True, "requirement"),
    Spec(("-C", "--config-settings"), "config_settings", True, "requirement"),
)
_SHORT = {name: spec for spec in SPECS for name in spec.names if not name.startswith("--")}
_LONG = {name: spec for spec in SPECS for name in spec.names if name.startswith("--")}
HASH_ALGORITHMS = ("sha256", "sha384", "sha512")
FEATURES = ("fast-deps", "truststore", "no-binary-enable-wheel-cache")  # pip's; none changes cove


class OptionError(ValueError):
    """An option word pip's parser would refuse; the message names it."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class Option(NamedTuple):
    spec: Spec
    spelled: str  # the name as written, for messages ("--hash", "-C")
    value: str = ""  # empty for a flag


def read_options(text: str) -> tuple[list[Option], list[str]]:
    """The options of one line in order, and the words that are not options (pip ignores
    those). Long names may be shortened to any unambiguous prefix and take ``=VALUE`` or the
    next word; short ones take the rest of the word (``-rfile``) or the next word."""
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise OptionError(f"cannot split the options {text!r} ({exc})") from None
    options: list[Option] = []
    stray: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word == "--":
            stray += words[i:]
            break
        if word.startswith("--"):
            name, eq, inline = word.partition("=")
            spec = _long(name)
            if not spec.takes_value:
                if eq:
                    raise OptionError(f"{name} takes no value (got {word!r})")
                options.append(Option(spec, name))
                continue
            value = inline if eq else None
        elif word.startswith("-") and len(word) > 1:
            name, rest = word[:2], word[2:]
            if name not in _SHORT:
                raise OptionError(f"no such option: {name}", _hint_for(name))
            spec = _SHORT[name]
            value = rest or None
        else:
            stray.append(word)
            continue
        if value is None:
            if i >= len(words):
                raise OptionError(f"{name} needs a value")
            value = words[i]
            i += 1
        _check(spec, name, value)
        options.append(Option(spec, name, value))
    return options, stray


def _long(name: str) -> Spec:
    if name in _LONG:
        return _LONG[name]
    matches = sorted(n for n in _LONG if n.startswith(name))
    if len(matches) == 1:
        return _LONG[matches[0]]
    if matches:
        raise OptionError(f"ambiguous option {name} (could be {', '.join(matches)})")
    raise OptionError(f"no such option: {name}", _hint_for(name))


_COMMAND_LINE_ONLY = frozenset((
    "--no-deps", "-U", "--upgrade", "--upgrade-strategy", "--force-reinstall", "--user",
    "--target", "-t", "--prefix", "--no-build-isolation", "--src", "--dry-run", "--report",
    "--compile-bytecode", "--no-cache-dir", "--ignore-installed", "-I", "--proxy", "--cert",
    "--client-cert", "--timeout", "--retries", "--isolated", "--build-constraint",
    "--install-option", "--build-option", "--use-pep517",
))  # fmt: skip


def _hint_for(name: str) -> str:
    if name in _COMMAND_LINE_ONLY:
        return f"{name} belongs on the command line (cove install {name} -r FILE), not in the file"
    return (
        "a requirements file holds one requirement or option per line; its options are "
        + ", ".join(s.names[-1] for s in SPECS)
    )


def _check(spec: Spec, spelled: str, value: str) -> None:
    """The values pip checks while parsing, refused with pip's reasons."""
    if spec.dest == "hash":
        algo, sep, digest = value.partition(":")
        if not sep or not digest:
            raise OptionError(
                f"bad {spelled} {value!r}: a hash is a name and a value",
                "write --hash=sha256:<hex digest>",
            )
        if algo not in HASH_ALGORITHMS:
            raise OptionError(
                f"bad {spelled} {value!r}: the algorithm must be one of "
                + ", ".join(HASH_ALGORITHMS),
                "write --hash=sha256:<hex digest>",
            )
    elif spec.dest == "config_settings" and "=" not in value:
        raise OptionError(f"{spelled} {value!r} is not KEY=VALUE", f"write {spelled} key=value")
    elif spec.dest in ("no_binary", "only_binary") and value.startswith("-"):
        raise OptionError(f"{spelled} needs a value (got {value!r})", f"write {spelled} :all:")
    elif spec.dest == "use_feature" and value not in FEATURES:
        raise OptionError(
            f"{spelled} {value!r} is not a feature pip knows (" + ", ".join(FEATURES) + ")",
            "remove the line",
        )
