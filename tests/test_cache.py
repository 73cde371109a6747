"""The compiled catalogue cache: fast when it helps, never the reason a lookup fails or differs."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
import yaml

from approval_cli import store as store_module
from approval_cli.core import find, route
from approval_cli.store import cache_file, load_store

ROOT = Path(__file__).resolve().parents[1]
BUILTIN = ROOT / "data" / "tables.yaml"


@pytest.fixture
def catalogue_copy(tmp_path, monkeypatch):
    monkeypatch.setenv("APPROVAL_CACHE_DIR", str(tmp_path / "cache"))
    target = tmp_path / "tables.yaml"
    target.write_bytes(BUILTIN.read_bytes())
    return target


def test_second_load_comes_from_the_cache(catalogue_copy):
    first = load_store(catalogue_copy)
    second = load_store(catalogue_copy)
    assert not first.from_cache and second.from_cache
    assert cache_file(catalogue_copy).exists()


def test_cache_hit_does_not_import_yaml_or_pydantic(catalogue_copy, tmp_path):
    load_store(catalogue_copy)  # builds the cache
    import subprocess

    code = (
        "import sys; from approval_cli.store import load_store; "
        f"s = load_store({str(catalogue_copy)!r}); "
        "print(s.from_cache, 'yaml' in sys.modules, 'pydantic' in sys.modules)"
    )
    env = {**os.environ, "APPROVAL_CACHE_DIR": str(tmp_path / "cache")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.stdout.split() == ["True", "False", "False"], out.stderr


def test_changed_catalogue_invalidates_the_cache(catalogue_copy):
    before = load_store(catalogue_copy)
    assert route(before, "", "文書組", 300000)["final_approver"] == "副處長"
    data = yaml.safe_load(catalogue_copy.read_text(encoding="utf-8"))
    for entry in data["entries"]:
        if entry["source_line"] == 153:
            entry["final_approver"] = "處長"  # an edited catalogue must be read again, not served stale
            entry["chain"][-1]["role"] = "處長"
    catalogue_copy.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.utime(catalogue_copy, ns=(1, 1))  # even with an old timestamp: the size changed
    after = load_store(catalogue_copy)
    assert not after.from_cache
    assert route(after, "", "文書組", 300000)["final_approver"] == "處長"


def test_corrupt_cache_is_ignored_and_rebuilt(catalogue_copy):
    load_store(catalogue_copy)
    location = cache_file(catalogue_copy)
    location.write_bytes(b"\x80\x05not a pickle at all")
    rebuilt = load_store(catalogue_copy)
    assert not rebuilt.from_cache
    assert find(rebuilt, "硬碟報廢")["matches"][0]["source_line"] == 137
    assert load_store(catalogue_copy).from_cache  # and written again


def test_foreign_object_in_cache_is_ignored(catalogue_copy):
    import pickle

    load_store(catalogue_copy)
    cache_file(catalogue_copy).write_bytes(pickle.dumps({"not": "a store"}))
    assert not load_store(catalogue_copy).from_cache


def test_unwritable_cache_directory_does_not_break_a_lookup(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache directory should be", encoding="utf-8")
    monkeypatch.setenv("APPROVAL_CACHE_DIR", str(blocker / "cache"))
    result = load_store(BUILTIN)
    assert not result.from_cache
    assert route(result, "", "文書組", 300000)["match"]["source_line"] == 153


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root ignores permissions")
def test_read_only_cache_directory(tmp_path, monkeypatch):
    cache = tmp_path / "ro"
    cache.mkdir()
    cache.chmod(0o500)
    monkeypatch.setenv("APPROVAL_CACHE_DIR", str(cache))
    assert load_store(BUILTIN).entries


def test_no_cache_switch(catalogue_copy, monkeypatch):
    monkeypatch.setenv("APPROVAL_NO_CACHE", "1")
    load_store(catalogue_copy)
    assert not load_store(catalogue_copy).from_cache


@pytest.mark.parametrize("name", ["queries.yaml", "queries_heldout.yaml"])
def test_results_identical_with_and_without_the_cache(catalogue_copy, name):
    fresh = load_store(catalogue_copy, use_cache=False)
    load_store(catalogue_copy)
    cached = load_store(catalogue_copy)
    assert cached.from_cache
    queries = yaml.safe_load((ROOT / "tests" / "data" / name).read_text(encoding="utf-8"))
    for q in queries:
        assert find(fresh, q["query"], q.get("unit")) == find(cached, q["query"], q.get("unit")), q["query"]


def test_cache_key_changes_with_the_code_fingerprint(catalogue_copy, monkeypatch):
    before = cache_file(catalogue_copy)
    monkeypatch.setattr(store_module, "CACHE_FORMAT", store_module.CACHE_FORMAT + 1)
    assert cache_file(catalogue_copy) != before


def test_packed_columns_index_like_lists():
    from approval_cli.store import Column

    column = Column(["採購", "", "議員索取資料"])
    assert [column[0], column[1], column[2], column[-1]] == ["採購", "", "議員索取資料", "議員索取資料"]
    assert list(column) == ["採購", "", "議員索取資料"] and len(column) == 3
    assert column[0:2] == ["採購", ""]


def test_packed_columns_refuse_rows_they_do_not_have():
    from approval_cli.store import Column, Entries

    column = Column(["採購", "議員"])
    entries = Entries(Column(['{"id": "A"}', '{"id": "B"}']))
    for sequence in (column, entries):
        with pytest.raises(IndexError):
            sequence[2]
        with pytest.raises(IndexError):
            sequence[-3]
    assert entries[-1] == {"id": "B"} and [e["id"] for e in entries] == ["A", "B"]
