"""The table's vocabulary: roles in rank order, the titles users say for them, anomaly flags.

Kept free of pydantic so the lookup path can use it without loading the schema.
"""

from __future__ import annotations

# The titles the 臺北市政府 agencies' tables use, lowest to highest: one table for every agency of
# the family, used to read a dump's header row, to check a layout is a ladder, and to compare roles.
# The 襄助核稿 assistants (秘書、視察、專員) share a rank; a page may name them together
# (秘書、視察、專員 / 秘書專員 / 專員秘書), and such a label is kept as the page gives it.
ROLE_RANK = {
    "承辦人員": 0,
    "股長": 1,
    "秘書": 2,
    "視察": 2,
    "專員": 2,
    "秘書、視察、專員": 2,
    "秘書專員": 2,
    "專員秘書": 2,
    "科長": 3,
    "組長": 3,
    "主任": 3,
    "專門委員": 4,
    "主任秘書": 5,
    "副處長": 6,
    "副局長": 6,
    "處長": 7,
    "局長": 7,
    "副市長": 8,
    "市長": 9,
}
SECTION_HEAD_RANK = ROLE_RANK["股長"]  # 第三層
ASSISTANT_RANK = ROLE_RANK["專員"]  # 襄助核稿: 秘書、視察、專員
UNIT_HEAD_RANK = ROLE_RANK["組長"]  # 第二層: 組長, 科長 or 主任
CITY_RANK = ROLE_RANK["副市長"]  # 府 level: above every agency's own chief (第一層)
CITY_TOP = "市長"  # 甲 matters are decided by 府, the last column of a 甲 chain


def role_of(label: str) -> str | None:
    """A header cell as a role, or None: 「襄助核稿 秘書、視察、專員」 → 秘書、視察、專員.

    「襄助核稿」 is a label on a role, never a role of its own. Titles of one rank written
    together (「視察、專員」, 「秘書專員」) are one role, named as the page writes them."""
    name = "".join(label.split()).replace("襄助核稿", "")
    if not name:
        return None
    if name in ROLE_RANK:
        return name
    return name if _compound_rank(name) is not None else None


def role_rank(role: str) -> int:
    """The rank of a role that role_of() accepted."""
    rank = ROLE_RANK.get(role)
    if rank is None:
        rank = _compound_rank(role)
    if rank is None:
        raise KeyError(role)
    return rank


def _compound_rank(name: str) -> int | None:
    """「視察、專員」 or 「秘書專員」: two or more 襄助核稿 assistants' titles, glued or joined by 、."""
    titles = sorted((t for t in ROLE_RANK if "、" not in t), key=len, reverse=True)
    ranks: list[int] = []
    for part in name.split("、"):
        if not part:
            return None
        while part:
            title = next((t for t in titles if part.startswith(t)), None)
            if title is None:
                return None
            ranks.append(ROLE_RANK[title])
            part = part[len(title) :]
    return ASSISTANT_RANK if len(ranks) > 1 and set(ranks) == {ASSISTANT_RANK} else None


# The Secretariat's organisation rules: 處長 is held by the City Government's 秘書長 and
# 副處長 by one of its 副秘書長. Users say either.
# These are the built-in table's; a loaded catalogue's vocabulary (role_aliases) replaces them
# through use_aliases(), so another agency's titles are shown and accepted instead.
ROLE_ALIASES = {"秘書長": "處長", "副秘書長": "副處長"}
ROLE_ALIAS_OF = {canonical: alias for alias, canonical in ROLE_ALIASES.items()}


def use_aliases(aliases: dict[str, str]) -> None:
    """Make these the titles users say for roles (updated in place: importers see the change)."""
    ROLE_ALIASES.clear()
    ROLE_ALIASES.update(aliases)
    ROLE_ALIAS_OF.clear()
    ROLE_ALIAS_OF.update({canonical: alias for alias, canonical in aliases.items()})

# What each anomaly code means, in the words a clerk reads. Severity "warning" means the
# answer itself may be wrong; "notice" means the row reads oddly but the decision is clear.
FLAGS: dict[str, tuple[str, str]] = {
    "no_final_approver": ("warning", "原表此列沒有「核定」，無法判定決行者；請查原表或洽承辦單位。"),
    "no_draft": ("warning", "原表此列沒有「擬辦」。"),
    "mark_after_final": ("warning", "原表此列在「核定」之後還有標記，流程順序不明。"),
    "draft_not_by_clerk": (
        "notice",
        "「擬辦」不在承辦人員欄，而在較高一欄；可能是原表欄位錯位，請對照原表。",
    ),
    "extra_column_past_last_role": (
        "warning",
        "原表此列比表頭多一欄：「核定」落在表頭最後一個職稱（市長）之後。依甲表由府（市長）決行判讀為市長，"
        "原市長欄的陳核標記視為表頭未列職稱的府級關卡；請查原表。",
    ),
    "mark_outside_layout": (
        "warning",
        "原表此列有標記落在表頭職稱欄之外，已保留但無法對應職稱；請查原表。",
    ),
    "yi_decided_above_chief": (
        "warning",
        "乙表事項應於本處（至多處長）決行，但此列「核定」落在處長之上的欄位；已判讀為處長決行"
        "（可整列左移一欄時左移，否則把原處長欄的標記視為表頭未列職稱的關卡），請查原表。",
    ),
    "header_marks_ignored": ("notice", "此頁表頭列帶有一列資料的標記（與下一列相同），已略去，不另成一列。"),
}


def flag_message(code: str) -> str:
    return FLAGS.get(code, ("warning", code))[1]


def flag_severity(code: str) -> str:
    return FLAGS.get(code, ("warning", code))[0]


def role_display(role: str | None) -> str:
    """A role as a clerk reads it, with the title users also say (處長 → 處長（秘書長）)."""
    if role is None:
        return "（表頭未列職稱）"
    alias = ROLE_ALIAS_OF.get(role)
    return f"{role}（{alias}）" if alias else role
