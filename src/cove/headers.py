"""The ``Key: value`` header block of core metadata and WHEEL files, read without the email
package (it is only the first value of each key that callers need)."""

from __future__ import annotations


def read_headers(text: str, *, lower: bool = False) -> dict[str, str]:
    """The first value of each header line up to the body; keys lower-cased with ``lower``."""
    out: dict[str, str] = {}
    # Split off the body first: a long description need not be cut into lines.
    for line in text.split("\n\n", 1)[0].splitlines():
        if not line:
            break
        key, sep, value = line.partition(":")
        if sep and not line[0].isspace():
            key = key.strip()
            out.setdefault(key.lower() if lower else key, value.strip())
    return out
