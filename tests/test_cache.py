"""The compiled catalogue cache: fast when it helps, never the reason a lookup fails or differs."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest
import yaml

from approval_cli.answers.core import find, route
from approval_cli.catalogue import store as store_module
from approval_cli.catalogue.store import cache_file, load_store

ROOT = Path(__file__).resolve().parents[1]
BUILTIN = ROOT / "data" / "tables.yaml"


@pytest.fixture
def catalogue_copy(tmp_path, monkeypatch):
    monkeypatch.setenv("APPROVAL_CACHE_DIR", str(tmp_path / "cache"))
    target = tmp_path / "tables.yaml"
    target.write_bytes(BUILTIN.read_bytes())
    return target


def _copy(tmp_path):
    """A copy of the built-in catalogue: the built-in one ships compiled and skips the user cache."""
    target = tmp_path / "copy.yaml"
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
        "import sys; from approval_cli.catalogue.store import load_store; "
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


def test_unwritable_cache_directory_does_not_break_a_lookup(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache directory should be", encoding="utf-8")
    monkeypatch.setenv("APPROVAL_CACHE_DIR", str(blocker / "cache"))
    result = load_store(_copy(tmp_path))
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
    from approval_cli.catalogue.store import Column

    column = Column(["採購", "", "議員索取資料"])
    assert [column[0], column[1], column[2], column[-1]] == ["採購", "", "議員索取資料", "議員索取資料"]
    assert list(column) == ["採購", "", "議員索取資料"] and len(column) == 3
    assert column[0:2] == ["採購", ""]


def test_a_bytes_column_indexes_like_a_list_and_checks_its_state():
    from approval_cli.catalogue.store import BytesColumn, Entries

    column = BytesColumn(["採購".encode(), b"", b'{"id": "A"}'])
    assert [column[0], column[1], column[-1]] == ["採購".encode(), b"", b'{"id": "A"}'] and len(column) == 3
    assert Entries(column)[2] == {"id": "A"}
    broken = BytesColumn.__new__(BytesColumn)
    with pytest.raises(ValueError):  # offsets past the data: a corrupt cache, never read
        broken.__setstate__((b"abc", column._offsets))
    with pytest.raises(ValueError):  # entries must be bytes: decode_store treats it as corrupt
        Entries.__new__(Entries).__setstate__(["not a column"])


def test_packed_columns_refuse_rows_they_do_not_have():
    from approval_cli.catalogue.store import Column, Entries

    column = Column(["採購", "議員"])
    entries = Entries(Column(['{"id": "A"}', '{"id": "B"}']))
    for sequence in (column, entries):
        with pytest.raises(IndexError):
            sequence[2]
        with pytest.raises(IndexError):
            sequence[-3]
    assert entries[-1] == {"id": "B"} and [e["id"] for e in entries] == ["A", "B"]


# ---------------------------------------------------------------- issue 9: a cache that cannot run code


class _Payload:
    """A pickle that, when unpickled, creates a file: what an attacker plants in the cache."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "ran"))


def test_planted_pickle_does_not_run(catalogue_copy, tmp_path):
    import pickle

    marker = tmp_path / "payload-ran"
    location = cache_file(catalogue_copy)
    location.parent.mkdir(parents=True, exist_ok=True)
    location.write_bytes(pickle.dumps(_Payload(marker)))
    store = load_store(catalogue_copy)
    assert not marker.exists() and not store.from_cache
    assert route(store, "", "文書組", 300000)["match"]["id"] == "DOC-056"
    # Old pickle caches beside it are removed, never read.
    legacy = location.parent / "catalogue-0123456789abcdef.pickle"
    legacy.write_bytes(pickle.dumps(_Payload(marker)))
    catalogue_copy.write_text(catalogue_copy.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    load_store(catalogue_copy)
    assert not legacy.exists() and not marker.exists()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to play another user")
def test_cache_directory_of_another_user_is_not_used(tmp_path):
    """S1 across users: `nobody` plants a payload in a world-writable XDG_CACHE_HOME; root's run
    must ignore the directory (one notice on stderr), answer normally and run nothing."""
    import pickle
    import subprocess

    xdg = tmp_path / "xdg"
    xdg.mkdir()
    xdg.chmod(0o1777)
    planted = xdg / "approval-cli"
    planted.mkdir()
    marker = tmp_path / "payload-ran"
    for name in ("catalogue-0000000000000000.pickle", "catalogue-aaaaaaaaaaaaaaaa-bbbb.cache"):
        (planted / name).write_bytes(pickle.dumps(_Payload(marker)))
    for path in (planted, *planted.iterdir()):
        os.chown(path, 65534, 65534)
    env = {k: v for k, v in os.environ.items() if k not in ("APPROVAL_CACHE_DIR", "APPROVAL_NO_CACHE")}
    env.update(XDG_CACHE_HOME=str(xdg), HOME=str(tmp_path))
    # A copy: the built-in catalogue ships compiled and would not need the cache at all.
    copy = tmp_path / "tables.yaml"
    copy.write_bytes(BUILTIN.read_bytes())
    command = [sys.executable, "-m", "approval_cli", "--catalogue", str(copy), "route", "--unit", "文書組",
               "--amount", "300000", "--json"]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0 and json.loads(result.stdout)["match"]["id"] == "DOC-056"
    assert not marker.exists()
    assert "快取資料夾" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in planted.iterdir()) == [
        "catalogue-0000000000000000.pickle", "catalogue-aaaaaaaaaaaaaaaa-bbbb.cache",
    ]  # fmt: skip


def test_group_or_world_writable_cache_directory_is_not_used(tmp_path, monkeypatch, capsys):
    cache = tmp_path / "open"
    cache.mkdir()
    cache.chmod(0o777)
    monkeypatch.setenv("APPROVAL_CACHE_DIR", str(cache))
    monkeypatch.setattr(store_module, "_noticed", False)
    store = load_store(_copy(tmp_path))
    assert not store.from_cache and list(cache.iterdir()) == []
    assert "快取資料夾" in capsys.readouterr().err


def test_symlink_at_the_temporary_name_is_not_written_through(catalogue_copy, tmp_path, monkeypatch):
    """S2: the temporary name is random; if one is guessed, O_EXCL|O_NOFOLLOW refuse it."""
    victim = tmp_path / "victim"
    victim.write_text("root's secret", encoding="utf-8")
    victim.chmod(0o600)
    monkeypatch.setattr(store_module.os, "urandom", lambda n: b"\x01" * n)  # make the name guessable
    name = cache_file(catalogue_copy).name
    cache = cache_file(catalogue_copy).parent
    cache.mkdir(parents=True, exist_ok=True)
    cache.chmod(0o700)
    (cache / f"{name}.{'01' * 8}.tmp").symlink_to(victim)
    # The old predictable name, catalogue-<key>.<pid>.tmp, sprayed as in the report.
    (cache / f"{Path(name).stem}.{os.getpid()}.tmp").symlink_to(victim)
    (cache / name).symlink_to(victim)  # and at the final name: read refuses it, rename replaces it
    store = load_store(catalogue_copy)
    assert route(store, "", "文書組", 300000)["match"]["id"] == "DOC-056"
    assert victim.read_text(encoding="utf-8") == "root's secret"


def test_temporary_names_are_not_predictable(catalogue_copy, monkeypatch):
    opened = []
    real_open = os.open

    def spy(path, flags, *args, **kwargs):
        if str(path).endswith(".tmp"):
            opened.append((str(path), flags))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(store_module.os, "open", spy)
    for n in range(2):
        catalogue_copy.write_text(catalogue_copy.read_text(encoding="utf-8") + "\n" * (n + 1), encoding="utf-8")
        load_store(catalogue_copy)
    assert len(opened) == 2 and opened[0][0] != opened[1][0]
    assert str(os.getpid()) not in opened[0][0]
    for _, flags in opened:
        assert flags & os.O_EXCL and flags & os.O_CREAT
        if hasattr(os, "O_NOFOLLOW"):
            assert flags & os.O_NOFOLLOW


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_cache_modes_do_not_follow_the_umask(tmp_path, monkeypatch):
    """S3: with umask 000 the directory (and parents it creates) are 0700, the file 0600."""
    cache = tmp_path / "a" / "b" / "cache"
    monkeypatch.setenv("APPROVAL_CACHE_DIR", str(cache))
    catalogue = _copy(tmp_path)
    old = os.umask(0)
    try:
        load_store(catalogue)
    finally:
        os.umask(old)
    for directory in (tmp_path / "a", tmp_path / "a" / "b", cache):
        assert directory.stat().st_mode & 0o777 == 0o700, directory
    files = list(cache.iterdir())
    assert len(files) == 1 and files[0].stat().st_mode & 0o777 == 0o600


def test_same_size_edit_with_the_old_mtime_is_not_served_stale(tmp_path, monkeypatch):
    """R1: `cp -p` / `rsync -t` keep size and mtime; the content hash still sees the edit."""
    from editing import write_catalogue

    monkeypatch.setenv("APPROVAL_CACHE_DIR", str(tmp_path / "cache"))
    path = write_catalogue(tmp_path / "tables.json")
    before = load_store(path)
    assert route(before, "", "文書組", 200000)["match"]["id"] == "DOC-056"  # 150,001～500,000
    assert load_store(path).from_cache
    stat_before = path.stat()
    text = path.read_text(encoding="utf-8")
    at = text.index('"id": "DOC-056"')
    band = text.index('"min": 150001', at)
    edited = text[:band] + '"min": 250001' + text[band + len('"min": 150001') :]  # same size
    path.write_text(edited, encoding="utf-8")
    os.utime(path, ns=(stat_before.st_atime_ns, stat_before.st_mtime_ns))
    assert path.stat().st_size == stat_before.st_size and path.stat().st_mtime_ns == stat_before.st_mtime_ns
    after = load_store(path)
    assert not after.from_cache
    # 200,000 is now below DOC-056's band and above DOC-055's 15萬元以下: in no band at all,
    # so no row answers it (the stale cache would still say DOC-056).
    assert after.entries[after.by_id["DOC-056"]]["amount_range"]["min"] == 250001
    assert route(after, "", "文書組", 200000)["match"] is None


def test_stale_cache_files_are_removed(tmp_path, monkeypatch):
    """R8: rewriting a catalogue leaves one cache file for it, not one per version."""
    from editing import write_catalogue

    cache = tmp_path / "cache"
    monkeypatch.setenv("APPROVAL_CACHE_DIR", str(cache))
    path = tmp_path / "tables.json"
    for n in range(4):
        write_catalogue(path, lambda data, n=n: data["metadata"].update(title=f"版本 {n}"))
        assert load_store(path).metadata["title"] == f"版本 {n}"
        assert len(list(cache.iterdir())) == 1
    old_temporary = cache / "catalogue-0123456789abcdef-0123.cache.abcd.tmp"
    old_temporary.write_bytes(b"left by a killed run")
    os.utime(old_temporary, (1, 1))
    fresh_temporary = cache / "catalogue-0123456789abcdef-0123.cache.ef01.tmp"
    fresh_temporary.write_bytes(b"another run is writing it now")
    unrelated = cache / "notes.txt"
    unrelated.write_text("not ours", encoding="utf-8")
    write_catalogue(path, lambda data: data["metadata"].update(title="版本 9"))
    load_store(path)
    assert not old_temporary.exists() and fresh_temporary.exists() and unrelated.exists()


def test_cache_directory_is_bounded(tmp_path, monkeypatch):
    from editing import write_catalogue

    cache = tmp_path / "cache"
    monkeypatch.setenv("APPROVAL_CACHE_DIR", str(cache))
    monkeypatch.setattr(store_module, "MAX_CACHE_FILES", 2)
    for n in range(4):  # four different catalogue files: four groups
        load_store(write_catalogue(tmp_path / f"t{n}.json"))
        time.sleep(0.01)
    assert len([p for p in cache.iterdir() if p.suffix == ".cache"]) == 2


def test_full_disk_leaves_no_temporary_file(catalogue_copy, monkeypatch):
    """R8: a write that fails half-way removes its temporary file; the lookup still answers."""
    import errno
    import io

    real_fdopen = os.fdopen

    class Full(io.RawIOBase):
        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

    def fdopen(fd, mode="r", *args, **kwargs):
        if "w" in mode:
            os.close(fd)
            return Full()
        return real_fdopen(fd, mode, *args, **kwargs)

    monkeypatch.setattr(store_module.os, "fdopen", fdopen)
    store = load_store(catalogue_copy)
    assert route(store, "", "文書組", 300000)["match"]["id"] == "DOC-056"
    cache = cache_file(catalogue_copy).parent
    assert [p.name for p in cache.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to mount a tmpfs")
def test_full_cache_disk_leaves_no_temporary_file(catalogue_copy, tmp_path, monkeypatch):
    """R8 on a real full disk: a 64 KB tmpfs cannot hold the ~390 KB cache file."""
    import subprocess

    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(mount)],
                      capture_output=True).returncode:  # fmt: skip
        pytest.skip("cannot mount a tmpfs here")
    try:
        monkeypatch.setenv("APPROVAL_CACHE_DIR", str(mount))
        for _ in range(2):
            store = load_store(catalogue_copy)
            assert not store.from_cache and route(store, "", "文書組", 300000)["match"]["id"] == "DOC-056"
        assert list(mount.iterdir()) == []
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_cache_file_planted_by_another_user_or_writable_is_ignored(catalogue_copy):
    load_store(catalogue_copy)
    location = cache_file(catalogue_copy)
    location.chmod(0o666)  # group/world-writable: someone else may have rewritten it
    assert not load_store(catalogue_copy).from_cache
    assert location.stat().st_mode & 0o777 == 0o600  # replaced by a fresh 0600 file
    assert load_store(catalogue_copy).from_cache


def test_truncated_or_padded_cache_is_ignored(catalogue_copy):
    load_store(catalogue_copy)
    location = cache_file(catalogue_copy)
    data = location.read_bytes()
    for broken in (data[: len(data) // 2], data + b"\0", data[:10]):
        location.write_bytes(broken)
        location.chmod(0o600)
        assert not load_store(catalogue_copy).from_cache


def test_every_store_field_round_trips_through_the_data_only_format(store):
    """A plain JSON-able Store field (the ranking work adds e.g. `vocabulary: dict`) needs no
    cache code: this fails if a field holds something the format cannot encode."""
    import io
    from dataclasses import fields

    data = store_module.encode_store(store, "k")
    again = store_module.decode_store(io.BytesIO(data), "k")
    assert again is not None
    for f in fields(store_module.Store):
        if f.name.startswith("_") or f.name in store_module.RUNTIME_FIELDS:
            continue
        left, right = getattr(store, f.name), getattr(again, f.name)
        if isinstance(left, (store_module.Column, store_module.Entries, store_module.Bands, store_module.UnitColumn)):
            assert list(left) == list(right), f.name
        elif isinstance(right, store_module.Postings):  # read back lazily: the same keys and rows
            assert list(right) == list(left) and right == left, f.name
        else:
            assert left == right, f.name
    assert store_module.decode_store(io.BytesIO(data), "other key") is None


def test_plain_values_round_trip_generically():
    from array import array

    value = {
        "text": "採購" * 400, "short": "x", "n": 2**70, "f": 1.5, "none": None, "flag": True,
        "list": [1, ("a", "b"), {"nested": [None]}], 3: "an int key", "\0odd": "a key like a tag",
        "postings": {f"k{i}": array("I", [i, i + 1]) for i in range(10)},
    }  # fmt: skip
    blob = store_module._Blob()
    encoded = store_module._encode(value, blob)
    import io
    import json as json_module

    header = json_module.loads(json_module.dumps(encoded))
    parts = store_module._Parts(io.BytesIO(b"".join(blob.parts)), 0, blob.size)
    assert store_module._decode(header, parts) == value
    with pytest.raises(TypeError):
        store_module._encode({"s": {1, 2}}, store_module._Blob())


def test_catalogue_rewritten_in_place_while_lookups_run(tmp_path, monkeypatch):
    """R14: a writer truncating and rewriting the file beside lookups never makes one fail."""
    from conftest import rewritten_in_place

    monkeypatch.setenv("APPROVAL_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "live.yaml"
    failures = []
    with rewritten_in_place(path, BUILTIN.read_bytes()):
        for n in range(20):
            try:
                store = load_store(path, use_cache=n % 2 == 0)
                assert route(store, "", "文書組", 300000)["match"]["id"] == "DOC-056"
            except store_module.CatalogueError as error:
                failures.append(error.message)
    assert failures == []


def test_the_built_in_catalogue_ships_compiled(tmp_path, monkeypatch):
    """A first lookup on a new machine reads data/tables.compiled (written by parse_dump, checked
    in CI) instead of compiling the catalogue; the user cache stays empty."""
    from approval_cli.catalogue.locate import builtin_path
    from approval_cli.catalogue.store import load_store

    monkeypatch.setenv("APPROVAL_CACHE_DIR", str(tmp_path / "empty"))
    store = load_store(None)
    assert store.from_cache and len(store.entries) == 272
    assert not (tmp_path / "empty").exists() or not any((tmp_path / "empty").iterdir())
    assert builtin_path().with_name("tables.compiled").is_file()


def test_a_shipped_file_that_does_not_match_is_compiled_afresh(tmp_path, monkeypatch):
    """A compiled file whose key does not match the catalogue beside it (edited, or from other
    code) is not used: the catalogue is compiled as usual."""
    import shutil

    from approval_cli.catalogue import locate
    from approval_cli.catalogue.store import load_store

    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy(locate.builtin_path(), folder / "tables.yaml")
    (folder / "tables.compiled").write_bytes(b"approval-cache10\n" + b"\0" * 64)
    monkeypatch.setattr(locate, "builtin_path", lambda: folder / "tables.yaml")
    monkeypatch.setenv("APPROVAL_CACHE_DIR", str(tmp_path / "cache"))
    store = load_store(None)
    assert not store.from_cache and len(store.entries) == 272


def test_no_cache_leaves_no_files_and_no_temporary_folders(tmp_path):
    """APPROVAL_NO_CACHE: not even jieba's dictionary files are written to the cache folder, and
    the private temporary folder used instead is gone when the process ends (a review found one
    1.8 MB folder left in /tmp per run)."""
    import subprocess

    cache = tmp_path / "cache"
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {**os.environ, "APPROVAL_NO_CACHE": "1", "APPROVAL_CACHE_DIR": str(cache), "TMPDIR": str(temporary)}
    command = [sys.executable, "-m", "approval_cli", "find", "同仁參加他機關辦理之教育訓練"]  # a sentence: jieba
    result = subprocess.run(command, capture_output=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    assert not cache.exists()
    assert list(temporary.iterdir()) == []


def test_a_packed_column_is_cached_as_its_text_and_offsets_only():
    """The cache holds a column's data and offsets, never its working state (the rows cut out
    for a batch, the read count): subclasses inherit their parent's __getstate__, which the
    encoder must find (Python 3.11 gives every object one of its own)."""
    from approval_cli.catalogue.store import BytesColumn, Column, _Blob, _encode

    column = Column(["採購", "議員"])
    for _ in range(5):
        column[0]  # read often enough to be cut into a list
    assert column._items is not None
    for packed in (column, BytesColumn([b"a", b"bc"])):
        encoded = _encode(packed, _Blob())
        state = encoded["\0object"][1]
        assert list(state) == ["\0tuple"] and len(state["\0tuple"]) == 2


def test_a_forged_cache_is_ignored_not_used_review_findings(store):
    """A cache file is untrusted (review findings): a vocabulary text that is not JSON of the right
    shape (deeply nested, wrong types), offsets of another array kind, band columns of unequal
    length, and a blob part referenced again and again (memory amplification) each make the file
    unsound: decode_store returns None and the catalogue is compiled afresh."""
    import copy
    import io
    from array import array

    sound = store_module.encode_store(store, "k")
    assert store_module.decode_store(io.BytesIO(sound), "k") is not None

    def forged(change) -> bytes:
        fake = copy.copy(store)
        change(fake)
        return store_module.encode_store(fake, "k")

    for vocabulary in ("[" * 100_000 + "]" * 100_000, '{"purchase_words": [1]}', "{not json", "[1, 2]"):
        data = forged(lambda fake, v=vocabulary: setattr(fake, "vocabulary", v))
        assert store_module.decode_store(io.BytesIO(data), "k") is None, vocabulary[:20]

    def float_offsets(fake):
        column = store_module.Column(["採購", "議員"])
        column._offsets = array("d", column._offsets)
        fake.ids = column

    def short_bands(fake):
        bands = copy.copy(store.bands)
        bands._high = store.bands._high[:-1]
        fake.bands = bands

    for change in (float_offsets, short_bands):
        assert store_module.decode_store(io.BytesIO(forged(change)), "k") is None, change.__name__

    # One 200-byte part referenced 50 times: reading it back would hold 50 copies.
    blob = store_module._Blob()
    ref = blob.add(b"x" * 200)
    header = {"key": "k", "fields": {"metadata": [{"\0bytes": ref} for _ in range(50)]}}
    head = json.dumps(header).encode()
    data = store_module._MAGIC + len(head).to_bytes(8, "little") + blob.size.to_bytes(8, "little") + head
    parts = store_module._Parts(io.BytesIO(data + b"".join(blob.parts)), len(data), blob.size)
    with pytest.raises(store_module._Corrupt):
        store_module._decode(header["fields"]["metadata"], parts)


# ---------------------------------------------------------------- the remembered content hash


def _digest_files(cache: Path) -> list[Path]:
    return sorted(cache.glob("catalogue-*.digest"))


@pytest.fixture
def remembered(tmp_path, monkeypatch):
    """(cache folder, catalogue file) after one load that remembered the file's hash (the tests'
    files are new and small: the age and size limits are lifted)."""
    from editing import write_catalogue

    cache = tmp_path / "cache"
    monkeypatch.setenv("APPROVAL_CACHE_DIR", str(cache))
    monkeypatch.setattr(store_module, "_RACY_NS", 0)
    monkeypatch.setattr(store_module, "_REMEMBER_FROM_BYTES", 0)
    path = write_catalogue(tmp_path / "tables.json")
    load_store(path)
    return cache, path


def test_a_warm_lookup_does_not_hash_an_unchanged_catalogue_again(remembered, monkeypatch):
    """Hashing a 42 MB catalogue was a sixth of a warm lookup on it: the hash is remembered with
    the file's stamp (device, inode, size, mtime, ctime) and used while the stamp is the same."""
    cache, path = remembered
    assert len(_digest_files(cache)) == 1

    def no_hashing(path):
        raise AssertionError("hashed again")

    monkeypatch.setattr("approval_cli.catalogue.locate.catalogue_digest", no_hashing)
    again = load_store(path)
    assert again.from_cache and route(again, "", "文書組", 200000)["match"]["id"] == "DOC-056"


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="Windows' ctime is the creation time: never remembered")
def test_a_remembered_hash_does_not_hide_a_same_size_edit_that_keeps_the_mtime(tmp_path, monkeypatch):
    """`cp -p` / `rsync -t` keep size and mtime; the change time still moves, so the remembered
    hash is not used and the edit is seen (the rule of the test above, with a hash remembered)."""
    from editing import write_catalogue

    monkeypatch.setenv("APPROVAL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(store_module, "_RACY_NS", 0)
    monkeypatch.setattr(store_module, "_REMEMBER_FROM_BYTES", 0)
    path = write_catalogue(tmp_path / "tables.json")
    load_store(path)
    assert load_store(path).from_cache and _digest_files(tmp_path / "cache")
    stat_before = path.stat()
    time.sleep(0.05)  # a later clock tick: what _RACY_NS guarantees outside this test
    text = path.read_text(encoding="utf-8")
    band = text.index('"min": 150001', text.index('"id": "DOC-056"'))
    path.write_text(text[:band] + '"min": 250001' + text[band + len('"min": 150001') :], encoding="utf-8")
    os.utime(path, ns=(stat_before.st_atime_ns, stat_before.st_mtime_ns))
    assert path.stat().st_size == stat_before.st_size and path.stat().st_mtime_ns == stat_before.st_mtime_ns
    after = load_store(path)
    assert not after.from_cache
    assert route(after, "", "文書組", 200000)["match"] is None  # 200,000 is in no band now


def test_a_catalogue_written_just_before_it_is_hashed_is_not_remembered(tmp_path, monkeypatch):
    """A second write in the same clock tick could keep every stamp: a file younger than
    _RACY_NS when hashed is hashed again next time."""
    from editing import write_catalogue

    cache = tmp_path / "cache"
    monkeypatch.setenv("APPROVAL_CACHE_DIR", str(cache))
    monkeypatch.setattr(store_module, "_REMEMBER_FROM_BYTES", 0)
    path = write_catalogue(tmp_path / "tables.json")
    load_store(path)
    assert load_store(path).from_cache
    assert _digest_files(cache) == []


def test_how_recent_a_write_is_is_judged_when_the_stamp_is_taken_not_later(tmp_path, monkeypatch):
    """Review finding: the age was measured when the hash was saved, after a compile that can
    take longer than _RACY_NS, so a rewrite in the stamp's clock tick could be remembered under
    the old content's hash. It is measured when the stamp is taken, before the file is read."""
    monkeypatch.setattr(store_module, "_RACY_NS", 50_000_000)  # 50 ms
    monkeypatch.setattr(store_module, "_REMEMBER_FROM_BYTES", 0)
    monkeypatch.setenv("APPROVAL_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "tables.yaml"
    path.write_bytes(BUILTIN.read_bytes())
    stamp = store_module._stamp(path)  # just written: too recent
    time.sleep(0.1)  # a long compile
    directory = store_module._CacheDir.open(create=True)
    try:
        store_module._remember_digest(directory, path, stamp, "0" * 64)
    finally:
        directory.close()
    assert _digest_files(tmp_path / "cache") == []


def test_a_catalogue_on_another_file_system_or_small_is_hashed_every_time(tmp_path, monkeypatch):
    """A network or FUSE mount may cache a file's attributes or report ctime = mtime: only a
    catalogue on the cache folder's file system, and big enough to be worth it, is remembered."""
    from editing import write_catalogue

    cache = tmp_path / "cache"
    monkeypatch.setenv("APPROVAL_CACHE_DIR", str(cache))
    monkeypatch.setattr(store_module, "_RACY_NS", 0)
    path = write_catalogue(tmp_path / "tables.json")
    load_store(path)  # under _REMEMBER_FROM_BYTES: not remembered
    assert _digest_files(cache) == []
    monkeypatch.setattr(store_module, "_REMEMBER_FROM_BYTES", 0)
    real = store_module._stamp

    def elsewhere(path):
        stamp = real(path)
        return store_module._Stamp([stamp.fields[0] + 1, *stamp.fields[1:]], stamp.taken_at)

    monkeypatch.setattr(store_module, "_stamp", elsewhere)
    load_store(path)
    assert _digest_files(cache) == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("kind", [".digest", ".cache"])
def test_a_fifo_planted_at_a_cache_name_does_not_hang_a_lookup(remembered, kind):
    """Review finding: opening a FIFO for reading blocks until a writer comes; our files are
    opened O_NONBLOCK and a FIFO is then refused as not a regular file."""
    import threading

    cache, path = remembered
    (planted,) = cache.glob(f"*{kind}")
    planted.unlink()
    os.mkfifo(planted, 0o600)
    done = []
    worker = threading.Thread(target=lambda: done.append(load_store(path)), daemon=True)
    worker.start()
    worker.join(timeout=20)
    if not done:  # unblock the thread before failing
        with open(os.open(planted, os.O_WRONLY | os.O_NONBLOCK), "wb"):
            pass
    assert done and route(done[0], "", "文書組", 200000)["match"]["id"] == "DOC-056"


@pytest.mark.parametrize(
    "forged",
    [
        b"not json",
        b'{"stamp": [1, 2, 3, 4, 5], "digest": "' + b"0" * 64 + b'"}',  # another stamp
        b"[" * 100_000,  # deep nesting
        b"{}" + b" " * 5000,  # longer than a remembered hash can be
    ],
)
def test_a_forged_or_foreign_digest_file_is_ignored(remembered, forged):
    cache, path = remembered
    (digest_file,) = _digest_files(cache)
    digest_file.write_bytes(forged)
    again = load_store(path)
    assert again.from_cache and route(again, "", "文書組", 200000)["match"]["id"] == "DOC-056"


def test_a_digest_file_goes_with_the_last_cache_file_of_its_catalogue(tmp_path, monkeypatch):
    from editing import write_catalogue

    cache = tmp_path / "cache"
    monkeypatch.setenv("APPROVAL_CACHE_DIR", str(cache))
    monkeypatch.setattr(store_module, "MAX_CACHE_FILES", 1)
    monkeypatch.setattr(store_module, "_RACY_NS", 0)
    monkeypatch.setattr(store_module, "_REMEMBER_FROM_BYTES", 0)
    first = write_catalogue(tmp_path / "first.json")
    load_store(first)
    assert len(_digest_files(cache)) == 1
    time.sleep(0.01)
    load_store(write_catalogue(tmp_path / "second.json"))  # first's cache file is pruned …
    (kept,) = cache.glob("*.cache")
    (digest,) = _digest_files(cache)  # … and its remembered hash with it: second's is left
    assert kept.name.startswith(digest.name.removesuffix(".digest") + "-")


# ---------------------------------------------------------------- entries read when shown


def test_a_big_catalogues_entries_are_read_from_the_cache_file_when_shown(catalogue_copy, monkeypatch):
    """The entries' JSON (60 % of a big catalogue's cache file) is read row by row when a row is
    shown, not at load; the answers are the same."""
    monkeypatch.setattr(store_module, "_LAZY_BYTES", 1)  # the built-in catalogue counts as big
    fresh = load_store(catalogue_copy)
    cached = load_store(catalogue_copy)
    assert cached.from_cache
    assert isinstance(cached.entries._texts._data, store_module._FileBytes)
    assert find(cached, "硬碟報廢")["matches"][0]["source_line"] == 137
    assert [cached.entries[i] for i in range(len(cached.entries))] == [
        fresh.entries[i] for i in range(len(fresh.entries))
    ]
    # Many reads cut the column into rows (a batch): read whole once, then from memory.
    assert isinstance(cached.entries._texts._cut()[0], bytes)


def test_a_cache_file_cut_short_after_loading_gives_a_clear_error(catalogue_copy, monkeypatch):
    from approval_cli.errors import CatalogueError

    monkeypatch.setattr(store_module, "_LAZY_BYTES", 1)
    load_store(catalogue_copy)
    cached = load_store(catalogue_copy)
    assert cached.from_cache
    location = cache_file(catalogue_copy)
    with open(location, "r+b") as handle:  # only a process of this user could do it
        handle.truncate(100)
    with pytest.raises(CatalogueError, match="快取已損壞"):
        cached.entries[len(cached.entries) - 1]


def test_a_bounded_memo_of_folded_texts_builds_the_same_store(monkeypatch):
    """build_store folds each distinct text once, in a memo cleared when full: cleared at every
    entry it must still build the same store (it once lost the texts of the entry at hand)."""
    usual = store_module.encode_store(load_store(BUILTIN, use_cache=False), "k")
    monkeypatch.setattr(store_module, "FOLD_CACHE_LIMIT", 1)
    assert store_module.encode_store(load_store(BUILTIN, use_cache=False), "k") == usual


def test_a_network_or_fuse_file_system_is_not_trusted_for_remembered_hashes(tmp_path):
    """Second review: with the cache folder on the same NFS, SMB or sshfs mount as the catalogue,
    the same-device rule passed; the file system's type is looked up (Linux mountinfo)."""
    if not sys.platform.startswith("linux"):
        assert not store_module._local_file_system(os.stat(tmp_path).st_dev)
        return
    device = os.stat(tmp_path).st_dev
    wanted = f"{os.major(device)}:{os.minor(device)}"
    for kind, local in (("ext4", True), ("nfs4", False), ("cifs", False), ("fuse.sshfs", False)):
        mountinfo = tmp_path / f"mountinfo-{kind}"
        mountinfo.write_text(f"36 35 {wanted} / /home rw,relatime shared:1 - {kind} server:/home rw\n")
        assert store_module._local_file_system(device, str(mountinfo)) is local, kind


def test_a_digest_file_of_an_older_rule_is_not_used(remembered, monkeypatch):
    cache, path = remembered
    (digest_file,) = _digest_files(cache)
    data = json.loads(digest_file.read_text())
    del data["rule"]  # as the first version of this round wrote it
    digest_file.write_text(json.dumps(data))
    import approval_cli.catalogue.locate as locate

    calls = []
    original = locate.catalogue_digest
    monkeypatch.setattr(locate, "catalogue_digest", lambda path: calls.append(path) or original(path))
    assert load_store(path).from_cache
    assert calls  # hashed again, not taken from the old record


def test_jieba_is_loaded_without_pkg_resources():
    """Issue 10: jieba imported pkg_resources (57 ms of a batch's 0.32 s start-up) only to open
    its own default dictionary, which the tool replaces with its pruned one. The sentence is cut as
    before, pkg_resources stays unloaded, and it can still be imported afterwards."""
    import subprocess

    script = (
        "import sys\n"
        "from approval_cli.text import segment\n"
        "print(segment.words('同仁參加他機關辦理之教育訓練'))\n"
        "print('pkg_resources' in sys.modules)\n"
        "import importlib.util\n"
        "print(importlib.util.find_spec('pkg_resources') is None or bool(__import__('pkg_resources')))\n"
    )
    env = {**os.environ, "APPROVAL_NO_CACHE": "1"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, env=env, timeout=120, text=True)
    assert result.returncode == 0, result.stderr
    cut, loaded, importable = result.stdout.splitlines()
    assert cut.startswith("['同仁', '參加'") and loaded == "False" and importable == "True"
