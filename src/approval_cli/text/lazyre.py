"""Regular expressions compiled on first use.

Compiling the amount and text patterns cost ~10 ms at import, paid by every command even when a
query holds no amount; a LazyPattern defers it to the first match.
"""

from __future__ import annotations

import re
from typing import Any


class LazyPattern:
    __slots__ = ("_compiled", "_flags", "_source")

    def __init__(self, source: str, flags: int = 0) -> None:
        self._source = source
        self._flags = flags
        self._compiled: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> Any:
        if self._compiled is None:
            self._compiled = re.compile(self._source, self._flags)
        return getattr(self._compiled, name)


def lazy_compile(source: str, flags: int = 0) -> LazyPattern:
    return LazyPattern(source, flags)
