"""The office's vocabulary as the matcher uses it: unit names and short forms, outside bodies,
collective names, condition words, purchase words and the clerks' thesaurus.

It is data that travels with the catalogue (the catalogue's `vocabulary` section, written from
data/vocabulary.yaml by the parser), compiled here into folded lookup tables. Another agency's
catalogue brings its own; a catalogue without one still gets its units (from metadata), the short
forms derived from their names and its notes' trigger words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

# Language, not the office: words any clerk's Chinese uses. Their characters are folded into the
# catalogue's map when it is compiled, so reading them never needs OpenCC at lookup time.
# Negations that end right before a condition word (不涉及個資, 無爭議), and words that merely end
# in a negation character (是非).
NEGATIONS = ("不涉及", "未涉及", "無涉及", "沒有涉及", "並未涉及", "不涉", "未涉", "無涉", "不含", "未含", "沒有",
             "並無", "非屬", "無", "不", "未", "沒", "非")  # fmt: skip
NOT_NEGATIONS = ("是非",)
# A unit named right after these co-signs; it is not the unit doing the task.
COSIGN_WORDS = ("會辦", "會同", "會簽", "會", "送", "知會")
# Words that put a task among a delegation note's 「其餘案件」 (ordinary staff, not the named cases).
REST_WORDS = ("一般同仁", "一般人員", "一般員工", "基層同仁", "其餘", "其他同仁", "非主管")
LANGUAGE_WORDS = (*NEGATIONS, *NOT_NEGATIONS, *COSIGN_WORDS, *REST_WORDS)
THESAURUS_MEMO_LIMIT = 20_000  # terms whose clerk words are remembered (thesaurus_in)

# Characters dropped to derive a short form (國際事務組 → 國際組, 媒體事務組 → 媒體組).
_DERIVED_DROP = ("事務", "服務", "業務")


class Vocabulary:
    """The office's vocabulary, compiled (compile_vocabulary) and read back (from_plain). A plain class
    with its constructor written out, not a dataclass: generating one's methods for these fields was
    0.8 ms of every command's start. Compared by identity."""

    def __init__(
        self,
        *,
        units: list[str],
        unit_names: dict[str, str],  # folded full name or short form → unit
        unit_forms: dict[str, str],  # the same as written (國際組 → 國際事務組), for reading minutes
        unit_standalone: dict[str, str],  # folded bare names (文書, 會計) that name a unit as a word alone
        outside_bodies: dict[str, str],  # name as written → the unit that supervises it
        collective_units: dict[str, list[str]],  # 各組室 → units
        own_unit_words: list[str],
        role_aliases: dict[str, str],
        layers: dict[str, str | None],
        purchase_words: list[str],  # folded
        purchase_topics: list[str],  # folded: after a purchase word, a topic (採購稽核), not a purchase
        question_words: list[str],  # folded, longest first: what the clerk asks (誰核定), not the task
        generic_words: list[str],  # folded: words any task may mention (同仁), weighed like fillers
        condition_words: dict[str, str],  # folded word → folded trigger of the table's notes
        condition_only: frozenset[str],  # folded condition words no row's task text uses
        thesaurus: dict[str, list[str]],  # folded clerk word → folded table words
    ) -> None:
        self.units, self.unit_names, self.unit_forms = units, unit_names, unit_forms
        self.unit_standalone, self.outside_bodies, self.collective_units = unit_standalone, outside_bodies, collective_units
        self.own_unit_words, self.role_aliases, self.layers = own_unit_words, role_aliases, layers
        self.purchase_words, self.purchase_topics = purchase_words, purchase_topics
        self.question_words, self.generic_words = question_words, generic_words
        self.condition_words, self.condition_only, self.thesaurus = condition_words, condition_only, thesaurus
        self._by_first: dict[str, list[int]] = {}  # first char → lengths
        self._found: dict[str, tuple] = {}  # term → thesaurus_in(term)
        self._topic_pattern: re.Pattern[str] | None = None
        self._generic_grams: frozenset[str] | None = None

    def generic_grams(self) -> frozenset[str]:
        """The bigrams of the generic words (同仁 → 同仁; 公務同仁 would give 公務, 務同, 同仁)."""
        if self._generic_grams is None:
            self._generic_grams = frozenset(w[i : i + 2] for w in self.generic_words for i in range(len(w) - 1))
        return self._generic_grams

    def topic_pattern(self) -> re.Pattern[str]:
        """A purchase word followed by a purchase topic (採購稽核, 採購案卷), compiled once."""
        if self._topic_pattern is None:
            words = "|".join(re.escape(w) for w in sorted(self.purchase_words, key=len, reverse=True))
            topics = "|".join(re.escape(t) for t in sorted(self.purchase_topics, key=len, reverse=True))
            self._topic_pattern = re.compile(f"(?:{words})(?:{topics})")
        return self._topic_pattern

    def thesaurus_in(self, term: str) -> tuple[tuple[str, list[str]], ...]:
        """Clerk words found inside a folded term, longest first, not overlapping. Remembered per
        term (a batch's lines share their words; bounded, cleared when full)."""
        memo = self._found
        found = memo.get(term)
        if found is None:
            if len(memo) >= THESAURUS_MEMO_LIMIT:
                memo.clear()
            found = memo[term] = tuple(self._scan(term))
        return found

    def _scan(self, term: str) -> list[tuple[str, list[str]]]:
        thesaurus = self.thesaurus
        if not self._by_first:
            # The lengths of the words starting with each character, longest first: a lookup tries
            # a few slices of the term instead of every word that starts alike.
            lengths: dict[str, set[int]] = {}
            for word in thesaurus:
                lengths.setdefault(word[0], set()).add(len(word))
            self._by_first = {char: sorted(found, reverse=True) for char, found in lengths.items()}
        found: list[tuple[str, list[str]]] = []
        taken = [False] * len(term)
        for start, char in enumerate(term):
            for length in self._by_first.get(char, ()):
                end = start + length
                word = term[start:end]
                if len(word) == length and word in thesaurus and not any(taken[start:end]):
                    found.append((word, thesaurus[word]))
                    for i in range(start, end):
                        taken[i] = True
                    break
        return found

    def units_named(self, collective: str) -> list[str]:
        named = self.collective_units.get(collective, [])
        return list(self.units) if "*" in named else [u for u in named if u in self.units]


def compile_vocabulary(
    data: dict | None,
    units: list[str],
    triggers: Iterable[str],
    fold: Callable[[str], str],
    row_text: str,
) -> dict:
    """The plain-data form kept in the store: folded tables ready for lookups.

    `row_text` is every row's folded matching text joined, to tell which condition words are
    task words too (銷毀) and which only say which note applies (重大, 爭議).
    """
    data = data or {}
    names: dict[str, set[str]] = {}
    written: dict[str, set[str]] = {}  # as clerks write them, for reading minutes

    def name(form: str, unit: str) -> None:
        key = fold(form)
        if key:
            names.setdefault(key, set()).add(unit)
            written.setdefault(form, set()).add(unit)

    for unit in units:
        name(unit, unit)
        stem = unit
        for drop in _DERIVED_DROP:
            if drop in stem[1:-1]:
                stem = stem.replace(drop, "", 1)
        if stem != unit and len(stem) >= 3:
            name(stem, unit)  # 國際事務組 → 國際組
    for form, unit in (data.get("unit_aliases") or {}).items():
        if unit in units:
            name(form, unit)
    # A form that could be two units names neither.
    unit_names = {key: next(iter(found)) for key, found in names.items() if len(found) == 1}
    # A unit's name without its last character (文書, 人事, 會計) names it only as a word of its own
    # (「會計 甄補人力」); inside a longer word (文書收發, 人事甄補) it does not.
    bare: dict[str, set[str]] = {}
    for unit in units:
        if len(unit) >= 3:
            bare.setdefault(fold(unit[:-1]), set()).add(unit)
    unit_standalone = {key: next(iter(found)) for key, found in bare.items() if len(found) == 1 and key}
    unit_forms = {form: next(iter(found)) for form, found in written.items() if len(found) == 1}
    condition_words: dict[str, str] = {}
    for trigger in triggers:
        key = fold(trigger)
        if len(key) >= 2:
            condition_words[key] = key
    for word, trigger in (data.get("condition_synonyms") or {}).items():
        key, target = fold(word), fold(trigger)
        if key and target in condition_words:
            condition_words[key] = target
    thesaurus: dict[str, list[str]] = {}
    for word, table_words in (data.get("thesaurus") or {}).items():
        key = fold(word)
        targets = [fold(t) for t in (table_words if isinstance(table_words, list) else [table_words])]
        targets = [t for t in targets if t and t != key]
        if key and targets:
            thesaurus.setdefault(key, [])
            thesaurus[key] += [t for t in targets if t not in thesaurus[key]]
    return {
        "units": list(units),
        "unit_names": dict(sorted(unit_names.items())),
        "unit_forms": dict(sorted(unit_forms.items())),
        "unit_standalone": dict(sorted(unit_standalone.items())),
        "outside_bodies": dict(data.get("outside_bodies") or {}),
        "collective_units": {k: list(v) for k, v in (data.get("collective_units") or {}).items()},
        "own_unit_words": list(data.get("own_unit_words") or []),
        "role_aliases": dict(data.get("role_aliases") or {}),
        "layers": dict(data.get("layers") or {}),
        "purchase_words": sorted({fold(w) for w in data.get("purchase_words") or [] if fold(w)}, key=lambda w: (-len(w), w)),
        "purchase_topics": sorted({fold(w) for w in data.get("purchase_topics") or [] if fold(w)}),
        "question_words": sorted({fold(w) for w in data.get("question_words") or [] if fold(w)}, key=lambda w: (-len(w), w)),
        "generic_words": sorted({fold(w) for w in data.get("generic_words") or [] if fold(w)}),
        "condition_words": dict(sorted(condition_words.items())),
        # A condition word that is also a clerk word for a task (資安 → 資訊安全) stays a task word.
        "condition_only": sorted(w for w in condition_words if w not in row_text and w not in thesaurus),
        "thesaurus": dict(sorted(thesaurus.items())),
    }


_STR_LISTS = (
    "units", "own_unit_words", "purchase_words", "purchase_topics", "question_words", "generic_words", "condition_only"
)  # fmt: skip
_STR_MAPS = ("unit_names", "unit_forms", "unit_standalone", "outside_bodies", "role_aliases", "condition_words")
_LIST_MAPS = ("collective_units", "thesaurus")


def plain_is_sound(data: object) -> bool:
    """Whether plain data (read back from a cache file: untrusted) has the shape from_plain needs:
    lists of strings, maps of strings to strings or to lists of strings, layers to a string or null."""

    def strings(value: object) -> bool:
        return isinstance(value, list) and all(type(item) is str for item in value)

    if not isinstance(data, dict):
        return False
    for name in _STR_LISTS:
        if not strings(data.get(name, [])):
            return False
    for name in _STR_MAPS:
        value = data.get(name, {})
        if not isinstance(value, dict) or not all(type(k) is str and type(v) is str for k, v in value.items()):
            return False
    for name in _LIST_MAPS:
        value = data.get(name, {})
        if not isinstance(value, dict) or not all(type(k) is str and strings(v) for k, v in value.items()):
            return False
    layers = data.get("layers", {})
    return isinstance(layers, dict) and all(
        type(k) is str and (v is None or type(v) is str) for k, v in layers.items()
    )


def from_plain(data: dict) -> Vocabulary:
    return Vocabulary(
        units=list(data.get("units", [])),
        unit_names=dict(data.get("unit_names", {})),
        unit_forms=dict(data.get("unit_forms", {})),
        unit_standalone=dict(data.get("unit_standalone", {})),
        outside_bodies=dict(data.get("outside_bodies", {})),
        collective_units=dict(data.get("collective_units", {})),
        own_unit_words=list(data.get("own_unit_words", [])),
        role_aliases=dict(data.get("role_aliases", {})),
        layers=dict(data.get("layers", {})),
        purchase_words=list(data.get("purchase_words", [])),
        purchase_topics=list(data.get("purchase_topics", [])),
        question_words=list(data.get("question_words", [])),
        generic_words=list(data.get("generic_words", [])),
        condition_words=dict(data.get("condition_words", {})),
        condition_only=frozenset(data.get("condition_only", [])),
        thesaurus=dict(data.get("thesaurus", {})),
    )
