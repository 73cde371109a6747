"""Text that is safe to put in front of a clerk: no raw control characters, ever.

A catalogue row, a query or a file name can carry ESC (colour, cursor moves, window titles),
a carriage return (overprints a line) or bidi overrides (text that reads other than it is
stored). Human output and every message show them as visible escapes (\\x1b, \\u202e) instead.
Tab and newline stay: they are layout, not commands. JSON escapes them itself (see jsonout).
"""

from __future__ import annotations

import dataclasses
import re

# C0 controls but tab and newline, DEL, C1 controls (U+009B is a one-byte CSI on some terminals),
# line/paragraph separators, bidi embeddings, overrides and isolates, and the BOM/ZWNBSP.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def neutralise(text: str) -> str:
    """The text with every unsafe character written out as an escape."""
    return _UNSAFE.sub(_visible, text) if _UNSAFE.search(text) else text


def neutralise_deep(value):
    """The same for every string inside dicts, lists, tuples and (frozen) dataclasses."""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, dict):
        return {key: neutralise_deep(item) for key, item in value.items()}
    if isinstance(value, list):
        return [neutralise_deep(item) for item in value]
    if isinstance(value, tuple):
        return tuple(neutralise_deep(item) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: neutralise_deep(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init
        }
        return dataclasses.replace(value, **changes)
    return value
