"""How characters sound (toneless Mandarin readings), to read a phonetic-input slip: 採構 for 採購.

The readings are pypinyin's own data file (pinyin_dict.json, one entry per character), read
directly: importing pypinyin itself would also load its 2.5 MB phrase dictionary, which costs
~50 MiB and is not needed to compare single characters. Loaded on the first slip only.
"""

from __future__ import annotations

import json
import unicodedata
from importlib.util import find_spec
from itertools import product
from pathlib import Path

_RAW: dict[int, str] | None = None  # character code → its readings as the data file writes them
_READINGS: dict[int, tuple[str, ...]] = {}  # character code → its toneless readings, worked out on first use


def _toneless(reading: str) -> str:
    """lǜ → lu, zhāng → zhang: the base letters, tone marks dropped (ü kept apart as v)."""
    reading = reading.replace("ü", "v").replace("ǖ", "v").replace("ǘ", "v").replace("ǚ", "v").replace("ǜ", "v")
    return "".join(ch for ch in unicodedata.normalize("NFD", reading) if not unicodedata.combining(ch))


def _load() -> dict[int, str]:
    """The data file's readings per character, as written. Each character's toneless readings
    are worked out when first asked for (_readings): all 42,000 of them at once took 70 ms of a
    batch's start, and a catalogue uses about a thousand characters."""
    global _RAW
    if _RAW is None:
        _RAW = {}
        spec = find_spec("pypinyin")
        folders = list(spec.submodule_search_locations or []) if spec else []
        for folder in folders:
            path = Path(folder) / "pinyin_dict.json"
            if path.is_file():
                data = json.loads(path.read_text(encoding="utf-8"))
                _RAW = {int(code): readings for code, readings in data.items()}
                break
    return _RAW


def _readings(code: int) -> tuple[str, ...] | None:
    found = _READINGS.get(code)
    if found is None:
        written = _load().get(code)
        if written is None:
            return None
        found = _READINGS[code] = tuple(dict.fromkeys(_toneless(r) for r in written.split(",")))
    return found


def available() -> bool:
    """Whether readings can be had (pypinyin installed)."""
    return bool(_load())


def first_key(text: str) -> str | None:
    """The reading of a text by each character's first reading ("cai gou"): keys(text, limit=1),
    without building the combinations; None when a character has no known reading."""
    firsts = []
    for ch in text:
        readings = _readings(ord(ch))
        if not readings:
            return None
        firsts.append(readings[0])
    return " ".join(firsts) if firsts else None


def keys(text: str, limit: int = 8) -> list[str]:
    """Every toneless reading of a short text ("cai gou"), at most `limit` of them, in the data
    file's order (a list, not a set: what sounds alike is listed the same in every run); empty
    when a character has no known reading."""
    choices = [_readings(ord(ch)) for ch in text]
    if not choices or any(not c for c in choices):
        return []
    out: dict[str, None] = {}
    for combination in product(*choices):
        out[" ".join(combination)] = None
        if len(out) >= limit:
            break
    return list(out)
