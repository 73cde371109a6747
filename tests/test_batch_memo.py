"""Issue 10: what a batch remembers (a repeated line's answer, folded words, split rows) gives
exactly what a fresh computation gives, and matched words are shown in the clerk's own script."""

from __future__ import annotations

import io
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from approval_cli.answers.batch import answer_line, run_batch
from approval_cli.answers.core import find
from approval_cli.catalogue.store import load_store

WORDINGS = ["採購 30萬", "议员索取资料", "文書組 硬碟報廢", "國際組 姊妹市", "用印 無爭議", "採構 8千元",
            "公務車輛統一調派", "同仁參加他機關辦理之教育訓練", "貴賓接待", "外賓接待", "市服組 志工招募",
            "人事室 性平業務", "加班費", "網站資料異動"]  # fmt: skip
UNITS = ["", "文書組\t", "總務組\t", "國際事務組\t", "人事室\t"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(UNITS), st.sampled_from(WORDINGS)), min_size=1, max_size=25))
def test_batch_answers_equal_fresh_answers(tmp_path_factory, lines):
    text = "\n".join(unit + wording for unit, wording in lines) + "\n"
    source = tmp_path_factory.mktemp("memo") / "lines.txt"
    source.write_text(text, encoding="utf-8")
    remembered = load_store(None)  # one store for the whole batch: its memos fill as it goes
    out = io.StringIO()
    run_batch(remembered, str(source), None, out)
    got = [json.loads(line) for line in out.getvalue().splitlines()]
    for number, (unit, wording) in enumerate(lines, start=1):
        fresh = answer_line(load_store(None, use_cache=False), unit + wording, None)
        assert got[number - 1] == {"line": number, **json.loads(json.dumps(fresh, ensure_ascii=False))}


def test_matched_words_are_in_the_clerk_s_own_script(store):
    # 貴賓 and 外賓 fold alike (the table writes both); each query shows its own word, and a
    # Traditional query never shows Simplified characters.
    guest = find(store, "貴賓接待", "國際事務組")["matches"][0]["matched"]
    visitor = find(store, "外賓接待", "國際事務組")["matches"][0]["matched"]
    assert any("貴賓" in word for word in guest) and not any("外賓" in word for word in guest)
    assert any("外賓" in word for word in visitor)
    buying = find(store, "採購 30萬", "文書組")["matches"][0]["matched"]
    assert "採購" in buying and "采购" not in buying


SENTENCES = ["請問媒體事務組買攝影腳架 3萬，要會辦誰", "本處辦理公文檔案銷毀之相關作業事項是否需要會辦政風室",
             "市府職務宿舍的規定要修正核定", "同仁參加他機關辦理之教育訓練要誰核定", "性別平等業務的年度計畫",
             "國際事務組 姊妹市市長來訪的接待與餐宴", "採構影印紙 8千元", "議員索取資料要怎麼回覆"]  # fmt: skip


def test_remembered_words_give_what_a_fresh_computation_gives(monkeypatch):
    """Issue 10: a batch remembers per word (jieba's cut, its thesaurus words, a pair's
    homophones). With every memo cleared before it is used (limits of 1), each line must get
    exactly the answer it got after the other lines had filled them."""
    from approval_cli.catalogue import store as store_module
    from approval_cli.catalogue import vocabulary
    from approval_cli.search import match
    from approval_cli.text import normalize, segment

    lines = [unit + text for text in [*SENTENCES, *WORDINGS] for unit in UNITS[:3]]
    store = load_store(None)
    remembered = [answer_line(store, line, None) for line in lines * 2]
    monkeypatch.setattr(store_module, "FOLD_CACHE_LIMIT", 1)
    monkeypatch.setattr(vocabulary, "THESAURUS_MEMO_LIMIT", 1)
    monkeypatch.setattr(match, "ROWS_WITH_MEMO_LIMIT", 1)
    monkeypatch.setattr(match, "GRAM_WEIGHT_MEMO_LIMIT", 1)
    monkeypatch.setattr(match, "PARTIAL_MEMO_LIMIT", 1)
    match._partials.clear()
    monkeypatch.setattr(normalize, "_VALUES_OF", [None, frozenset()])
    segment._cut.cache_clear()
    segment._cut_block.cache_clear()
    fresh_store = load_store(None, use_cache=False)
    for number, line in enumerate(lines * 2):
        segment._cut.cache_clear()
        segment._cut_block.cache_clear()
        assert answer_line(fresh_store, line, None) == remembered[number], line
    assert len(fresh_store._homophones) <= 1 and len(fresh_store.vocab._found) <= 1
    assert len(fresh_store._rows_with) <= 1 and len(fresh_store._gram_weights) <= 1 and len(match._partials) <= 1


def test_unfold_gives_each_character_its_table_form(store):
    """unfold (a str.translate table since issue 10) gives what the character-by-character
    reverse of the fold map gives, for every row's folded text."""
    reverse: dict[str, str] = {}
    for char, target in store.fold_map.items():
        reverse.setdefault(target, char)
    for text in store.joined:
        assert store.unfold(text) == "".join(reverse.get(ch, ch) for ch in text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="採購議員資料文書組印退", min_size=1, max_size=10),
       st.text(alphabet="總務會計政風室人事年度報告", min_size=0, max_size=80))  # fmt: skip
def test_a_word_sharing_no_character_with_a_row_has_partial_ratio_zero(word, text):
    """Issue 10: ranking skips rapidfuzz for a word that shares no character with the row's text
    (three calls in four on the bench batch), taking its partial_ratio as 0. That holds only if
    rapidfuzz says so too: the alphabets here are disjoint."""
    from rapidfuzz import fuzz

    assert fuzz.partial_ratio(word, text) == 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(SENTENCES + WORDINGS), st.sampled_from(["文書組", "總務組", "國際事務組", "市民服務組", "人事室"]))
def test_a_query_s_remembered_scores_rank_as_fresh_ones(store, text, unit):
    """Issue 10: a query remembers each row's score (a batch line without a unit is ranked anywhere,
    then in its unit; route looks at the best row anywhere). Ranking after other rankings of the same
    query must give exactly what a fresh query gives."""
    from approval_cli.search.match import make_query, rank

    def shown(hits):
        return [(h.index, h.score, h.key, h.matched, h.parts) for h in hits]

    used = make_query(store, text)
    rank(store, used, None, limit=5)
    rank(store, used, None, limit=20)
    again = rank(store, used, store.unit_rows(unit), limit=12)
    fresh = rank(store, make_query(store, text), store.unit_rows(unit), limit=12)
    assert shown(again) == shown(fresh)
    assert shown(rank(store, used, None)) == shown(rank(store, make_query(store, text), None))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(SENTENCES + WORDINGS), st.integers(min_value=0, max_value=271))
def test_partial_with_its_skip_equals_partial_ratio_of_every_word(store, text, index):
    """Issue 10: _partial skips rapidfuzz for a word that shares no character with the row; what it
    returns must be what calling partial_ratio for every word gives (review: the rapidfuzz test
    alone could not catch a mistake in the skip itself)."""
    from rapidfuzz import fuzz

    from approval_cli.search import match

    query = match.make_query(store, text)
    if not query.terms:
        return
    row = store.joined[index]
    expected = 0.0
    for term, length, grams, weight, _, _ in match._plan(query).terms:
        if grams is not None:
            ratio = 100 * sum(query.weights.get(g, 0.0) for g in grams if g in row) / weight if weight else 0.0
        else:
            ratio = 100.0 if term in row else fuzz.partial_ratio(term, row)
        expected += ratio * length
    assert match._partial(query, row, frozenset(row), None) == expected / query.length / 100


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="採購影印紙議員索取資料文書組 3０萬元,，。abc-_%\t本處同仁參加訓練", max_size=40), st.booleans())
def test_cutting_block_by_block_is_jieba_s_cut_of_the_whole(text, hmm):
    """Issue 10: jieba's cut is taken block by block, each block remembered; it must be exactly
    jieba's lcut of the whole text, with HMM and without."""
    from approval_cli.text import segment

    tokenizer = segment._ready()
    if not tokenizer:
        return
    assert list(segment._cut(text, hmm)) == tokenizer.lcut(text, HMM=hmm)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.text(alphabet="總務組文書國際室", min_size=1, max_size=4), min_size=1, max_size=80, unique=True),
       st.text(alphabet="總務組文書國際室採購", max_size=24))
def test_a_scan_for_many_words_finds_what_the_compiled_pattern_finds(words, text):
    """Store.alternation compiles a pattern for a few words and scans for many (compiling a big
    catalogue's 5,000 unit names took 42 ms per lookup): both must find the same first word,
    the longest where several start."""
    import re

    from approval_cli.catalogue.store import _Scan

    ordered = sorted(words, key=len, reverse=True)
    found = re.compile("|".join(map(re.escape, ordered))).search(text)
    scanned = _Scan(ordered).search(text)
    assert (found is None) == (scanned is None)
    if found:
        assert (found.start(), found.end(), found.group()) == (scanned.start(), scanned.end(), scanned.group())
