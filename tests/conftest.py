from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DUMP = ROOT / "data" / "source" / "000_e869757213248338.txt"
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Tests never read or write the user's real cache, and never see their APPROVAL_CATALOGUE."""
    monkeypatch.setenv("APPROVAL_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
    monkeypatch.delenv("APPROVAL_CATALOGUE", raising=False)
    monkeypatch.delenv("APPROVAL_NO_CACHE", raising=False)


@pytest.fixture(scope="session")
def catalogue():
    import parse_dump

    return parse_dump.parse_dump(
        DUMP.read_bytes(), DUMP.name, parse_dump.read_vocabulary(parse_dump.DEFAULT_VOCABULARY)
    )


@pytest.fixture(scope="session")
def by_line(catalogue):
    return {entry.source_line: entry for entry in catalogue.entries}


@pytest.fixture(scope="session")
def store():
    from approval_cli.catalogue.store import load_store

    return load_store(ROOT / "data" / "tables.yaml", use_cache=False)


def call(capsys, *args: str) -> tuple[int, str, str]:
    """main() as the entry point runs it, in-process: exit code, stdout, stderr."""
    from approval_cli.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


@contextlib.contextmanager
def rewritten_in_place(path: Path, content: bytes):
    """While the block runs, a thread keeps rewriting `path` as `cp new.yaml tables.yaml` does in a
    loop: truncate, then write in 64 KB parts (issue 9, R14)."""
    import threading
    import time

    path.write_bytes(content)
    stop = threading.Event()

    def writer():
        while not stop.is_set():
            with path.open("wb") as handle:
                for start in range(0, len(content), 64 * 1024):
                    handle.write(content[start : start + 64 * 1024])
                    handle.flush()
            time.sleep(0.005)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
