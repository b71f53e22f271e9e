"""The TOML writer: whatever it writes, tomllib reads back as the same value, and the same value
always gives the same text."""

from __future__ import annotations

import datetime
import math
import random
import tomllib
from typing import Any

import pytest

from cove.lock.toml import dumps

HOSTILE = [
    "",
    "plain",
    'a "quoted" word',
    "it's",
    "both ' and \"",
    "back\\slash",
    "C:\\path\\to\\file",
    "\\u0041 is not an escape here",
    "'''",
    '"""',
    "line\nbreak",
    "carriage\r\nreturn",
    "tab\there",
    "\x00nul\x01\x02\x1f",
    "del\x7f",
    "\b\f\v",
    "ünïcødé ✓ 𝄞 🐍",
    "right-to-left \u202e override",
    "zero\u200bwidth",
    "combining e\u0301",
    "sys_platform == \"linux\" and extra == 'x'",
    " leading and trailing ",
    "#not a comment",
    "= [ ] { } , .",
]


def roundtrip(document: dict[str, Any]) -> dict[str, Any]:
    text = dumps(document)
    parsed = tomllib.loads(text)
    assert dumps(parsed) == text  # the same value gives the same text
    return parsed


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_strings_as_values_and_keys(text: str) -> None:
    document = {
        "value": text,
        text: "as a key",
        "array": [text, text],
        "inline": [{"k": text}],
        "table": {text: {"deeper": text}},
    }
    assert roundtrip(document) == document


def test_random_strings_roundtrip() -> None:
    rng = random.Random(751)
    alphabet = [chr(c) for c in range(0x00, 0x80)] + list("éü✓𝄞🐍\u2028\u2029\ufeff\U0010fffd")
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))
        document = {"s": text, text or "empty": [text], "t": {"u": [{"v": text}]}}
        assert roundtrip(document) == document, repr(text)


def test_every_control_character_is_escaped() -> None:
    text = "".join(chr(c) for c in range(0x20)) + "\x7f"
    line = dumps({"s": text})
    assert line.isascii() and all(c >= " " for c in line.rstrip("\n"))
    assert tomllib.loads(line)["s"] == text


def test_scalars() -> None:
    utc = datetime.UTC
    minus = datetime.timezone(datetime.timedelta(hours=-7, minutes=-30))
    document = {
        "true": True,
        "false": False,
        "zero": 0,
        "big": 2**63 - 1,
        "small": -(2**63),
        "float": 1.5,
        "exp": 1e300,
        "tiny": 5e-324,
        "negzero": -0.0,
        "inf": math.inf,
        "ninf": -math.inf,
        "aware": datetime.datetime(2025, 1, 25, 11, 30, 10, 164985, tzinfo=utc),
        "offset": datetime.datetime(1999, 12, 31, 23, 59, 59, tzinfo=minus),
        "local": datetime.datetime(2025, 3, 6, 12, 28, 57, 760769),
        "date": datetime.date(2025, 1, 1),
        "time": datetime.time(7, 32, 0, 5),
        "empty_array": [],
        "empty_table": {},
        "nested_arrays": [[1, 2], ["a"], []],
    }
    assert roundtrip(document) == document
    assert math.isnan(tomllib.loads(dumps({"nan": math.nan}))["nan"])


def test_tables_and_arrays_of_tables() -> None:
    document = {
        "top": "first",
        "packages": [
            {"name": "a", "wheels": [{"name": "a.whl", "hashes": {"sha256": "00"}}],
             "tool": {"x": {"y": 1}}},
            {"name": "b", "attestation-identities": [{"kind": "GitHub"}, {"kind": "GitLab"}]},
        ],
        "tool": {"cove": {"command": ["lock"]}, "other": {}},
    }  # fmt: skip
    assert roundtrip(document) == document
    text = dumps(document, inline=["wheels", "hashes"])
    assert tomllib.loads(text) == document
    assert "wheels = [\n    { name = " in text
    assert "[packages.tool.x]" in text and "[[packages.attestation-identities]]" in text


def test_plain_values_are_written_before_tables_whatever_the_order() -> None:
    document = {"sub": {"a": 1}, "late": "value", "array": [{"b": 2}], "last": 3}
    text = dumps(document)
    assert text.index("late =") < text.index("[sub]") and text.index("last =") < text.index("[sub]")
    assert roundtrip(document) == document


def test_literal_strings_for_markers() -> None:
    assert dumps({"marker": 'sys_platform == "linux"'}) == "marker = 'sys_platform == \"linux\"'\n"
    assert dumps({"m": 'it\'s "both"'}) == 'm = "it\'s \\"both\\""\n'


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (None, ValueError),
        ("\udcff", ValueError),
        (2**63, ValueError),
        (datetime.time(1, 2, tzinfo=datetime.UTC), ValueError),
        (
            datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(seconds=30))),
            ValueError,
        ),
        (object(), TypeError),
        ({1: "x"}, TypeError),
        ([{1: "x"}], TypeError),
    ],
)
def test_what_toml_cannot_hold(value: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        dumps({"key": value})
