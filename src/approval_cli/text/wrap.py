"""Line wrapping for Chinese text at a terminal width: CJK characters count two cells, a line
may break between any two of them, but never inside an ASCII word or id (MEDIA-012, --unit,
NT$300,000), never before closing punctuation (、，。）」…) and never after opening punctuation
(（「…). Continuation lines get a hanging indent.

Plain strings (find, which avoids rich) and rich Text (lint, triage, route) share one breaker.
Kept free of rich: Text is only duck-typed.
"""

from __future__ import annotations

import os
import re
import shutil
import unicodedata

# Never at the start of a line (Japanese/Chinese line-breaking rules, kinsoku).
NO_START = set("、。，．；：！？）」』】〕》〉｝］…‥・ー,.;:!?)]}%％'\"”’")
# Never at the end of a line.
NO_END = set("（「『【〔《〈｛［([{“‘$＄#＃")
_ANSI_SOURCE = r"\x1b\[[0-9;]*m"
# Characters of one unbreakable run: an ASCII word, id, option, amount or path.
_ASCII_RUN_SOURCE = r"[!-~]+"
# Words of the answers that a break must not split (「決｜行」, 「副秘書｜長」, 「同意備｜查」): the
# fields and actions, the tables, the warning marks with their word, and the roles (the titles of
# catalogue/roles.py and their aliases, longest first, added when the pattern is first compiled).
_WHOLE_WORDS = (
    "決行", "核定", "陳核", "擬辦", "會辦", "免會", "期限", "承辦", "邀請", "甲表", "乙表", "機關共同乙", "同意備查"
)  # fmt: skip
_WHOLE_MARKS = r"⚠ ?原表|ⓘ ?說明"


def _whole_words_source() -> str:
    from approval_cli.catalogue.roles import ROLE_ALIASES, ROLE_RANK

    words = sorted({*_WHOLE_WORDS, *ROLE_RANK, *ROLE_ALIASES}, key=len, reverse=True)
    return "|".join(re.escape(word) for word in words) + "|" + _WHOLE_MARKS
_compiled: dict[str, re.Pattern[str]] = {}


def _whole_words() -> re.Pattern[str]:
    found = _compiled.get("whole words")
    if found is None:
        found = _compiled["whole words"] = re.compile(_whole_words_source())
    return found


def _pattern(source: str) -> re.Pattern[str]:
    """Compiled on first use: find imports this module on every run and most runs wrap little."""
    found = _compiled.get(source)
    if found is None:
        found = _compiled[source] = re.compile(source)
    return found


def char_cells(char: str) -> int:
    if unicodedata.combining(char) or char in "\u200b\u200d\ufe0f":
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def cells(text: str) -> int:
    """Terminal cells the text takes (ANSI colour codes take none)."""
    return sum(char_cells(char) for char in _pattern(_ANSI_SOURCE).sub("", text))


def terminal_width(default: int = 80) -> int:
    """The width to wrap at: COLUMNS if set (as rich honours it), else the terminal's, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns <= 0:
        columns = shutil.get_terminal_size((default, 24)).columns
    return max(20, columns)


def _units(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, is_space) pieces that may not be split, in order."""
    ansi_pattern, ascii_run = _pattern(_ANSI_SOURCE), _pattern(_ASCII_RUN_SOURCE)
    pieces: list[list] = []  # [start, end, is_space]
    position = 0
    while position < len(text):
        char = text[position]
        ansi = ansi_pattern.match(text, position) if char == "\x1b" else None
        if ansi:  # zero-width: glued to what follows (or, a reset, to what precedes)
            end = ansi.end()
            if ansi.group(0) == "\x1b[0m" and pieces and not pieces[-1][2]:
                pieces[-1][1] = end
            else:
                pieces.append([position, end, False, "ansi"])
            position = end
            continue
        if char.isspace():
            end = position + 1
            while end < len(text) and text[end].isspace() and text[end] != "\n":
                end += 1
            pieces.append([position, end, True])
            position = end
            continue
        run = ascii_run.match(text, position)
        if not run and (char_cells(char) == 2 or char in "⚠ⓘ"):
            run = _whole_words().match(text, position)
        end = run.end() if run and run.end() > position + 1 else position + 1
        pieces.append([position, end, False])
        position = end
    # Glue: a pending ANSI opener to the next piece; closing punctuation to the piece before;
    # an opening bracket to the piece after.
    glued: list[list] = []
    carry: list | None = None
    for piece in pieces:
        if len(piece) == 4:  # an ANSI opener
            carry = [carry[0] if carry else piece[0], piece[1], False]
            continue
        if carry is not None:
            piece = [carry[0], piece[1], piece[2]]
            carry = None
        first = ansi_pattern.sub("", text[piece[0] : piece[1]])[:1]
        if glued and not piece[2] and not glued[-1][2] and first in NO_START:
            glued[-1][1] = piece[1]
            continue
        if glued and not glued[-1][2] and not piece[2]:
            last = ansi_pattern.sub("", text[glued[-1][0] : glued[-1][1]])[-1:]
            # 「（」 stays with what follows; a number with the character next to it
            # (第11201393822號, 30萬, 153行).
            if last in NO_END or (last.isdigit() and first and char_cells(first) == 2) or (
                first.isdigit() and last and char_cells(last) == 2
            ):
                glued[-1][1] = piece[1]
                continue
        glued.append(piece[:3])
    if carry is not None:
        glued.append(carry)
    return [(start, end, space) for start, end, space in glued]


def break_spans(
    text: str, width: int, indent: int = 0, at_spaces: bool = False
) -> list[tuple[int, int]]:
    """(start, end) slices of text, one per line: the first line `width` cells wide, the rest
    `width - indent`. Leading spaces of the text are kept; spaces at a break are dropped; a piece
    wider than a whole line is folded by characters. With `at_spaces`, a line breaks at its last
    space when that keeps a field (「期限：一月底前」) whole and leaves the line at least half full."""
    spans: list[tuple[int, int]] = []
    room = width
    start: int | None = None  # where the current line starts in text
    end = 0  # end of its last non-space piece
    content = False  # whether it holds anything but leading spaces
    after_space: tuple[int, int] | None = None  # (end before the line's last space, start after it)
    pending_space = False
    for piece_start, piece_end, space in _units(text):
        if space:
            if start is None:  # the text's own leading spaces are kept
                start, end = piece_start, piece_end
            elif content:
                pending_space = True
            continue
        if start is None:
            start = end = piece_start
        if pending_space:
            after_space, pending_space = (end, piece_start), False
        if cells(text[start:piece_end]) <= room:
            end, content = piece_end, True
            continue
        if content and at_spaces and after_space and cells(text[start : after_space[0]]) * 2 >= room:
            spans.append((start, after_space[0]))
            room = width - indent
            start, after_space = after_space[1], None
            if cells(text[start:piece_end]) <= room:
                end = piece_end
                continue
            end = piece_start
        if content and end > start:  # break before this piece
            spans.append((start, end))
            room = width - indent
            start = end = piece_start
            after_space = None
        # the piece starts the line (after any leading spaces); fold it if it is too wide
        used = cells(text[start:piece_start])
        for position in range(piece_start, piece_end):
            size = char_cells(text[position])
            if used + size > room and position > start:
                spans.append((start, position))
                room = width - indent
                start, used = position, 0
            used += size
        end, content = piece_end, True
    if start is not None:
        spans.append((start, end))
    return spans or [(0, 0)]


def _trim_end(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def wrap(text: str, width: int, indent: str = "", at_spaces: bool = False) -> list[str]:
    """Lines of at most `width` cells; continuation lines start with `indent`."""
    lines = []
    for number, (start, end) in enumerate(break_spans(text, width, cells(indent), at_spaces)):
        lines.append((indent if number else "") + text[start:end])
    return lines


def wrap_text(text, width: int, indent: int, at_spaces: bool = False):
    """The same for a rich Text: a list of Text lines, styles kept."""
    lines = []
    for number, (start, end) in enumerate(break_spans(text.plain, width, indent, at_spaces)):
        line = text[start:end]
        if number:
            line = type(text)(" " * indent) + line
        lines.append(line)
    return lines
