"""Ranking rows for a task description, and deciding the one row a task routes to.

A clerk's query is short (「議員要資料」, 「採購 30萬」) and a row's text is long, so a plain
edit distance says little. The score mixes how much of the query the row covers, in character
bigrams and single characters (both folded to one script, so 「采购」 meets 「採購」), with
rapidfuzz's partial_ratio, which rewards the query appearing nearly verbatim somewhere in the
row. An amount in the query or in --amount then lifts the rows whose band contains it.
A bigram inverted index keeps a 50,000-row catalogue fast: only rows sharing a bigram with the
query are scored.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from .amounts import strip_amounts
from .errors import UnitError, UsageError
from .roles import ROLE_ALIASES, ROLE_RANK
from .store import Store

# Weights of the score's parts, tuned on tests/data/queries.yaml (see tests/test_accuracy.py).
W_BIGRAM, W_CHAR, W_PARTIAL, W_PRECISION = 0.50, 0.20, 0.25, 0.05
# How an amount moves a row in the ranking (not its displayed relevance): a band that holds the
# amount lifts the row, a narrower such band a little more (總務組's 1萬元以下 row before the
# common 15萬元以下 band); a band that excludes it sinks the row.
AMOUNT_IN_BAND, AMOUNT_OUTSIDE_BAND, NARROW_BAND_PER_DIGIT = 20.0, -30.0, 2.0
# Below this a row is not offered as the answer to a route; find still lists it, ranked.
MIN_ROUTE_SCORE = 45.0
# A row in the asked unit must also come near the best row anywhere, or the unit lacks the task.
MIN_SHARE_OF_BEST = 0.75
# Rows scored in full per query, chosen by how many of the query's bigrams they share.
PREFILTER = 100
MAX_QUERY_CHARS = 200
# What is left of an amount split by a space (「1萬5,000 元」): not a word to match.
STRAY_AMOUNT_WORDS = frozenset({"元", "整", "元整", "以下", "以上"})


@dataclass
class Query:
    text: str  # as typed, cleaned
    words: str  # the description without the amounts, as typed
    folded: str  # matching key of `words`
    terms: list[str]  # folded whitespace-separated parts
    amount: int | None
    amount_source: str | None  # "option", "query" or None
    amount_text: str | None
    grams: frozenset[str] = frozenset()  # distinct bigrams inside the terms (never across two terms)
    chars: frozenset[str] = frozenset()
    length: int = 1  # characters in the terms, to weight each term's partial_ratio


@dataclass
class Hit:
    index: int
    score: float  # text relevance, 0-100 (100 for a row chosen by its amount band alone)
    matched: list[str] = field(default_factory=list)
    parts: dict[str, float] = field(default_factory=dict)
    key: float = 0.0  # what the ranking sorts on: relevance plus the amount's fit

    def __post_init__(self) -> None:
        self.key = self.key or self.score


def make_query(store: Store, text: str, amount: int | None = None) -> Query:
    from .normalize import clean_text

    cleaned = clean_text(text or "")
    if len(cleaned) > MAX_QUERY_CHARS:
        raise UsageError(
            f"查詢太長（{len(cleaned)} 字）；請用 {MAX_QUERY_CHARS} 字以內描述要辦的事。",
            "例如：approval find 採購 30萬",
        )
    words, mentions = strip_amounts(cleaned)
    source = "option" if amount is not None else None
    amount_text = None
    if amount is None and mentions:
        amount, amount_text, source = mentions[0].value, mentions[0].text, "query"
    # Terms keep the clerk's own word breaks, which clean_text joins between Chinese characters.
    terms = []
    for part in text.split():
        term = store.fold(strip_amounts(clean_text(part))[0])
        if term and term not in STRAY_AMOUNT_WORDS:
            terms.append(term)
    # Everyday words the table does not use join the query as extra terms (買 → 採購).
    extra = [table_word for plain, table_word in store.thesaurus.items() if any(plain in t for t in terms)]
    terms += [word for word in dict.fromkeys(extra) if word not in terms]
    grams = frozenset(term[i : i + 2] for term in terms for i in range(len(term) - 1))
    folded = "".join(terms)
    return Query(
        cleaned, words, folded, terms, amount, source, amount_text, grams, frozenset(folded), len(folded) or 1
    )


def _shared_count(store: Store, query: Query, index: int) -> int:
    text = store.joined[index]
    return sum(gram in text for gram in query.grams)


def _candidates(
    store: Store, query: Query, rows: list[int] | None, use_index: bool = True
) -> list[tuple[int, int]]:
    """Rows worth scoring, each with how many of the query's bigrams it contains."""
    pool = rows if rows is not None else range(len(store.entries))
    if not use_index:
        return [(index, _shared_count(store, query, index)) for index in pool]
    allowed = None if rows is None else set(rows)
    counts: Counter[int] = Counter()
    for gram in query.grams:
        for index in store.postings.get(gram, ()):
            if allowed is None or index in allowed:
                counts[index] += 1
    if not counts:
        # Nothing shares a bigram (a one-character query): score the rows on characters alone.
        return [(index, 0) for index in pool]
    return counts.most_common(PREFILTER)


def score_row(store: Store, query: Query, index: int, shared: int) -> Hit:
    from rapidfuzz import fuzz

    text = store.joined[index]
    bigram_cover = shared / len(query.grams) if query.grams else 0.0
    char_cover = sum(char in text for char in query.chars) / len(query.chars) if query.chars else 0.0
    partial = sum(fuzz.partial_ratio(term, text) * len(term) for term in query.terms) / query.length / 100
    # Length normalisation per field: a short field the query nearly fills (處務會議議程及紀錄) says
    # more than a long one that merely lists the words among many (…處務會議等之會議紀錄，另包含…).
    # Only the task fields count; 公務項目 is a category many rows share.
    precision = 0.0
    if shared:
        for field, size in zip(store.folded[index][1:], store.field_grams[index], strict=True):
            if size:
                precision = max(precision, sum(gram in field for gram in query.grams) / size)
    score = W_BIGRAM * bigram_cover + W_CHAR * char_cover + W_PARTIAL * partial + W_PRECISION * precision
    matched = [term for term in query.terms if term in text] or [g for g in sorted(query.grams) if g in text]
    parts = {
        "bigram_cover": round(bigram_cover, 3),
        "char_cover": round(char_cover, 3),
        "partial_ratio": round(partial, 3),
        "precision": round(precision, 3),
    }
    relevance = round(max(score, 0.0) * 100, 1)
    return Hit(index, relevance, matched, parts, key=relevance + amount_fit(store, query, index))


def amount_fit(store: Store, query: Query, index: int) -> float:
    band = store.entries[index].get("amount_range")
    if query.amount is None or not band:
        return 0.0
    if (band["min"] is None or query.amount >= band["min"]) and (
        band["max"] is None or query.amount <= band["max"]
    ):
        width = _band_width(store, index)
        narrow = 0.0 if width == float("inf") else NARROW_BAND_PER_DIGIT * (12 - math.log10(width + 1))
        return AMOUNT_IN_BAND + narrow
    return AMOUNT_OUTSIDE_BAND


def rank(
    store: Store,
    query: Query,
    rows: list[int] | None = None,
    limit: int | None = None,
    *,
    use_index: bool = True,
) -> list[Hit]:
    """Rows best first. With no description, only an amount: the banded rows that contain it.

    use_index=False scores every row instead of those sharing a bigram with the query (for tests).
    """
    if not query.terms:
        if query.amount is None:
            return []
        pool = rows if rows is not None else range(len(store.entries))
        hits = [
            Hit(i, 100.0, [], {"amount_band": 1.0})
            for i in pool
            if (band := store.entries[i].get("amount_range"))
            and (band["min"] is None or query.amount >= band["min"])
            and (band["max"] is None or query.amount <= band["max"])
        ]
        hits.sort(key=lambda h: (_band_width(store, h.index), h.index))
        return hits[:limit] if limit else hits
    hits = [
        score_row(store, query, index, shared) for index, shared in _candidates(store, query, rows, use_index)
    ]
    hits.sort(key=lambda h: (-h.key, _band_width(store, h.index), h.index))
    return hits[:limit] if limit else hits


def _band_width(store: Store, index: int) -> float:
    band = store.entries[index].get("amount_range")
    if not band:
        return float("inf")
    if band["min"] is None and band["max"] is not None:
        return float(band["max"])
    if band["min"] is None or band["max"] is None:
        return float("inf")
    return float(band["max"] - band["min"])


# ---------------------------------------------------------------- units and roles


def resolve_unit(store: Store, text: str | None) -> str | None:
    """A full unit name or an unambiguous prefix (文書 → 文書組); otherwise an error naming the nearest."""
    if text is None:
        return None
    from .normalize import clean_text

    wanted = clean_text(text)
    if not wanted:
        raise UnitError("單位名稱是空的。", f"可用的單位：{'、'.join(store.units)}。")
    if wanted in store.units:
        return wanted
    folded = store.fold(wanted)
    exact = [unit for unit in store.units if store.fold(unit) == folded]
    if exact:
        return exact[0]
    prefixed = [unit for unit in store.units if store.fold(unit).startswith(folded)]
    if len(prefixed) == 1:
        return prefixed[0]
    if len(prefixed) > 1:
        raise UnitError(f"「{wanted}」可能是 {'、'.join(prefixed)}，請寫完整。")
    from rapidfuzz import process

    nearest = [name for name, _, _ in process.extract(wanted, store.units, limit=3)]
    raise UnitError(f"找不到單位「{wanted}」。", f"您是不是要找：{'、'.join(nearest)}？")


def resolve_role(text: str) -> str:
    from .normalize import clean_text

    role = clean_text(text)
    role = ROLE_ALIASES.get(role, role)
    if role not in ROLE_RANK:
        known = "、".join(dict.fromkeys([*ROLE_RANK, *ROLE_ALIASES]))
        raise UsageError(f"不認得職稱「{text}」。", f"可用的職稱：{known}。")
    return role
