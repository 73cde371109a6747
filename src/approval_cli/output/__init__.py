"""Rendering answers for people (rich, plain lines, the routing slip) and for programs (JSON, CSV).

emit() is the one place that picks how an answer is shown: its JSON document for programs, else the
renderer the command names for the format asked. Human output always goes through
safetext.neutralise_deep first, so no control character of a catalogue or an argument reaches the
terminal. Renderers are imported only when used (rich costs ~30 ms).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def emit(document: Any, fmt: str, json_document: Any = None, **renderers: Callable[[Any], None]) -> None:
    """Show `document` as `fmt`: "json" writes `json_document` (default: the document itself); any
    other format calls the renderer given for it with the neutralised document."""
    if fmt == "json":
        from approval_cli.output.jsonout import write_json

        write_json(document if json_document is None else json_document)
        return
    from approval_cli.text.safetext import neutralise_deep

    renderers[fmt](neutralise_deep(document))


def rendered(name: str, *args: Any, **kwargs: Any) -> Callable[[Any], None]:
    """A renderer of output/render.py by name, imported when it is called: rendered("print_find", explain)."""

    def show(document: Any) -> None:
        from approval_cli.output import render

        getattr(render, name)(document, *args, **kwargs)

    return show


def written(make_text: Callable[[Any], str]) -> Callable[[Any], None]:
    """A renderer that writes the text a function makes of the document to stdout (slip, CSV)."""

    def show(document: Any) -> None:
        import sys

        sys.stdout.write(make_text(document))

    return show
