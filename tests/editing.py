"""Edited copies of the built-in catalogue, for tests of what a loader must refuse or flag."""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BUILTIN = ROOT / "data" / "tables.yaml"


@functools.cache
def _builtin() -> dict:
    return yaml.load(BUILTIN.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def builtin_data() -> dict:
    """A fresh deep copy of the built-in catalogue as plain data."""
    return copy.deepcopy(_builtin())


def entry(data: dict, entry_id: str) -> dict:
    return next(e for e in data["entries"] if e["id"] == entry_id)


def write_catalogue(path: Path, edit: Callable[[dict], object] | None = None) -> Path:
    """The built-in catalogue, edited, written as JSON at path."""
    data = builtin_data()
    if edit is not None:
        edit(data)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return path
