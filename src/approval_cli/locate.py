"""Where the catalogue is: --catalogue, then APPROVAL_CATALOGUE, then the built-in one.

Separate from catalogue.py so a cached lookup finds its file without importing pydantic.
"""

from __future__ import annotations

import os
from pathlib import Path


def builtin_path() -> Path:
    """Inside an installed wheel the catalogue sits in the package; in a checkout, in data/."""
    packaged = Path(__file__).with_name("data") / "tables.yaml"
    if packaged.exists():
        return packaged
    return Path(__file__).resolve().parents[2] / "data" / "tables.yaml"


def resolve_path(explicit: str | os.PathLike[str] | None) -> Path:
    """--catalogue wins over APPROVAL_CATALOGUE, which wins over the built-in catalogue."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("APPROVAL_CATALOGUE")
    if env:
        return Path(env)
    return builtin_path()
