from __future__ import annotations

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
