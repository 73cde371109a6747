"""JSON output for scripts: kept apart from render.py so --json runs import nothing else."""

from __future__ import annotations

import json
import sys
from typing import Any


def write_json(data: Any, stream=None) -> None:
    stream = stream or sys.stdout
    stream.write(json.dumps(data, ensure_ascii=False, indent=2))
    stream.write("\n")


def json_line(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
