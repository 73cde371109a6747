"""What each lookup command answers, as JSON-ready dicts. The CLI renders them; tests call them.

The route's contract (README "JSON contract"): query, unit, amount, amount_parsed, match (entry
or null), final_approver and chain after conditions, cosign_required, cosign_waived [{unit,
reason}], cosign_conditional, conditions (each evaluated), conditions_applied, alternatives,
references, warnings, reason (null when answered), source.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from itertools import pairwise

from approval_cli.catalogue.roles import ROLE_RANK, flag_message, flag_severity, role_display
from approval_cli.catalogue.store import Store
from approval_cli.catalogue.vocabulary import REST_WORDS
from approval_cli.errors import ApprovalError, UsageError
from approval_cli.search.match import AMOUNT_IN_BAND as AMOUNT_LIFT
from approval_cli.search.match import (
    MIN_COVER,
    MIN_ROUTE_SCORE,
    NEGATING_CHARS,
    UNIT_SHARE_OF_BEST,
    Hit,
    Query,
    amount_fit,
    band_holds,
    band_overlaps,
    band_rows,
    band_width,
    holds_the_task,
    make_query,
    occurrences,
    purchase_words_in,
    rank,
    resolve_role,
    resolve_unit,
)
from approval_cli.text.amounts import find_amounts, format_amount

MAX_ALTERNATIVES = 3  # other rows of the unit shown beside the answer
# Short last pieces of a directive that say how to proceed, not what to do: no clause of their own.
PROCEDURAL_ENDINGS = frozenset(
    {"陳核", "簽陳", "陳報", "核示", "查照", "請查照", "勿延宕", "勿延誤", "勿延", "照辦", "備查", "周知", "知照", "辦理"}
)
# What negates a case word of a delegation row when written right before it (不是主管, 不跨組室).
NEGATING_WORDS = ("不是", "並非", "非屬", "不屬", "不", "非", "無", "未")
# Words that put a task among the cases a qualified row leaves to its plain sibling (政策性 beside
# the plain row: 事務性, 例行 say it is not the policy case).
OTHER_CASE_WORDS = ("事務性", "一般性", "例行")
QUALIFIER_LINKS = ("屬於", "涉及", "關於", "於", "關", "涉")  # 不屬於政策性, 不涉及政策, 無關政策, 不涉政策
QUALIFIER_DENIED_AFTER = ("無關", "無涉", "不相關", "沒有關係")  # 與政策無關
RELATED_MAX_ROWS = 15  # a word in more rows than this (辦理: 42, 相關: 23) names no particular thing
MAX_QUALIFIER = 6  # characters one row of a split pair may add to the other's text (政策性)
NEAREST = 5  # the unit's nearest rows shown when it has nothing close
# Rows of the unit ranked for a route: the answer, alternatives, split parts, nearest rows.
ROUTE_DEPTH = 12
# Rows ranked across all units when a unit lacks the task: enough to name five other units.
REFERENCE_POOL = 20
# A purchase of any thing scores the unit's amount bands this high (the bands are the table's rule
# for every purchase, lease, outsourced service or 標案), so the amount then picks the band.
PURCHASE_SCORE = 60.0
IMPLIED_PURCHASE_SCORE = 45.0
UNPRICED_PURCHASE_SCORE = 35.0
IMPLIED_PURCHASE_CHARS = 12  # task words of at most this many characters name a thing bought
# How relevant a row must be to a whole description for one of its clauses to answer for it
# (_a_clause_answers). Chosen on the development sets and on set 10 (100 long descriptions, half
# of tasks the table does not cover): from 24, no no-row description more is answered.
CLAUSE_ANSWER_FLOOR = 24.0
# A directive that contains this share of a row's own task text is about that row.
MIN_CONTAINED = 60.0
# Directive clauses shorter than this are read with the next one.
MIN_CLAUSE = 4
# Rows that split a task are offered as a choice only when the words rank them this close.
CHOICE_MARGIN = 6.0

ENTRY_FIELDS = (
    "id", "unit", "table", "item", "content", "business", "chain", "final_approver", "cosign",
    "notes", "amount_range", "conditions", "flags", "source_line",
)  # fmt: skip


ENTRY_OUT_MEMO_LIMIT = 20_000  # rows whose output fields are remembered; cleared when full


def entry_out(store: Store, index: int, hit: Hit | None = None) -> dict:
    """A row as answers show it (with the hit's score, if any). Its fields are a pure function of
    the row, remembered per row (an answer shows five rows or so, and a batch the same rows again
    and again); each answer gets its own dict and warnings list."""
    base = store._entry_outs.get(index)
    if base is None:
        entry = store.entries[index]
        base = {name: entry.get(name) for name in ENTRY_FIELDS}
        base["warnings"] = [
            {"flag": code, "severity": flag_severity(code), "message": flag_message(code)}
            for code in entry["flags"]
        ]
        if len(store._entry_outs) >= ENTRY_OUT_MEMO_LIMIT:
            store._entry_outs.clear()
        store._entry_outs[index] = base
    out = dict(base)
    out["warnings"] = list(base["warnings"])
    if hit is not None:
        out["score"] = hit.score
        out["matched"] = hit.matched
        out["score_parts"] = hit.parts
    return out


def source_info(store: Store) -> dict:
    meta = store.metadata
    return {
        "title": meta.get("title"),
        "effective_date": meta.get("effective_date"),
        "effective_date_roc": meta.get("effective_date_roc"),
        "references": meta.get("references", {}),
    }


def _with_fit(store: Store, query: Query, out: dict, index: int) -> dict:
    """amount_fit: inside / partial / outside the row's band (null when either has no amount)."""
    fit = None
    if query.span and store.bands[index]:
        if band_holds(store, index, query.span):
            fit = "inside"
        else:
            fit = "partial" if band_overlaps(store, index, query.span) else "outside"
    out["amount_fit"] = fit
    return out


def route_status(result: dict) -> str:
    """What a route answer is, for scripts: answered; choose_one (the table splits the task and the
    words do not say which part: `choices` names each part's decider); no_final_approver (the row
    is found but the source marks no 核定); or why there is no row (no_row_in_unit, needs_amount,
    amount_outside_bands)."""
    if result.get("match") is None:
        return result.get("reason") or "no_row_in_unit"
    if result.get("status") == "choose_one":
        return "choose_one"
    return "answered" if result.get("final_approver") else "no_final_approver"


def with_status(result: dict) -> dict:
    """The route answer with `answered` (true only when a decider is named) and `status` in front."""
    status = route_status(result)
    return {"answered": status == "answered", **result, "status": status}


def unanswered(result: dict, in_batch: bool = False) -> tuple[str, str | None]:
    """Why a route has no answer, as the one sentence and hint every output uses. A batch line
    cannot take --amount: its hint says to write the amount in the line."""
    reason, unit, amount = result.get("reason"), result.get("unit") or "各單位", result.get("amount_parsed")
    match = result.get("match")
    if match is not None and result.get("status") == "choose_one":
        parts = "；".join(f"{c['deciding_words']} → {c['final_approver'] or '未標示'}" for c in result["choices"])
        return (f"原表把這件事分成幾種情形，決行者依情形而定：{parts}。", "請依實際情形選定一種。")
    if match is not None and not result.get("final_approver"):
        return (
            f"{match['unit']}的這一列（{match['id']}，原表第 {match['source_line']} 行）沒有「核定」，無法判定決行者。",
            "流程照原表列出；請查原表或洽承辦單位。",
        )
    if reason == "needs_amount" and amount:
        return (
            f"{unit}的這項事務依金額分級，而「{amount['display']}」跨越不只一個級距。",
            "請在這一行寫確切金額，例如「採購 30萬」。" if in_batch else "請給確切金額，例如 --amount 30萬。",
        )
    if reason == "needs_amount":
        return (
            f"{unit}的這項事務依金額分級，必須有金額才能判定。",
            "請在這一行的描述中寫上金額，例如「採購 30萬」。"
            if in_batch
            else "請加上 --amount 30萬，或在描述中寫上金額。",
        )
    if reason == "amount_outside_bands":
        return f"金額 {amount['display'] if amount else ''} 不在{unit}這項事務的任何級距內。", None
    return (
        f"{unit}的分層負責明細表沒有符合「{result.get('query', '')}」的項目。",
        "其他單位的類似項目僅供參考（references）；請洽單位主管確認。",
    )


def span_text(span: tuple[int | None, int | None]) -> str:
    low, high = span
    if low == high:
        return format_amount(low)
    if low is None:
        return f"{format_amount(high)}以下"
    if high is None:
        return f"{format_amount(low)}以上"
    return f"{format_amount(low)}～{format_amount(high)}"


def amount_info(query: Query) -> dict | None:
    """The amount as understood: exact (value) or a band the clerk wrote (min/max, 逾15萬 → 150,001 起)."""
    if query.span is None:
        return None
    return {
        "value": query.amount,
        "min": query.span[0],
        "max": query.span[1],
        "display": span_text(query.span),
        "from": query.amount_source,
        "text": query.amount_text,
    }


# ---------------------------------------------------------------- find


def understood(query: Query, unit: str | None, unit_from: str | None) -> dict:
    """What the text was read as: shown with every answer, so a clerk sees why."""
    return {
        "unit": unit,
        "unit_from": unit_from,
        "unit_text": query.unit_text,
        "other_unit_text": query.other_unit_text if unit_from == "option" else None,
        "task": (query.shown and " ".join(query.shown.get(t, t) for t in query.terms)) or "",
        "purchase": bool(query.purchase),
        "conditions": [
            {"word": c["word"], "trigger": c["trigger"], "negated": c["negated"]} for c in query.conditions
        ],
        "synonyms": query.synonyms,
        "corrections": query.corrections,
    }


def _understand(
    store: Store, text: str, unit: str | None, amount: int | None, query: Query | None = None
) -> tuple[Query, str | None, str | None]:
    """The query and the unit it is asked for: --unit wins, else the unit the text names.

    `query` is the text already understood without a unit (a batch line whose unit was looked for
    first): with no unit named in the text, choosing the unit changes nothing else in it."""
    unit = resolve_unit(store, unit)
    if query is None or (unit is not None and query.unit is not None and query.unit != unit):
        query = make_query(store, text, amount, unit=unit)
    if unit:
        return query, unit, "option"
    if query.unit:
        return query, query.unit, "text"
    return query, None, None


def _require_task(query: Query, message: str, example: str) -> None:
    """Bad input unless the description holds a task word or an amount; a date alone says so."""
    if query.terms or query.span is not None:
        return
    if any(char.isdigit() for char in query.text):  # 「第3季」, 「11月15日前」: a date, no task
        raise UsageError(f"「{query.text}」只有日期或數量，沒有要辦的事。", f"請寫出要辦的事，例如：{example}")
    raise UsageError(message, f"例如：{example}")


def find(
    store: Store,
    text: str,
    unit: str | None = None,
    amount: int | None = None,
    limit: int = 10,
    *,
    query: Query | None = None,
) -> dict:
    query, unit, unit_from = _understand(store, text, unit, amount, query)
    _require_task(query, "請輸入要查的事項。", "approval find 採購 30萬，或 approval find 議員索取資料")
    rows = store.unit_rows(unit) if unit else None
    hits = ranked(store, query, rows, limit=limit)
    answered = bool(hits) and answers(store, query, hits[0], unit)
    matches = []
    for hit in hits:
        out = _with_fit(store, query, entry_out(store, hit.index, hit), hit.index)
        out["matching"] = hit.clears_bar or (answered and hit is hits[0])
        matches.append(out)
    return {
        "query": query.text,
        "unit": unit,
        "amount": query.amount,
        "amount_parsed": amount_info(query),
        "status": "answered" if answered else "no_match",
        "understood": understood(query, unit, unit_from),
        "matches": matches,
        "source": source_info(store),
    }


def answers(store: Store, query: Query, top: Hit, unit: str | None) -> bool:
    """The one decision rule of find, route, batch and triage: is this best row an answer?

    Anywhere, it must clear the bar, hold more of the task's weight than one bigram carries
    (holds_the_task: a long description), or one clause of a long description must clear the
    bar for that row (_a_clause_answers). For a unit the clerk chose, its best row may answer on less (find
    --unit and route agree) — the unit's bar or a clause — unless another unit's row fits the
    words far better (the unit then lacks the task).
    """
    if top.clears_bar:
        return True
    if unit is None:
        return holds_the_task(store, query, top) or _a_clause_answers(store, query, top, None)
    enough = top.clears_unit_bar or holds_the_task(store, query, top)
    if not (enough or top.score >= CLAUSE_ANSWER_FLOOR):
        return False
    best = ranked(store, query, None, limit=1)
    if best and best[0].clears_bar and top.score < UNIT_SHARE_OF_BEST * best[0].score:
        return False
    return enough or _a_clause_answers(store, query, top, unit)


def _a_clause_answers(store: Store, query: Query, top: Hit, unit: str | None) -> bool:
    """A description of several clauses (「…年底各種活動接連不斷大家都忙不過來，志工招募補實」) is
    answered by the row its whole words rank first when one clause alone clears the bar for that
    same row: the rest is context, whose words no row has, and they diluted the cover. The whole
    must still reach CLAUSE_ANSWER_FLOOR: a no-row sentence with one clause a row happens to fit
    (「…回來要報支差旅費」) ranks that row low as a whole. Clauses are split as triage splits them."""
    if top.score < CLAUSE_ANSWER_FLOOR:
        return False
    clauses = _clauses(query.text)
    if len(clauses) < 2:
        return False
    rows = store.unit_rows(unit) if unit else None
    text = store.joined[top.index]
    for clause in clauses:
        try:
            part = make_query(store, clause, unit=unit)
        except ApprovalError:
            continue
        if not part.terms:
            continue
        # A clause sharing no word with the row cannot rank it first (but a band row answers a
        # purchase on its amount): not ranked, which halved the rule's cost on 50,000 rows.
        if not store.bands[top.index] and not any(
            gram in text or any(word in text for word, _ in part.alternatives.get(gram, ())) for gram in part.grams
        ):
            continue
        hits = ranked(store, part, rows, limit=1)
        if hits and hits[0].index == top.index and hits[0].clears_bar:
            return True
    return False


# A sum named as a fee, pay, refund or grant (加班費 5萬, 退款, 差旅費, 補助款, 通訊費用報支) is money paid
# or received, no thing bought: an amount with it makes no purchase. A budget (經費) is what a
# purchase costs (「系統功能擴充，經費約60萬元」) and stays one.
_SUM_ENDINGS = ("費", "款", "金", "薪", "津貼", "補助", "報酬")
_SUM_WORDS = ("報支", "核銷", "請款", "薪資")
_BUDGET = "經費"


def names_a_sum(store: Store, query: Query) -> bool:
    """Whether the task words name a sum of money rather than a thing (加班費, 退款, 費用報支)."""
    endings = tuple(store.fold(word) for word in _SUM_ENDINGS)
    words = [store.fold(word) for word in _SUM_WORDS]
    budget = store.fold(_BUDGET)
    return any(
        (term.endswith(endings) and not term.endswith(budget)) or any(word in term for word in words)
        for term in query.terms
    )


def ranked(store: Store, query: Query, rows: list[int] | None, limit: int | None = None) -> list[Hit]:
    """rank(), plus the table's rule for purchases: buying, leasing or outsourcing any thing of an
    amount follows the unit's 採購金額 band rows, whatever the thing is called (筆電, 影印紙)."""
    hits = rank(store, query, rows, limit)  # band rows below the limit are added back just below
    # A thing and an amount (碎紙機 8000元) is a purchase; a sentence that only mentions money
    # (「製作費用刪減10萬元」) is not.
    implied = (
        not query.purchase and query.span is not None and bool(query.terms)
        and len(query.folded) <= IMPLIED_PURCHASE_CHARS and not names_a_sum(store, query)
    )  # fmt: skip
    if query.purchase or implied:
        # 「碎紙機 8000元」: a thing and an amount is a purchase even unnamed as one, but then a row
        # the words match well (通訊費用報支 3萬) is the likelier task.
        if implied:
            floor = IMPLIED_PURCHASE_SCORE
        else:  # a purchase word without an amount: the bands are shown, below a row the words fit well
            floor = PURCHASE_SCORE if query.span is not None else UNPRICED_PURCHASE_SCORE
        seen = {hit.index for hit in hits}
        for index in band_rows(store, rows):
            if index in seen:
                continue
            hits.append(Hit(index, 0.0, [], {"cover": 0.0}))
        for hit in hits:
            if store.bands[hit.index] and hit.score < floor:
                hit.score = floor
                hit.parts = {**hit.parts, "cover": 1.0, "purchase": 1.0}
                hit.matched = hit.matched or [query.shown.get(t, t) for t in query.terms][:1]
            hit.key = hit.score + amount_fit(store, query, hit.index)
        hits.sort(key=lambda h: (-h.key, band_width(store, h.index), h.index))
    return hits[:limit] if limit else hits


# ---------------------------------------------------------------- route


def _triggered(query: Query, triggers: list[str], store: Store) -> list[str]:
    """Trigger words the task mentions without a negation right before them (make_query reads them)."""
    live = {c["trigger"] for c in query.conditions if not c["negated"]} | {
        c["word"] for c in query.conditions if not c["negated"]
    }
    return [word for word in triggers if store.fold(word) in live]


def _unit_head(store: Store, unit: str | None) -> str | None:
    """The unit's own head (組長 or 主任): the rank-3 role its rows' chains name most."""
    if not unit:
        return None
    known = store._unit_heads.get(unit, False)  # asked for every escalation and layer: counted once
    if known is False:
        heads = Counter(
            step["role"]
            for index in store.unit_rows(unit)
            for step in store.entries[index]["chain"]
            if step["role"] and ROLE_RANK.get(step["role"]) == ROLE_RANK["組長"]
        )
        known = store._unit_heads[unit] = heads.most_common(1)[0][0] if heads else None
    return known


def next_layer(store: Store, final: str | None, unit: str | None) -> str | None:
    """The decision layer above this approver (第三層 股長 → 第二層 組長 → 第一層 處長)."""
    if final is None or final not in ROLE_RANK:
        return None
    layers = []
    for role in store.vocab.layers.values():
        role = role or _unit_head(store, unit)
        if role in ROLE_RANK:
            layers.append(role)
    above = sorted((r for r in layers if ROLE_RANK[r] > ROLE_RANK[final]), key=lambda r: ROLE_RANK[r])
    return above[0] if above else None


def evaluate_conditions(store: Store, query: Query, entry: dict) -> dict:
    """Apply the row's notes to this task: waivers by amount, co-signs and escalations by topic."""
    required = list(entry["cosign"])
    waived: list[dict] = []
    conditional: list[dict] = []
    evaluated: list[dict] = []
    final = entry["final_approver"]
    chain = [dict(step) for step in entry["chain"]]
    notices: list[tuple[str, str]] = []  # what a script must see beside final_approver
    for condition in entry["conditions"]:
        kind, note = condition["kind"], condition["text"]
        applied, outcome = False, ""
        if kind == "waiver" and condition.get("threshold") is not None:
            unit, limit = condition.get("unit"), condition["threshold"]
            low, high = query.span or (None, None)
            if unit not in entry["cosign"]:
                outcome = f"本列會辦單位不含{unit}，此備考不影響會辦。"
            elif query.span is None:
                outcome = f"未提供金額：金額在 {format_amount(limit)} 以下可免會{unit}，否則需會辦。"
            elif high is not None and high <= limit:
                applied = True
                required.remove(unit)
                shown = span_text(query.span)
                waived.append({"unit": unit, "reason": f"{note}（本案 {shown}）"})
                outcome = f"本案金額 {shown} 在 {format_amount(limit)} 以下：免會{unit}。"
            elif low is not None and low > limit:
                outcome = f"本案金額 {span_text(query.span)} 逾 {format_amount(limit)}：仍需會辦{unit}。"
            else:
                required.remove(unit)
                conditional.append({"unit": unit, "condition": note})
                outcome = (
                    f"金額 {span_text(query.span)} 跨過 {format_amount(limit)}：是否免會{unit}要看確切金額。"
                )
        elif kind == "cosign":
            unit = condition.get("unit")
            hits = _triggered(query, condition.get("triggers", []), store)
            if hits:
                applied = True
                if unit and unit not in required:
                    required.append(unit)
                outcome = f"描述提到「{'、'.join(hits)}」：需會辦{unit}。"
            else:
                if unit in required:
                    required.remove(unit)
                conditional.append({"unit": unit, "condition": note})
                words = "、".join(condition.get("triggers", [])) or note
                outcome = f"描述未提到「{words}」：{unit}僅在符合時會辦，請自行確認。"
        elif kind == "escalation":
            hits = _triggered(query, condition.get("triggers", []), store)
            role = condition.get("role") or next_layer(store, final, entry["unit"])
            if hits and role and final and ROLE_RANK.get(role, -1) > ROLE_RANK.get(final, 99):
                applied = True
                for step in chain:
                    if step["action"] == "核定":
                        step["action"] = "陳核"
                chain.append({"role": role, "action": "核定", "column": None})
                how = "備考指定" if condition.get("role") else "向上陳核至上一決行層級"
                outcome = f"描述提到「{'、'.join(hits)}」：依備考「{note}」，改由{role}核定（{how}）。"
                notices.append(("escalation_applied", f"{outcome}原列決行者為{final}。"))
                final = role
            elif hits and role:
                applied = True
                outcome = f"描述提到「{'、'.join(hits)}」：依備考「{note}」，由{role}核定。"
            elif hits:
                applied = True
                outcome = f"描述提到「{'、'.join(hits)}」：應向上陳核，但表內找不到{final or '原核定者'}的上一層。"
                notices.append(("escalation_applied", f"{outcome}請依實際陳核。"))
            else:
                words = "、".join(condition.get("triggers", [])) or "所述情形"
                outcome = f"描述未提到「{words}」，未套用；如有此情形：{note}。"
        elif kind == "delegation":
            role = condition.get("role") or _unit_head(store, entry["unit"]) or "第二層主管"
            outcome = f"本列以外的其餘案件授權由{role}決行。"
            notices.append(("delegation_note", f"備考：{note}。本案若不屬本列所述情形，決行者為{role}。"))
        elif kind == "scope":
            outcome = f"本列適用範圍：{note}。"
        else:
            outcome = f"備考：{note}"
        evaluated.append({"kind": kind, "text": note, "applied": applied, "outcome": outcome})
    return {
        "final_approver": final,
        "chain": chain,
        "cosign_required": required,
        "cosign_waived": waived,
        "cosign_conditional": conditional,
        "conditions": evaluated,
        "conditions_applied": [c for c in evaluated if c["applied"]],
        "condition_warnings": [
            {"flag": code, "severity": "warning", "message": text} for code, text in notices
        ],
    }


def _references(store: Store, anywhere: list[Hit], unit: str) -> list[dict]:
    """The same task in other units, labelled as theirs: never the answer for this unit."""
    hits = [hit for hit in anywhere if store.row_unit[hit.index] != unit and hit.clears_bar]
    seen: set[str] = set()
    out = []
    for hit in hits:
        entry = store.entries[hit.index]
        if entry["unit"] in seen:
            continue
        seen.add(entry["unit"])
        ref = entry_out(store, hit.index, hit)
        ref["note"] = f"此列屬於{entry['unit']}，不是{unit}的規定，僅供參考。"
        out.append(ref)
        if len(out) == 5:
            break
    return out


def route_skeleton(store: Store, query: Query, unit: str | None, unit_from: str | None = None) -> dict:
    """Every field of a route answer, unanswered: route fills it; batch uses it as it is."""
    return {
        "query": query.text,
        "unit": unit,
        "amount": query.amount,
        "amount_parsed": amount_info(query),
        "status": "no_row_in_unit",
        "understood": understood(query, unit, unit_from),
        "match": None,
        "final_approver": None,
        "chain": [],
        "cosign_required": [],
        "cosign_waived": [],
        "cosign_conditional": [],
        "conditions": [],
        "conditions_applied": [],
        "choices": [],
        "related": [],
        "alternatives": [],
        "nearest": [],
        "references": [],
        "warnings": [],
        "reason": None,
        "source": source_info(store),
    }


def route(
    store: Store, text: str | None, unit: str | None, amount: int | None = None, *, query: Query | None = None
) -> dict:
    query, unit, unit_from = _understand(store, text or "", unit, amount, query)
    if not unit:
        raise UsageError(
            "route 需要指定單位。", "用 --unit 指定，或寫在描述裡，例如：approval route 文書組 採購 30萬"
        )
    _require_task(query, "請描述要辦的事，或給金額。", "approval route --unit 文書組 --amount 300000")
    rows = store.unit_rows(unit)
    result = route_skeleton(store, query, unit, unit_from)
    unit_hits = ranked(store, query, rows, limit=ROUTE_DEPTH)
    chosen: Hit | None = None
    alternatives: list[Hit] = []
    if unit_hits and answers(store, query, unit_hits[0], unit):
        chosen = unit_hits[0]
        alternatives = [h for h in unit_hits[1 : 1 + MAX_ALTERNATIVES] if h.clears_bar and h.score >= chosen.score - 10]
    related: list[Hit] = []
    if chosen is not None and query.span is not None and not store.bands[chosen.index] and (
        query.purchase or (chosen.score < IMPLIED_PURCHASE_SCORE + AMOUNT_LIFT and not names_a_sum(store, query))
    ):
        # A purchase of an amount: the bands decide its approval; the topical row stays beside it.
        band = next((h for h in unit_hits if store.bands[h.index]), None)
        if band is not None:
            related, chosen = [chosen], band
    if chosen is not None and (store.bands[chosen.index] or query.span is not None):
        chosen, alternatives, reason = _choose_band(store, query, rows, chosen, alternatives)
        if reason:
            result["reason"] = result["status"] = reason
    if chosen is not None and store.bands[chosen.index] and query.terms and not related:
        related = [h for h in unit_hits if not store.bands[h.index] and h.clears_bar and _names_the_thing(store, query, h)][:1]
    if chosen is None:
        result["reason"] = result["reason"] or "no_row_in_unit"
        result["status"] = result["reason"]
        if result["reason"] == "no_row_in_unit":
            nearest = unit_hits[:NEAREST] if unit_hits else []
            result["nearest"] = [_labelled(store, h, "not_matching") for h in nearest]
            result["references"] = _references(store, ranked(store, query, None, limit=REFERENCE_POOL), unit)
        result["alternatives"] = [entry_out(store, h.index, h) for h in alternatives]
        return result
    choices = _choices(store, query, chosen, unit_hits) if not store.bands[chosen.index] else []
    if len(choices) == 1 and (choices[0]["delegated"] or choices[0].get("named")) and choices[0]["index"] != chosen.index:
        # 「一般同仁參加…訓練」 ranked the 不派員 row first, but the words put it among the 其餘案件
        # of the row whose note delegates them: that row answers. So does the plain row of a
        # qualified pair for 「…，例行事務性」 when the 政策性 row ranked first.
        owner = choices[0]["index"]
        chosen = next((h for h in unit_hits if h.index == owner), Hit(owner, chosen.score))
        alternatives = [h for h in unit_hits[:1 + MAX_ALTERNATIVES] if h.index != owner and h.clears_bar]
    entry = store.entries[chosen.index]
    result["match"] = entry_out(store, chosen.index, chosen)
    evaluated = evaluate_conditions(store, query, entry)
    condition_warnings = evaluated.pop("condition_warnings")
    result.update(evaluated)
    result["status"] = "answered"
    result["alternatives"] = [
        entry_out(store, h.index, h) for h in alternatives if h.index not in {c["index"] for c in choices}
    ]
    result["related"] = [_labelled(store, h, "related") for h in related]
    result["warnings"] = result["match"]["warnings"] + condition_warnings
    if len(choices) == 1 and choices[0]["delegated"]:
        _apply_delegation(result, choices[0])
    elif len(choices) > 1:
        result["choices"] = [
            {key: value for key, value in choice.items() if key != "index"} for choice in choices
        ]
        finals = {choice["final_approver"] for choice in choices}
        if len(finals) > 1:
            # The table splits the task and the words do not say which part: no single 決行.
            result["status"] = "choose_one"
            result["final_approver"] = None
    return result


def _apply_delegation(result: dict, rest: dict) -> None:
    """The words put the task among the row's 「其餘案件」: the delegated layer decides. The chain
    stops there; the steps above it are not taken."""
    role = rest["final_approver"]
    rank = ROLE_RANK.get(role, -1)
    chain = []
    for step in result["chain"]:
        step_rank = ROLE_RANK.get(step["role"], -1) if step["role"] else -1
        if step_rank > rank:
            break
        chain.append({**step, "action": "核定" if step["role"] == role else step["action"]})
    if not chain or chain[-1]["role"] != role:
        chain.append({"role": role, "action": "核定", "column": None})
    outcome = f"描述屬「{rest['deciding_words']}」：依備考「{rest['rule']}」，由{role}決行。"
    result["chain"] = chain
    result["final_approver"] = role
    result["conditions"] = [
        {**c, "applied": True, "outcome": outcome} if c["kind"] == "delegation" else c for c in result["conditions"]
    ]
    result["conditions_applied"] = [c for c in result["conditions"] if c["applied"]]
    result["warnings"] = [w for w in result["warnings"] if w["flag"] != "delegation_note"] + [
        {"flag": "delegation_applied", "severity": "notice", "message": outcome}
    ]


def _names_the_thing(store: Store, query: Query, hit: Hit) -> bool:
    """A topical row that mentions what is bought (接待、餐宴、採購 for a banquet), not just 採購."""
    text = store.joined[hit.index]
    buying = set(query.purchase)
    return any(
        gram in text and len(store.postings.get(gram, ())) <= RELATED_MAX_ROWS  # not 辦理, 相關: any row's
        for gram in query.grams
        if not any(gram in word or word in gram for word in buying)
    )


def _labelled(store: Store, hit: Hit, label: str) -> dict:
    out = entry_out(store, hit.index, hit)
    out["label"] = label
    return out


def _deciding_words(first: str, second: str, fold=lambda text: text) -> tuple[str, str]:
    """The words that tell two rows' texts apart: what is left after their common start and end,
    widened to whole words (不派 → 不派員)."""
    from approval_cli.search.match import word_bounds

    start = 0
    while start < min(len(first), len(second)) and first[start] == second[start]:
        start += 1
    end = 0
    while end < min(len(first), len(second)) - start and first[-1 - end] == second[-1 - end]:
        end += 1
    out = []
    for text in (first, second):
        # jieba knows Simplified text best: the bounds of each character's fold, same positions.
        bounds = word_bounds("".join(fold(char) or char for char in text))
        low = max((b for b in bounds if b <= start), default=0)
        high = min((b for b in bounds if b >= len(text) - end), default=len(text))
        out.append(text[low:high])
    return out[0], out[1]


def _row_text(entry: dict) -> str:
    scopes = [c["text"] for c in entry.get("conditions", []) if c["kind"] == "scope"]
    return entry["content"] + (entry.get("business") or "") + "".join(scopes)


def _choices(store: Store, query: Query, chosen: Hit, hits: list[Hit]) -> list[dict]:
    """Where the unit's table splits this task in two (政策性 / 事務性, 督導 / 配合, 主管 / 不派員),
    and the task's words do not say which part it is: every part, each with its deciding words.

    Two rows split a task when they share the 公務項目 and their texts differ only in a middle part
    (most of each text is their common start and end). A row whose note delegates 「其餘案件」 to a
    lower layer splits itself: its own cases, and the rest.
    """
    top = store.entries[chosen.index]
    top_text = _row_text(top)
    parts: list[dict] = []
    for hit in hits:
        if hit.index == chosen.index or store.bands[hit.index]:
            continue
        other = store.entries[hit.index]
        if other["item"] != top["item"] or other["unit"] != top["unit"]:
            continue
        other_text = _row_text(other)
        pair = (chosen.index, hit.index)
        split = store._splits.get(pair)
        if split is None:  # the rows' texts never change: their deciding words are worked out once
            split = store._splits[pair] = _deciding_words(top_text, other_text, store.fold)
        mine, theirs = split
        shared = len(top_text) - len(mine)
        if shared < 0.5 * min(len(top_text), len(other_text)):
            continue
        if not mine or not theirs:
            # One row adds a qualifier to the other's text (「…禮遇通關政策性事項」 beside 「…禮遇通關
            # 事項」): the plain row is every other case.
            qualifier = mine or theirs
            if not qualifier or len(qualifier) > MAX_QUALIFIER:
                continue
            named = _names_qualifier(store, query, qualifier)
            if named is not None:
                wanted = (chosen.index if mine else hit.index) if named else (hit.index if mine else chosen.index)
                if wanted != chosen.index and hit.clears_bar:
                    # The words name the other part (「例行事務性」 against the 政策性 row ranked first
                    # for the 性 they share): that row answers, whatever the scores' margin.
                    return [{**_choice(store, wanted, hit, qualifier if named else ""), "named": True}]
                continue
            if hit.score < chosen.score - CHOICE_MARGIN:
                continue  # the words clearly prefer the chosen row
            rest = f"不屬「{qualifier}」的情形"
            if not parts:
                parts.append(_choice(store, chosen.index, chosen, mine or rest))
            parts.append(_choice(store, hit.index, hit, theirs or rest))
            continue
        said_mine, said_theirs = _said(store, query, mine), _said(store, query, theirs)
        denied_mine = said_mine and _said_negated(store, query, mine)
        denied_theirs = said_theirs and _said_negated(store, query, theirs)
        if denied_mine and not denied_theirs:
            # 「…一般聯絡，不是政策面的」 against the 政策性 row ranked first (for the 政策 the words deny):
            # the other part of the pair answers, as for a negated qualifier, whatever the margin (the
            # words it shares with the chosen row are the ones that cleared the bar).
            return [{**_choice(store, hit.index, hit, theirs), "named": True}]
        if denied_theirs and not denied_mine:
            continue  # the words deny the other part: the chosen one stands
        if hit.score < chosen.score - CHOICE_MARGIN:
            continue  # the words clearly prefer the chosen row
        if said_mine and not said_theirs:
            continue  # the words say it is the chosen part
        if said_theirs and not said_mine:
            continue  # ranked below although named: the ranking decides, alternatives show it
        if not parts:
            parts.append(_choice(store, chosen.index, chosen, mine))
        parts.append(_choice(store, hit.index, hit, theirs))
    # A row whose note delegates 「其餘案件」 splits itself: its own cases, and the rest.
    owner_index = next(
        (p["index"] for p in parts or [{"index": chosen.index}]
         if any(c["kind"] == "delegation" for c in store.entries[p["index"]]["conditions"])),
        None,
    )  # fmt: skip
    if owner_index is not None:
        owner = store.entries[owner_index]
        delegation = next(c for c in owner["conditions"] if c["kind"] == "delegation")
        own = owner.get("business") or owner["content"]
        role = delegation.get("role") or _unit_head(store, owner["unit"])
        owner_hit = next((h for h in hits if h.index == owner_index), chosen)
        rest = _choice(store, owner_index, owner_hit, f"不屬「{own}」的其餘案件")
        rest.update({"final_approver": role, "rule": delegation["text"], "delegated": True})
        case = _delegated_case(store, query, owner_index)
        if case == "rest":
            return [rest]  # the words say it is one of the other cases: decided by the lower layer
        if case is None:
            if not parts:
                parts.append(_choice(store, owner_index, owner_hit, own))
            parts.append(rest)
    return parts


def _delegated_case(store: Store, query: Query, owner: int) -> str | None:
    """Which side of a 「其餘案件授權由第二層決行」 row the task is on: "own" when it names the row's
    own case (主管, 跨組室, 進修), "rest" when it negates them (不是主管, 不跨組室) or names the
    others (一般同仁, 非主管), None when it does not say.

    The row's own case words are the words of its 業務名稱 that the other rows of its 公務項目 in
    the unit do not use (教育訓練 and 參加 are every training row's; 主管 is this row's)."""
    from approval_cli.search.match import word_bounds

    entry = store.entries[owner]
    own = store.fold(entry.get("business") or entry["content"])
    siblings = "".join(
        store.joined[i] for i in store.unit_rows(entry["unit"])
        if i != owner and store.entries[i]["item"] == entry["item"]
    )  # fmt: skip
    bounds = sorted(word_bounds(own))
    words = [own[a:b] for a, b in pairwise(bounds) if b - a >= 2]
    words = [w for w in words if w not in siblings and w not in store.fold(entry["content"])]
    text = query.folded

    def negated(word: str) -> bool:
        return any(text[max(0, at - 3) : at].endswith(NEGATING_WORDS) for at in occurrences(text, word))

    if any(negated(w) for w in words) or any(store.fold(w) in text for w in REST_WORDS):
        return "rest"
    if any(w in text for w in words) or any(
        g in text and any(w in own for w, _ in query.alternatives.get(g, ())) for g in query.grams
    ):
        return "own"
    return None


def _names_qualifier(store: Store, query: Query, qualifier: str) -> bool | None:
    """Whether the task names a row's qualifier (政策性: True), says it is one of the other cases
    (事務性, 例行, 不是政策性, 不屬於政策性, 不涉及政策: False), or does not say (None)."""
    text = query.folded
    key = store.fold(qualifier)
    size = len(key)
    named = occurrences(text, key)
    if not named and len(key) > 2:  # 不涉及政策 names 政策性 by its stem
        size = 2
        named = occurrences(text, key[:2])
    if any(_denied_at(store, text, at, at + size) for at in named):
        return False  # 不是政策性, 無涉政策; 與政策無關
    for word in OTHER_CASE_WORDS:
        other = store.fold(word)
        if other != key and any(not _negated_at(store, text, at) for at in occurrences(text, other)):
            return False  # 「例行事務性」; but 「政策性，非例行」 names the qualifier
    return True if _said(store, query, qualifier) else None


def _denied_at(store: Store, text: str, at: int, end: int) -> bool:
    """Whether the words at text[at:end] are denied: negated before (不是政策性, 不涉及政策) or after
    (與政策無關, 政策無涉)."""
    after = store.folded_words("denied_after", QUALIFIER_DENIED_AFTER)
    return _negated_at(store, text, at) or text.startswith(after, end)


def _negated_at(store: Store, text: str, at: int) -> bool:
    """A negation right before this position, through 於, 屬於, 涉及 or 關於 (不屬於政策性, 不涉及政策)."""
    before = text[max(0, at - 6) : at]
    negations = tuple(store.fold(w) for w in (*NEGATING_WORDS, "沒有"))
    for link in ("", *(store.fold(w) for w in QUALIFIER_LINKS)):
        if link and not before.endswith(link):
            continue
        stem = before[: len(before) - len(link)] if link else before
        if stem.endswith(negations):
            return True
    return False


def _said(store: Store, query: Query, words: str) -> bool:
    """Whether the task's words name this part (most of its rare bigrams, or a clerk word for it)."""
    key = store.fold(words)
    grams = {key[i : i + 2] for i in range(len(key) - 1)}
    if not grams:
        return False
    shared = sum(1 for g in grams if g in query.grams or any(key.find(w) >= 0 for w, _ in query.alternatives.get(g, ())))
    return shared >= max(1, len(grams) // 2)


def _said_negated(store: Store, query: Query, words: str) -> bool:
    """Whether the task's words name this part only to deny it (不是政策面, 與政策無關). Not for a part
    that is itself a negation (不派員): 「未派員」 says that part."""
    key = store.fold(words)
    if NEGATING_CHARS.intersection(key):
        return False
    text = query.folded
    places = [at for at in (text.find(key[i : i + 2]) for i in range(len(key) - 1)) if at >= 0]
    return bool(places) and _denied_at(store, text, min(places), max(places) + 2)


def _choice(store: Store, index: int, hit: Hit, deciding: str) -> dict:
    entry = store.entries[index]
    return {
        "index": index,
        "id": entry["id"],
        "source_line": entry["source_line"],
        "content": entry["content"],
        "business": entry.get("business"),
        "deciding_words": deciding.strip("，、,；"),
        "final_approver": entry["final_approver"],
        "chain": entry["chain"],
        "score": hit.score,
        "rule": None,
        "delegated": False,
    }


def _choose_band(
    store: Store, query: Query, rows: list[int], chosen: Hit, alternatives: list[Hit]
) -> tuple[Hit | None, list[Hit], str | None]:
    """Among the unit's banded rows of the chosen task, the band holding the amount.

    Also when the text chose an unbanded row of a banded task (總務組's 採購業務管理事項 for
    「採購 逾15萬」): an amount means the banded rows decide. The narrowest holding band wins;
    when a narrower band holds only part of the amount (「15萬以下」 against 1萬元以下), or no
    band holds all of it (「逾15萬」), the exact amount is needed.
    """
    item = store.entries[chosen.index]["item"]
    banded = [i for i in rows if store.bands[i] and store.entries[i]["item"] == item]
    if not banded:
        return chosen, alternatives, None
    if query.span is None:
        if len(banded) > 1:
            return None, [Hit(i, chosen.score) for i in banded], "needs_amount"
        return chosen, alternatives, None
    holding = sorted(
        (i for i in banded if band_holds(store, i, query.span)), key=lambda i: (band_width(store, i), i)
    )
    partial = [i for i in banded if i not in holding and band_overlaps(store, i, query.span)]
    everything = [Hit(i, chosen.score) for i in banded]
    if not holding:
        return None, everything, "needs_amount" if partial else "amount_outside_bands"
    if any(band_width(store, i) < band_width(store, holding[0]) for i in partial):
        return None, everything, "needs_amount"
    # The text chose the task, the amount its band: each band row carries the text's score.
    score = chosen.score
    return Hit(holding[0], score, chosen.matched, chosen.parts), [Hit(i, score) for i in holding[1:]], None


# ---------------------------------------------------------------- list


def _catalogue_roles(store: Store) -> set[str]:
    """Every role this catalogue's chains name (a 局's table has 局長, the Secretariat's 處長)."""
    return {step["role"] for entry in store.entries for step in entry["chain"] if step["role"]}


def list_entries(
    store: Store,
    unit: str | None = None,
    table: str | None = None,
    approver: str | None = None,
    cosign: str | None = None,
    text: str | None = None,
) -> dict:
    """Rows by unit, 表別, decider, co-signing unit and words (every word, on folded text:
    台/臺, 姊/姐 and Simplified characters match the table's spelling)."""
    unit = resolve_unit(store, unit)
    role = resolve_role(approver, _catalogue_roles(store)) if approver else None
    cosign_unit = resolve_unit(store, cosign) if cosign else None
    if table is not None:
        table = {"甲表": "甲", "乙表": "乙"}.get(table.strip(), table.strip())
    if table is not None and table not in ("甲", "乙", "機關共同乙"):
        raise UsageError(f"表別「{table}」不存在。", "可用：甲、乙、機關共同乙。")
    words = [store.fold(word) for word in (text or "").split()]
    words = [word for word in words if word]

    def has_words(entry: dict) -> bool:
        if not words:
            return True
        parts = (entry["item"], entry["content"], entry.get("business") or "", *entry["notes"])
        folded = store.fold(" ".join(parts))
        return all(word in folded for word in words)

    rows = [
        i
        for i, e in enumerate(store.entries)
        if (unit is None or e["unit"] == unit)
        and (table is None or e["table"] == table)
        and (role is None or e["final_approver"] == role)
        and (cosign_unit is None or cosign_unit in e["cosign"])
        and has_words(e)
    ]
    return {
        "unit": unit,
        "table": table,
        "approver": role,
        "approver_as_typed": approver,
        "cosign": cosign_unit,
        "text": text or None,
        "entries": [entry_out(store, i) for i in rows],
        "source": source_info(store),
    }


# ---------------------------------------------------------------- the catalogue as a whole


def units_summary(store: Store) -> list[dict]:
    rows = []
    for unit in store.units:
        entries = [store.entries[index] for index in store.unit_rows(unit)]
        counts: dict[str, int] = {}
        for entry in entries:
            counts[entry["table"]] = counts.get(entry["table"], 0) + 1
        flagged = sum(1 for e in entries if e["flags"])
        rows.append({"unit": unit, "counts": counts, "total": len(entries), "flagged": flagged})
    return rows


def _entry_index(store: Store, key: str) -> int | None:
    """The row a person means: DOC-056 as doc-56, DOC56, DOC 56, ＤＯＣ－５６; a source line as
    L153, 153, 第153行 or 原表第 153 行."""
    import re
    import unicodedata

    wanted = re.sub(r"[\s_‐‑‒–—―−]+", "", unicodedata.normalize("NFKC", key)).upper()
    wanted = wanted.replace("-", "")
    index = store.by_id.get(key.strip().upper())
    if index is not None:
        return index
    # At most nine digits: a 4,301-digit "line number" would pass Python's int-conversion limit.
    line = re.fullmatch(r"(?:原表)?第?L?([0-9]{1,9})行?", wanted)
    if line:
        number = int(line.group(1))
        return next((i for i, e in enumerate(store.entries) if e["source_line"] == number), None)
    found = re.fullmatch(r"([A-Z]+)0*([0-9]{1,9})", wanted)
    if found:
        prefix, number = found.group(1), int(found.group(2))
        for entry_id, i in store.by_id.items():
            head, _, digits = entry_id.rpartition("-")
            if head == prefix and digits.isdigit() and int(digits) == number:
                return i
    return None


def show(store: Store, key: str) -> dict:
    """One entry by id (GA-001, as typed: doc-56, ＤＯＣ５６) or by its source line (L153, 第153行)."""
    wanted = key.strip().upper()
    index = _entry_index(store, key)
    if index is None:
        from rapidfuzz import process

        nearest = [name for name, _, _ in process.extract(wanted, list(store.by_id), limit=3)]
        raise UsageError(
            f"找不到編號「{key}」。", f"編號像 {'、'.join(nearest)}；也可以用原表行號，例如 L153。"
        )
    out = entry_out(store, index)
    out["raw"] = store.entries[index].get("raw", "")
    return out


def lint_report(store: Store) -> dict:
    """Every flagged row, and 機關共同乙 items whose decision differs between units."""
    flagged = [
        {key: out[key] for key in ("id", "unit", "source_line", "content", "flags", "warnings")}
        for out in (entry_out(store, i) for i, e in enumerate(store.entries) if e["flags"])
    ]
    groups: dict[str, list[int]] = {}
    for index, entry in enumerate(store.entries):
        if entry["table"] == "機關共同乙":
            key = store.fold(entry["item"] + entry["content"] + (entry.get("business") or ""))
            groups.setdefault(key, []).append(index)
    differences = []
    for indexes in groups.values():
        finals = {store.entries[i]["final_approver"] for i in indexes}
        lengths = {len(store.entries[i]["chain"]) for i in indexes}
        if len(indexes) > 1 and (len(finals) > 1 or len(lengths) > 1):
            first = store.entries[indexes[0]]
            differences.append({
                "item": first["item"],
                "content": first["content"] + (f"／{first['business']}" if first.get("business") else ""),
                "differs_in": [name for name, values in (("final_approver", finals), ("chain_length", lengths))
                               if len(values) > 1],
                "units": [
                    {"unit": store.entries[i]["unit"], "id": store.entries[i]["id"],
                     "final_approver": store.entries[i]["final_approver"],
                     "chain_length": len(store.entries[i]["chain"]),
                     "source_line": store.entries[i]["source_line"]}
                    for i in indexes
                ],
            })  # fmt: skip
    from approval_cli.catalogue.checks import lint_checks

    return {
        "flagged": flagged,
        "differences": differences,
        "source": source_info(store),
        "checks": lint_checks(store.entries, store.metadata),
    }


# ---------------------------------------------------------------- triage


def _clauses(task: str) -> list[str]:
    """A directive's clauses (split at ，；。), short ones joined to the next, longest first kept whole."""
    import re

    # An aside in brackets (「公務車輛(含駕駛)統一調派」) interrupts the words the table writes together.
    task = re.sub(r"[（(][^（）()]{1,12}[）)]", "", task)
    pieces = [p.strip() for p in re.split(r"[，,；;。]", task) if p.strip()]
    clauses: list[str] = []
    carry = ""
    # Pieces joined keep a comma between them: 「數量20，5萬元」 glued would read as 205萬元.
    for piece in pieces:
        piece = f"{carry}，{piece}" if carry else piece
        if len(piece) < MIN_CLAUSE:
            carry = piece
            continue
        clauses.append(piece)
        carry = ""
    if carry and clauses and carry.strip("。！ ") in PROCEDURAL_ENDINGS:
        # 「…質詢報表，陳核」, 「…，勿延宕」: how to proceed, no task. Asked alone, 陳核 fits best the
        # shortest row that holds it; joined to the clause before, 勿延宕 dilutes it.
        pass
    elif carry and clauses and not find_amounts(carry):
        clauses[-1] += f"，{carry}"  # 「…意見彙整後，續租」: the last word of the task
    elif carry:  # an amount (「…，5萬元」) stays a clause
        clauses.append(carry)
    return clauses or [task]


def triage_record(store: Store, data: bytes):
    """Meeting minutes → directives, each routed through the same ranking as `find`."""
    import re

    from approval_cli.meetings.record import UnitWords, parse_record, read_record_bytes, route_items

    record = parse_record(read_record_bytes(data), words=UnitWords.from_vocabulary(store.vocab))
    # 「本次會議紀錄請機要組…簽陳」 in a 處務會議's record is the 處務會議's minutes (line 243), not any meeting's.
    # Only a name the header states as 「第N次…會議」: a title guessed otherwise (「114年度第2次廉政會報」)
    # is no meeting kind to put in a task.
    numbered = re.fullmatch(r"第[^次]{1,6}次(?P<kind>[\u4e00-\u9fff]{1,8}會議)", record.meeting.name or "")
    this_meeting = numbered.group("kind") if numbered else None

    def matcher(task: str, unit: str | None, addressed: bool) -> list[dict]:
        if this_meeting:
            task = task.replace("本次會議", this_meeting)
        # A directive is a long sentence of several clauses, each its own request or its context
        # (「市長宣示…，即時發布新聞稿周知市民，並於社群平台同步露出」): each clause is asked on its own
        # and a row keeps its best clause. A clause naming another unit is asked for that unit.
        # A directive addressed to this unit by name is also asked whole, as route asks a clerk's
        # task for the unit chosen, and route's decision (`answers`) makes its best row a suggestion.
        best: dict[int, dict] = {}
        whole = addressed and unit is not None
        # The directive's amount (one, however often written) holds for each of its clauses: 「…宣導品
        # 印製，金額新臺幣2萬元」 is a 2萬 purchase in its first clause too. A band that excludes it
        # is no suggestion.
        mentions = find_amounts(task)
        amount = mentions[0].value if len({m.value for m in mentions}) == 1 else None
        if amount is not None and not purchase_words_in(store, store.fold(task)):
            amount = None  # a sum that is no purchase (「費用刪減10萬元」) stays with its own clause
        clauses = _clauses(task)
        if whole and task not in clauses:
            clauses = [task, *clauses]
        for clause in clauses:
            try:
                clause_amount = None if find_amounts(clause) else amount
                found = find(store, clause, unit, amount=clause_amount, limit=5)
            except ApprovalError:  # a clause that is all amount, or too long to be a task
                continue
            route_answers = whole and clause == task and found["status"] == "answered"
            for position, match in enumerate(found["matches"]):
                if match.get("amount_fit") == "outside":
                    continue
                # What also tells is how much of a row's own task text the clause contains
                # (公務車輛統一調派 in a 車輛 directive).
                # Not a row about the opposite case (不派員參加 holds every word of 派員參加 but 不).
                contradicted = match["score_parts"].get("contradiction", 0.0) > 0
                contained = 0.0 if contradicted else round(100 * match["score_parts"].get("precision", 0.0), 1)
                match.pop("matching")
                # A clause is held to the bar of a query without a unit: the clerk did not choose
                # the unit for this clause, the meeting did, and many clauses are only context.
                clears = match["score"] >= MIN_ROUTE_SCORE and match["score_parts"].get("cover", 1.0) >= MIN_COVER
                clears = clears or (route_answers and position == 0)
                if not (clears or contained >= MIN_CONTAINED):
                    continue
                match["query_score"] = match["score"]
                match["score"] = max(match["score"], contained)
                match["clause"] = clause
                line = match["source_line"]
                if line not in best or match["score"] > best[line]["score"]:
                    best[line] = match
        fit_order = {"inside": 0, None: 1, "partial": 2}
        return sorted(best.values(), key=lambda m: (-m["score"], fit_order.get(m.get("amount_fit"), 1)))

    routed = route_items(record, matcher, min_score=0.0)
    return replace(routed, items=[_with_split_note(store, item) for item in routed.items])


def _with_split_note(store: Store, item):
    """A directive to one or two units whose task route answers with choose_one (the table splits
    it: 政策性 / 不屬「政策性」的情形, 督導 / 配合) and whose suggestions include those parts: the note
    says to choose, with each part's decider, in every format (plain, JSON match_note, CSV 說明).
    Route's own rule decides, so triage and route never disagree on what is a choice."""
    if item.kind != "directive" or not item.task or not item.units or len(item.units) > 2 or len(item.matches) < 2:
        return item
    notes = []
    for unit in item.units:
        suggested = {match["id"] for match in item.matches if match.get("for_unit") == unit}
        try:
            result = route(store, item.task, unit)
        except ApprovalError:
            continue
        choices = result.get("choices") or []
        if result.get("status") != "choose_one" or len(suggested & {c["id"] for c in choices}) < 2:
            continue
        parts = [f"{c['deciding_words']} → {role_display(c['final_approver'])}（{c['id']}）" for c in choices]
        notes.append("原表把這件事分成幾種情形，請依實際情形選擇：" + "；".join(parts))
    if not notes:
        return item
    return replace(item, match_note="；".join(n for n in (item.match_note, *notes) if n))
