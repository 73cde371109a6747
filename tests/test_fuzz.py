"""Issue 9: fuzzing the inputs a clerk (or anyone) can hand the tool. Bounded in time.

Whatever the bytes, loading a catalogue gives a store or a CatalogueError, a batch gives one
JSON object per line (lines end only at \\n, \\r\\n, \\r), and triage gives a record or a
UsageError: never another exception.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from approval_cli.answers.batch import run_batch
from approval_cli.answers.core import triage_record
from approval_cli.catalogue.schema import load_plain, parse_document
from approval_cli.catalogue.store import build_store
from approval_cli.errors import ApprovalError, CatalogueError
from editing import builtin_data

FUZZ = settings(
    max_examples=40, deadline=3000, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

_SMALL = builtin_data()
_SMALL["entries"] = _SMALL["entries"][:4]
_SMALL["pages"] = []

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)  # fmt: skip
FIELDS = ["id", "unit", "table", "item", "content", "business", "chain", "final_approver", "cosign", "notes",
          "amount_range", "conditions", "flags", "source_line", "raw"]  # fmt: skip


def _load(raw: bytes, name: str = "fuzz.json") -> None:
    path = Path(name)
    try:
        metadata, entries = load_plain(path, [raw])
        store = build_store(entries, metadata, name)
    except CatalogueError:
        return
    assert len(store.entries) >= 1


@FUZZ
@given(index=st.integers(0, 3), field=st.sampled_from(FIELDS), value=json_values)
def test_fuzz_catalogue_entry_fields(index, field, value):
    data = json.loads(json.dumps(_SMALL))
    data["entries"][index][field] = value
    _load(json.dumps(data, ensure_ascii=False).encode())


@FUZZ
@given(index=st.integers(0, 3), where=st.sampled_from(["amount_range", "chain", "conditions"]), value=json_values)
def test_fuzz_catalogue_nested_fields(index, where, value):
    data = json.loads(json.dumps(_SMALL))
    row = data["entries"][index]
    if where == "amount_range":
        row["amount_range"] = {"min": value, "max": 500000} if index % 2 else {"min": None, "max": value}
    elif where == "chain":
        row["chain"][0]["role"] = value
    else:
        row["conditions"] = [{"kind": "waiver", "text": "x", "threshold": value, "unit": "政風室"}]
    _load(json.dumps(data, ensure_ascii=False).encode())


@FUZZ
@given(st.binary(max_size=400) | st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_fuzz_catalogue_documents(raw):
    for name in ("fuzz.yaml", "fuzz.json"):
        with contextlib.suppress(CatalogueError):
            parse_document(raw, name)
        _load(raw, name)


_LINE_PIECES = st.sampled_from(
    ["文書組\t", "採購", " 30萬", "硬碟報廢", "\u2028", "\u2029", "\x85", "\x1b[31m", "\t", "議員索取資料", "機要組\t", "¹"]
)
_BREAKS = st.sampled_from(["\n", "\r\n", "\r"])


def _expected_lines(data: bytes) -> list[int]:
    """The numbers of the lines that are tasks: blank and # lines are skipped (issue 11)."""
    if not data:
        return []
    parts = re.split(rb"\r\n|\r|\n", data)
    if parts[-1] == b"":
        parts = parts[:-1]
    numbers = []
    for number, part in enumerate(parts, start=1):
        try:
            text = part.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            numbers.append(number)  # answered with an error, never dropped
            continue
        stripped = text.strip()
        if stripped and not stripped.startswith(("#", "＃")):
            numbers.append(number)
    return numbers


@FUZZ
@given(
    st.lists(st.tuples(st.lists(_LINE_PIECES, max_size=4).map("".join), _BREAKS), max_size=6).map(
        lambda lines: "".join(text + end for text, end in lines).encode()
    )
    | st.binary(max_size=200)
)
def test_fuzz_batch_input(store, tmp_path_factory, data):
    source = tmp_path_factory.mktemp("batch") / "tasks.txt"
    source.write_bytes(data)
    out = io.StringIO()
    code = run_batch(store, str(source), None, out)
    lines = out.getvalue().split("\n")
    assert lines[-1] == ""
    objects = [json.loads(line) for line in lines[:-1]]
    assert len(out.getvalue().splitlines()) == len(objects)
    assert [o["line"] for o in objects] == _expected_lines(data)
    assert code in (0, 1, 2, 4) and all(o["exit"] in (0, 1, 2, 4) for o in objects)


_MINUTES = st.lists(
    st.sampled_from(["第108次處務會議紀錄", "參、三、(一)", "請文書組於8月31日前完成採購。", "\r\n", "\n", "\x1b[2J",
                     "主席：陳志銘", "一、", "列管案號10606解除列管", "\u2028", "\x00", "①"]),
    max_size=12,
).map("".join)  # fmt: skip


@FUZZ
@given(_MINUTES.map(str.encode) | st.binary(max_size=300))
def test_fuzz_triage_input(store, data):
    try:
        record = triage_record(store, data)
    except ApprovalError:
        return
    json.dumps(record.to_dict(), ensure_ascii=False)
