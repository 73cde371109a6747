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

import heapq
import math
from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise

from .amounts import BAND_WORDS, strip_amounts
from .errors import UnitError, UsageError
from .roles import ROLE_ALIASES, ROLE_RANK
from .store import Store

# Weights of the score's parts, tuned on tests/data/queries.yaml (see tests/test_accuracy.py).
W_BIGRAM, W_CHAR, W_PARTIAL, W_PRECISION = 0.50, 0.20, 0.25, 0.05
# How an amount moves a row in the ranking (not its displayed relevance): a band that holds the
# amount lifts the row, a narrower such band a little more (總務組's 1萬元以下 row before the
# common 15萬元以下 band); a band that excludes it sinks the row.
AMOUNT_IN_BAND, AMOUNT_OUTSIDE_BAND, NARROW_BAND_PER_DIGIT = 20.0, -30.0, 2.0
MAX_KEY = 100.0 + AMOUNT_IN_BAND + 12 * NARROW_BAND_PER_DIGIT  # the highest key any row can have
# Below this a row is not offered as the answer to a route; find still lists it, ranked.
MIN_ROUTE_SCORE = 45.0
# A row in the asked unit must also come near the best row anywhere, or the unit lacks the task.
MIN_SHARE_OF_BEST = 0.75
# Rows scored in full per query, chosen by how many of the query's bigrams they share.
PREFILTER = 100
MAX_QUERY_CHARS = 200
# What is left of an amount split by a space (「1萬5,000 元」): not a word to match.
STRAY_AMOUNT_WORDS = frozenset({"元", "整", "元整", *BAND_WORDS})


@dataclass
class Query:
    text: str  # as typed, cleaned
    folded: str  # matching key of `words`
    terms: list[str]  # folded whitespace-separated parts
    amount: int | None
    amount_source: str | None  # "option", "query" or None
    amount_text: str | None
    grams: frozenset[str] = frozenset()  # distinct bigrams inside the terms (never across two terms)
    chars: frozenset[str] = frozenset()
    length: int = 1  # characters in the terms, to weight each term's partial_ratio
    shown: dict[str, str] = field(default_factory=dict)  # folded term → as the clerk (or table) wrote it
    # The amount as an inclusive (min, max), None for an open end: (n, n) for an exact amount,
    # (150001, None) for 「逾15萬」. None when no amount was given.
    span: tuple[int | None, int | None] | None = None


@dataclass
class Hit:
    index: int
    score: float  # text relevance, 0-100 (100 for a row chosen by its amount band alone)
    matched: list[str] = field(default_factory=list)
    parts: dict[str, float] = field(default_factory=dict)
    key: float | None = None  # what the ranking sorts on: relevance plus the amount's fit

    def __post_init__(self) -> None:
        if self.key is None:
            self.key = self.score


def make_query(store: Store, text: str, amount: int | None = None) -> Query:
    from .amounts import ambiguous_amount, find_amounts, is_quantity, parse_amount, parse_amount_range
    from .normalize import clean_text

    # Cleaned part by part: clean_text would join 「15萬 10份」 into one amount, 15萬10.
    parts = [clean_text(part) for part in (text or "").split()]
    cleaned = " ".join(part for part in parts if part)
    if len(cleaned) > MAX_QUERY_CHARS:
        raise UsageError(
            f"查詢太長（{len(cleaned)} 字）；請用 {MAX_QUERY_CHARS} 字以內描述要辦的事。",
            "例如：approval find 採購 30萬",
        )
    source = "option" if amount is not None else None
    amount_text = None
    span: tuple[int | None, int | None] | None = (amount, amount) if amount is not None else None
    if amount is None:
        odd = ambiguous_amount(cleaned)
        if odd:
            parse_amount(odd)  # raises the same message --amount gives
        joined = _join_split_amounts(cleaned)
        mentions = find_amounts(joined)
        # 逾15萬, 15萬以上, 15萬至50萬: a band, read as the table reads its own.
        stated = parse_amount_range(joined) if mentions else None
        if stated:
            span, source = stated, "query"
            amount_text = " ".join(m.text for m in mentions)
            amount = stated[0] if stated[0] == stated[1] else None
        elif len({m.value for m in mentions}) > 1:
            raise UsageError(
                f"描述中有不只一個金額（{'、'.join(m.text for m in mentions)}），無法判定用哪一個。",
                "請只寫一個金額；要寫級距請用「逾15萬元、50萬元以下」這類寫法。",
            )
        elif mentions:
            amount, amount_text, source = mentions[0].value, mentions[0].text, "query"
            span = (amount, amount)
    # Terms keep the clerk's own word breaks; what is left of an amount or a count is no term.
    terms: list[str] = []
    shown: dict[str, str] = {}
    for part in parts:
        typed = strip_amounts(part)[0]
        term = store.fold(typed)
        if term and term not in STRAY_AMOUNT_WORDS and not is_quantity(typed):
            terms.append(term)
            shown.setdefault(term, typed)
    # Everyday words the table does not use join the query as extra terms (買 → 採購).
    for plain, (table_word, written) in store.thesaurus.items():
        if table_word not in terms and any(plain in term for term in terms):
            terms.append(table_word)
            shown[table_word] = written
    grams = frozenset(term[i : i + 2] for term in terms for i in range(len(term) - 1))
    folded = "".join(terms)
    return Query(
        cleaned,
        folded,
        terms,
        amount,
        source,
        amount_text,
        grams,
        frozenset(folded),
        len(folded) or 1,
        shown,
        span,
    )


def _join_split_amounts(text: str) -> str:
    """「15萬 5000元」 → 「15萬5000元」: two amounts with only a space between them that read as one
    amount together are one amount the clerk typed with a space. 「30萬 50萬」 stays two."""
    from .amounts import find_amounts, parse_amount
    from .errors import AmountError

    mentions = find_amounts(text)
    for first, second in reversed(list(pairwise(mentions))):
        if text[first.end : second.start].strip():
            continue
        try:
            parse_amount(first.text + second.text)
        except AmountError:
            continue
        text = text[: first.end] + text[second.start :]
    return text


def _shared_count(store: Store, query: Query, index: int) -> int:
    text = store.joined[index]
    return sum(gram in text for gram in query.grams)


def _candidates(
    store: Store, query: Query, rows: list[int] | None, use_index: bool = True
) -> list[tuple[int, int]]:
    """Rows worth scoring, each with how many of the query's bigrams it contains."""
    pool = rows if rows is not None else range(len(store.joined))
    if not use_index:
        return [(index, _shared_count(store, query, index)) for index in pool]
    allowed = None if rows is None else set(rows)
    counts: Counter[int] = Counter()
    for gram in query.grams:
        for index in store.postings.get(gram, ()):
            if allowed is None or index in allowed:
                counts[index] += 1
    if not counts:
        # No row shares a bigram (a one-character query, a typo): rows sharing a character are
        # scored on characters alone. A query sharing not even a character has no candidates.
        sharing: set[int] = set()
        for char in query.chars:
            sharing.update(store.char_postings.get(char, ()))
        return [(index, 0) for index in sorted(sharing) if allowed is None or index in allowed]
    return counts.most_common(PREFILTER)


def _combine(bigram_cover: float, char_cover: float, partial: float, precision: float) -> float:
    """The relevance, 0-100, from its parts (each 0-1); the same sum bounds a row before partial_ratio."""
    return 100 * (
        W_BIGRAM * bigram_cover + W_CHAR * char_cover + W_PARTIAL * partial + W_PRECISION * precision
    )


def _partial_ceiling(query: Query, text: str) -> float:
    """An upper bound of _partial(query, text), from characters alone.

    partial_ratio is the Indel ratio 2·LCS/(L+w) of a term of length L against its best window
    (length w ≤ L, shorter at the text's borders) of the text, and the LCS cannot exceed c, the
    number of the term's characters found in the text at all: the ratio is at most 2c/(L+c).
    A text shorter than the term is aligned the other way round, so it gets no bound.
    """
    total = 0.0
    for term in query.terms:
        length = len(term)
        if len(text) < length:
            total += length
            continue
        found = sum(char in text for char in term)
        total += length * (2 * found / (length + found) if found else 0.0)
    return total / query.length


def _cheap_parts(store: Store, query: Query, index: int, shared: int) -> tuple[float, float, float]:
    """Everything in the score but partial_ratio, the one costly part."""
    text = store.joined[index]
    bigram_cover = shared / len(query.grams) if query.grams else 0.0
    char_cover = sum(char in text for char in query.chars) / len(query.chars) if query.chars else 0.0
    # Length normalisation per field: a short field the query nearly fills (處務會議議程及紀錄) says
    # more than a long one that merely lists the words among many (…處務會議等之會議紀錄，另包含…).
    # Only the task fields count; 公務項目 is a category many rows share.
    precision = 0.0
    if shared:
        for field, size in (
            (store.contents[index], store.content_grams[index]),
            (store.specifics[index], store.specific_grams[index]),
        ):
            if size:
                precision = max(precision, sum(gram in field for gram in query.grams) / size)
    return bigram_cover, char_cover, precision


def _partial(query: Query, text: str) -> float:
    global _fuzz
    if _fuzz is None:
        from rapidfuzz import fuzz as _fuzz
    return sum(_fuzz.partial_ratio(term, text) * len(term) for term in query.terms) / query.length / 100


_fuzz = None


def _hit(store: Store, query: Query, index: int, cheap: tuple[float, float, float], fit: float) -> Hit:
    bigram_cover, char_cover, precision = cheap
    text = store.joined[index]
    partial = _partial(query, text)
    relevance = round(max(_combine(bigram_cover, char_cover, partial, precision), 0.0), 1)
    matched = [query.shown.get(term, term) for term in query.terms if term in text] or [
        _as_typed(query, gram) for gram in sorted(query.grams) if gram in text
    ]
    parts = {
        "bigram_cover": round(bigram_cover, 3),
        "char_cover": round(char_cover, 3),
        "partial_ratio": round(partial, 3),
        "precision": round(precision, 3),
    }
    return Hit(index, relevance, matched, parts, key=relevance + fit)


def _as_typed(query: Query, gram: str) -> str:
    """A matched bigram in the clerk's own characters (议员 typed → 议员, not its folded form)."""
    for term in query.terms:
        typed = query.shown.get(term, term)
        at = term.find(gram)
        if at >= 0 and len(typed) == len(term):
            return typed[at : at + 2]
    return gram


def amount_fit(store: Store, query: Query, index: int) -> float:
    """How the amount moves a row: lifted when its band holds the whole amount (a narrower band a
    little more), sunk when the band excludes it, unmoved when the amount straddles its edge."""
    if query.span is None or not store.bands[index]:
        return 0.0
    if band_holds(store, index, query.span):
        width = band_width(store, index)
        narrow = 0.0 if width == float("inf") else NARROW_BAND_PER_DIGIT * (12 - math.log10(width + 1))
        return AMOUNT_IN_BAND + narrow
    return 0.0 if band_overlaps(store, index, query.span) else AMOUNT_OUTSIDE_BAND


def band_holds(store: Store, index: int, span: tuple[int | None, int | None] | None) -> bool:
    """Whether the row's band contains every amount of the span (以下 inclusive, 逾 exclusive)."""
    band = store.bands[index]
    if band is None or span is None:
        return False
    low, high = span
    return (band[0] is None or (low is not None and low >= band[0])) and (
        band[1] is None or (high is not None and high <= band[1])
    )


def band_overlaps(store: Store, index: int, span: tuple[int | None, int | None]) -> bool:
    band = store.bands[index]
    if band is None:
        return False
    low, high = span
    return (band[1] is None or low is None or low <= band[1]) and (
        band[0] is None or high is None or high >= band[0]
    )


def rank(
    store: Store,
    query: Query,
    rows: list[int] | None = None,
    limit: int | None = None,
    *,
    use_index: bool = True,
) -> list[Hit]:
    """Rows best first. With no description, only an amount: the banded rows that contain it.

    With a limit, partial_ratio (the costly part) is computed only for rows whose other parts
    leave them a chance to enter the top `limit`. use_index=False scores every row instead of
    those sharing a bigram with the query (for tests).
    """
    if not query.terms:
        if query.span is None:
            return []
        # Bands that hold the amount first (narrowest first), then those holding part of it, so
        # that route can tell 「逾15萬」 needs an exact amount rather than finding nothing.
        pool = rows if rows is not None else range(len(store.bands))
        hits = [
            Hit(i, 100.0, [], {"amount_band": 1.0}, key=100.0 + amount_fit(store, query, i))
            for i in pool
            if store.bands[i] and band_overlaps(store, i, query.span)
        ]
        hits.sort(key=lambda h: (-h.key, band_width(store, h.index), h.index))
        return hits[:limit] if limit else hits
    if store.memo is not None:
        return _rank_memoised(store, query, rows, limit, use_index)
    candidates = _candidates(store, query, rows, use_index)
    hits = _best(store, query, candidates, limit, with_amount=True)
    hits.sort(key=lambda h: (-h.key, band_width(store, h.index), h.index))
    return hits[:limit] if limit else hits


def _best(
    store: Store, query: Query, candidates: list[tuple[int, int]], limit: int | None, *, with_amount: bool
) -> list[Hit]:
    """Score candidates, computing partial_ratio (the costly part) only for rows whose other parts
    leave them a chance to enter the top `limit` (all rows when limit is None). Unsorted."""
    staged = []
    for index, shared in candidates:
        cheap = _cheap_parts(store, query, index, shared)
        fit = amount_fit(store, query, index) if with_amount else 0.0
        ceiling = _partial_ceiling(query, store.joined[index])
        bound = _combine(cheap[0], cheap[1], ceiling, cheap[2]) + fit
        staged.append((bound, index, cheap, fit))
    staged.sort(key=lambda stage: -stage[0])
    hits: list[Hit] = []
    best_keys: list[float] = []  # a min-heap of the `limit` best keys so far
    for bound, index, cheap, fit in staged:
        # Rounding moves a key by at most 0.05; what cannot reach the top `limit` is not scored.
        if limit and len(best_keys) == limit and bound + 0.1 < best_keys[0]:
            break
        hit = _hit(store, query, index, cheap, fit)
        hits.append(hit)
        if limit:
            (heapq.heappush if len(best_keys) < limit else heapq.heappushpop)(best_keys, hit.key)
    return hits


MEMO_LIMIT = 20_000
MEMO_DEPTH = 20  # unbanded rows kept per wording: the most any batch call asks for


def _rank_memoised(
    store: Store, query: Query, rows: list[int] | None, limit: int | None, use_index: bool
) -> list[Hit]:
    """rank() for a batch: each row set and wording is scored once, whatever the amount.

    Relevance depends only on the rows and the words; an amount only lifts or sinks banded rows.
    So the memo keeps every banded candidate and the best unbanded ones by relevance, enough
    for any amount, and each call adds its amount's fit and sorts.
    """
    key = (None if rows is None else tuple(rows), tuple(query.terms), use_index)
    depth = max(limit or 0, MEMO_DEPTH) if limit else None
    known = store.memo.get(key)
    if known is None or (known[0] is not None and (depth is None or depth > known[0])):
        candidates = _candidates(store, query, rows, use_index)
        banded = [c for c in candidates if store.bands[c[0]]]
        plain = [c for c in candidates if not store.bands[c[0]]]
        scored = _best(store, query, banded, None, with_amount=False)
        scored += _best(store, query, plain, depth, with_amount=False)
        if len(store.memo) >= MEMO_LIMIT:
            store.memo.clear()
        known = store.memo[key] = (depth, scored)
    hits = [
        Hit(h.index, h.score, h.matched, h.parts, key=h.score + amount_fit(store, query, h.index))
        for h in known[1]
    ]
    hits.sort(key=lambda h: (-h.key, band_width(store, h.index), h.index))
    return hits[:limit] if limit else hits


def band_width(store: Store, index: int) -> float:
    """How wide a row's amount band is (narrower bands win ties); infinite when open or absent."""
    band = store.bands[index]
    if not band:
        return float("inf")
    if band[0] is None and band[1] is not None:
        return float(band[1])
    if band[0] is None or band[1] is None:
        return float("inf")
    return float(band[1] - band[0])


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
