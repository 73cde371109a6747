"""What the schema cannot say about a catalogue: checked at load (hard errors) and by `lint`.

Hard errors stop the load with exit 2 and name the entry and the field: duplicate ids, bands
that are negative, reversed, open at both ends or beyond any amount, unknown roles, integers
out of range, no entries at all. Each would otherwise give a wrong answer quietly (a band max
of -1 used to read as "no upper limit").

Soft findings are reported by `approval lint` and leave the catalogue usable: bands of one
unit's task that overlap, units nobody knows, rows whose 核定 is missing or disagrees with
final_approver without the parser's flag saying so.

Plain dicts in, no pydantic, so lint on a cached store imports nothing heavy.
"""

from __future__ import annotations

from collections.abc import Iterable

from approval_cli.catalogue.roles import ROLE_RANK
from approval_cli.errors import CatalogueError

MAX_AMOUNT = 10**12  # amounts.MAX_AMOUNT: 1兆; no band or threshold can be above what a query can say
MAX_SOURCE_LINE = 2**31 - 1
MAX_COLUMN = 10_000


def _where(index: int, entry: dict) -> str:
    return f"第 {index + 1} 筆條目（id={entry.get('id', '?')}，原表第 {entry.get('source_line', '?')} 行）"


def _int_in(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


class EntryChecker:
    """Hard checks of validated entries (plain dicts), one at a time, so they can stream."""

    def __init__(self, path: object) -> None:
        self.path = path
        self.seen: dict[str, int] = {}
        self.count = 0

    def fail(self, index: int, entry: dict, field: str, problem: str, hint: str | None = None) -> None:
        raise CatalogueError(
            f"目錄檔 {self.path} 不符合格式：{_where(index, entry)}的欄位 {field}：{problem}。",
            hint or "請修正目錄檔，或用 `approval export` 重新匯出。",
        )

    def check(self, index: int, entry: dict) -> dict:
        self.count += 1
        entry_id = entry.get("id") or ""
        if not entry_id.strip():
            self.fail(index, entry, "id", "編號是空的")
        key = entry_id.strip().upper()  # `show` looks ids up case-insensitively
        if key in self.seen:
            self.fail(index, entry, "id", f"編號 {entry_id} 與第 {self.seen[key] + 1} 筆條目重複")
        self.seen[key] = index
        if not (entry.get("unit") or "").strip():
            self.fail(index, entry, "unit", "單位是空的")
        if not _int_in(entry.get("source_line"), 1, MAX_SOURCE_LINE):
            self.fail(index, entry, "source_line", f"原表行號 {entry.get('source_line')} 不在 1～{MAX_SOURCE_LINE} 之間")
        for number, step in enumerate(entry.get("chain") or []):
            role = step.get("role")
            if role is not None and role not in ROLE_RANK:
                self.fail(index, entry, f"chain.{number}.role", f"不認得的職稱「{role}」", _ROLE_HINT)
            if not _int_in(step.get("column"), 0, MAX_COLUMN):
                self.fail(index, entry, f"chain.{number}.column", f"欄位編號 {step.get('column')} 不在 0～{MAX_COLUMN} 之間")
        final = entry.get("final_approver")
        if final is not None and final not in ROLE_RANK:
            self.fail(index, entry, "final_approver", f"不認得的職稱「{final}」", _ROLE_HINT)
        band = entry.get("amount_range")
        if band is not None:
            low, high = band.get("min"), band.get("max")
            for name, value in (("min", low), ("max", high)):
                if value is not None and not _int_in(value, 0, MAX_AMOUNT):
                    problem = "金額不可為負數" if isinstance(value, int) and value < 0 else "金額超過 1 兆元"
                    self.fail(index, entry, f"amount_range.{name}", f"{problem}（{value}）")
            if low is None and high is None:
                self.fail(index, entry, "amount_range", "級距上下限都是空的", "沒有金額級距的列請寫 amount_range: null。")
            if low is not None and high is not None and low > high:
                self.fail(index, entry, "amount_range", f"下限 {low:,} 大於上限 {high:,}")
        for number, condition in enumerate(entry.get("conditions") or []):
            threshold = condition.get("threshold")
            if threshold is not None and not _int_in(threshold, 0, MAX_AMOUNT):
                self.fail(index, entry, f"conditions.{number}.threshold", f"金額 {threshold} 不在 0～1 兆元之間")
            role = condition.get("role")
            if role is not None and role not in ROLE_RANK:
                self.fail(index, entry, f"conditions.{number}.role", f"不認得的職稱「{role}」", _ROLE_HINT)
        return entry

    def finish(self) -> None:
        if self.count == 0:
            raise CatalogueError(
                f"目錄檔 {self.path} 沒有任何條目（entries 是空的）。",
                "請用 `approval export --format yaml` 產生完整目錄檔。",
            )


_ROLE_HINT = "職稱須為：" + "、".join(ROLE_RANK) + "（秘書長請寫 處長、副秘書長請寫 副處長）。"


def check_entries(entries: Iterable[dict], path: object) -> None:
    checker = EntryChecker(path)
    for index, entry in enumerate(entries):
        checker.check(index, entry)
    checker.finish()


# ---------------------------------------------------------------- lint (soft findings)


def outside_bodies() -> set[str]:
    """Agencies outside the Secretariat a row may be co-signed by (names as triage knows them)."""
    from approval_cli.meetings.record import UNKNOWN_UNIT_FULL_NAMES

    # 國際事務委員會 and 大陸小組 are the City Government's; the built-in table co-signs them.
    return {*UNKNOWN_UNIT_FULL_NAMES, *UNKNOWN_UNIT_FULL_NAMES.values(), "國際事務委員會", "大陸小組"}


def _bounds(band: dict) -> tuple[int, int]:
    low = band["min"] if band["min"] is not None else 0
    high = band["max"] if band["max"] is not None else MAX_AMOUNT
    return low, high


def _clash(first: dict, second: dict) -> bool:
    """Two banded rows of one unit's task that hold the same amount ambiguously.

    One band inside another from a different table is the table's own design (總務組's 乙表
    1萬元以下 小額採購 inside the 機關共同乙 15萬元以下 band): the narrowest band decides. The
    same band twice, bands that overlap in part, or one inside another of the same table are not.
    """
    (a_low, a_high), (b_low, b_high) = _bounds(first["amount_range"]), _bounds(second["amount_range"])
    if max(a_low, b_low) > min(a_high, b_high):
        return False
    nested = (a_low <= b_low and b_high <= a_high) or (b_low <= a_low and a_high <= b_high)
    same = (a_low, a_high) == (b_low, b_high)
    return same or not nested or first["table"] == second["table"]


def _band_text(band: dict) -> str:
    low = f"{band['min']:,}" if band["min"] is not None else ""
    high = f"{band['max']:,}" if band["max"] is not None else ""
    return f"{low}～{high} 元"


def lint_checks(entries: Iterable[dict], metadata: dict) -> list[dict]:
    """Findings a catalogue can load with but a reviewer should see, each naming its row."""
    units = set(metadata.get("units") or [])
    known = units | outside_bodies()
    findings: list[dict] = []

    def add(kind: str, entry: dict, field: str, message: str) -> None:
        findings.append({
            "kind": kind, "id": entry["id"], "unit": entry["unit"], "source_line": entry["source_line"],
            "field": field, "message": message,
        })  # fmt: skip

    tasks: dict[tuple[str, str], list[dict]] = {}
    for entry in entries:
        if entry["unit"] not in units:
            add("unknown_unit", entry, "unit", f"單位「{entry['unit']}」不在 metadata.units 內。")
        for name in entry.get("cosign") or []:
            if name not in known:
                add("unknown_unit", entry, "cosign", f"會辦單位「{name}」不是本處單位，也不是已知的府內機關。")
        for condition in entry.get("conditions") or []:
            name = condition.get("unit")
            if name and name not in known:
                add("unknown_unit", entry, "conditions", f"備考中的單位「{name}」不是本處單位，也不是已知的府內機關。")
        deciding = [step for step in entry.get("chain") or [] if step.get("action") == "核定"]
        final = entry.get("final_approver")
        if (not deciding or final is None) and "no_final_approver" not in (entry.get("flags") or []):
            add("no_final_approver", entry, "final_approver", "此列沒有「核定」，卻沒有標示 no_final_approver。")
        elif deciding and final is not None and deciding[-1].get("role") != final:
            add("final_approver_mismatch", entry, "final_approver",
                f"final_approver「{final}」與流程中核定的「{deciding[-1].get('role')}」不一致。")  # fmt: skip
        if entry.get("amount_range"):
            tasks.setdefault((entry["unit"], entry["item"]), []).append(entry)
    for (_unit, item), rows in tasks.items():
        for i, first in enumerate(rows):
            for second in rows[i + 1 :]:
                if _clash(first, second):
                    add("overlapping_bands", second, "amount_range",
                        f"「{item}」的級距 {_band_text(second['amount_range'])} 與 {first['id']} 的 "
                        f"{_band_text(first['amount_range'])} 重疊，同一金額會落在兩列。")  # fmt: skip
    return findings


def print_checks(findings: list[dict], stream) -> None:
    """The lint section for catalogue checks, plain lines (text already neutralised by the caller)."""
    stream.write(f"\n目錄檔內容檢查：{len(findings)} 項\n")
    for item in findings:
        stream.write(f"・{item['id']}（{item['unit']}，原表第 {item['source_line']} 行）{item['message']}\n")
