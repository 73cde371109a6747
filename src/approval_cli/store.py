"""The catalogue as the lookup commands use it: plain data plus a character-bigram index.

Validating YAML with pydantic costs far more than a lookup, so the first run compiles the
validated catalogue into a pickle of plain Python data in the user cache directory, keyed by
the catalogue file's identity (path, size, mtime) and the package version. Later runs load that
pickle and never import yaml or pydantic. A corrupt, stale or unwritable cache is ignored and
rebuilt: the cache can make a run faster, never break it.
"""

from __future__ import annotations

import binascii
import json
import os
import pickle
import sys
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from .normalize import fold

CACHE_FORMAT = 4


class Entries(Sequence):
    """Entries kept as JSON text and decoded when read.

    Unpickling 50,000 nested dicts took most of a lookup's time; 50,000 strings load in a
    fraction of it, and a lookup decodes only the rows it shows.
    """

    def __init__(self, texts: list[str]) -> None:
        self._texts = texts
        self._decoded: dict[int, dict] = {}

    def __len__(self) -> int:
        return len(self._texts)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        entry = self._decoded.get(index)
        if entry is None:
            entry = self._decoded[index] = json.loads(self._texts[index])
        return entry

    def __getstate__(self) -> list[str]:
        return self._texts

    def __setstate__(self, texts: list[str]) -> None:
        self.__init__(texts)


@dataclass
class Store:
    metadata: dict
    entries: Entries
    units: list[str]
    fold_map: dict[str, str]
    thesaurus: dict[str, tuple[str, str]]  # folded everyday word → (folded table word, as written)
    # Per row, what ranking needs without decoding the entry:
    row_unit: list[str]
    bands: list[tuple[int | None, int | None] | None]  # amount_range as (min, max)
    folded: list[tuple[str, str, str]]  # matching text: item, content, business + scope notes
    joined: list[str]
    field_grams: list[tuple[int, int]]  # distinct bigrams in the content and in the specific field
    postings: dict[str, array] = field(repr=False)
    by_id: dict[str, int] = field(repr=False)
    rows_by_unit: dict[str, list[int]] = field(repr=False)
    source: str = ""
    key: str = ""  # the cache key it was stored under
    from_cache: bool = False
    # Scored rows per (row set, wording), kept while a batch runs (match.rank); never pickled.
    memo: dict | None = field(default=None, repr=False)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "memo": None}

    def fold(self, text: str) -> str:
        return fold(text, self.fold_map)

    def unit_rows(self, unit: str) -> list[int]:
        return self.rows_by_unit.get(unit, [])


def bigrams(text: str) -> set[str]:
    """The distinct character bigrams of a text (none for a one-character text)."""
    return {text[i : i + 2] for i in range(len(text) - 1)}


def build_store(entries: Iterable[dict], metadata: dict, source: str) -> Store:
    """Compile validated entries (plain dicts, consumed one at a time) into a Store."""
    from .normalize import build_fold_map

    texts: list[str] = []
    row_unit: list[str] = []
    bands: list[tuple[int | None, int | None] | None] = []
    raw_fields: list[tuple[str, str, str]] = []
    ids: dict[str, int] = {}
    # One string object per unit name, so 50,000 rows share a few strings when pickled.
    units: dict[str, str] = {name: name for name in metadata.get("units") or []}
    for index, entry in enumerate(entries):
        texts.append(json.dumps(entry, ensure_ascii=False, separators=(",", ":")))
        unit = units.setdefault(entry["unit"], entry["unit"])
        row_unit.append(unit)
        band = entry.get("amount_range")
        bands.append((band["min"], band["max"]) if band else None)
        raw_fields.append((entry["item"], entry["content"], _specific_text(entry)))
        ids[entry["id"].upper()] = index
    chars = sorted({char for fields in raw_fields for text in fields for char in text})
    # Every catalogue character gets an entry, unchanged ones too, so a query made of the
    # catalogue's own characters never needs OpenCC.
    changed = build_fold_map(chars)
    fold_map = {char: changed.get(char, char) for char in chars}
    folded = [tuple(fold(text, fold_map) for text in fields) for fields in raw_fields]
    joined = ["".join(parts) for parts in folded]
    postings: dict[str, array] = {}
    for index, text in enumerate(joined):
        for gram in bigrams(text):
            postings.setdefault(gram, array("I")).append(index)
    rows_by_unit: dict[str, list[int]] = {}
    for index, unit in enumerate(row_unit):
        rows_by_unit.setdefault(unit, []).append(index)
    return Store(
        metadata=metadata,
        entries=Entries(texts),
        units=list(units),
        fold_map=fold_map,
        thesaurus={fold(plain): (fold(word, fold_map), word) for plain, word in THESAURUS.items()},
        row_unit=row_unit,
        bands=bands,
        folded=folded,  # type: ignore[arg-type]
        joined=joined,
        field_grams=[(len(bigrams(content)), len(bigrams(specific))) for _, content, specific in folded],
        postings=postings,
        by_id=ids,
        rows_by_unit=rows_by_unit,
        source=source,
    )


def _specific_text(entry: dict) -> str:
    """業務名稱 plus scope notes (「資訊、檔案業務」), which tell apart rows of the same task."""
    scopes = [c["text"] for c in entry.get("conditions", []) if c["kind"] == "scope"]
    return "".join([entry.get("business") or "", *scopes])


# Words clerks type that the table never uses, mapped to the table's own word for the same thing.
# Each adds a term to the query; nothing typed is replaced.
THESAURUS = {
    "買": "採購",
    "購買": "採購",
    "購置": "採購",
    "採買": "採購",
    "要資料": "索取資料",
    "市政府": "本府",
    "市府": "本府",
    "颱風": "災害",
    "地震": "災害",
    "水災": "災害",
    "國中": "中等以下學校",
    "國小": "中等以下學校",
    "高中": "中等以下學校",
    "大印": "印信",
    "關防": "印信",
    "志願者": "志工",
    "義工": "志工",
    "性別平等": "兩性平權",
    "搜集": "蒐集",
    "移給": "移文",
    "轉給": "移文",
    "題字": "題詞",
}


def cache_dir() -> Path:
    explicit = os.environ.get("APPROVAL_CACHE_DIR")
    if explicit:
        return Path(explicit)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "approval-cli"


def _code_fingerprint() -> str:
    """What the compiled data depends on besides the catalogue: its shape and the folding tables."""
    from dataclasses import fields

    from .normalize import FOLD_VARIANTS

    shape = [f.name for f in fields(Store)]
    return f"{CACHE_FORMAT}|{__version__}|{shape}|{sorted(FOLD_VARIANTS.items())}|{sorted(THESAURUS.items())}"


def cache_location(path: Path) -> tuple[Path, str] | None:
    """Where the compiled form of this catalogue file lives, and the key it must carry."""
    try:
        st = path.stat()
    except OSError:
        return None  # a missing file is reported by the loader
    key = f"{_code_fingerprint()}|{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    return cache_dir() / f"catalogue-{_digest(key)}.pickle", key


def cache_file(path: Path) -> Path | None:
    location = cache_location(path)
    return location[0] if location else None


def _digest(key: str) -> str:
    # Two CRC-32s make a file name; hashlib costs more to import than a whole lookup. The full
    # key is stored in the pickle and compared on load, so a collision only costs a rebuild.
    data = key.encode()
    return f"{binascii.crc32(data):08x}{binascii.crc32(data[::-1]):08x}"


def _read_cache(location: Path, key: str) -> Store | None:
    try:
        with location.open("rb") as handle:
            store = pickle.load(handle)
    except Exception:  # missing, truncated, corrupt or from another version: rebuild
        return None
    if not isinstance(store, Store):
        return None
    from dataclasses import fields

    complete = all(hasattr(store, f.name) for f in fields(Store))
    return store if complete and store.key == key else None


def _write_cache(location: Path, store: Store) -> None:
    try:
        location.parent.mkdir(parents=True, exist_ok=True)
        temporary = location.with_suffix(f".{os.getpid()}.tmp")
        with temporary.open("wb") as handle:
            pickle.dump(store, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, location)
    except OSError:
        pass  # read-only home, full disk: the lookup still works, only slower next time


def load_store(path: str | os.PathLike[str] | None = None, *, use_cache: bool = True) -> Store:
    """The catalogue (built-in, --catalogue or APPROVAL_CATALOGUE) ready for lookups."""
    from .locate import resolve_path

    resolved = resolve_path(path)
    found = cache_location(resolved) if use_cache and not os.environ.get("APPROVAL_NO_CACHE") else None
    location, key = found or (None, "")
    if location is not None:
        cached = _read_cache(location, key)
        if cached is not None:
            cached.from_cache = True
            return cached
    from .catalogue import load_plain

    metadata, entries = load_plain(resolved)
    store = build_store(entries, metadata, str(resolved))
    store.key = key
    if location is not None:
        _write_cache(location, store)
    return store
