"""JSON output for scripts: kept apart from render.py so --json runs import nothing else.

json.dumps(ensure_ascii=False) leaves U+2028, U+2029 and the C1 controls (U+0080–U+009F, with
U+0085 NEXT LINE among them) raw. They are valid JSON, but a line-based reader (Python's
str.splitlines, JavaScript before ES2019) breaks a JSON Lines record at them and some terminals
act on C1 codes, so they are written as \\u escapes; so are the bidi embeddings, overrides and
isolates, which make JSON shown in a terminal read other than it is. The text is unchanged once
parsed.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

_RAW = re.compile("[\x80-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escaped(text: str) -> str:
    # Each of these characters is unprintable (Cc, Cf, Zl, Zp): a printable text has none, and
    # isprintable() is twice as fast as the search on a batch's 2 KB lines.
    if text.isprintable() or not _RAW.search(text):
        return text
    return _RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def dumps(data: Any, **options: Any) -> str:
    """json.dumps with ensure_ascii=False and the line-breaking characters escaped."""
    return _escaped(json.dumps(data, ensure_ascii=False, **options))


def write_json(data: Any, stream=None) -> None:
    stream = stream or sys.stdout
    stream.write(dumps(data, indent=2))
    stream.write("\n")


def json_line(data: Any) -> str:
    return dumps(data, separators=(",", ":"))
