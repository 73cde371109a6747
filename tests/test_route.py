"""Route, find and list as library functions. Expected values are read off the source dump.

Procurement rows of 文書組: line 152 (15萬元以下, 核定 專門委員, 會辦 總務組會計室政風室, 備考
1萬5,000元以下免會政風室), line 153 (逾15萬元、50萬元以下, 副處長), line 154 (逾50萬元, 處長).
總務組 also has line 34 (小額採購, 採購金額新臺幣1萬元以下, 核定 組長, 會辦 會計室) beside the common
band line 67 (15萬元以下, 專門委員, 會辦 會計室 政風室).
"""

from __future__ import annotations

import pytest

from approval_cli.answers.core import find, list_entries, route
from approval_cli.errors import AmountError, UnitError, UsageError


def line_of(result):
    return result["match"]["source_line"] if result["match"] else None


@pytest.mark.parametrize(
    ("amount", "line", "final"),
    [
        (1, 152, "專門委員"),
        (150000, 152, "專門委員"),  # 以下 includes 15萬
        (150001, 153, "副處長"),  # 逾15萬 starts one dollar above
        (500000, 153, "副處長"),  # 50萬元以下 includes 50萬
        (500001, 154, "處長"),  # 逾50萬元
        (10**9, 154, "處長"),
    ],
)
def test_procurement_band_edges_for_wenshu(store, amount, line, final):
    result = route(store, "", "文書組", amount)
    assert (line_of(result), result["final_approver"]) == (line, final)


@pytest.mark.parametrize(
    ("amount", "line", "alternatives"),
    [
        (10000, 34, [67]),  # both bands hold 1萬: the narrower 1萬元以下 row wins, the other is listed
        (10001, 67, []),  # above 1萬 only the common band holds it
    ],
)
def test_narrower_band_wins_and_the_wider_is_an_alternative(store, amount, line, alternatives):
    result = route(store, "採購", "總務組", amount)
    assert line_of(result) == line
    assert [alt["source_line"] for alt in result["alternatives"]] == alternatives


@pytest.mark.parametrize(
    ("amount", "required", "waived"),
    [
        (15000, ["總務組", "會計室"], ["政風室"]),  # 1萬5,000元以下免會政風室: 15,000 is 以下
        (15001, ["總務組", "會計室", "政風室"], []),
        (100000, ["總務組", "會計室", "政風室"], []),
    ],
)
def test_amount_waiver_of_the_ethics_office(store, amount, required, waived):
    result = route(store, "採購", "文書組", amount)
    assert line_of(result) == 152
    assert result["cosign_required"] == required
    assert [w["unit"] for w in result["cosign_waived"]] == waived
    if waived:
        assert "1萬5,000元以下免會政風室" in result["cosign_waived"][0]["reason"]


def test_a_band_written_in_the_query_is_read_as_the_table_reads_it(store):
    # 「15萬元以下」 is every amount up to 150,000: the 15萬元以下 band (152) holds all of it, even
    # though 總務組's 小額採購 row (34) reads closer to 「小額」; whether 政風室 is waived
    # (1萬5,000元以下免會) depends on the exact amount: 政風室 is a conditional co-signer, with the rule.
    result = route(store, "採購 小額 15萬元以下", "文書組")
    assert line_of(result) == 152
    assert (result["amount"], result["amount_parsed"]["max"]) == (None, 150000)
    assert "政風室" not in result["cosign_required"]
    assert result["cosign_conditional"] == [{"unit": "政風室", "condition": "1萬5,000元以下免會政風室"}]
    assert any("要看確切金額" in c["outcome"] for c in result["conditions"])


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("採購 逾15萬元、50萬元以下", 153),  # 150,001-500,000: exactly the middle band
        ("採購 超過50萬元", 154),  # 500,001 and up: only the top band holds all of it
        ("採購 逾15萬", None),  # 150,001 and up spans two bands (副處長 / 處長): ask, don't guess
        ("採購 50萬以上", None),  # 500,000 is in the 15-50萬 band, 500,001 above it: ask
        ("採購 15萬 10份", 152),  # a count after the amount is not part of it (not 150,010)
        ("採購 30萬 5台", 153),
    ],
)
def test_amount_phrases_in_the_query(store, text, line):
    result = route(store, text, "文書組")
    assert line_of(result) == line, result["reason"]
    if line is None:
        assert result["reason"] == "needs_amount"


def test_ambiguous_amount_in_the_query_is_refused_not_dropped(store):
    with pytest.raises(AmountError, match="兩種讀法"):
        route(store, "採購 1萬5", "文書組")


@pytest.mark.parametrize("text", ["他機關函請網站刊登宣導 不涉及個資", "他機關函請網站刊登宣導 未涉及個資"])
def test_negated_trigger_does_not_apply(store, text):
    result = route(store, text, "文書組")
    assert (result["match"]["source_line"], result["final_approver"]) == (141, "專員")
    assert result["conditions_applied"] == []


def test_escalation_without_a_named_role_warns(store):
    result = route(store, "退文改分 有爭議", "總務組")
    assert any(w["flag"] == "escalation_applied" for w in result["warnings"])


def test_delegation_note_is_a_warning(store):
    # Line 70: 本處進修、跨組室及組室主管以上人員… (處長), 備考 其餘案件授權由第二層決行 (組長).
    result = route(store, "組室主管參加他機關教育訓練", "總務組")
    assert line_of(result) == 70
    assert any(w["flag"] == "delegation_note" and "組長" in w["message"] for w in result["warnings"])


def test_amount_in_the_query_is_used(store):
    result = route(store, "採購 三十萬元", "文書組")
    assert (result["amount"], line_of(result)) == (300000, 153)
    assert result["amount_parsed"]["from"] == "query"


def test_banded_task_without_amount_asks_for_one(store):
    result = route(store, "採購", "文書組")
    assert result["match"] is None and result["reason"] == "needs_amount"
    assert sorted(alt["source_line"] for alt in result["alternatives"]) == [152, 153, 154]


def test_unit_without_the_task_is_not_answered_from_another_unit(store):
    # 機要組 lists no procurement rows (its pages have no 採購管理 item).
    result = route(store, "採購 30萬", "機要組")
    assert result["match"] is None and result["reason"] == "no_row_in_unit"
    assert result["references"], "other units' procurement rows are offered as references"
    for ref in result["references"]:
        assert ref["unit"] != "機要組" and ref["unit"] in ref["note"]
        assert ref["amount_range"]["min"] == 150001  # the band that holds 30萬, in their tables


def test_amount_alone_routes_to_procurement_in_a_unit_without_it(store):
    result = route(store, "", "機要組", 300000)
    assert result["match"] is None
    assert {ref["unit"] for ref in result["references"]} >= {"總務組", "文書組"}


def test_stamp_destruction_requires_the_ethics_office(store):
    # Line 113: 本府對外行文使用之章戳刊刻、啟用、廢止及銷毀核定事項, 會辦 政風室,
    # 備考 章戳銷毀事項需會辦本處政風室.
    destroy = route(store, "對外行文章戳銷毀", "文書組")
    assert line_of(destroy) == 113
    assert "政風室" in destroy["cosign_required"]
    assert [c["kind"] for c in destroy["conditions_applied"]] == ["cosign"]
    carve = route(store, "對外行文章戳刊刻", "文書組")
    assert line_of(carve) == 113
    assert "政風室" not in carve["cosign_required"]
    assert carve["cosign_conditional"] == [{"unit": "政風室", "condition": "章戳銷毀事項需會辦本處政風室"}]
    assert carve["conditions_applied"] == []


def test_privacy_escalates_to_the_section_chief(store):
    # Line 141: 他機關函請於本處網站刊登宣導事項, 核定 at col 6 = 專員; 備考 上稿內容涉及個資者，由組長核定.
    plain = route(store, "他機關函請網站刊登宣導", "文書組")
    assert (line_of(plain), plain["final_approver"]) == (141, "專員")
    private = route(store, "他機關函請網站刊登宣導 涉及個資", "文書組")
    assert (line_of(private), private["final_approver"]) == (141, "組長")
    assert private["chain"][-1] == {"role": "組長", "action": "核定", "column": None}
    assert private["match"]["final_approver"] == "專員"  # the catalogue row itself is unchanged


def test_major_matters_escalation_is_reported(store):
    # Line 72 (總務組): 本處各組室退文改分核定事項, 核定 組長, 備考 涉及重大或爭議事項，向上陳核.
    result = route(store, "退文改分 有爭議", "總務組")
    assert line_of(result) == 72
    applied = result["conditions_applied"]
    assert len(applied) == 1 and "爭議" in applied[0]["outcome"] and "向上陳核" in applied[0]["outcome"]
    # 向上陳核 from 組長 (第二層) goes to the next decision layer, 第一層 = 處長 (DOMAIN.md): the
    # answer names it and keeps the row's own approver in the warning, never the overruled 組長.
    assert result["final_approver"] == "處長"
    assert result["chain"][-1] == {"role": "處長", "action": "核定", "column": None}
    assert any(w["flag"] == "escalation_applied" and "組長" in w["message"] for w in result["warnings"])
    assert result["match"]["final_approver"] == "組長"  # the catalogue row itself is unchanged


def test_no_dispute_written_on_purpose_keeps_the_row_s_approver(store):
    # 「無爭議」 negates the trigger: line 72 is answered as written (組長), and the condition words
    # are not task words, so the row is still found (issue 8: 「用印 無爭議」 was refused).
    result = route(store, "退文改分 無爭議", "總務組")
    assert (line_of(result), result["final_approver"]) == (72, "組長")
    assert not result["conditions_applied"]


def test_flagged_row_is_answered_with_its_warning(store):
    # Lines 149/150: 文書組 議會案件 rows have no 核定 in the source.
    result = route(store, "議員索取資料 文書業務", "文書組")
    assert line_of(result) == 149
    assert result["final_approver"] is None
    assert [w["flag"] for w in result["warnings"]] == ["no_final_approver"]


def test_find_folds_simplified_input(store):
    result = find(store, "硬盘报废")
    assert result["matches"][0]["source_line"] == 137  # 本處電腦硬碟報廢業務
    assert find(store, "采购")["matches"][0]["item"] == "採購管理"


def test_find_uses_an_amount_written_in_the_query(store):
    result = find(store, "採購 30萬")
    assert result["amount"] == 300000
    assert {m["amount_range"]["min"] for m in result["matches"][:8]} == {150001}


def test_unit_prefix_and_unknown_unit(store):
    assert route(store, "", "文書", 300000)["unit"] == "文書組"
    with pytest.raises(UnitError) as error:
        route(store, "", "資訊局", 300000)
    assert "找不到單位" in error.value.message


def test_route_needs_a_unit_and_something_to_route(store):
    with pytest.raises(UsageError):
        route(store, "採購", None, 300000)
    with pytest.raises(UsageError):
        route(store, "   ", "文書組", None)


@pytest.mark.parametrize("text", ["", "   ", "\u3000"])
def test_find_refuses_an_empty_query(store, text):
    with pytest.raises(UsageError):
        find(store, text)


def test_find_refuses_a_huge_query_quickly(store):
    with pytest.raises(UsageError, match="太長"):
        find(store, "採購" * 15000)


def test_find_survives_control_characters(store):
    result = find(store, "採購\x00\x1b[31m 30萬\x07")
    assert result["matches"][0]["item"] == "採購管理"


def test_list_by_approver_accepts_the_alias(store):
    by_title = list_entries(store, "文書組", None, "副秘書長")
    by_role = list_entries(store, "文書組", None, "副處長")
    assert by_title["entries"] == by_role["entries"]
    assert by_title["approver"] == "副處長"
    # 文書組 rows decided by 副處長, read off the source: 117, 129, 131, 133, 136, 142, 153.
    assert [e["source_line"] for e in by_role["entries"]] == [117, 129, 131, 133, 136, 142, 153]


def test_list_filters_by_table(store):
    rows = list_entries(store, "媒體事務組", "甲")["entries"]
    assert [e["source_line"] for e in rows] == [291]  # the one 甲 row on 媒體事務組's pages


def test_list_rejects_unknown_role_and_table(store):
    with pytest.raises(UsageError):
        list_entries(store, None, None, "局長")
    with pytest.raises(UsageError):
        list_entries(store, None, "丙")


def test_bad_amount_is_an_amount_error():
    from approval_cli.text.amounts import parse_amount

    for text in ("-5", "abc", "1e400", "0"):
        with pytest.raises(AmountError):
            parse_amount(text)


def test_route_survives_control_characters(store):
    result = route(store, "採購\x00\x1b[31m 30萬\x07", "文書組")
    assert result["match"]["source_line"] == 153 and result["amount"] == 300000


@pytest.mark.parametrize(
    ("unit", "text", "line", "reason"),
    [
        # An amount split by a space is one amount when the parts read as one: 155,000 and 15,000.
        ("文書組", "採購 15萬 5000元", 153, None),
        ("總務組", "採購 1萬 5千", 67, None),  # 15,000: above 小額 1萬, inside 15萬元以下
        ("文書組", "采购 大于50万", 154, None),  # Simplified 大于 is 逾: above 500,000
        # 總務組's 採購業務管理事項 (unbanded) must not answer an amount that spans bands.
        ("總務組", "採購 逾15萬", None, "needs_amount"),
        ("總務組", "採購 逾50萬", 69, None),
        # Up to 15萬 is partly inside the narrower 1萬元以下 row (組長): the exact amount decides.
        ("總務組", "採購 15萬以下", None, "needs_amount"),
        ("文書組", "逾15萬", None, "needs_amount"),  # amount alone, spanning two bands
    ],
)
def test_amounts_the_second_review_found(store, unit, text, line, reason):
    result = route(store, text, unit)
    assert (line_of(result), result["reason"]) == (line, reason)


def test_two_different_amounts_are_refused(store):
    with pytest.raises(UsageError, match="不只一個金額"):
        route(store, "採購 30萬 50萬", "文書組")


@pytest.mark.parametrize(
    ("text", "final"),
    [
        ("他機關函請網站刊登宣導 不涉及個資 但附件含個資", "組長"),  # the second mention is not negated
        ("他機關函請網站刊登宣導 無個資", "專員"),
        ("他機關函請網站刊登宣導 非屬個資", "專員"),
    ],
)
def test_negation_is_judged_per_mention(store, text, final):
    # Line 141: 核定 by 專員; 上稿內容涉及個資者，由組長核定.
    assert route(store, text, "文書組")["final_approver"] == final


@pytest.mark.parametrize("text", ["退文改分 非常重大", "退文改分 不少爭議", "退文改分 是非爭議"])
def test_words_that_only_contain_a_negation_still_trigger(store, text):
    # Line 72: 涉及重大或爭議事項，向上陳核.
    assert route(store, text, "總務組")["conditions_applied"]


def test_each_answer_gets_its_own_copy_of_a_row(store):
    """entry_out remembers a row's fields: what one answer does to its dict or warnings list must
    not show in the next answer's."""
    from approval_cli.answers.core import entry_out

    first = entry_out(store, 0)
    first["note"] = "x"
    first["warnings"].append({"flag": "x"})
    second = entry_out(store, 0)
    assert "note" not in second and {"flag": "x"} not in second["warnings"]
    assert second == entry_out(store, 0) and second is not entry_out(store, 0)
