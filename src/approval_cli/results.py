"""The JSON contract: what each command's `--json` (and the library API, and the web API) returns.

These TypedDicts are the contract itself. core builds plain dicts of these shapes (no pydantic on
the lookup path); `approval schema` publishes them as JSON Schema (pydantic, imported only there);
tests/test_results.py validates real outputs against them, unknown keys refused.
"""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict
from typing_extensions import TypedDict  # pydantic needs it for TypedDicts before Python 3.12


def with_config(config: ConfigDict):
    """Give a TypedDict pydantic config (pydantic.with_config exists only from 2.7; the attribute
    it sets is what every pydantic 2 reads)."""

    def apply(cls):
        cls.__pydantic_config__ = config
        return cls

    return apply


_STRICT = ConfigDict(extra="forbid")

Action = Literal["擬辦", "陳核", "核定"]
Table = Literal["甲", "乙", "機關共同乙"]
RouteStatus = Literal[
    "answered", "choose_one", "no_final_approver", "no_row_in_unit", "needs_amount", "amount_outside_bands"
]


@with_config(_STRICT)
class Step(TypedDict):
    role: str | None  # null: the header names no role at this column
    action: Action
    column: int | None  # null: a step a condition added (向上陳核, 由組長核定)


@with_config(_STRICT)
class Band(TypedDict):
    min: int | None  # inclusive NT$, null = open
    max: int | None


@with_config(_STRICT)
class Condition(TypedDict):
    kind: Literal["waiver", "cosign", "escalation", "delegation", "scope", "other"]
    text: str
    threshold: int | None
    unit: str | None
    role: str | None
    triggers: list[str]


@with_config(_STRICT)
class Warning(TypedDict):
    flag: str
    severity: Literal["warning", "notice"]
    message: str


@with_config(_STRICT)
class Entry(TypedDict):
    id: str
    unit: str
    table: Table
    item: str
    content: str
    business: str | None
    chain: list[Step]
    final_approver: str | None
    cosign: list[str]
    notes: list[str]
    amount_range: Band | None
    conditions: list[Condition]
    flags: list[str]
    source_line: int
    warnings: list[Warning]


class _Scored(TypedDict):
    score: float
    matched: list[str]
    score_parts: dict[str, float]


@with_config(_STRICT)
class ScoredEntry(Entry, _Scored):
    pass


class _FindExtra(TypedDict):
    amount_fit: Literal["inside", "partial", "outside"] | None
    matching: bool


@with_config(_STRICT)
class FindMatch(ScoredEntry, _FindExtra):
    pass


class _Labelled(TypedDict):
    label: Literal["related", "not_matching"]


@with_config(_STRICT)
class LabelledEntry(ScoredEntry, _Labelled):
    pass


class _Note(TypedDict):
    note: str


@with_config(_STRICT)
class Reference(ScoredEntry, _Note):
    pass


# The amount as understood (value null for a band written in the query, 逾15萬元、50萬元以下);
# "from" is a Python keyword, so the functional form.
Amount = with_config(_STRICT)(
    TypedDict(
        "Amount",
        {"value": int | None, "min": int | None, "max": int | None, "display": str,
         "from": Literal["option", "query"] | None, "text": str | None},
    )
)  # fmt: skip


@with_config(_STRICT)
class Source(TypedDict):
    title: str | None
    effective_date: str | None
    effective_date_roc: str | None
    references: dict[str, str]


@with_config(_STRICT)
class ConditionWord(TypedDict):
    word: str
    trigger: str
    negated: bool


@with_config(_STRICT)
class Synonym(TypedDict):
    typed: str
    word: str
    table: list[str]


@with_config(_STRICT)
class Correction(TypedDict):
    typed: str
    read_as: list[str]


@with_config(_STRICT)
class Understood(TypedDict):
    unit: str | None
    unit_from: Literal["option", "text"] | None
    unit_text: str | None
    other_unit_text: str | None  # another unit named in the text; the chosen unit was used
    task: str
    purchase: bool
    conditions: list[ConditionWord]
    synonyms: list[Synonym]
    corrections: list[Correction]


@with_config(_STRICT)
class FindResult(TypedDict):
    query: str
    unit: str | None
    amount: int | None
    amount_parsed: Amount | None
    status: Literal["answered", "no_match"]
    understood: Understood
    matches: list[FindMatch]
    source: Source


@with_config(_STRICT)
class Waived(TypedDict):
    unit: str
    reason: str


@with_config(_STRICT)
class Conditional(TypedDict):
    unit: str | None
    condition: str


@with_config(_STRICT)
class Evaluated(TypedDict):
    kind: str
    text: str
    applied: bool
    outcome: str


@with_config(_STRICT)
class Choice(TypedDict):
    id: str
    source_line: int
    content: str
    business: str | None
    deciding_words: str
    final_approver: str | None
    chain: list[Step]
    score: float
    rule: str | None  # the delegation note, for the 其餘案件 part
    delegated: bool


@with_config(_STRICT)
class RouteResult(TypedDict):
    answered: bool
    status: RouteStatus
    query: str
    unit: str | None
    amount: int | None
    amount_parsed: Amount | None
    understood: Understood
    match: ScoredEntry | None
    final_approver: str | None
    chain: list[Step]
    cosign_required: list[str]
    cosign_waived: list[Waived]
    cosign_conditional: list[Conditional]
    conditions: list[Evaluated]
    conditions_applied: list[Evaluated]
    choices: list[Choice]
    related: list[LabelledEntry]
    alternatives: list[ScoredEntry]
    nearest: list[LabelledEntry]
    references: list[Reference]
    warnings: list[Warning]
    reason: RouteStatus | None
    source: Source


@with_config(_STRICT)
class UnitCount(TypedDict):
    unit: str
    counts: dict[str, int]
    total: int
    flagged: int


DOCUMENTS: dict[str, object] = {"find": FindResult, "route": RouteResult, "units": list[UnitCount]}


def json_schema(name: str) -> dict:
    """The JSON Schema of one command's document (pydantic, imported here only)."""
    from pydantic import TypeAdapter

    return TypeAdapter(DOCUMENTS[name]).json_schema()


def validate(name: str, document: object) -> None:
    """Raise pydantic.ValidationError when a document does not keep the contract."""
    from pydantic import TypeAdapter

    TypeAdapter(DOCUMENTS[name]).validate_python(document, strict=False)
