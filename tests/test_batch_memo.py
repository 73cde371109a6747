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
