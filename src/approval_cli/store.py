"""The catalogue as the lookup commands use it: plain data plus a character-bigram index.

Validating YAML with pydantic costs far more than a lookup, so the first run compiles the
validated catalogue into a pickle of plain Python data in the user cache directory, keyed by
the catalogue file's identity (path, size, mtime) and the package version. Later runs load that
pickle and never import yaml or pydantic. A corrupt, stale or unwritable cache is ignored and
rebuilt: the cache can make a run faster, never break it.
"""

from __future__ import annotations

import binascii
import io
import json
import os
import pickle
import sys
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from .normalize import fold

CACHE_FORMAT = 7
NO_AMOUNT = -1  # in a band column: that end of the band is open
FOLD_CACHE_LIMIT = 50_000  # remembered folds per process; cleared when full (bounded memory)


def _position(index: int, length: int) -> int:
    """A list's index rules: negative from the end, IndexError outside (the end stops iteration)."""
    if index < 0:
        index += length
    if not 0 <= index < length:
        raise IndexError("row index out of range")
    return index


class Column:
    """Many short strings kept as one string and an offset array.

    A 50,000-row catalogue has a few hundred thousand short texts; unpickling them one object
    at a time was most of a lookup on it. Two objects load in a blink; a row's text is sliced
    out when it is read.
    """

    def __init__(self, texts: Iterable[str] | None = None) -> None:
        """Column(texts) is complete; Column() is built with append() and finished with close()."""
        self._buffer: io.StringIO | None = io.StringIO()
        self._text = ""
        self._offsets = array("I", [0])
        if texts is not None:
            for text in texts:
                self.append(text)
            self.close()

    def append(self, text: str) -> None:
        """Add a row while building; nothing per row is kept but its end offset."""
        self._buffer.write(text)
        self._offsets.append(self._offsets[-1] + len(text))

    def close(self) -> Column:
        if self._buffer is not None:
            self._text = self._text + self._buffer.getvalue()
            self._buffer = None
        return self

    def __getstate__(self) -> tuple[str, array]:
        return self.close()._text, self._offsets

    def __setstate__(self, state: tuple[str, array]) -> None:
        self._text, self._offsets = state
        self._buffer = None

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        at = _position(index, len(self))
        return self._text[self._offsets[at] : self._offsets[at + 1]]


class Entries:
    """Entries kept as JSON text (a Column) and decoded when read: a lookup decodes only the rows it shows."""

    def __init__(self, texts: Column) -> None:
        self._texts = texts
        self._decoded: dict[int, dict] = {}

    def __len__(self) -> int:
        return len(self._texts)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        index = _position(index, len(self))
        entry = self._decoded.get(index)
        if entry is None:
            entry = self._decoded[index] = json.loads(self._texts[index])
        return entry

    def __getstate__(self) -> Column:
        return self._texts

    def __setstate__(self, texts: Column) -> None:
        self.__init__(texts)


class Bands:
    """Each row's amount band as (min, max) with None for an open end, or None: two integer arrays."""

    def __init__(self, bands: Iterable[tuple[int | None, int | None] | None]) -> None:
        self._low, self._high = array("q"), array("q")
        for band in bands:
            low, high = band if band else (None, None)
            # A row without a band stores NO_AMOUNT twice; a band is never open at both ends.
            self._low.append(NO_AMOUNT if low is None else low)
            self._high.append(NO_AMOUNT if high is None else high)

    def __len__(self) -> int:
        return len(self._low)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        low, high = self._low[index], self._high[index]
        if low == NO_AMOUNT and high == NO_AMOUNT:
            return None
        return (None if low == NO_AMOUNT else low, None if high == NO_AMOUNT else high)


class UnitColumn:
    """Each row's unit name, as an index into the unit list."""

    def __init__(self, names: list[str], indexes: array) -> None:
        self._names = names
        self._indexes = indexes

    def __len__(self) -> int:
        return len(self._indexes)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return self._names[self._indexes[index]]

    def rows_of(self, name: str) -> list[int]:
        if name not in self._names:
            return []
        wanted = self._names.index(name)
        return [row for row, unit in enumerate(self._indexes) if unit == wanted]


@dataclass
class Store:
    metadata: dict
    entries: Entries
    units: list[str]
    fold_map: dict[str, str]
    vocabulary: dict  # compiled office vocabulary (vocabulary.compile_vocabulary), plain data
    # Per row, what ranking needs without decoding the entry:
    row_unit: UnitColumn
    bands: Bands  # amount_range as (min, max), or None
    ids: Column
    joined: Column  # folded matching text: item + content + business + scope notes
    contents: Column  # folded 公務內容
    specifics: Column  # folded 業務名稱 + scope notes
    content_grams: array  # distinct bigrams in each row's content and specific field
    specific_grams: array
    postings: dict[str, array] = field(repr=False)
    char_postings: dict[str, array] = field(repr=False)  # for queries that share no bigram with any row
    source: str = ""
    key: str = ""  # the cache key it was stored under
    from_cache: bool = False
    _by_id: dict[str, int] | None = field(default=None, repr=False)
    _unit_rows: dict[str, list[int]] = field(default_factory=dict, repr=False)
    _vocab: object = field(default=None, repr=False)
    _sounds: dict | None = field(default=None, repr=False)
    _unfold: dict | None = field(default=None, repr=False)
    _folds: dict = field(default_factory=dict, repr=False)
    # (row, row) → the words that tell two rows of a split task apart (core._choices); at most one
    # entry per pair of rows sharing a 公務項目 in a unit, so bounded by the catalogue.
    splits: dict = field(default_factory=dict, repr=False)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_by_id": None, "_unit_rows": {}, "_vocab": None,
                "_sounds": None, "_unfold": None, "_folds": {}, "splits": {}}  # fmt: skip

    def fold(self, text: str) -> str:
        """The matching key of a text (normalize.fold with this catalogue's map), remembered: the
        same words (negations, unit names, a batch's repeated phrasings) are folded again and again.
        Folding is a pure function of the text and the map, so a remembered key is exactly a fresh one."""
        cache = self._folds
        key = cache.get(text)
        if key is None:
            if len(cache) >= FOLD_CACHE_LIMIT:
                cache.clear()
            key = cache[text] = fold(text, self.fold_map)
        return key

    @property
    def vocab(self):  # -> vocabulary.Vocabulary
        if self._vocab is None:
            from .vocabulary import from_plain

            self._vocab = from_plain(self.vocabulary)
        return self._vocab

    def unfold(self, folded: str) -> str:
        """Folded catalogue text back in the table's characters (采购 → 採購), as far as known."""
        if self._unfold is None:
            reverse: dict[str, str] = {}
            for char, target in self.fold_map.items():
                reverse.setdefault(target, char)
            self._unfold = reverse
        return "".join(self._unfold.get(ch, ch) for ch in folded)

    def homophones(self, gram: str) -> list[str]:
        """Catalogue bigrams that sound like this one (採構 → 採購): how a phonetic-input slip reads.

        Built on first use from the index's bigrams with pypinyin (toneless readings); a catalogue
        whose text has no such bigram, or a missing pypinyin, gives none.
        """
        if self._sounds is None:
            self._sounds = {}
            try:
                from pypinyin import Style, lazy_pinyin
            except ImportError:  # a broken install must not break a lookup
                return []
            words = [w for w in self.vocab.thesaurus if len(w) == 2]  # clerk words: 嘉獎
            for known in [*self.postings, *words]:
                key = " ".join(lazy_pinyin(self.unfold(known), style=Style.NORMAL, errors="ignore"))
                if key.count(" ") == 1 and known not in self._sounds.get(key, []):
                    self._sounds.setdefault(key, []).append(known)
        if not self._sounds:
            return []
        from pypinyin import Style, lazy_pinyin

        key = " ".join(lazy_pinyin(self.unfold(gram), style=Style.NORMAL, errors="ignore"))
        return [known for known in self._sounds.get(key, []) if known != gram]

    def unit_rows(self, unit: str) -> list[int]:
        rows = self._unit_rows.get(unit)
        if rows is None:
            rows = self._unit_rows[unit] = self.row_unit.rows_of(unit)
        return rows

    @property
    def by_id(self) -> dict[str, int]:
        if self._by_id is None:
            self._by_id = {entry_id.upper(): index for index, entry_id in enumerate(self.ids)}
        return self._by_id


def bigrams(text: str) -> set[str]:
    """The distinct character bigrams of a text (none for a one-character text)."""
    return {text[i : i + 2] for i in range(len(text) - 1)}


def build_store(entries: Iterable[dict], metadata: dict, source: str) -> Store:
    """Compile validated entries (plain dicts, consumed one at a time) into a Store.

    Each entry is folded and written into the columns as it arrives and nothing else of it is
    kept, so a large catalogue's parsed entries are freed as they go (peak memory stays near
    the parse itself).
    """
    from .normalize import build_fold_map

    entry_texts, ids, joined, contents, specifics = Column(), Column(), Column(), Column(), Column()
    unit_index = array("I")
    content_grams, specific_grams = array("I"), array("I")
    bands: list[tuple[int | None, int | None] | None] = []
    postings: dict[str, array] = {}
    char_postings: dict[str, array] = {}
    units: dict[str, int] = {name: i for i, name in enumerate(metadata.get("units") or [])}
    # Every catalogue character gets an entry, unchanged ones too, so a query made of the
    # catalogue's own characters never needs OpenCC.
    fold_map: dict[str, str] = {}
    triggers: set[str] = set()
    for index, entry in enumerate(entries):
        triggers.update(t for c in entry.get("conditions", []) for t in c.get("triggers", []))
        entry_texts.append(json.dumps(entry, ensure_ascii=False, separators=(",", ":")))
        ids.append(entry["id"])
        unit_index.append(units.setdefault(entry["unit"], len(units)))
        band = entry.get("amount_range")
        bands.append((band["min"], band["max"]) if band else None)
        fields = (entry["item"], entry["content"], _specific_text(entry))
        new_chars = {char for text in fields for char in text if char not in fold_map}
        if new_chars:
            changed = build_fold_map(sorted(new_chars))
            fold_map.update({char: changed.get(char, char) for char in new_chars})
        item, content, specific = (fold(text, fold_map) for text in fields)
        contents.append(content)
        specifics.append(specific)
        joined.append(item + content + specific)
        content_grams.append(len(bigrams(content)))
        specific_grams.append(len(bigrams(specific)))
        for gram in bigrams(item + content + specific):
            postings.setdefault(gram, array("I")).append(index)
        for char in set(item + content + specific):
            char_postings.setdefault(char, array("I")).append(index)
    names = list(units)
    from .vocabulary import compile_vocabulary

    joined.close()
    vocabulary_data = metadata.get("vocabulary") or {}
    words = [*vocabulary_data.get("unit_aliases", {}), *vocabulary_data.get("thesaurus", {}),
             *vocabulary_data.get("condition_synonyms", {}), *vocabulary_data.get("purchase_words", [])]  # fmt: skip
    new_chars = {char for word in words for char in word if char not in fold_map}
    if new_chars:
        changed = build_fold_map(sorted(new_chars))
        fold_map.update({char: changed.get(char, char) for char in new_chars})
    vocabulary = compile_vocabulary(
        vocabulary_data, names, sorted(triggers), lambda text: fold(text, fold_map), joined._text
    )
    return Store(
        metadata={key: value for key, value in metadata.items() if key != "vocabulary"},
        entries=Entries(entry_texts.close()),
        units=names,
        fold_map=dict(sorted(fold_map.items())),
        vocabulary=vocabulary,
        row_unit=UnitColumn(names, unit_index),
        bands=Bands(bands),
        ids=ids.close(),
        joined=joined.close(),
        contents=contents.close(),
        specifics=specifics.close(),
        content_grams=content_grams,
        specific_grams=specific_grams,
        postings=postings,
        char_postings=char_postings,
        source=source,
    )


def _specific_text(entry: dict) -> str:
    """業務名稱 plus scope notes (「資訊、檔案業務」), which tell apart rows of the same task, and
    notes that describe the task (「涉及中央主計總處所主管車輛購置租賃規範…事項」)."""
    notes = [c["text"] for c in entry.get("conditions", []) if c["kind"] in ("scope", "other")]
    return "".join([entry.get("business") or "", *notes])




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
    return f"{CACHE_FORMAT}|{__version__}|{shape}|{sorted(FOLD_VARIANTS.items())}"


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
