"""A 分層負責明細表 text dump → the catalogue, deterministically (`approval import`, scripts/parse_dump.py).

The dump is a lossy PDF extraction (see ../shared/DOMAIN.md). Header rows differ page by page,
so each page's column→role layout is chosen among candidates (each header line as written,
the header's roles packed side by side, the same unit's other pages) by how well the page's own
marks fit it. A row that still breaks a rule is kept, mapped by the best evidence and flagged.
A line the parser cannot account for stops the parse with its line number: no partial catalogue.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from approval_cli.catalogue.roles import (
    CITY_RANK,
    CITY_TOP,
    ROLE_RANK,
    SECTION_HEAD_RANK,
    UNIT_HEAD_RANK,
    role_of,
    role_rank,
)
from approval_cli.catalogue.schema import (
    AmountRange,
    Catalogue,
    ChainStep,
    Condition,
    Entry,
    Metadata,
    PageLayout,
    VocabularyData,
)
from approval_cli.errors import ApprovalError
from approval_cli.text.amounts import parse_amount_range, parse_threshold_clause
from approval_cli.text.normalize import clean_text

TABLE_KINDS = ("甲", "乙", "機關共同乙")
MARKS = {"擬辦": "擬辦", "V": "陳核", "v": "陳核", "√": "陳核", "核定": "核定"}
FIRST_ROLE_COLUMN = 4  # 表別 | 公務項目 | 公務內容 | 業務名稱 come first
# 「臺北市政府秘書處(總務組)分層負責明細表 …」, 「臺北市政府觀光傳播局（企劃科）分層負責明細表」: the agency
# and the unit come from the page title (whitespace removed first); 「臺北市府」 is a typo the seed has.
TITLE_RE = re.compile(
    r"^[臺台]北市(?:政)?府(?P<agency>[^()（）]+?)[(（](?P<unit>[^()（）]+)[)）]分層負責明細表"
)
TITLE_FORM = "臺北市政府○○(單位)分層負責明細表"
# Header cells that are labels, not roles: anything else in a header's role columns that is not a
# known title stops the parse (a layout is never guessed around a title the parser does not know).
HEADER_LABEL_RE = re.compile(
    r"^(?:襄助核稿|府|[一二三四]級機關|會辦機關[(（]?單位[)）]?|會辦單位|備考|陳核流程|擬辦|[Vv√]|核定)$"
)
EXTERNAL_UNIT_RE = re.compile(r"^[\u4e00-\u9fff]{1,10}?(?:組|科|室|處|局|委員會|小組|中心)$")
# Words too general to tell a task apart; a condition trigger made of them alone means nothing.
GENERIC_WORDS = ("業務", "事項", "政策", "規範", "內容", "案件")


class DumpError(ApprovalError):
    """The dump has a line the parser cannot account for (exit 2); the message names the line."""


@dataclass
class Row:
    line_no: int
    raw: str
    cells: list[str]

    @property
    def marks(self) -> list[tuple[int, str]]:
        return [(col, MARKS[c.strip()]) for col, c in enumerate(self.cells) if c.strip() in MARKS]


@dataclass
class Page:
    number: int
    agency: str
    unit: str
    title_line: int
    title: str
    header: list[Row] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)


# ---------------------------------------------------------------- reading the dump


def split_pages(text: str) -> list[Page]:
    pages: list[Page] = []
    current: Page | None = None
    for line_no, raw in enumerate(text.split("\n"), start=1):
        raw = raw.rstrip("\r")
        cells = raw.split("\t")
        first = cells[0].strip()
        if not raw.strip():
            continue
        title = TITLE_RE.match("".join(first.split()))
        if title:
            current = Page(len(pages) + 1, title["agency"], title["unit"], line_no, first)
            if pages and current.agency != pages[0].agency:
                raise DumpError(
                    f"第 {line_no} 行：頁首的機關「{current.agency}」與第 {pages[0].title_line} 行的"
                    f"「{pages[0].agency}」不同；一份明細表只能屬於一個機關。"
                )
            pages.append(current)
            continue
        if current is None:
            raise DumpError(f"第 {line_no} 行：在第一個頁首（{TITLE_FORM}）之前就有內容。")
        row = Row(line_no, raw, cells)
        if first in TABLE_KINDS:
            current.rows.append(row)
        elif not current.rows and (first in ("", "表別")):
            current.header.append(row)
        else:
            raise DumpError(
                f"第 {line_no} 行：無法歸類的資料列（第一欄「{first[:20]}」不是表別 甲/乙/機關共同乙，也不在表頭）。"
            )
    return pages


def header_roles(line: Row) -> dict[int, str]:
    """Roles a header line names, by column; 「襄助核稿」 is a label, never a role of its own.

    A cell that is neither a known title (roles.ROLE_RANK) nor a header label stops the parse."""
    roles: dict[int, str] = {}
    for col, cell in enumerate(line.cells):
        name = "".join(cell.split())
        if col < FIRST_ROLE_COLUMN or not name:
            continue
        role = role_of(name)
        if role is not None:
            roles[col] = role
        elif not HEADER_LABEL_RE.match(name):
            titles = "、".join(title for title in ROLE_RANK if "、" not in title)
            raise DumpError(
                f"第 {line.line_no} 行（表頭）第 {col + 1} 欄「{cell.strip()[:20]}」不是認得的職稱，無法對應欄位。",
                f"認得的職稱：{titles}（可寫「襄助核稿」）。",
            )
    return roles


def is_ladder(layout: dict[int, str]) -> bool:
    ranks = [role_rank(role) for _, role in sorted(layout.items())]
    return all(a < b for a, b in pairwise(ranks))


def packed(roles: dict[int, str], start: int) -> dict[int, str]:
    ordered = sorted(roles.items(), key=lambda item: (role_rank(item[1]), item[0]))
    return {start + i: role for i, (_, role) in enumerate(ordered)}


def header_candidates(page: Page) -> list[tuple[str, dict[int, str]]]:
    """Layouts the page's header lines give as written, line by line and merged."""
    candidates: list[tuple[str, dict[int, str]]] = []
    merged: dict[int, str] = {}
    for line in page.header:
        roles = header_roles(line)
        if roles:
            candidates.append((f"表頭第 {line.line_no} 行", roles))
            merged.update(roles)
    if merged:
        candidates.append(("表頭各行合併", merged))
    return candidates


def header_role_names(page: Page) -> dict[int, str]:
    merged: dict[int, str] = {}
    for line in page.header:
        merged.update(header_roles(line))
    return merged


@dataclass(frozen=True)
class Ladder:
    """The agency's own ladder, read off its headers, not named in code: the chief (第一層) is the
    highest header role below 府 (處長 in the Secretariat, 局長 in a 局), the unit head (第二層) is
    each unit's 組長/科長/主任, the section head (第三層) is 股長."""

    chief: str | None
    section_head: str | None
    unit_heads: dict[str, str]

    @property
    def chief_rank(self) -> int:
        return role_rank(self.chief) if self.chief else CITY_RANK - 1

    def layer(self, number: str, unit: str) -> str | None:
        """第一層/第二層/第三層 (一, 二, 三) → the role deciding at that layer in this unit."""
        return {"一": self.chief, "二": self.unit_heads.get(unit), "三": self.section_head}.get(number)

    def layers(self) -> dict[str, str | None]:
        """The vocabulary's `layers` (null = the unit's own head), for a catalogue without them."""
        layers: dict[str, str | None] = {}
        if self.chief:
            layers["第一層"] = self.chief
        layers["第二層"] = None
        if self.section_head:
            layers["第三層"] = self.section_head
        return layers


def most_common(roles: Iterable[str]) -> str | None:
    counts: dict[str, int] = {}
    for role in roles:
        counts[role] = counts.get(role, 0) + 1
    return max(counts, key=lambda role: counts[role]) if counts else None  # first of equals


def read_ladder(pages: list[Page]) -> Ladder:
    named = [role for page in pages for role in header_role_names(page).values()]
    below_city = [role for role in named if role_rank(role) < CITY_RANK]
    top = max((role_rank(role) for role in below_city), default=None)
    chief = most_common(role for role in below_city if role_rank(role) == top)
    section_head = most_common(role for role in named if role_rank(role) == SECTION_HEAD_RANK)
    unit_heads: dict[str, str] = {}
    for unit in dict.fromkeys(page.unit for page in pages):
        head = most_common(
            role
            for page in pages
            if page.unit == unit
            for role in header_role_names(page).values()
            if role_rank(role) == UNIT_HEAD_RANK
        )
        if head:
            unit_heads[unit] = head
    return Ladder(chief=chief, section_head=section_head, unit_heads=unit_heads)


def row_violations(row: Row, layout: dict[int, str], chief_rank: int) -> int:
    """Marks the layout cannot place, plus a 乙 row decided above the chief (乙 is decided in-house)."""
    count = sum(1 for col, _ in row.marks if col not in layout)
    if row.cells[0].strip() != "甲":
        for col, action in row.marks:
            if action == "核定" and col in layout and role_rank(layout[col]) > chief_rank:
                count += 1
    return count


def choose_layouts(pages: list[Page], chief_rank: int) -> dict[int, PageLayout]:
    by_unit: dict[str, list[Page]] = {}
    for page in pages:
        by_unit.setdefault(page.unit, []).append(page)
    written = {page.number: header_candidates(page) for page in pages}
    chosen: dict[int, PageLayout] = {}
    for page in pages:
        # Order matters: min() below keeps the first of equals, so the page's own, most literal
        # reading wins ties, and a reading that moves every mark one column comes last.
        candidates = list(written[page.number])
        names = header_role_names(page)
        if names:
            candidates.append(("表頭職稱依序排列（自第 5 欄起）", packed(names, FIRST_ROLE_COLUMN)))
        for other in by_unit[page.unit]:
            if other.number != page.number:
                candidates += [
                    (f"同單位第 {other.number} 頁{how}", lay) for how, lay in written[other.number]
                ]
        if names:
            candidates.append(
                (
                    "表頭職稱依序排列（自第 6 欄起：本頁資料整體右移一欄）",
                    packed(names, FIRST_ROLE_COLUMN + 1),
                )
            )
        if not names:
            lines = [line.line_no for line in page.header]
            where = "沒有表頭"
            if lines:
                span = f"{lines[0]}–{lines[-1]}" if len(lines) > 1 else f"{lines[0]}"
                where = f"表頭（第 {span} 行）"
            raise DumpError(
                f"第 {page.title_line} 行的頁首（{page.unit}）之下，{where}沒有任何認得的職稱，無法對應欄位。",
                "每頁的表頭要寫出陳核流程各欄的職稱（承辦人員、股長……）。",
            )
        candidates = [(how, lay) for how, lay in candidates if lay and is_ladder(lay)]
        if not candidates:
            raise DumpError(
                f"第 {page.header[-1].line_no} 行（{page.unit}的表頭）：職稱的順序不是由低到高，無法對應欄位。"
            )
        how, layout = min(
            candidates, key=lambda c: sum(row_violations(r, c[1], chief_rank) for r in page.rows)
        )
        chosen[page.number] = PageLayout(
            page=page.number,
            unit=page.unit,
            title_line=page.title_line,
            columns=dict(sorted(layout.items())),
            method=how,
            violations=sum(row_violations(r, layout, chief_rank) for r in page.rows),
        )
    return chosen


# ---------------------------------------------------------------- one row


def map_chain(
    row: Row, layout: dict[int, str], table: str, ladder: Ladder
) -> tuple[list[ChainStep], list[str]]:
    """The row's marks as chain steps in column order, and the anomaly flags it raised."""
    flags: list[str] = []
    marks = row.marks
    columns = sorted(layout)
    roles = {col: layout.get(col) for col, _ in marks}

    unnamed_on_purpose: set[int] = set()
    past = [col for col, _ in marks if col > columns[-1]]
    if (
        table == "甲"
        and len(past) == 1
        and marks[-1] == (past[0], "核定")
        and past[0] == columns[-1] + 1
        and layout[columns[-1]] == CITY_TOP
    ):
        # 甲 is decided at 府 level: the 核定 one column past 市長 is read as 市長's, and the
        # 陳核 mark in the header's 市長 column as a 府-level step the header does not name.
        roles[columns[-1]] = None
        roles[past[0]] = CITY_TOP
        unnamed_on_purpose.add(columns[-1])
        flags.append("extra_column_past_last_role")
    elif table != "甲" and any(
        action == "核定" and roles[col] and role_rank(roles[col]) > ladder.chief_rank for col, action in marks
    ):
        flags.append("yi_decided_above_chief")
        shifted = {col: layout.get(col - 1) for col, _ in marks}
        chief = next((col for col, role in layout.items() if role == ladder.chief), None)
        if all(shifted.values()):
            # Read as shifted one column right, the known artifact of this dump.
            roles = shifted
        elif chief is not None and marks[-1] == (chief + 1, "核定"):
            # As for 甲 above: 乙 is decided in-house, so the 核定 is the chief's (處長's) and
            # the mark in the chief's own column a step the header does not name.
            roles[chief] = None
            roles[chief + 1] = ladder.chief
            unnamed_on_purpose.add(chief)
    if any(role is None and col not in unnamed_on_purpose for col, role in roles.items()):
        flags.append("mark_outside_layout")

    chain = [ChainStep(role=roles[col], action=action, column=col) for col, action in marks]
    actions = [step.action for step in chain]
    if "擬辦" not in actions:
        flags.append("no_draft")
    elif chain[0].action == "擬辦" and chain[0].role not in (None, layout[columns[0]]):
        flags.append("draft_not_by_clerk")
    if "核定" not in actions:
        flags.append("no_final_approver")
    elif actions.index("核定") != len(actions) - 1:
        flags.append("mark_after_final")
    return chain, flags


def split_units(text: str, known: Iterable[str]) -> list[str] | None:
    """「總務組會計室政風室」 and 「總務組 會計室 政風室」 alike → units; None if it is not a unit list."""
    known = sorted(known, key=len, reverse=True)
    units: list[str] = []
    for token in text.split():
        rest = token
        while rest:
            name = next((k for k in known if rest.startswith(k)), None)
            if name is None:
                if not EXTERNAL_UNIT_RE.match(rest):
                    return None
                name = rest
            units.append(name)
            rest = rest[len(name) :]
    return units or None


def triggers_of(topic: str, item: str) -> list[str]:
    """Words whose presence in a task makes a condition apply: 「重大或爭議事項」 → 重大, 爭議."""
    words: list[str] = []
    for part in re.split(r"[或、及與]", topic):
        for generic in GENERIC_WORDS:
            part = part.replace(generic, "")
        if not part:
            continue
        if len(part) == 4:
            # 「章戳銷毀」 on a 章戳管理 row: 章戳 is the row's own subject, 銷毀 is what triggers.
            halves = [half for half in (part[:2], part[2:]) if half not in item]
            words += [part, *halves] if len(halves) == 1 else [part]
        else:
            words.append(part)
    return list(dict.fromkeys(words))


def classify_note(note: str, item: str, unit: str, ladder: Ladder) -> Condition:
    threshold = parse_threshold_clause(note)
    if threshold is not None:
        amount, clause = threshold
        waived = clause.removeprefix("免會").removeprefix("免")
        return Condition(kind="waiver", text=note, threshold=amount, unit=waived or None)
    cosign = re.match(r"^(?:涉及)?(?P<topic>.+?)(?:者)?[，,]?需會辦(?:本[處局])?(?P<unit>.+)$", note)
    if cosign:
        return Condition(
            kind="cosign", text=note, unit=cosign["unit"], triggers=triggers_of(cosign["topic"], item)
        )
    escalation = re.match(
        r"^(?P<topic>.*?)涉及(?P<what>.+?)(?:者|事項)?[，,](?:向上陳核|由(?P<role>.+?)核定)$", note
    )
    if escalation:
        return Condition(
            kind="escalation",
            text=note,
            role=escalation["role"],
            triggers=triggers_of(escalation["what"], item),
        )
    delegation = re.search(r"授權由第(?P<layer>[一二三])層決行", note)
    if delegation:
        role = ladder.layer(delegation["layer"], unit)
        return Condition(kind="delegation", text=note, role=role)
    if re.fullmatch(r"[\u4e00-\u9fff、]+業務", note):
        return Condition(kind="scope", text=note)
    return Condition(kind="other", text=note)


def build_entry(
    row: Row, unit: str, entry_id: str, layout: dict[int, str], known_units: list[str], ladder: Ladder
) -> Entry:
    cells = row.cells + [""] * max(0, 4 - len(row.cells))
    table = cells[0].strip()
    item, content = clean_text(cells[1]), clean_text(cells[2])
    business = clean_text(cells[3]) or None
    chain, flags = map_chain(row, layout, table, ladder)

    cosign: list[str] = []
    notes: list[str] = []
    for col, cell in enumerate(cells):
        text = clean_text(cell)
        if col < FIRST_ROLE_COLUMN or not text or cell.strip() in MARKS:
            continue
        units = split_units(cell.strip(), known_units)
        if units is not None:
            cosign += [u for u in units if u not in cosign]
        else:
            notes.append(text)

    conditions = [classify_note(note, item, unit, ladder) for note in notes]
    amount = parse_amount_range(content) or (parse_amount_range(business) if business else None)
    final = next((step.role for step in chain if step.action == "核定"), None)
    return Entry(
        id=entry_id,
        unit=unit,
        table=table,  # type: ignore[arg-type]
        item=item,
        content=content,
        business=business,
        chain=chain,
        final_approver=final,
        cosign=cosign,
        notes=notes,
        amount_range=AmountRange(min=amount[0], max=amount[1]) if amount else None,
        conditions=conditions,
        flags=flags,
        source_line=row.line_no,
        raw=row.raw,
    )


# ---------------------------------------------------------------- the whole dump


def roc_to_iso(roc: str) -> str:
    year, month, day = (int(part) for part in roc.split("."))
    return f"{year + 1911:04d}-{month:02d}-{day:02d}"


def metadata_from_titles(pages: list[Page], source_name: str, sha256: str) -> Metadata:
    references: dict[str, str] = {}
    dates: set[str] = set()
    for page in pages:
        compact = page.title.replace(" ", "")
        for kind, date, ref in re.findall(r"(甲表|乙表)-(\d+\.\d+\.\d+)(府\S+?號(?:核定|同意備查))", compact):
            references.setdefault(kind, ref)
            dates.add(date)
    if len(dates) != 1:
        raise DumpError(
            f"第 {pages[0].title_line} 行起的頁首：生效日期不一致或找不到（{'、'.join(sorted(dates)) or '無'}）。",
            "頁首應寫「甲表-112.9.21府…號核定」或「乙表-112.9.21府…號同意備查」。",
        )
    roc = dates.pop()
    return Metadata(
        title=f"臺北市政府{pages[0].agency}分層負責明細表",
        source_file=source_name,
        source_sha256=sha256,
        effective_date=roc_to_iso(roc),
        effective_date_roc=roc,
        references=references,
        units=list(dict.fromkeys(page.unit for page in pages)),
    )


def header_has_marks(page: Page) -> bool:
    """A header line that carries a data row's marks (媒體事務組 p.1): not a row, only noted."""
    return any(line.marks for line in page.header)


def read_vocabulary(path: Path | None) -> VocabularyData | None:
    """The office's vocabulary file, validated against the catalogue schema (None: no file)."""
    if path is None or not path.exists():
        return None
    import yaml
    from pydantic import ValidationError

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return VocabularyData.model_validate(data)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"（第 {mark.line + 1} 行）" if mark is not None else ""
        raise ApprovalError(f"詞彙檔 {path} 的 YAML 格式錯誤{where}：{getattr(exc, 'problem', exc)}。") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "（最上層）"
        raise ApprovalError(f"詞彙檔 {path} 不符合格式：{where}：{first['msg']}。") from None


def decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DumpError(
            f"第 {line} 行：不是 UTF-8 編碼（第 {exc.start} 位元組無法解碼）。", "請以 UTF-8 另存後再試。"
        ) from None


def import_dump(raw: bytes, source_name: str, vocabulary: VocabularyData | None = None) -> Catalogue:
    """A text dump of a 分層負責明細表 → the catalogue; DumpError naming the line if it cannot.

    The office's words come from `vocabulary` (data/vocabulary.yaml): its `unit_codes` name the
    ids (GA-001); a unit it does not list gets U1, U2, … in source order. Decision layers the
    vocabulary does not give are read off the headers (第一層 = the chief, 第三層 = 股長)."""
    pages = split_pages(decode(raw))
    if not pages:
        raise DumpError(f"找不到任何頁首（{TITLE_FORM}）。")
    ladder = read_ladder(pages)
    layouts = choose_layouts(pages, ladder.chief_rank)
    metadata = metadata_from_titles(pages, source_name, hashlib.sha256(raw).hexdigest())
    known_units = metadata.units
    known_codes = dict(vocabulary.unit_codes) if vocabulary else {}
    codes: dict[str, str] = {}
    for unit in known_units:
        codes[unit] = known_codes.get(unit) or f"U{sum(1 for u in codes if u not in known_codes) + 1}"
    entries: list[Entry] = []
    sequence: dict[str, int] = {}
    for page in pages:
        layout = layouts[page.number].columns
        for index, row in enumerate(page.rows):
            sequence[page.unit] = sequence.get(page.unit, 0) + 1
            entry_id = f"{codes[page.unit]}-{sequence[page.unit]:03d}"
            entry = build_entry(row, page.unit, entry_id, layout, known_units, ladder)
            if index == 0 and header_has_marks(page):
                entry.flags.append("header_marks_ignored")
            entries.append(entry)
    if vocabulary is None:
        vocabulary = VocabularyData(layers=ladder.layers())
    elif not vocabulary.layers:
        vocabulary = vocabulary.model_copy(update={"layers": ladder.layers()})
    return Catalogue(metadata=metadata, vocabulary=vocabulary, pages=list(layouts.values()), entries=entries)
