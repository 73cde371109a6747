"""A JSON catalogue in the exported layout is read entry by entry (schema._StreamedJson), and
gives exactly what parsing it whole gives; any other layout is parsed whole, as before."""

from __future__ import annotations

import json

import pytest

from approval_cli.catalogue.schema import load_plain
from approval_cli.catalogue.store import build_store, encode_store
from approval_cli.errors import CatalogueError
from conftest import ROOT


@pytest.fixture(scope="module")
def exported() -> dict:
    from approval_cli.catalogue.schema import load

    return load(ROOT / "data" / "tables.yaml").model_dump(mode="json")


def _compiled(tmp_path, text: str, name: str = "c.json") -> bytes:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    metadata, entries = load_plain(path)
    return encode_store(build_store(entries, metadata, "same"), "k")


def _whole(tmp_path, data: dict) -> bytes:
    """The store compiled from the same data given as a YAML-free, non-streamable layout: a list
    of members reordered so that "entries" comes first (parsed whole)."""
    reordered = {"entries": data["entries"], **{k: v for k, v in data.items() if k != "entries"}}
    return _compiled(tmp_path, json.dumps(reordered, ensure_ascii=False), "whole.json")


def test_the_exported_layout_streams_to_the_same_store(tmp_path, exported):
    streamed = _compiled(tmp_path, json.dumps(exported, ensure_ascii=False, indent=1))
    assert streamed == _whole(tmp_path, exported)


def test_members_after_the_entries_are_read_too(tmp_path, exported):
    """The vocabulary written after the entries still reaches the store (build_store reads it at
    its end); without it the unit short forms (國際組) would be missing."""
    moved = {k: v for k, v in exported.items() if k not in ("vocabulary", "entries")}
    moved["entries"] = exported["entries"]
    moved["vocabulary"] = exported["vocabulary"]
    assert _compiled(tmp_path, json.dumps(moved, ensure_ascii=False)) == _whole(tmp_path, exported)


@pytest.mark.parametrize(
    ("tail", "words"),
    [
        (', "surprise": 1}', "surprise"),  # a member the format lacks: refused, as parsed whole
        (', "metadata": {}}', "出現兩次"),  # a repeated member
        (' "pages": []}', "JSON 格式錯誤"),  # a missing comma: json's own message
        (", 5: 1}", "JSON 格式錯誤"),  # a key that is no string
    ],
)
def test_a_broken_tail_is_refused_in_words(tmp_path, exported, tail, words):
    text = json.dumps(exported, ensure_ascii=False)
    assert text.endswith("]}")
    with pytest.raises(CatalogueError) as caught:
        _compiled(tmp_path, text[:-1] + tail)
    assert words in caught.value.message


def test_a_broken_entry_gives_json_s_own_message_and_line(tmp_path, exported):
    text = json.dumps(exported, ensure_ascii=False, indent=1)
    broken = text.replace('"source_line": 153', '"source_line": 153,,', 1)
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(broken)
    with pytest.raises(CatalogueError) as caught:
        _compiled(tmp_path, broken)
    assert f"第 {expected.value.lineno} 行" in caught.value.message
