"""A small TOML writer for what lock files hold: strings, integers, floats, booleans, dates and
times, arrays, tables and arrays of tables. tomllib reads TOML but does not write it, and the
subset is small enough not to take a dependency for it.

The same value always gives the same text: keys stay in the mapping's order (the caller orders
them), strings are escaped one way. A string is written as a literal string ('...') when it holds
a double quote or a backslash and can be one (markers read better that way), else as a basic
string ("...") with every control character escaped.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Collection, Mapping
from typing import Any

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
# What a literal string cannot hold: its own quote and control characters (tab is allowed in
# TOML, but kept out so a tab is always written the same way).
_NOT_LITERAL = re.compile(r"['\x00-\x1f\x7f]")
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}
_INDENT = "    "


def dumps(document: Mapping[str, Any], *, inline: Collection[str] = ()) -> str:
    """``document`` as TOML. In every table, plain values come first and sub-tables and arrays
    of tables after them (TOML requires it), each group in the mapping's order. The keys named in
    ``inline`` are written as inline tables (and arrays of them, one per line) wherever they are.
    Raises ValueError for what TOML cannot hold (None, a lone surrogate, a UTC offset with
    seconds) and TypeError for a value of another type."""
    lines: list[str] = []
    _table(lines, (), document, frozenset(inline), None)
    return "\n".join(lines) + "\n" if lines else ""


def _is_table(key: str, value: object, inline: frozenset[str]) -> bool:
    return key not in inline and isinstance(value, Mapping) and bool(value)


def _is_table_array(key: str, value: object, inline: frozenset[str]) -> bool:
    return (
        key not in inline
        and isinstance(value, list | tuple)
        and bool(value)
        and all(isinstance(item, Mapping) for item in value)
    )


def _table(
    lines: list[str],
    path: tuple[str, ...],
    table: Mapping[str, Any],
    inline: frozenset[str],
    header: str | None,
) -> None:
    plain = []
    nested = []
    for key, value in table.items():
        if not isinstance(key, str):
            raise TypeError(f"TOML keys are strings, not {type(key).__name__}: {key!r}")
        if _is_table(key, value, inline) or _is_table_array(key, value, inline):
            nested.append((key, value))
        else:
            plain.append((key, value))
    # A table holding only sub-tables needs no header of its own ([tool.x] defines [tool]),
    # except inside an array of tables, where the header is what starts the next element.
    if header is not None and (plain or not nested or header.startswith("[[")):
        if lines:
            lines.append("")
        lines.append(header)
    for key, value in plain:
        lines.append(f"{_key(key)} = {_value(value, top=True)}")
    for key, value in nested:
        sub = (*path, key)
        dotted = ".".join(_key(part) for part in sub)
        if isinstance(value, Mapping):
            _table(lines, sub, value, inline, f"[{dotted}]")
        else:
            for item in value:
                _table(lines, sub, item, inline, f"[[{dotted}]]")


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _string(key)


def _string(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"TOML strings are UTF-8; {text!r} cannot be encoded") from None
    if ('"' in text or "\\" in text) and not _NOT_LITERAL.search(text):
        return f"'{text}'"
    out = ['"']
    for char in text:
        escaped = _ESCAPES.get(char)
        if escaped is not None:
            out.append(escaped)
        elif char < " " or char == "\x7f":
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _value(value: Any, *, top: bool = False) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if not -(2**63) <= value < 2**63:
            raise ValueError(f"TOML integers are 64-bit: {value}")
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, datetime.datetime):
        return _datetime(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, datetime.time):
        if value.tzinfo is not None:
            raise ValueError(f"TOML times have no UTC offset: {value!r}")
        return value.isoformat()
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        items = ", ".join(f"{_key(k)} = {_value(v)}" for k, v in _string_keys(value))
        return "{ " + items + " }"
    if isinstance(value, list | tuple):
        if top and value and all(isinstance(item, Mapping) for item in value):
            # Arrays of inline tables (the wheels of a package) get a line per table.
            body = "".join(f"{_INDENT}{_value(item)},\n" for item in value)
            return "[\n" + body + "]"
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if value is None:
        raise ValueError("TOML has no null value: leave the key out instead")
    raise TypeError(f"no TOML form for a {type(value).__name__}: {value!r}")


def _string_keys(table: Mapping[Any, Any]) -> list[tuple[str, Any]]:
    for key in table:
        if not isinstance(key, str):
            raise TypeError(f"TOML keys are strings, not {type(key).__name__}: {key!r}")
    return list(table.items())


def _datetime(value: datetime.datetime) -> str:
    offset = value.utcoffset()
    if offset is not None and offset.total_seconds() % 60:
        raise ValueError(f"TOML offsets are whole minutes: {value!r}")
    return value.isoformat()
