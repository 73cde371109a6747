"""The catalogue schema (pydantic, unknown fields forbidden) and loading it with readable errors.

One schema serves the importer (importer.py, scripts/parse_dump.py), the loader, the exports and the tests.
pydantic is imported here, so the hot lookup path avoids this module once a compiled cache
exists (see store.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from approval_cli.catalogue.locate import builtin_path, resolve_path  # noqa: F401 - re-exported
from approval_cli.catalogue.roles import FLAGS, ROLE_ALIASES, ROLE_RANK  # noqa: F401 - part of the schema's vocabulary
from approval_cli.errors import CatalogueError

Action = Literal["擬辦", "陳核", "核定"]
TableKind = Literal["甲", "乙", "機關共同乙"]
ConditionKind = Literal["waiver", "cosign", "escalation", "delegation", "scope", "other"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChainStep(_Model):
    role: str | None = Field(description="Role holding this step; null when the header names no role here")
    action: Action
    column: int = Field(description="0-based tab-separated column of the mark in the source line")


class AmountRange(_Model):
    min: int | None = Field(None, description="inclusive lower bound in NT$, null = open")
    max: int | None = Field(None, description="inclusive upper bound in NT$, null = open")


class Condition(_Model):
    kind: ConditionKind
    text: str
    threshold: int | None = Field(
        None, description="waiver: at or under this amount (NT$) the unit is waived"
    )
    unit: str | None = Field(None, description="waiver/cosign: the unit concerned")
    role: str | None = Field(None, description="escalation/delegation: the role that then decides, if named")
    triggers: list[str] = Field(default_factory=list, description="words in a task that make it apply")


class Entry(_Model):
    id: str
    unit: str
    table: TableKind
    item: str
    content: str
    business: str | None = None
    chain: list[ChainStep]
    final_approver: str | None
    cosign: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    amount_range: AmountRange | None = None
    conditions: list[Condition] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)
    source_line: int
    raw: str = Field("", description="the source line as it stands in the dump (tabs kept)")


class PageLayout(_Model):
    page: int
    unit: str
    title_line: int
    columns: dict[int, str] = Field(description="0-based column → role, as used for this page's rows")
    method: str = Field(
        description="how the layout was chosen: which header line or page, checked against data"
    )
    violations: int = Field(description="data marks on this page the chosen layout could not place cleanly")


class Metadata(_Model):
    title: str
    source_file: str
    source_sha256: str
    effective_date: str = Field(description="ISO date the table took effect")
    effective_date_roc: str = Field(description="as written in the source (民國)")
    references: dict[str, str] = Field(description="表別 → 文號 (甲表核定 / 乙表同意備查)")
    units: list[str] = Field(description="units in source order")


class VocabularyData(_Model):
    """How this office's clerks name its units, outside bodies and tasks (data/vocabulary.yaml)."""

    unit_codes: dict[str, str] = Field(
        default_factory=dict,
        exclude=True,  # read by the importer only: the ids it makes carry them into the catalogue
        description="unit → the ASCII code of its ids (總務組: GA → GA-001); others get U1, U2, …",
    )
    unit_aliases: dict[str, str] = Field(default_factory=dict, description="short form → unit")
    outside_bodies: dict[str, str] = Field(
        default_factory=dict, description="a body outside the table → the unit that supervises it"
    )
    collective_units: dict[str, list[str]] = Field(
        default_factory=dict, description="各組室 → units; [\"*\"] = every unit"
    )
    own_unit_words: list[str] = Field(default_factory=list, description="本組, 本室: the reporting unit")
    role_aliases: dict[str, str] = Field(default_factory=dict, description="title users say → role")
    layers: dict[str, str | None] = Field(
        default_factory=dict, description="decision layer → role; null = the unit's own head"
    )
    purchase_words: list[str] = Field(default_factory=list, description="買, 採購, 租賃, 委外: a purchase")
    purchase_topics: list[str] = Field(
        default_factory=list, description="稽核, 卷宗: after a purchase word, a topic (採購稽核), not a purchase"
    )
    question_words: list[str] = Field(
        default_factory=list, description="誰核定, 簽要跑到哪裡: what the clerk asks, not the task"
    )
    generic_words: list[str] = Field(
        default_factory=list, description="同仁, 員工: words any task may mention; they weigh like 的 and 請"
    )
    condition_synonyms: dict[str, str] = Field(
        default_factory=dict, description="clerk word → trigger word of the table's notes"
    )
    thesaurus: dict[str, list[str]] = Field(
        default_factory=dict, description="clerk word → the table's words for the same thing"
    )


class Catalogue(_Model):
    metadata: Metadata
    vocabulary: VocabularyData | None = None
    pages: list[PageLayout] = Field(default_factory=list)
    entries: list[Entry]


# ---------------------------------------------------------------- loading


def parse_document(raw: bytes | list[bytes], path: Path | str) -> object:
    """A catalogue file's bytes as plain data: size-bounded, YAML aliases bounded, errors in words.

    Given as a one-item list, the bytes are taken out of it, so they are freed once decoded."""
    return _parse_text(decode_document(raw, path), path)


def _parse_text(text: str, path: Path | str) -> object:
    is_json = _is_json(text, path)
    with parse_errors(path, "JSON" if is_json else "YAML"):
        if is_json:
            return json.loads(text)
        return _load_yaml(text, path)


def decode_document(raw: bytes | list[bytes], path: Path | str) -> str:
    """The file's bytes as text (UTF-8, a BOM dropped); refused when empty or not UTF-8."""
    if isinstance(raw, list):
        raw = raw.pop()
    try:
        text = raw.decode("utf-8-sig")
        del raw  # a large catalogue should not be held twice while it is parsed
    except UnicodeDecodeError as exc:
        raise CatalogueError(
            f"目錄檔 {path} 不是 UTF-8 編碼（第 {exc.start} 位元組無法解碼）。", "請以 UTF-8 另存後再試。"
        ) from None
    if not text.strip():
        raise CatalogueError(
            f"目錄檔 {path} 是空的。", "請用 `approval export --format yaml` 產生完整目錄檔。"
        )
    return text


def _is_json(text: str, path: Path | str) -> bool:
    return Path(str(path)).suffix.lower() == ".json" or text.lstrip().startswith(("{", "["))


@contextlib.contextmanager
def parse_errors(path: Path | str, kind: str):
    """A parser's exceptions as one-sentence CatalogueErrors."""
    try:
        yield
    except json.JSONDecodeError as exc:
        raise CatalogueError(f"目錄檔 {path} 的 JSON 格式錯誤（第 {exc.lineno} 行）：{exc.msg}。") from None
    except RecursionError:
        raise CatalogueError(
            f"目錄檔 {path} 的 {kind} 巢狀層數太深，不是分層負責明細表的格式。",
            "請用 `approval export` 匯出的格式。",
        ) from None
    except CatalogueError:
        raise
    except ValueError as exc:  # an integer of thousands of digits (Python's int-conversion limit)
        raise CatalogueError(
            f"目錄檔 {path} 含有位數過多的數字，無法讀取（{kind}）。", "請檢查金額與行號欄位。"
        ) from exc
    except Exception as exc:  # yaml.YAMLError and its subclasses
        mark = getattr(exc, "problem_mark", None)
        where = f"（第 {mark.line + 1} 行）" if mark is not None else ""
        raise CatalogueError(
            f"目錄檔 {path} 的 YAML 格式錯誤{where}：{getattr(exc, 'problem', exc)}。"
        ) from None


_JSON_SPACE = re.compile(r"[ \t\n\r]*")  # what json itself skips between tokens


class _StreamedJson:
    """A JSON catalogue laid out as `approval export` writes it (an object whose members before
    "entries" hold "metadata"), read without building every entry at once: the members before
    "entries" are parsed, and the entries are decoded one at a time as they are consumed. A
    50,000-row catalogue's entries never all exist as objects together (they were most of a first
    call's peak memory). Members after the entries are read when the entries run out."""

    def __init__(self, text: str, path: Path | str) -> None:
        self.text, self.path = text, path
        self.decoder = json.JSONDecoder()
        self.head: dict[str, Any] = {}
        self.start = 0

    def skip(self, at: int) -> int:
        return _JSON_SPACE.match(self.text, at).end()

    def read_head(self) -> bool:
        """Parse the members before "entries"; False when the layout is not the exported one (the
        caller then parses the document whole, with json's own messages and semantics)."""
        text, at = self.text, self.skip(0)
        if text[at : at + 1] != "{":
            return False
        at = self.skip(at + 1)
        with parse_errors(self.path, "JSON"):
            while text[at : at + 1] == '"':
                key, at = self.decoder.raw_decode(text, at)
                at = self.skip(at)
                if text[at : at + 1] != ":":
                    return False
                at = self.skip(at + 1)
                if key == "entries":
                    if "metadata" not in self.head or text[at : at + 1] != "[":
                        return False
                    self.start = self.skip(at + 1)
                    return True
                if key in self.head:
                    return False  # a repeated member: json.loads' last-one-wins, on the whole document
                self.head[key], at = self.decoder.raw_decode(text, at)
                at = self.skip(at)
                if text[at : at + 1] != ",":
                    return False
                at = self.skip(at + 1)
        return False

    def empty(self) -> bool:
        return self.text[self.start : self.start + 1] == "]"

    def fail(self, text: str) -> None:
        """What stands here is not JSON the exported layout allows: json's own message for it."""
        json.loads(text)  # raises JSONDecodeError (made a CatalogueError by parse_errors)
        raise CatalogueError(f"目錄檔 {self.path} 的 JSON 結構無法辨識。", "請用 `approval export` 匯出的格式。")

    def entries(self) -> Iterator[Any]:
        """The entries in order; then the members after them, in self.late."""
        text, at = self.text, self.start
        self.late: dict[str, Any] = {}
        with parse_errors(self.path, "JSON"):
            if text[at : at + 1] != "]":
                while True:
                    item, at = self.decoder.raw_decode(text, at)
                    yield item
                    at = self.skip(at)
                    if text[at : at + 1] == ",":
                        at = self.skip(at + 1)
                        continue
                    if text[at : at + 1] == "]":
                        break
                    self.fail(text)
            at = self.skip(at + 1)
            while text[at : at + 1] == ",":
                at = self.skip(at + 1)
                if text[at : at + 1] != '"':
                    self.fail(text)
                key, at = self.decoder.raw_decode(text, at)
                at = self.skip(at)
                if text[at : at + 1] != ":":
                    self.fail(text)
                value, at = self.decoder.raw_decode(text, self.skip(at + 1))
                if key in self.head or key in self.late or key == "entries":
                    raise CatalogueError(f"目錄檔 {self.path} 的「{key}」出現兩次。", "每一項只能寫一次。")
                self.late[key] = value
                at = self.skip(at)
            if text[at : at + 1] != "}" or self.skip(at + 1) != len(text):
                self.fail(text)
        self.text = ""  # the document is read: let it go before the caller moves on


# YAML aliases (*name) reuse a node; a catalogue made of aliases of one big entry expands to
# gigabytes once each reference becomes its own entry. Every node constructed counts, and an
# alias counts the whole subtree it stands for, against a budget proportional to the file:
# a file without aliases never reaches it (each node takes at least one character of text,
# a scalar at most its own length), one that multiplies itself does at once.
def _alias_budget(text: str) -> int:
    return 2 * len(text) + 10_000


def _load_yaml(text: str, path: Path | str) -> object:
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    budget = _alias_budget(text)

    class BoundedLoader(base):  # type: ignore[misc, valid-type]
        spent = 0
        weights: dict[int, int]

        def construct_object(self, node, deep=False):
            if node in self.constructed_objects:  # seen before: this is an alias
                self.spent += _weight(node, self.weights)
            else:
                self.spent += max(1, len(node.value)) if isinstance(node.value, str) else 1
            if self.spent > budget:
                raise CatalogueError(
                    f"目錄檔 {path} 的 YAML 別名（*別名）展開後過大（第 {node.start_mark.line + 1} 行起）。",
                    "目錄檔請勿使用 YAML 錨點與別名（&、*）；`approval export` 匯出的檔案不會用到。",
                )
            return super().construct_object(node, deep)

    loader = BoundedLoader(text)
    loader.weights = {}
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _weight(node, memo: dict[int, int]) -> int:
    """Nodes (and scalar characters) a node stands for, shared subtrees counted at each use.

    Iterative and memoised, so a chain of aliases of aliases costs one pass over distinct nodes.
    """
    stack = [(node, False)]
    while stack:
        current, ready = stack.pop()
        if id(current) in memo:
            continue
        if isinstance(current.value, str):
            memo[id(current)] = max(1, len(current.value))
            continue
        children = [part for child in current.value for part in (child if isinstance(child, tuple) else (child,))]
        if ready:
            # A child still in progress is a recursive alias (&a [*a]): it counts once.
            memo[id(current)] = 1 + sum(memo.get(id(child), 1) for child in children)
        else:
            stack.append((current, True))
            stack.extend((child, False) for child in children if id(child) not in memo)
    return memo[id(node)]


def validate(data: object, path: Path | str) -> Catalogue:
    """Validate plain data against the schema; a list of entries needs metadata it cannot have."""
    if isinstance(data, list):
        raise CatalogueError(
            f"目錄檔 {path} 只有條目清單，缺少 metadata（來源檔、生效日、文號）。",
            "請用 `approval export --format json` 或 `--format yaml` 匯出的完整格式。",
        )
    try:
        catalogue = Catalogue.model_validate(data)
    except ValidationError as exc:
        raise CatalogueError(describe_validation_error(exc, data, path)) from None
    from approval_cli.catalogue.checks import check_entries

    check_entries((entry.model_dump(mode="json") for entry in catalogue.entries), path)
    return catalogue


def describe_validation_error(
    exc: ValidationError, data: object, path: Path | str, within: tuple = (), entry: object = None
) -> str:
    """One paragraph naming the file, the entry (by id and source line when known) and the field.

    `entry` is the offending entry when the caller validated it alone (`within` says where)."""
    first = exc.errors()[0]
    loc = [*within, *first["loc"]]
    where = ".".join(str(part) for part in loc) or "（最上層）"
    entry_note = ""
    if len(loc) >= 2 and loc[0] == "entries" and isinstance(loc[1], int):
        raw = entry
        if raw is None and isinstance(data, dict):
            entries = data.get("entries")
            if isinstance(entries, list) and loc[1] < len(entries):
                raw = entries[loc[1]]
        if isinstance(raw, dict):
            entry_note = (
                f"第 {loc[1] + 1} 筆條目（id={raw.get('id', '?')}，原表第 {raw.get('source_line', '?')} 行）"
            )
        field = ".".join(str(part) for part in loc[2:]) or "（整筆）"
        where = f"{entry_note}的欄位 {field}"
    more = f"；另有 {exc.error_count() - 1} 處錯誤" if exc.error_count() > 1 else ""
    return f"目錄檔 {path} 不符合格式：{where}：{first['msg']}{more}。"


def dump_yaml(catalogue: Catalogue) -> str:
    """The catalogue as YAML, byte-for-byte the same wherever it runs (the pure-Python dumper)."""
    import yaml

    data = catalogue.model_dump(mode="json")
    return yaml.dump(data, Dumper=yaml.SafeDumper, allow_unicode=True, sort_keys=False, width=4096)


def dump_json(catalogue: Catalogue) -> str:
    from approval_cli.output.jsonout import dumps

    return dumps(catalogue.model_dump(mode="json"), indent=1) + "\n"


class _Head(_Model):
    """The catalogue without its entries' schema, so entries can be checked one at a time."""

    metadata: Metadata
    vocabulary: VocabularyData | None = None
    pages: list[PageLayout] = Field(default_factory=list)
    entries: list[Any]  # Any: the same dicts, not validated copies


def load_plain(path: Path, raw: bytes | list[bytes] | None = None) -> tuple[dict, Iterator[dict]]:
    """Metadata and a stream of validated entries as plain dicts, for compiling the lookup store.

    Same checks and messages as load(), but a 50,000-row catalogue never exists as 50,000
    models and their dump at once, and each parsed entry is released once it is consumed; a
    JSON catalogue in the exported layout is not even parsed whole (_StreamedJson).
    `raw` is the file's content when the caller has read it already.
    """
    from approval_cli.catalogue.checks import EntryChecker
    from approval_cli.catalogue.locate import read_catalogue_bytes

    text = decode_document(read_catalogue_bytes(path)[0] if raw is None else raw, path)
    del raw
    streamed = _StreamedJson(text, path) if _is_json(text, path) else None
    if streamed is not None and streamed.read_head():
        del text
        data: Any = {**streamed.head, "entries": []}
        raw_entries: Any = None
    else:
        streamed = None
        data = _parse_text(text, path)
        del text
    if isinstance(data, list):
        validate(data, path)  # raises the list-without-metadata error
    try:
        head = _Head.model_validate(data)
    except ValidationError as exc:
        raise CatalogueError(describe_validation_error(exc, data, path)) from None
    if streamed is None:
        raw_entries = head.entries
        del data, head.entries
    checker = EntryChecker(path)
    if (streamed.empty() if streamed is not None else not raw_entries):
        checker.finish()  # raises: no entries
    metadata = head.metadata.model_dump(mode="json")
    if head.vocabulary is not None:
        metadata["vocabulary"] = head.vocabulary.model_dump(mode="json")

    def checked(index: int, raw: Any) -> dict:
        try:
            entry = Entry.model_validate(raw)
        except ValidationError as exc:
            message = describe_validation_error(exc, None, path, ("entries", index), raw)
            raise CatalogueError(message) from None
        return checker.check(index, entry.model_dump(mode="json"))

    def entries() -> Iterator[dict]:
        if streamed is not None:
            for index, raw in enumerate(streamed.entries()):
                yield checked(index, raw)
            if streamed.late:
                # Members after the entries (vocabulary, pages, or a key the format lacks) are
                # checked as if they stood first; the vocabulary is read by build_store at its end.
                late = {**streamed.head, **streamed.late, "entries": []}
                try:
                    tail = _Head.model_validate(late)
                except ValidationError as exc:
                    raise CatalogueError(describe_validation_error(exc, late, path)) from None
                if tail.vocabulary is not None:
                    metadata["vocabulary"] = tail.vocabulary.model_dump(mode="json")
            return
        for index in range(len(raw_entries)):
            raw, raw_entries[index] = raw_entries[index], None
            yield checked(index, raw)

    return metadata, entries()


def load(path: str | os.PathLike[str] | None = None) -> Catalogue:
    """The whole catalogue as models (export, tests). A file being rewritten in place is read
    again rather than reported broken (see locate.changed_since)."""
    from approval_cli.catalogue.locate import READ_ATTEMPTS, changed_since, read_catalogue_bytes

    resolved = resolve_path(path)
    for attempt in range(READ_ATTEMPTS):
        raw, before = read_catalogue_bytes(resolved)
        try:
            return validate(parse_document(raw, resolved), resolved)
        except CatalogueError:
            if attempt == READ_ATTEMPTS - 1 or not changed_since(resolved, before, len(raw)):
                raise
    raise AssertionError("unreachable")  # pragma: no cover
