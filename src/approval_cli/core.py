"""What each lookup command answers, as JSON-ready dicts. The CLI renders them; tests call them.

The route's contract (README "JSON contract"): query, unit, amount, amount_parsed, match (entry
or null), final_approver and chain after conditions, cosign_required, cosign_waived [{unit,
reason}], cosign_conditional, conditions (each evaluated), conditions_applied, alternatives,
references, warnings, reason (null when answered), source.
"""

from __future__ import annotations

from .amounts import format_amount
from .errors import UsageError
from .match import (
    MAX_KEY,
    MIN_ROUTE_SCORE,
    MIN_SHARE_OF_BEST,
    Hit,
    Query,
    band_holds,
    band_overlaps,
    band_width,
    make_query,
    rank,
    resolve_role,
    resolve_unit,
)
from .roles import ROLE_RANK, flag_message, flag_severity
from .store import Store

MAX_ALTERNATIVES = 3  # other rows of the unit shown beside the answer
# Rows ranked across all units when a unit lacks the task: enough to name five other units.
REFERENCE_POOL = 20

ENTRY_FIELDS = (
    "id", "unit", "table", "item", "content", "business", "chain", "final_approver", "cosign",
    "notes", "amount_range", "conditions", "flags", "source_line",
)  # fmt: skip


def entry_out(store: Store, index: int, hit: Hit | None = None) -> dict:
    entry = store.entries[index]
    out = {name: entry.get(name) for name in ENTRY_FIELDS}
    out["warnings"] = [
        {"flag": code, "severity": flag_severity(code), "message": flag_message(code)}
        for code in entry["flags"]
    ]
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
    """What a route answer is, for scripts: answered, no_final_approver (the row is found but the
    source marks no 核定), or why there is no row (no_row_in_unit, needs_amount, amount_outside_bands)."""
    if result.get("match") is None:
        return result.get("reason") or "no_row_in_unit"
    return "answered" if result.get("final_approver") else "no_final_approver"


def with_status(result: dict) -> dict:
    """The route answer with `answered` (true only when a decider is named) and `status` in front."""
    status = route_status(result)
    return {"answered": status == "answered", "status": status, **result}


def unanswered(result: dict, in_batch: bool = False) -> tuple[str, str | None]:
    """Why a route has no answer, as the one sentence and hint every output uses. A batch line
    cannot take --amount: its hint says to write the amount in the line."""
    reason, unit, amount = result.get("reason"), result.get("unit") or "各單位", result.get("amount_parsed")
    match = result.get("match")
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


def find(
    store: Store, text: str, unit: str | None = None, amount: int | None = None, limit: int = 10
) -> dict:
    unit = resolve_unit(store, unit)
    query = make_query(store, text, amount)
    if not query.terms and query.span is None:
        raise UsageError("請輸入要查的事項。", "例如：approval find 採購 30萬，或 approval find 議員索取資料")
    rows = store.unit_rows(unit) if unit else None
    hits = rank(store, query, rows, limit=limit)
    return {
        "query": query.text,
        "unit": unit,
        "amount": query.amount,
        "amount_parsed": amount_info(query),
        "matches": [_with_fit(store, query, entry_out(store, hit.index, hit), hit.index) for hit in hits],
        "source": source_info(store),
    }


# ---------------------------------------------------------------- route


# A trigger is negated only by a negation ending right before it (不涉及個資, 無爭議, 非重大), not
# by a word that merely contains one (非常重大, 不少爭議): missing an escalation is the worse mistake.
NEGATIONS = ("不涉及", "未涉及", "無涉及", "沒有涉及", "並未涉及", "不涉", "未涉", "無涉", "不含", "未含", "沒有",
             "並無", "非屬", "無", "不", "未", "沒", "非")  # fmt: skip
NOT_NEGATIONS = ("是非",)  # words ending in a negation character that negate nothing


def _triggered(query: Query, triggers: list[str], store: Store) -> list[str]:
    """Trigger words the task mentions somewhere without a negation right before them."""
    negations = [store.fold(word) for word in NEGATIONS]
    exceptions = [store.fold(word) for word in NOT_NEGATIONS]
    text = query.folded
    found = []
    for word in triggers:
        key = store.fold(word)
        at = text.find(key) if key else -1
        while at >= 0:
            before = text[max(0, at - 4) : at]
            negated = any(before.endswith(n) for n in negations) and not any(
                before.endswith(x) for x in exceptions
            )
            if not negated:
                found.append(word)
                break
            at = text.find(key, at + 1)
    return found


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
            role = condition.get("role")
            if hits:
                applied = True
                if role and final and ROLE_RANK.get(role, -1) > ROLE_RANK.get(final, 99):
                    for step in chain:
                        if step["action"] == "核定":
                            step["action"] = "陳核"
                    chain.append({"role": role, "action": "核定", "column": None})
                    final = role
                    outcome = f"描述提到「{'、'.join(hits)}」：改由{role}核定。"
                elif role:
                    outcome = f"描述提到「{'、'.join(hits)}」：由{role}核定。"
                else:
                    outcome = (
                        f"描述提到「{'、'.join(hits)}」：應向上陳核，由{final or '原核定者'}的上一層決定。"
                    )
                    notices.append(("escalation_applied", f"{outcome}表內未寫明由誰決行，請依實際陳核。"))
            else:
                words = "、".join(condition.get("triggers", [])) or "所述情形"
                outcome = f"描述未提到「{words}」，未套用；如有此情形：{note}。"
        elif kind == "delegation":
            role = condition.get("role") or "第二層主管"
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
    hits = [hit for hit in anywhere if store.row_unit[hit.index] != unit]
    if not hits:
        return []
    best = hits[0].score
    seen: set[str] = set()
    out = []
    for hit in hits:
        entry = store.entries[hit.index]
        if hit.score < max(MIN_ROUTE_SCORE, best * MIN_SHARE_OF_BEST) or entry["unit"] in seen:
            continue
        seen.add(entry["unit"])
        ref = entry_out(store, hit.index, hit)
        ref["note"] = f"此列屬於{entry['unit']}，不是{unit}的規定，僅供參考。"
        out.append(ref)
        if len(out) == 5:
            break
    return out


def route_skeleton(store: Store, query: Query, unit: str | None) -> dict:
    """Every field of a route answer, unanswered: route fills it; batch uses it as it is."""
    return {
        "query": query.text,
        "unit": unit,
        "amount": query.amount,
        "amount_parsed": amount_info(query),
        "match": None,
        "final_approver": None,
        "chain": [],
        "cosign_required": [],
        "cosign_waived": [],
        "cosign_conditional": [],
        "conditions": [],
        "conditions_applied": [],
        "alternatives": [],
        "references": [],
        "warnings": [],
        "reason": None,
        "source": source_info(store),
    }


def route(store: Store, text: str | None, unit: str | None, amount: int | None = None) -> dict:
    if not unit:
        raise UsageError("route 需要指定單位。", "例如：approval route --unit 文書組 --amount 30萬")
    unit = resolve_unit(store, unit)
    query = make_query(store, text or "", amount)
    if not query.terms and query.span is None:
        raise UsageError("請描述要辦的事，或給金額。", "例如：approval route --unit 文書組 --amount 300000")
    rows = store.unit_rows(unit)
    result = route_skeleton(store, query, unit)
    unit_hits = rank(store, query, rows, limit=1 + MAX_ALTERNATIVES)
    anywhere: list[Hit] | None = None  # the best rows of every unit, ranked once when needed
    chosen: Hit | None = None
    alternatives: list[Hit] = []
    if not query.terms:
        # Only an amount: the amount-banded task (procurement); the narrowest band wins.
        if unit_hits:
            chosen, alternatives = unit_hits[0], unit_hits[1:]
    elif unit_hits:
        top = unit_hits[0]
        # The unit has the task when its best row comes near the best row of any unit, both ranked
        # with the amount's fit (a unit's 15萬元以下 band beats another's 小額採購 row for 15萬以下).
        # No key exceeds MAX_KEY, so a strong enough row needs no comparison.
        ceiling = MAX_KEY
        if top.key < MIN_SHARE_OF_BEST * ceiling:
            anywhere = rank(store, query, None, limit=REFERENCE_POOL)
            ceiling = anywhere[0].key if anywhere else top.key
        if top.score >= MIN_ROUTE_SCORE and top.key >= MIN_SHARE_OF_BEST * ceiling:
            chosen = top
            alternatives = [h for h in unit_hits[1:] if h.score >= top.score - 10]
    if chosen is not None and (store.bands[chosen.index] or query.span is not None):
        chosen, alternatives, reason = _choose_band(store, query, rows, chosen, alternatives)
        if reason:
            result["reason"] = reason
    if chosen is None:
        result["reason"] = result["reason"] or "no_row_in_unit"
        if anywhere is None:
            anywhere = rank(store, query, None, limit=REFERENCE_POOL)
        result["references"] = _references(store, anywhere, unit)
        result["alternatives"] = [entry_out(store, h.index, h) for h in alternatives]
        return result
    entry = store.entries[chosen.index]
    result["match"] = entry_out(store, chosen.index, chosen)
    evaluated = evaluate_conditions(store, query, entry)
    condition_warnings = evaluated.pop("condition_warnings")
    result.update(evaluated)
    result["alternatives"] = [entry_out(store, h.index, h) for h in alternatives]
    result["warnings"] = result["match"]["warnings"] + condition_warnings
    return result


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
    role = resolve_role(approver) if approver else None
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
        entries = [e for e in store.entries if e["unit"] == unit]
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
    line = re.fullmatch(r"(?:原表)?第?L?(\d+)行?", wanted)
    if line:
        number = int(line.group(1))
        return next((i for i, e in enumerate(store.entries) if e["source_line"] == number), None)
    found = re.fullmatch(r"([A-Z]+)0*(\d+)", wanted)
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
    return {"flagged": flagged, "differences": differences, "source": source_info(store)}


# ---------------------------------------------------------------- triage


def triage_record(store: Store, data: bytes):
    """Meeting minutes → directives, each routed through the same ranking as `find`."""
    from .errors import ApprovalError
    from .triage import parse_record, read_record_bytes, route_items

    record = parse_record(read_record_bytes(data))

    def matcher(task: str, unit: str | None) -> list[dict]:
        try:
            matches = find(store, task, unit, limit=10)["matches"]
        except ApprovalError:  # a task that is all amount, or too long to be a task
            return []
        # A directive is a long sentence, so little of it is covered by any row; what tells is how
        # much of a row's own task text the sentence contains (公務車輛統一調派 in a 車輛 directive).
        for match in matches:
            match["query_score"] = match["score"]
            match["score"] = max(match["score"], round(100 * match["score_parts"].get("precision", 0.0), 1))
        return sorted(matches, key=lambda m: -m["score"])

    return route_items(record, matcher, min_score=MIN_ROUTE_SCORE)
