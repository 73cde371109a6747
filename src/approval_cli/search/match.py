"""Understanding a task description and ranking the table's rows for it.

One understanding step serves find, route, batch and triage (make_query): the unit named in the
text (full name, short form, 本組 in a report), the amount, purchase words, condition words (with
their negation) and the remaining task words. The catalogue's vocabulary (store.vocabulary) says
how this office's clerks name its units and tasks; nothing office-specific is written here.

A row is scored by how much of the task it covers, each character bigram of the task weighted by
how rare it is in the table (事項, 本府 tell little; 議員, 退文 tell a lot). A bigram is covered
when the row holds it, when it belongs to a clerk word whose table word the row holds (性平 →
兩性平權), or, for a bigram no row holds, when the row holds a homophone of it (採構 → 採購, a
typing slip of the phonetic input method). Character coverage, rapidfuzz's partial_ratio and
how much of the row's own task the words fill complete the score. An amount then lifts the rows
whose band holds it.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise
from operator import itemgetter

from approval_cli.catalogue.roles import ROLE_ALIASES, ROLE_RANK
from approval_cli.catalogue.store import Store
from approval_cli.catalogue.vocabulary import COSIGN_WORDS, NEGATIONS, NOT_NEGATIONS
from approval_cli.errors import UnitError, UsageError
from approval_cli.text.amounts import BAND_WORDS, strip_amounts
from approval_cli.text.lazyre import lazy_compile

# Weights of the score's parts (sum 1): weighted bigram coverage, character coverage,
# partial_ratio, and how much of the row's own task field the query fills.
W_COVER, W_CHAR, W_PARTIAL, W_PRECISION = 0.55, 0.15, 0.20, 0.10
# How an amount moves a row in the ranking (not its displayed relevance): a band that holds the
# amount lifts the row, a narrower such band a little more (總務組's 1萬元以下 row before the
# common 15萬元以下 band); a band that excludes it sinks the row.
AMOUNT_IN_BAND, AMOUNT_OUTSIDE_BAND, NARROW_BAND_PER_DIGIT = 20.0, -30.0, 2.0
# A row whose note names a condition the clerk wrote moves up this much per condition.
CONDITION_FIT = 3.0
# A row that says the opposite of the clerk's words (非府層級 for 府層級, 不派員 for 派員) loses this.
CONTRADICTION = 12.0
# Compared with folded (Simplified) text: each character in both scripts (無 folds to 无); a test
# keeps the two in step with the fold.
NEGATING_CHARS = frozenset("非不未免無无")
# Acts a row may negate (不派員) that a task names in words of its own (選派同仁, 推派, 派人參訓): the act's
# character stands for the row's word. A negated place or body (非本處, 非府層級) is matched as a word only.
NEGATED_ACTS = frozenset("派")
# What negates such an act in a clerk's words (folded text): 不, 沒, 未, 無, 毋, 勿, 別, 免, 非, but not the
# 未 of 未來, the 無/不 of 無論/不論.
_ACT_NEGATION = lazy_compile(r"不(?!论)|没|未(?!来)|无(?!论)|毋|勿|别|免|非")
# A row is an answer (route answers with it, find does not say "nothing matches") when its
# relevance reaches MIN_ROUTE_SCORE and it covers at least MIN_COVER of the task's weight.
MIN_ROUTE_SCORE = 30.0
MIN_COVER = 0.25
# A long description's context words (每天, 整理, 回報長官) dilute its cover although it holds a task
# plainly (批評 → 輿情): the best row also answers when the weight of the task's distinctive bigrams it
# covers (those in at most DISTINCT_SHARE of the rows, or covered through a clerk word's table word
# that few rows hold) exceeds EVIDENCE_BAR times the heaviest weight a bigram can have in this table
# (one word alone is not enough), and its relevance reaches EVIDENCE_SCORE_FLOOR. Common words (本處,
# 辦理, 人員) add up in any long sentence and count for nothing here.
EVIDENCE_BAR = 1.2
DISTINCT_SHARE = 0.04
# Within a unit the clerk chose, a row that is that unit's best may answer on less, unless a row
# of another unit fits the words far better (then this unit most likely lacks the task):
# below MIN_ROUTE_SCORE, the unit's row must reach UNIT_SHARE_OF_BEST of the best row anywhere.
MIN_UNIT_SCORE = 20.0
MIN_UNIT_COVER = 0.15
EVIDENCE_SCORE_FLOOR = MIN_UNIT_SCORE  # the relevance a unit's best row answers on
UNIT_SHARE_OF_BEST = 0.6
# Rows scored in full per query, chosen by the weight of the query's bigrams they share.
PREFILTER = 120
MAX_QUERY_CHARS = 200
# Covering a bigram through a homophone is weaker evidence than holding it; only words this
# short are read for typing slips.
HOMOPHONE_CREDIT = 0.85
MAX_TYPO_TERM = 8
# partial_ratio says something only for a word or two; a sentence is judged by its coverage.
MAX_PARTIAL_TERM = 10
# Terms longer than this are sentences and are cut into words first; in what is left of a question
# (「…，誰決行？」) terms longer than SHORT_TERM_OF_QUESTION are.
SEGMENT_ABOVE = 6
SHORT_TERM_OF_QUESTION = 4
# What is left of an amount split by a space (「1萬5,000 元」): not a word to match.
STRAY_AMOUNT_WORDS = frozenset({"元", "整", "元整", *BAND_WORDS})
# A number with what frames it as a date or a count (於11月15日前, 第3季, 每月5日, 113年度's 113, 8輛): no
# task word. A bare number stays (1999 is the hotline's name, 3C a kind of goods), and so does 人 (a row
# holds 10人以上傷亡). The heads are those that end no word (契約, 報到, 現在 end in 約, 到, 在).
_DATE_HEADS = "於于第每"
_DATE_COUNTER = r"(?:年(?!度)|[月日號号時时分秒季週周期屆届次樓楼層层天名件台臺份個个輛辆部架支套場场張张頁页])"
_DATE_FRAME_END = r"(?:以前|以後|以后|為止|为止|前|後|后|起|止|底|初|中旬|上旬|下旬|內|内|份)"
_DATE_TAIL = lazy_compile(rf"^(?:{_DATE_COUNTER}\s*)+{_DATE_FRAME_END}*")
_TRAILING_NUMBER = lazy_compile(rf"[{_DATE_HEADS}]?(?<![A-Za-z0-9])[0-9]+$")
_DATE_OR_COUNT = lazy_compile(
    # 113.12.28, 113/12/28, 12/28 (with what frames them: 前, 起…)
    rf"[{_DATE_HEADS}]?(?<![A-Za-z0-9.])(?:[0-9]{{2,4}}[./])?[0-9]{{1,2}}/[0-9]{{1,2}}(?![0-9])\s*{_DATE_FRAME_END}*"
    rf"|[{_DATE_HEADS}]?(?<![A-Za-z0-9.])[0-9]{{2,4}}\.[0-9]{{1,2}}\.[0-9]{{1,2}}(?![0-9])\s*{_DATE_FRAME_END}*"
    rf"|[{_DATE_HEADS}]?(?<![A-Za-z0-9])[0-9]+(?:[.,][0-9]+)?\s*"
    rf"(?:(?:{_DATE_COUNTER}\s*)+{_DATE_FRAME_END}*|{_DATE_FRAME_END}+|(?=年度))"
    rf"|[{_DATE_HEADS}](?<![A-Za-z0-9])[0-9]+(?![0-9A-Za-z])"
)
# Characters that carry no task in a clerk's sentence (我們要把這個…): bigrams holding one count little.
# Not 會 (會議, 會勘, 會辦) nor 該 (該管機關): in this table they are words of tasks.
FILLER_CHARS = frozenset(
    "的了要是在有把讓給我們你他她這那個請幫想先後再就都也還怎麼如何嗎呢吧啊喔囉需得能可以跟和與及或等一下些被將"
    "让给们这个请帮后还么吗啰与将"  # the same, folded
    "之於于"  # classical 的 and 在 (於 folds to 于)
)
FILLER_WEIGHT = 0.25
# Fillers that make no reading of a typing slip: particles and conjunctions (涉及 holds 及, but a slip
# read as 報及 or 之申 is a pair across two words, not a word of the table).
PARTICLES = frozenset("之的于於及或")
# What joins coordinated condition words (重大或爭議, 個資、資安): a negation before the first
# covers the rest.
COORDINATORS = frozenset("或、及与與和 ")
CONDITION_AFFIXES_BEFORE = ("涉及", "涉", "屬於", "屬", "有")
CONDITION_AFFIXES_AFTER = ("事項", "案件", "者", "之")


class Query:
    """What the clerk asked, understood (make_query). A plain class with its constructor written out,
    not a dataclass: generating one's methods was 0.7 ms of every command's start (route warm sits
    on its 1.4× limit). Compared by identity."""

    def __init__(
        self,
        text: str,  # as typed, cleaned
        folded: str,  # matching key of the task words
        terms: list[str],  # folded task words, the clerk's own word breaks
        amount: int | None,
        amount_source: str | None,  # "option", "query" or None
        amount_text: str | None,
        grams: frozenset[str] = frozenset(),  # distinct bigrams inside the terms (never across two terms)
        chars: frozenset[str] = frozenset(),
        length: int = 1,  # characters in the terms, to weight each term's partial_ratio
        shown: dict[str, str] | None = None,  # folded term → as the clerk wrote it
        # The amount as an inclusive (min, max), None for an open end: (n, n) for an exact amount,
        # (150001, None) for 「逾15萬」. None when no amount was given.
        span: tuple[int | None, int | None] | None = None,
        unit: str | None = None,  # the unit the text names (a --unit option wins over it)
        unit_text: str | None = None,  # as written: 國際組
        # Another unit the text names while a unit was chosen (--unit 文書組 「總務組 採購」): kept as
        # task words, and shown, so the clerk sees which unit the answer is for.
        other_unit_text: str | None = None,
        purchase: list[str] | None = None,  # purchase words in the text: 買, 租賃
        conditions: list[dict] | None = None,  # {word, trigger, negated}
        weights: dict[str, float] | None = None,  # bigram → weight
        # bigram → [(folded table word that covers it, credit)], from the thesaurus and homophones
        alternatives: dict[str, list[tuple[str, float]]] | None = None,
        corrections: list[dict] | None = None,  # {typed, read_as}: homophone readings
        synonyms: list[dict] | None = None,  # {typed, table}: thesaurus readings
        whole_grams: frozenset[str] = frozenset(),  # bigrams of the words before a sentence is cut
        loose_chars: frozenset[str] = frozenset(),  # characters of no bigram any row (or clerk word) has
    ) -> None:
        self.text, self.folded, self.terms = text, folded, terms
        self.amount, self.amount_source, self.amount_text = amount, amount_source, amount_text
        self.grams, self.chars, self.length = grams, chars, length
        self.shown = {} if shown is None else shown
        self.span, self.unit, self.unit_text, self.other_unit_text = span, unit, unit_text, other_unit_text
        self.purchase = [] if purchase is None else purchase
        self.conditions = [] if conditions is None else conditions
        self.weights = {} if weights is None else weights
        self.alternatives = {} if alternatives is None else alternatives
        self.corrections = [] if corrections is None else corrections
        self.synonyms = [] if synonyms is None else synonyms
        self.whole_grams, self.loose_chars = whole_grams, loose_chars
        self._plan: _Plan | None = None  # scoring's view, made once
        # row → its Hit, scored once per query: find then route for a batch line without a unit, and
        # route's look at the best row anywhere, rank the same rows again. Bounded by the rows scored.
        self._scored: dict = {}


class Hit:
    """A row as a query ranks it. Written out, not a dataclass (see Query); compared by value, as
    the dataclass was."""

    __match_args__ = ("index", "score", "matched", "parts", "key")

    def __init__(
        self,
        index: int,
        score: float,  # text relevance, 0-100 (100 for a row chosen by its amount band alone)
        matched: list[str] | None = None,
        parts: dict[str, float] | None = None,
        key: float | None = None,  # what the ranking sorts on: relevance plus the amount's fit
    ) -> None:
        self.index, self.score = index, score
        self.matched = [] if matched is None else matched
        self.parts = {} if parts is None else parts
        self.key = score if key is None else key

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not Hit:
            return NotImplemented
        return (self.index, self.score, self.matched, self.parts, self.key) == (
            other.index, other.score, other.matched, other.parts, other.key  # type: ignore[attr-defined]
        )  # fmt: skip

    __hash__ = None  # type: ignore[assignment]  # as the dataclass: mutable, so unhashable

    def __repr__(self) -> str:
        return f"Hit(index={self.index!r}, score={self.score!r}, matched={self.matched!r}, parts={self.parts!r}, key={self.key!r})"

    @property
    def cover(self) -> float:
        return self.parts.get("cover", 1.0)

    @property
    def clears_bar(self) -> bool:
        """Good enough to be an answer, not just the nearest row."""
        return self.score >= MIN_ROUTE_SCORE and self.cover >= MIN_COVER

    @property
    def clears_unit_bar(self) -> bool:
        """Good enough to answer for a unit chosen by the clerk, when no other unit does far better."""
        return self.score >= MIN_UNIT_SCORE and self.cover >= MIN_UNIT_COVER


# ---------------------------------------------------------------- understanding the text


def make_query(store: Store, text: str, amount: int | None = None, *, unit: str | None = None) -> Query:
    """What the clerk asked: unit, amount, purchase and condition words, and the task words.

    `unit` is the unit already chosen (--unit, the batch line's unit, the directive's unit): a
    mention of it in the text is not a task word, and no other mention overrides it.
    """
    from approval_cli.text.amounts import (
        ambiguous_amount,
        find_amounts,
        is_quantity,
        may_hold_amount,
        parse_amount,
        parse_amount_range,
    )
    from approval_cli.text.normalize import clean_text

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
        # The patterns are compiled on first use, and tried only where a number stands (most
        # lookups have none).
        digits = may_hold_amount(cleaned)
        if digits and find_amounts(cleaned) and _PER_UNIT.search(cleaned):
            raise UsageError(
                "採購級距依總金額判定，描述裡的是單價或數量乘算（單價、每台、×12）。",
                "請寫總價，例如「筆電 10台 共30萬」寫成「筆電 30萬」。",
            )
        # 「10~20萬」: the unit written once serves both ends (10萬~20萬).
        joined = _SHARED_UNIT.sub(r"\1\4\2\3\4", _join_split_amounts(cleaned)) if digits else cleaned
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
    # What is left of a part a question was taken out of was a sentence, not a typed keyword: its
    # folded text, to know its terms again after the unit and condition words are taken out.
    asked: list[str] = []
    if store.vocab.question_words:
        # 「…，誰核定？」: what the clerk asks, not the task (the vocabulary's question words)
        unasked = [_without_typed(store, part, store.vocab.question_words, "question") for part in parts]
        asked = [store.fold(left) for left, part in zip(unasked, parts, strict=True) if left != part and left]
        parts = [p for p in unasked if p]
    named_unit, unit_text, other_unit_text, parts = _take_unit(store, parts, unit)
    conditions, taken = _take_conditions(store, parts)
    if span is None and not _has_task_words(store, taken):
        # Nothing but condition words (「章戳銷毀」): they are what the clerk asks about, so the
        # ones not negated stay task words too.
        conditions, taken = _take_conditions(store, parts, keep_affirmed=True)
    parts = taken
    # Terms keep the clerk's own word breaks; what is left of an amount or a count is no term.
    terms: list[str] = []
    shown: dict[str, str] = {}
    whole: set[str] = set()  # bigrams of the unsegmented words: how much of a row's field they fill
    date_goes_on = False  # the part before ended in a number whose counter starts this part
    for position, part in enumerate(parts):
        # A date or a count (於11月15日前, 第3季, 每月5日) is no task word: the 15 of 「11月15日前」 met
        # the 15萬 band rows, and a date's pieces diluted the words of a long directive. Written with
        # spaces (「12 月 28 日舉行」, 「第 4 季」), its pieces are parts of their own.
        as_typed = typed = strip_amounts(part)[0]
        following = parts[position + 1] if position + 1 < len(parts) else ""
        if date_goes_on:
            typed = _DATE_TAIL.sub("", typed, count=1)
        date_goes_on = False
        date_follows = _DATE_TAIL.match(following) or following.startswith("年度")  # 「113 年度」
        trailing = _TRAILING_NUMBER.search(typed) if date_follows else None
        if trailing:
            typed, date_goes_on = typed[: trailing.start()], True
        elif typed in _DATE_HEADS and following[:1].isdigit():
            typed = ""
        typed = _DATE_OR_COUNT.sub(" ", typed)
        pieces = typed.split()
        # A sentence a date was cut out of (「請媒體組規劃明年1月市長…」) leaves pieces of it, not
        # words the clerk typed: they are cut into words however short (規劃明年 → 規劃 明年).
        cut_by_date = typed.strip() != as_typed
        for piece in pieces:
            term = store.fold(piece)
            whole.update(_grams(term))
            if not term or term in STRAY_AMOUNT_WORDS or is_quantity(piece):
                continue
            # A short term is the clerk's own word (退文改分), unless it is what is left of a question
            # sentence (「簽辦年鑑英譯，誰決行？」 → 簽辦 年鑑 英譯).
            of_question = any(term in left for left in asked)
            if len(term) == 1 and term in FILLER_CHARS and (len(parts) > 1 or len(pieces) > 1):
                continue  # 將 left between a date and the task (「…於3月10日前將…」)
            if len(term) <= (SHORT_TERM_OF_QUESTION if of_question else SEGMENT_ABOVE) and not (
                cut_by_date and len(term) > 2
            ):
                words = [(term, piece)]
            else:
                # A sentence: its words, so that pairs of characters across two words (全府公務車 →
                # 府公) neither count against a row nor match one by chance.
                words = [(word, written) for word, written in _segment(store, piece, term)
                         if not (len(word) == 1 and word in FILLER_CHARS)]  # fmt: skip
            for word, written in words:
                terms.append(word)
                shown.setdefault(word, written)
    folded = "".join(terms)
    purchase = purchase_words_in(store, folded)
    query = Query(
        text=cleaned,
        folded=folded,
        terms=terms,
        amount=amount,
        amount_source=source,
        amount_text=amount_text,
        grams=frozenset(term[i : i + 2] for term in terms for i in range(len(term) - 1)),
        chars=frozenset(ch for ch in folded if ch not in FILLER_CHARS) or frozenset(folded),
        length=len(folded) or 1,
        shown=shown,
        span=span,
        unit=named_unit,
        unit_text=unit_text,
        other_unit_text=other_unit_text,
        purchase=purchase,
        conditions=conditions,
        whole_grams=frozenset(whole),
    )
    _weigh(store, query)
    return query


def purchase_words_in(store: Store, folded: str) -> list[str]:
    """The vocabulary's purchase words (買, 租賃, 委外…) in a folded text, except where a purchase
    topic follows (採購稽核, 採購卷宗: an audit, files; no purchase to route by amount). The
    vocabulary is read only when there is text (a lookup by amount alone never decodes it)."""
    if not folded:
        return []
    vocabulary = store.vocab
    found = [word for word in vocabulary.purchase_words if word in folded]
    if found and vocabulary.purchase_topics:
        # Blank out each purchase word followed by a topic (採購案卷: 採購 + 案卷, not 採購案 + 卷),
        # then look again.
        rest = vocabulary.topic_pattern().sub(lambda m: "\0" * len(m.group()), folded)
        found = [word for word in found if word in rest]
    return found


def _segment(store: Store, typed: str, term: str) -> list[tuple[str, str]]:
    """A long folded term cut into words (jieba, on the folded text it knows best), each with the
    characters the clerk typed for it. Without jieba the term stays whole."""
    cut = _protected_cut(store, term)
    if cut is None:
        return [(term, typed)]
    # Where each folded character came from in the typed text (fold drops punctuation, spaces).
    origins: list[int] = []
    for at, char in enumerate(typed):
        origins.extend([at] * len(store.fold(char)))
    aligned = len(origins) == len(term)
    out: list[tuple[str, str]] = []
    position = 0
    for word in cut:
        end = position + len(word)
        written = typed[origins[position] : origins[end - 1] + 1] if aligned and word else word
        out.append((word, written))
        position = end
    return out


def word_bounds(text: str) -> set[int]:
    """Positions in a text where a word starts or ends (jieba's words; every position without it)."""
    from approval_cli.text.segment import words

    cut = words(text)
    if cut is None:
        return set(range(len(text) + 1))
    bounds = {0}
    position = 0
    for word in cut:
        position += len(word)
        bounds.add(position)
    return bounds


def _protected_cut(store: Store, term: str) -> list[str] | None:
    """jieba's words, except that a clerk word of the thesaurus (性別平等) stays one word."""
    from approval_cli.text.segment import words

    if words("") is None:
        return None
    out: list[str] = []
    position = 0
    for word, _ in store.vocab.thesaurus_in(term):
        at = term.find(word, position)
        if at < 0:
            continue
        if at > position:
            out += words(term[position:at]) or []
        out.append(word)
        position = at + len(word)
    if position < len(term):
        out += words(term[position:]) or []
    return out


def _take_unit(
    store: Store, parts: list[str], chosen: str | None
) -> tuple[str | None, str | None, str | None, list[str]]:
    """The unit the text names, as written; another unit it names while one was chosen, as
    written; and the text without the taken mention.

    A mention right after 會辦/會/送 names a co-signer, not the unit doing the task. With a unit
    already chosen, only mentions of that unit are taken out; other units stay task words.
    """
    if not parts:
        return None, None, None, parts
    names = store.vocab.unit_names  # folded name or short form → unit
    if not names:
        return None, None, None, parts
    found: str | None = None
    written: str | None = None
    other: str | None = None
    out: list[str] = []
    cosigning = store.folded_words("cosign", COSIGN_WORDS)
    standalone = store.vocab.unit_standalone
    # 本室, 本組: the clerk's own unit (the one chosen, if any), never a task word; left in, 本室
    # was even read as a slip for 本市.
    own_words = list(store.folded_words("own_unit", store.vocab.own_unit_words, longest_first=True))
    for part in parts:
        key = store.fold(part)
        alone = standalone.get(key)
        if alone and found in (None, alone) and chosen in (None, alone):
            found, written = alone, written or part  # 「會計 甄補人力」: 會計 as a word of its own
            continue
        hit = _unit_mention(store, key, names)
        while hit is not None:
            start, end, unit = hit
            cosign = _cosign_before(key, start, cosigning)
            if cosign is not None:
                # 「要會政風室」 asks who co-signs, which every answer shows: neither the unit doing
                # the task nor words of the task.
                part = _drop_typed(part, _typed_span(store, part, key, start - len(cosign), end))
                key = key[: start - len(cosign)] + " " + key[end:]
                hit = _unit_mention(store, key, names)
                continue
            if chosen is not None and unit != chosen:
                other = other or _typed_span(store, part, key, start, end)
                break
            if found is not None and unit != found:
                break
            found, written = unit, written or _typed_span(store, part, key, start, end)
            key = key[:start] + " " + key[end:]
            part = _drop_typed(part, written)
            hit = _unit_mention(store, key, names)
        part = _without_cosigned_stems(store, part, cosigning, standalone)
        out.append(_without_words(store, _without_typed(store, part, own_words, "own_unit"), store.vocab.collective_units))
    return found, written, other, [p for p in (" ".join(x.split()) for x in out) if p]


# What may stand right before a co-sign word that starts a clause: 「要會」, 「需會辦」, 「並送」. A Han
# character other than these makes 會 the end of a word (議會, 委員會, 基金會, 研討會), no co-sign.
_BEFORE_COSIGN = frozenset("要需须应请并再先及和与且是否不也还还得可能会将")


def _cosign_before(key: str, start: int, cosigning: tuple[str, ...]) -> str | None:
    """The co-sign word right before key[start] (「會辦」 in 「要會辦政風室」), when it starts a word."""
    for word in cosigning:
        if key[:start].endswith(word):
            at = start - len(word)
            if at == 0 or key[at - 1] == " " or key[at - 1] in _BEFORE_COSIGN:
                return word
    return None


def _without_cosigned_stems(store: Store, part: str, cosigning: tuple[str, ...], stems: dict[str, str]) -> str:
    """A part without 「會政風」, 「送會計」: a unit's bare name right after a co-sign word asks who
    co-signs, as 「會政風室」 does (stems alone name a unit only as a word of their own)."""
    key = store.fold(part)
    for stem in stems:
        at = key.find(stem)
        while at >= 0:
            cosign = _cosign_before(key, at, cosigning)
            if cosign is None:
                at = key.find(stem, at + 1)
                continue
            part = _drop_typed(part, _typed_span(store, part, key, at - len(cosign), at + len(stem)))
            key = store.fold(part)
            at = key.find(stem)
    return part


# 本組, 本室 inside other words: 成本組成, 日本室內, 修正本組織規程 (a word ending in 本 before it, or 組織,
# 室內 after it).
_ENDS_WITH_BEN = "成日基根資劇樣版課範腳藍讀文書原副正抄影帳賬簿"
_AFTER_UNIT_WORD = "織成合裝內外"


def _without_typed(store: Store, part: str, words: list[str], name: str) -> str:
    """A part without these folded words, given longest first (本組, 本室; 誰核定): the typed
    characters taken out and nothing put in their place, so that the sentence around them is
    still cut into words as a whole (「來函要本室提供」). An occurrence inside another word
    (成本組成, 日本室內) stays."""
    key = store.fold(part)
    pattern = store.alternation(name, words)  # `name`: the words' list, for its pattern compiled once
    if pattern is None or not pattern.search(key):
        return part
    before = {store.fold(ch) for ch in _ENDS_WITH_BEN}
    after = {store.fold(ch) for ch in _AFTER_UNIT_WORD}
    for word in words:  # `key` is the fold of `part` as it stands
        at = key.find(word) if word else -1
        while at >= 0:
            end = at + len(word)
            inside = word[0] == store.fold("本") and (
                (at > 0 and key[at - 1] in before) or (end < len(key) and key[end] in after)
            )
            if inside:
                at = key.find(word, at + 1)
                continue
            typed = _typed_span(store, part, key, at, end)
            start = _typed_start(store, part, at)
            if start is None or part[start : start + len(typed)] != typed:
                break
            part = (part[:start] + part[start + len(typed) :]).strip(" ,，:：、;；")
            key = store.fold(part)
            at = key.find(word)
    return part


def _typed_start(store: Store, part: str, at: int) -> int | None:
    """Where in the typed part the folded key's position `at` starts (folding drops characters)."""
    position = 0
    for index, char in enumerate(part):
        width = len(store.fold(char))
        if position == at and width:  # not a character folding drops (，): the word starts after it
            return index
        position += width
        if position > at:
            return None
    return None


def _without_words(store: Store, part: str, names: Iterable[str]) -> str:
    """A part without the collective names of units (各組室, 各單位): they say who, never what; left
    in, 各組室 matched the table's own 「本處各組室退文改分」. The folded key replaces a part that held
    one: what remains is matched folded anyway."""
    folded = store.folded_words("collective_units", names, longest_first=True)
    key = store.fold(part)
    if not any(name and name in key for name in folded):
        return part
    for name in folded:  # longest first
        if name:
            key = key.replace(name, " ")
    return " ".join(key.split())


def _unit_mention(store: Store, key: str, names: dict[str, str]) -> tuple[int, int, str] | None:
    """The first unit name in a folded text, the longest one where several start (one pattern of
    the vocabulary's names, compiled once)."""
    pattern = store.alternation("unit_names", names)
    found = pattern.search(key) if pattern is not None else None
    return (found.start(), found.end(), names[found.group()]) if found else None


def _typed_span(store: Store, part: str, key: str, start: int, end: int) -> str:
    """The mention as the clerk typed it (國際組, not its folded key): the typed characters whose
    folds make up key[start:end] (folding drops punctuation and spaces, so positions shift)."""
    fold = store.fold  # remembered per character: a batch names units in most lines
    origins: list[int] = []
    for at, char in enumerate(part):
        origins.extend([at] * len(fold(char)))
    if len(origins) != len(fold(part)) or end > len(origins):
        return key[start:end]
    return part[origins[start] : origins[end - 1] + 1]


def _drop_typed(part: str, written: str) -> str:
    at = part.find(written)
    if at < 0:
        return part
    rest = part[:at] + " " + part[at + len(written) :]
    return rest.strip(" ,，:：、;；")


def _has_task_words(store: Store, parts: list[str]) -> bool:
    """Whether anything but amounts, filler and negation (要, 請問, 要不要) is left to match rows with."""
    return any(set(store.fold(strip_amounts(part)[0])) - FILLER_CHARS - NEGATING_CHARS for part in parts)


def _take_conditions(
    store: Store, parts: list[str], *, keep_affirmed: bool = False
) -> tuple[list[dict], list[str]]:
    """Condition words (重大, 無爭議, 不涉及個資, 資通安全 → 資安), each with its negation.

    A condition word the table's task texts never use (重大, 爭議, 個資) is taken out of the task
    words together with its negation and affixes (「不涉及個資者」): it says which note applies, not
    which row. One the tasks use (銷毀, 資訊安全) stays a task word as well.
    """
    if not parts:
        return [], parts
    vocabulary = store.vocab
    words = vocabulary.condition_words  # folded word → folded trigger
    if not words:
        return [], parts
    negations = store.folded_words("negations", NEGATIONS)
    exceptions = store.folded_words("not_negations", NOT_NEGATIONS)
    longest_first = store.folded_words("conditions", words, longest_first=True, folded=True)
    found: list[dict] = []
    out: list[str] = []
    for part in parts:
        key = store.fold(part)
        # Every mention, longest words first and never overlapping, then read in text order so that
        # a negation carries across coordinated words: 「無重大爭議」, 「不涉及重大或爭議」.
        mentions: list[tuple[int, str]] = []
        taken: list[tuple[int, int]] = []
        for word in longest_first:
            at = key.find(word)
            while at >= 0:
                if not any(s <= at < e or s < at + len(word) <= e for s, e in taken):
                    mentions.append((at, word))
                    taken.append((at, at + len(word)))
                at = key.find(word, at + 1)
        removals: list[tuple[int, int]] = []
        previous: tuple[int, bool] | None = None  # (end, negated) of the mention before
        for at, word in sorted(mentions):
            start = at
            for affix in CONDITION_AFFIXES_BEFORE:
                if key[:start].endswith(affix):
                    start -= len(affix)
                    break
            before = key[max(0, start - 4) : start]
            negation = next((n for n in negations if before.endswith(n)), None)
            if negation and any(before.endswith(x) for x in exceptions):
                negation = None
            if negation:
                start -= len(negation)
            negated = bool(negation)
            if not negated and previous is not None and previous[1]:
                between = key[previous[0] : start]
                negated = all(ch in COORDINATORS for ch in between)
            end = at + len(word)
            for affix in CONDITION_AFFIXES_AFTER:
                if key[end:].startswith(affix):
                    end += len(affix)
                    break
            found.append({"word": word, "trigger": words[word], "negated": negated})
            if negated or (word in vocabulary.condition_only and not keep_affirmed):
                removals.append((start, end))
            previous = (end, negated)
        if removals and key:
            kept = "".join(" " if any(s <= i < e for s, e in removals) else ch for i, ch in enumerate(key))
            # The folded key replaces the part: what remains is matched folded anyway.
            part = " ".join(kept.split())
        out.append(part)
    return found, [p for p in out if p]


# A unit price, or an amount multiplied by a count: the table's bands are for the total.
_PER_UNIT = lazy_compile(r"單價|单价|每(?:台|臺|個|个|件|份|組|组|套|人|月|年|次)[^，。]{0,4}?[0-9０-９一二三四五六七八九十]|[0-9０-９][萬万千元]?\s*[xX×*＊]\s*[0-9０-９]")
# A range whose money unit is written only after its second number: 10~20萬, 10至20萬.
_SHARED_UNIT = lazy_compile(r"(?<![0-9.,])([0-9]+(?:\.[0-9]+)?)\s*([~～〜\-－—至到])\s*([0-9]+(?:\.[0-9]+)?)\s*([萬万千仟億亿])")


def _join_split_amounts(text: str) -> str:
    """「15萬 5000元」 → 「15萬5000元」: two amounts with only a space between them that read as one
    amount together are one amount the clerk typed with a space. 「30萬 50萬」 stays two."""
    from approval_cli.errors import AmountError
    from approval_cli.text.amounts import find_amounts, parse_amount

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


def bigram_weight(rows: int, frequency: int) -> float:
    """A task bigram's weight: rarer in the table (held by `frequency` of `rows` rows), heavier."""
    return math.log((rows + 1) / (frequency + 1)) + 1.0


def heaviest_weight(store: Store) -> float:
    """The weight of a bigram no row holds: the most any one bigram of a task can weigh."""
    return bigram_weight(max(len(store.joined), 1), 0)


GRAM_WEIGHT_MEMO_LIMIT = 50_000  # bigrams whose weight is remembered; cleared when full (bounded memory)


def _weigh(store: Store, query: Query) -> None:
    """Each bigram's weight (rarer in the table, heavier) and what else covers it."""
    rows = max(len(store.joined), 1)
    weights: dict[str, float] = {}
    # In the order the clerk wrote them, never a set's order: a set of strings iterates in an
    # order that changes from process to process (hash randomisation), and with it the order of
    # the matched words shown and the order of the floats summed into a score.
    generic = store.vocab.generic_grams() if query.terms else frozenset()
    known = store._gram_weights  # a bigram's weight is a pure function of the catalogue: remembered
    for gram in dict.fromkeys(g for term in query.terms for g in _grams(term)):
        weight = known.get(gram)
        if weight is None:
            weight = bigram_weight(rows, len(store.postings.get(gram, ())))
            # 同仁 is in one row only (heavy by rarity), but 「同仁請假」 is no question about that row.
            if gram[0] in FILLER_CHARS or gram[1] in FILLER_CHARS or gram in generic:
                weight = min(weight, FILLER_WEIGHT)
            if len(known) >= GRAM_WEIGHT_MEMO_LIMIT:
                known.clear()
            known[gram] = weight
        weights[gram] = weight
    alternatives: dict[str, list[tuple[str, float]]] = {}
    vocabulary = store.vocab if query.terms else None
    for term in query.terms:
        for word, table_words in vocabulary.thesaurus_in(term):
            at = term.find(word)
            grams = [term[i : i + 2] for i in range(at, at + len(word) - 1)] or [term[at : at + 2]]
            for gram in grams:
                if gram in weights:
                    alternatives.setdefault(gram, []).extend((t, 1.0) for t in table_words)
            query.synonyms.append({"typed": query.shown.get(term, term), "word": word, "table": table_words})
    # A slip of the phonetic input method changes one character of a word into one that sounds
    # the same (採構 for 採購, 姿料 for 資料). Only in short words: across the words of a sentence,
    # chance pairs of characters sound like something too (一般事 → 辦事).
    short = dict.fromkeys(g for term in query.terms if len(term) <= MAX_TYPO_TERM for g in _grams(term))
    unknown = [g for g in short if g not in store.postings and g not in alternatives and weights[g] > 1]
    if unknown:
        # A pair inside a real word of three or more characters (議室 in 會議室) is no slip: the word
        # is one the table does not use.
        from approval_cli.text.segment import known_words

        # Only a term holding one of the pairs can hold such a word, and only one of three or
        # more characters (jieba's cut of the rest was a tenth of understanding a batch line).
        real = [
            word
            for term in query.terms
            if 3 <= len(term) <= MAX_TYPO_TERM and any(g in term for g in unknown)
            for word in known_words(term)
        ]
        unknown = [g for g in unknown if not any(g in word for word in real)]
    read: dict[str, str] = {}  # a slipped pair → the reading taken for it
    for gram in unknown:
        # Not a pair holding a particle (之申 for 職申 in 同仁兼職申請): what sounds like 的 or 之 means
        # nothing. Other fillers stay (請 of 申請, 要 of 重要 are parts of table words).
        sounds = [
            s for s in store.homophones(gram)
            if (s[0] == gram[0] or s[1] == gram[1]) and s[0] not in PARTICLES and s[1] not in PARTICLES
        ]
        covering: list[tuple[str, float]] = []
        for sound in sounds:
            # A slip in a clerk word (嘉將 for 嘉獎) reads as the table words that word stands for.
            targets = vocabulary.thesaurus.get(sound) if sound not in store.postings else None
            covering += [(t, HOMOPHONE_CREDIT) for t in (targets or [sound])]
        if covering:
            alternatives[gram] = covering
            query.corrections.append(
                {"typed": _as_typed(query, gram), "read_as": [_display(store, s) for s in sounds]}
            )
            read[gram] = sounds[0]
    if read:
        _clerk_words_of_a_slip(vocabulary, query, read, weights, alternatives)
    query.weights = weights
    query.alternatives = alternatives
    found = {g for g in query.grams if g in store.postings or g in alternatives}
    seen = {ch for g in found for ch in g}
    # A negation or a filler character (不是主管 → 不, 是) is no evidence for any row: a row that
    # happens to hold 不 (不派員) must not gain by it.
    query.loose_chars = frozenset(
        ch for ch in query.chars if ch not in seen and ch not in NEGATING_CHARS and ch not in FILLER_CHARS
    )


def _clerk_words_of_a_slip(vocabulary, query: Query, read: dict[str, str], weights: dict, alternatives: dict) -> None:
    """A slip inside a clerk word of the thesaurus (處務會意紀錄 for 處務會議紀錄): the term read with
    its slipped pairs corrected finds the clerk word, whose table words then cover the word's pairs,
    as homophones do (HOMOPHONE_CREDIT)."""
    for term in query.terms:
        if len(term) > MAX_TYPO_TERM:  # slips are read in short words only (_weigh)
            continue
        chars = list(term)
        for at in range(len(term) - 1):
            sound = read.get(term[at : at + 2])
            if sound:
                chars[at : at + 2] = sound
        corrected = "".join(chars)
        if corrected == term:
            continue
        for word, table_words in vocabulary.thesaurus_in(corrected):
            at = corrected.find(word)
            if term[at : at + len(word)] == word:
                continue  # found as typed already
            for gram in _grams(term[at : at + len(word)]):
                if gram in weights:
                    alternatives.setdefault(gram, []).extend((t, HOMOPHONE_CREDIT) for t in table_words)
            query.synonyms.append({"typed": query.shown.get(term, term), "word": word, "table": table_words})


def _grams(term: str) -> list[str]:
    return [term[i : i + 2] for i in range(len(term) - 1)]


def _display(store: Store, folded: str) -> str:
    """A folded catalogue bigram in the table's own characters (采购 → 採購)."""
    return store.unfold(folded)


# ---------------------------------------------------------------- scoring rows


@dataclass(eq=False, repr=False)  # by identity; private (generated code costs at every start)
class _Plan:
    """What scoring needs of a query, worked out once per query instead of once per row."""

    items: list[tuple[str, float, list[tuple[str, float]]]]  # (bigram, weight, covering words), weights order
    alternates: list[tuple[str, float, list[tuple[str, float]]]]  # the items with covering words
    total: float  # the weights' sum, added in the same order as a row's covered weight
    loose: tuple[str, ...]
    precision_grams: frozenset[str]
    # (term, length, bigrams if long, their weight, its characters, the table words covering a
    # bigram of it with their credit)
    terms: list[tuple[str, int, list[str] | None, float, frozenset[str], list[tuple[str, float]]]]


def _plan(query: Query) -> _Plan:
    plan = query._plan
    if plan is None:
        items = [(gram, weight, query.alternatives.get(gram, [])) for gram, weight in query.weights.items()]
        total = 0.0
        for _, weight, _ in items:
            total += weight
        terms = []
        for term in query.terms:
            grams = _grams(term) if len(term) > MAX_PARTIAL_TERM else None
            weight = sum(query.weights.get(g, 0.0) for g in grams) if grams else 0.0
            covering = [option for gram, options in query.alternatives.items() if gram in term for option in options]
            terms.append((term, len(term), grams, weight, frozenset(term), covering))
        plan = query._plan = _Plan(
            items=items,
            alternates=[item for item in items if item[2]],
            total=total,
            loose=tuple(query.loose_chars),
            precision_grams=query.whole_grams or query.grams,
            terms=terms,
        )
    return plan


def _candidates(
    store: Store, query: Query, rows: list[int] | None, prefilter: int | None
) -> tuple[list[int], dict[int, float], dict[int, float]]:
    """Rows worth scoring: those sharing a bigram (or a covering word) with the task, heaviest
    first; per row, the weight of the task's bigrams it holds, summed in the query's order (what
    _cheap would sum for them, bit for bit); and per row that weight plus every covering word's
    credit, which no row's covered weight can exceed."""
    # A unit's rows are one run of row numbers in a table read in order: each bigram's rows (sorted)
    # are then cut to that run by bisection instead of all read and filtered (route asks for a unit).
    allowed = None if rows is None else set(rows)
    low, high = 0, len(store.joined)
    run = False
    if allowed:
        low, high = min(allowed), max(allowed) + 1
        run = high - low == len(allowed)
    postings = store.postings
    held: dict[int, float] = {}
    alternatives = query.alternatives
    # Plain dicts (a Counter called __missing__ for each new row): most_common's order is kept
    # below, ties in the order rows were first met.
    weight: dict[int, float] = {}
    for gram, value in query.weights.items():
        found = postings.get(gram, ())
        if run and found:
            found = found[bisect_left(found, low) : bisect_left(found, high)]
        if alternatives:
            for index in found:
                weight[index] = weight.get(index, 0.0) + value
                held[index] = held.get(index, 0.0) + value
            for word, credit in alternatives.get(gram, ()):
                for index in _rows_with(store, word):
                    if low <= index < high:  # other units' rows go (the unit's run: all of them)
                        weight[index] = weight.get(index, 0.0) + value * credit
        else:  # no covering word: the weights are the held ones, summed in the same order
            for index in found:
                held[index] = held.get(index, 0.0) + value
    if not alternatives:
        weight = dict(held)
    if allowed is not None and not run:
        weight = {i: w for i, w in weight.items() if i in allowed}
    if not weight:
        # No row shares a bigram (a one-character query, a typo): rows sharing a character are
        # scored on characters alone. A query sharing not even a character has no candidates.
        sharing: set[int] = set()
        for char in query.chars:
            sharing.update(store.char_postings.get(char, ()))
        return sorted(i for i in sharing if allowed is None or i in allowed), held, weight
    # Counter.most_common, exactly: the `prefilter` heaviest (ties: first met), or all, heaviest first.
    if prefilter is None:
        ranked_rows = sorted(weight.items(), key=itemgetter(1), reverse=True)
    else:
        ranked_rows = heapq.nlargest(prefilter, weight.items(), key=itemgetter(1))
    return [index for index, _ in ranked_rows], held, weight


ROWS_WITH_MEMO_LIMIT = 4_096  # table words whose rows are remembered; cleared when full (bounded memory)


def _rows_with(store: Store, word: str) -> frozenset[int]:
    """Rows whose matching text holds a folded word (through the bigram index), remembered per
    word: the thesaurus's table words are asked for by line after line of a batch, and the rows
    that hold a word are a pure function of the catalogue."""
    memo = store._rows_with
    found = memo.get(word)
    if found is None:
        if len(memo) >= ROWS_WITH_MEMO_LIMIT:
            memo.clear()
        if len(word) < 2:
            found = frozenset(store.char_postings.get(word, ()))
        else:
            postings = [set(store.postings.get(g, ())) for g in _grams(word)]
            rows = set.intersection(*postings) if postings else set()
            found = frozenset(i for i in rows if word in store.joined[i])
        memo[word] = found
    return found


def _cheap(
    store: Store, query: Query, index: int, held: dict[int, float] | None = None
) -> tuple[float, float, float, list[str]]:
    """Every part of the score but partial_ratio and the contradiction check, the costly ones:
    (cover, char_cover, precision, the table words that covered a bigram).

    `held` (from _candidates) is the weight of the task's bigrams this row holds; without it, or
    when a covering word counts for this row, the weights are summed here in the query's order."""
    text = store.joined[index]
    plan = _plan(query)
    via: list[str] = []
    credited = False
    for gram, _, options in plan.alternates:
        if gram in text:
            continue
        best = 0.0
        for word, credit in options:
            if credit > best and word in text:
                best = credit
                via.append(word)
        credited = credited or best > 0.0
    if held is not None and not credited:
        covered = held.get(index, 0.0)
    else:
        covered = 0.0
        for gram, weight, options in plan.items:
            if gram in text:
                covered += weight
                continue
            best = 0.0
            for word, credit in options:
                if credit > best and word in text:
                    best = credit
            covered += weight * best
    total = plan.total
    cover = covered / total if total else 0.0
    # Characters are the fallback for what bigrams cannot see (a one-character slip, a one-character
    # query): counted over the characters of the bigrams that found nothing, so that characters of
    # words already matched, or met by chance elsewhere in a long row, do not count twice.
    loose = plan.loose
    chars, fields = _row(store, index)
    char_cover = sum(map(chars.__contains__, loose)) / len(loose) if loose else cover
    precision = 0.0
    if query.grams:
        grams = plan.precision_grams
        words = set(via)
        for size, field_text, field_grams in fields:
            inside = len(grams & field_grams)
            if words:
                inside += sum(map(field_text.__contains__, words))
            precision = max(precision, min(inside / size, 1.0))
    return cover, char_cover, precision, via


# Rows whose characters and fields are remembered, cleared when full: about 7 KB a row (three sets),
# so at most ~29 MiB a process (review: 20,000 rows would have been ~138 MiB on a big catalogue).
ROW_MEMO_LIMIT = 4_096


def _row(store: Store, index: int) -> tuple[frozenset[str], tuple[tuple[int, str, frozenset[str]], ...]]:
    """A row's characters, and its content and specific text with each one's bigram count and
    bigrams (fields without bigrams left out), remembered per row: a batch scores the same rows
    again and again. Each is a pure function of the row's text."""
    memo = store._row_parts
    found = memo.get(index)
    if found is None:
        if len(memo) >= ROW_MEMO_LIMIT:
            memo.clear()
        fields = []
        for size, text in ((store.content_grams[index], store.contents[index]),
                           (store.specific_grams[index], store.specifics[index])):  # fmt: skip
            if size:
                fields.append((size, text, frozenset(text[i : i + 2] for i in range(len(text) - 1))))
        found = memo[index] = (frozenset(store.joined[index]), tuple(fields))
    return found


def _ceiling(
    query: Query, text: str, chars: frozenset[str], cheap: tuple[float, float, float, list[str]], partial: float | None
) -> float:
    """The highest relevance a row can reach, with partial_ratio at its upper bound (`partial`:
    _partial_ceiling worked out already, or None)."""
    cover, char_cover, precision, via = cheap
    if via:
        partial = 1.0
    elif partial is None:
        partial = _partial_ceiling(query, text, chars)
    return 100 * (W_COVER * cover + W_CHAR * char_cover + W_PARTIAL * partial + W_PRECISION * precision)


def _partial_ceiling(query: Query, text: str, chars: frozenset[str]) -> float:
    """An upper bound of _partial(query, text) from characters alone.

    partial_ratio is the Indel ratio 2·LCS/(L+w) of a term of length L against its best window
    (w ≤ L) of the text; the LCS cannot exceed c, the term's characters found in the text at all,
    so the ratio is at most 2c/(L+c). A text shorter than the term is aligned the other way round
    and gets no bound; a long term is scored by its weighted coverage, computed exactly.
    """
    total = 0.0
    weights = query.weights
    for term, length, grams, weight, _, _ in _plan(query).terms:
        if grams is not None:
            ratio = sum(weights.get(g, 0.0) for g in grams if g in text) / weight if weight else 0.0
        elif len(text) < length:
            ratio = 1.0
        else:
            found = sum(map(chars.__contains__, term))  # the row's characters (its set: a faster test)
            ratio = 2 * found / (length + found) if found else 0.0
        total += ratio * length
    return total / query.length


def _score(store: Store, query: Query, index: int, cheap=None) -> Hit:
    """A row's Hit for this query; a fresh copy of the one scored before, if any (callers set its key
    and may add to its parts)."""
    known = query._scored.get(index)
    if known is None:
        known = query._scored[index] = _score_afresh(store, query, index, cheap)
    return Hit(known.index, known.score, list(known.matched), dict(known.parts))


def _score_afresh(store: Store, query: Query, index: int, cheap=None) -> Hit:
    cover, char_cover, precision, via = cheap or _cheap(store, query, index)
    text = store.joined[index]
    partial = _partial(query, text, _row(store, index)[0], query.alternatives and via)
    relevance = 100 * (W_COVER * cover + W_CHAR * char_cover + W_PARTIAL * partial + W_PRECISION * precision)
    contradicted = _contradicts(query, negated_grams(store, index))
    if contradicted:
        relevance -= CONTRADICTION
    matched = [query.shown.get(term, term) for term in query.terms if term in text]
    matched += [_display(store, word) for word in dict.fromkeys(via) if word not in matched]
    if not matched:
        matched = [_as_typed(query, gram) for gram in sorted(query.grams) if gram in text]
    parts = {
        "cover": round(cover, 3),
        "char_cover": round(char_cover, 3),
        "partial_ratio": round(partial, 3),
        "precision": round(precision, 3),
    }
    if contradicted:
        parts["contradiction"] = 1.0  # the row is about the opposite case (不派員 against 派員)
    return Hit(index, round(max(relevance, 0.0), 1), matched, parts)


def holds_the_task(store: Store, query: Query, hit: Hit) -> bool:
    """Whether a row below the bar still answers a long description: it covers more distinctive
    task weight than one bigram can carry (EVIDENCE_BAR) and reaches EVIDENCE_SCORE_FLOOR."""
    if hit.score < EVIDENCE_SCORE_FLOOR or not query.weights:
        return False
    text = store.joined[hit.index]
    few = max(1, int(DISTINCT_SHARE * len(store.joined)))
    heaviest = heaviest_weight(store)
    weights = query.weights
    counted: dict[str, float] = {}  # a bigram's distinctive covered weight, once however many terms hold it
    total = 0.0
    for term in query.terms:
        # Each word counts at most the heaviest bigram weight: the two pairs of 記者會 are one word,
        # and one word alone is not enough.
        in_term = 0.0
        for gram in _grams(term):
            if gram not in counted:
                counted[gram] = _distinct_cover(store, query, text, gram, weights.get(gram, 0.0), few)
            in_term += counted[gram]
        total += min(in_term, heaviest)
    return total >= EVIDENCE_BAR * heaviest


def _distinct_cover(store: Store, query: Query, text: str, gram: str, weight: float, few: int) -> float:
    """The weight of a task bigram the row covers, if few rows (at most `few`) hold what covers it."""
    if gram in text:
        return weight if len(store.postings.get(gram, ())) <= few else 0.0
    return weight * max(
        (credit for word, credit in query.alternatives.get(gram, ())
         if word in text and len(_rows_with(store, word)) <= few),
        default=0.0,
    )  # fmt: skip


def _contradicts(query: Query, negated: dict[str, set[str]]) -> bool:
    """The row negates a word of the task that the task itself does not negate (非府層級 against
    府層級): the row is about the opposite case. `negated` is the row's negated bigrams."""
    if not negated:  # most rows negate nothing
        return False
    for gram in query.grams:
        for negation in negated.get(gram, ()):
            mine = query.folded.find(gram)
            if mine <= 0 or query.folded[mine - 1] != negation:
                return True
    for gram in negated:
        # An act the row negates (不派員) that the task does in other words (選派同仁, 推派, 派人),
        # unless the task negates it too, a few characters before (不打算派, 沒有要派, 不再另外派).
        if gram[0] in NEGATED_ACTS and gram not in query.grams:
            text = query.folded
            if any(not _ACT_NEGATION.search(text[max(0, at - 4) : at]) for at in occurrences(text, gram[0])):
                return True
    return False


def occurrences(text: str, word: str) -> list[int]:
    """Every position of a word in a text, overlapping ones too (none for an empty word)."""
    found: list[int] = []
    at = text.find(word) if word else -1
    while at >= 0:
        found.append(at)
        at = text.find(word, at + 1)
    return found


def negated_grams(store: Store, index: int) -> dict[str, set[str]]:
    """The bigrams a row's text puts right after a negating character (不派員 → 派員: {不}),
    worked out once per row."""
    found = store._negated.get(index)
    if found is None:
        text = store.joined[index]
        found = {}
        for at, char in enumerate(text[:-2]):
            if char in NEGATING_CHARS:
                found.setdefault(text[at + 1 : at + 3], set()).add(char)
        store._negated[index] = found
    return found


_fuzz = None


def _partial(query: Query, text: str, chars: frozenset[str], via) -> float:
    """The terms' partial_ratio against the row's text, weighted by their length."""
    if not query.terms:
        return 0.0
    weights = query.weights
    total = 0.0
    for term, length, grams, weight, term_chars, covering in _plan(query).terms:
        if grams is not None:
            ratio = 100 * sum(weights.get(g, 0.0) for g in grams if g in text) / weight if weight else 0.0
            total += ratio * length
            continue
        # partial_ratio of a word the text holds is 100 by definition (its best window is the word
        # itself): no call, and rapidfuzz is not even imported by a lookup whose words all occur.
        # Nor for a word sharing no character with the text (most calls): its ratio is 0.
        if term in text:
            ratio = 100.0
        elif not term_chars.isdisjoint(chars):
            ratio = _partial_ratio(term, text)
        else:
            ratio = 0.0
        if via:
            # A clerk word replaced by the table's word it stands for (性平業務 → 兩性平權業務).
            for word, credit in covering:
                if word in text:
                    ratio = max(ratio, credit * 100.0)
        total += ratio * length
    return total / query.length / 100


# (word, row text) → partial_ratio: a batch's lines share their words (measured on bench.py's
# 10,000 distinct lines: 87 % of the calls repeat one made before). A pure function of the two
# strings; bounded, cleared when full (about 4 MiB at the limit for the built-in table's rows).
PARTIAL_MEMO_LIMIT = 16_384
_partials: dict[tuple[str, str], float] = {}


def _partial_ratio(word: str, text: str) -> float:
    global _fuzz
    key = (word, text)
    found = _partials.get(key)
    if found is None:
        if _fuzz is None:
            from rapidfuzz import fuzz as _fuzz
        if len(_partials) >= PARTIAL_MEMO_LIMIT:
            _partials.clear()
        found = _partials[key] = _fuzz.partial_ratio(word, text)
    return found


def _as_typed(query: Query, gram: str) -> str:
    """A bigram of the task words in the clerk's own characters (议员 typed → 议员, 採構 → 採構,
    not their folded forms): for matched words and homophone readings alike."""
    for term in query.terms:
        typed = query.shown.get(term, term)
        at = term.find(gram)
        if at >= 0 and len(typed) == len(term):
            return typed[at : at + 2]
    return gram


def _condition_fit(store: Store, live: set[str], index: int) -> float:
    """A row whose own note names the condition the clerk wrote (涉及資安政策) fits a little better."""
    if not live:
        return 0.0
    entry = store.entries[index]
    named = {store.fold(t) for c in entry["conditions"] for t in c.get("triggers", [])}
    return CONDITION_FIT * len(named & live)


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


def band_rows(store: Store, rows: list[int] | None) -> list[int]:
    """The amount-banded rows (採購金額…以下 / 逾…) among these rows."""
    banded = store.bands.banded()
    if rows is None:
        return list(banded)
    return [i for i in rows if i in banded]


def rank(
    store: Store,
    query: Query,
    rows: list[int] | None = None,
    limit: int | None = None,
    *,
    prefilter: int | None = PREFILTER,
) -> list[Hit]:
    """Rows best first. With no task words, only an amount: the banded rows that contain it.

    Only the `prefilter` rows sharing the most bigram weight with the task are scored in full
    (None: every row sharing any; tests compare the two)."""
    if not query.terms:
        if query.span is None:
            return []
        # Bands that hold the amount first (narrowest first), then those holding part of it, so
        # that route can tell 「逾15萬」 needs an exact amount rather than finding nothing.
        hits = [
            Hit(i, 100.0, [], {"amount_band": 1.0, "cover": 1.0}, key=100.0 + amount_fit(store, query, i))
            for i in band_rows(store, rows)
            if band_overlaps(store, i, query.span)
        ]
        hits.sort(key=lambda h: (-h.key, band_width(store, h.index), h.index))
        return hits[:limit] if limit else hits
    live = {c["trigger"] for c in query.conditions if not c["negated"]}
    candidates, held, weight = _candidates(store, query, rows, prefilter)
    # With a limit, rows that cannot reach the `limit` best keys so far are not scored in full:
    # first by a bound from the candidate pass alone (the covered weight is at most the weight
    # shared; every other part at most 1), then by the ceiling of the cheap parts (partial_ratio
    # at its bound). Both are upper bounds of the key (+0.1 for the score's rounding), so the top
    # `limit` is exactly what scoring every candidate gives.
    total = _plan(query).total
    loose_chars = _plan(query).loose
    loose = bool(loose_chars)
    alternatives = query.alternatives
    staged = []
    lifted = query.span is not None or bool(live)  # else every lift is 0.0 (no call per candidate)
    for index in candidates:
        lift = amount_fit(store, query, index) + _condition_fit(store, live, index) if lifted else 0.0
        cover = min(weight.get(index, 0.0) / total, 1.0) if total else 0.0
        bound = 100 * (W_COVER * cover + W_CHAR * (1.0 if loose else cover) + W_PARTIAL + W_PRECISION)
        staged.append((bound + lift, index, lift))
    if limit:
        staged.sort(key=lambda stage: -stage[0])
    hits: list[Hit] = []
    best: list[float] = []  # a min-heap of the `limit` best keys so far
    for bound, index, lift in staged:
        full = limit and len(best) == limit
        if full and bound + 0.1 < best[0]:
            break
        if index in query._scored:  # scored for this query before: no bound needed
            hit = _score(store, query, index)
        else:
            text, chars = store.joined[index], _row(store, index)[0]
            partial = None
            if full and (not alternatives or weight.get(index) == held.get(index, 0.0)):
                # No covering word in this row (each adds its credit to weight): its cover is what
                # _cheap will find, and its partial_ratio at most _partial_ceiling. With precision
                # at 1, a bound of the ceiling below; most rows it prunes, _cheap is not asked for.
                cover = held.get(index, 0.0) / total if total else 0.0
                char_cover = sum(map(chars.__contains__, loose_chars)) / len(loose_chars) if loose_chars else cover
                partial = _partial_ceiling(query, text, chars)
                relevance = 100 * (W_COVER * cover + W_CHAR * char_cover + W_PARTIAL * partial + W_PRECISION * 1.0)
                if relevance + lift + 0.1 < best[0]:
                    continue
            cheap = _cheap(store, query, index, held)
            if full and _ceiling(query, text, chars, cheap, partial) + lift + 0.1 < best[0]:
                continue
            hit = _score(store, query, index, cheap)
        hit.key = hit.score + lift
        hits.append(hit)
        if limit:
            (heapq.heappush if len(best) < limit else heapq.heappushpop)(best, hit.key)
    hits.sort(key=lambda h: (-h.key, band_width(store, h.index), h.index))
    return hits[:limit] if limit else hits


# ---------------------------------------------------------------- units and roles


def resolve_unit(store: Store, text: str | None) -> str | None:
    """A full unit name, a short form (國際組) or an unambiguous prefix (文書 → 文書組); otherwise
    an error naming the nearest."""
    if text is None:
        return None
    from approval_cli.text.normalize import clean_text

    wanted = clean_text(text)
    if not wanted:
        raise UnitError("單位名稱是空的。", f"可用的單位：{'、'.join(store.units)}。")
    if wanted in store.units:
        return wanted
    folded = store.fold(wanted)
    named = store.vocab.unit_names.get(folded)
    if named:
        return named
    prefixed = [unit for unit in store.units if store.fold(unit).startswith(folded)]
    if len(prefixed) == 1:
        return prefixed[0]
    if len(prefixed) > 1:
        raise UnitError(f"「{wanted}」可能是 {'、'.join(prefixed)}，請寫完整。")
    from rapidfuzz import process

    nearest = [name for name, _, _ in process.extract(wanted, store.units, limit=3)]
    raise UnitError(f"找不到單位「{wanted}」。", f"您是不是要找：{'、'.join(nearest)}？")


def resolve_role(text: str, roles: set[str] | None = None) -> str:
    """A title as typed → the role; `roles` (the catalogue's own) narrows the roles known, so a
    title of another agency's table (局長 in the Secretariat's) is refused, not silently empty."""
    from approval_cli.text.normalize import clean_text

    known_roles = [r for r in ROLE_RANK if roles is None or r in roles]
    known_roles += sorted((roles or set()) - set(known_roles))
    role = clean_text(text)
    role = ROLE_ALIASES.get(role, role)
    if role not in known_roles:
        aliases = [alias for alias, target in ROLE_ALIASES.items() if target in known_roles]
        known = "、".join(dict.fromkeys([*known_roles, *aliases]))
        raise UsageError(f"不認得職稱「{text}」。", f"可用的職稱：{known}。")
    return role
