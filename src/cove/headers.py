"""The ``Key: value`` header block of core metadata and WHEEL files, read without the email
package, which costs more than the rest of reading a METADATA file."""

from __future__ import annotations


def read_header_lists(text: str, *, lower: bool = False) -> dict[str, list[str]]:
    """Every value of each header up to the body, in order, a folded line joined to the value
    it continues; keys lower-cased with ``lower``."""
    out: dict[str, list[str]] = {}
    values: list[str] | None = None
    # Split off the body first: a long description need not be cut into lines.
    for line in text.split("\n\n", 1)[0].splitlines():
        if not line:
            break
        if line[0] in " \t":
            if values is not None:
                values[-1] = f"{values[-1]} {line.strip()}"
            continue
        key, sep, value = line.partition(":")
        if not sep:
            values = None
            continue
        key = key.strip()
        values = out.setdefault(key.lower() if lower else key, [])
        values.append(value.strip())
    return out


def read_headers(text: str, *, lower: bool = False) -> dict[str, str]:
    """The first value of each header up to the body; keys lower-cased with ``lower``."""
    return {key: values[0] for key, values in read_header_lists(text, lower=lower).items()}
