"""The JSON contract (approval_cli.results) holds for real outputs, unknown keys refused, and
`approval schema` publishes it."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from approval_cli.answers.core import find, route, units_summary, with_status
from approval_cli.cli import main
from approval_cli.results import json_schema, validate

ROUTES = [
    ("採購 30萬", "文書組"),  # answered, band 153
    ("公務車輛統一調派", "總務組"),  # choose_one
    ("議會案件", "文書組"),  # no_final_approver (lines 149/150)
    ("加班費", "人事室"),  # no_row_in_unit, with nearest rows
    ("採購", "文書組"),  # needs_amount
    ("駐華大使來訪拜會 要買伴手禮 3萬", "國際事務組"),  # band with a related row
    ("用印 重大", "總務組"),  # escalation applied
]


@pytest.mark.parametrize(("text", "unit"), ROUTES)
def test_route_documents_keep_the_contract(store, text, unit):
    validate("route", json.loads(json.dumps(with_status(route(store, text, unit)), ensure_ascii=False)))


@pytest.mark.parametrize("text", ["採購 30萬", "加班費", "人事室 退文", "採構"])
def test_find_documents_keep_the_contract(store, text):
    validate("find", json.loads(json.dumps(find(store, text), ensure_ascii=False)))


def test_units_document_keeps_the_contract(store):
    validate("units", units_summary(store))


def test_an_unknown_key_breaks_the_contract(store):
    document = with_status(route(store, "採購 30萬", "文書組"))
    with pytest.raises(ValidationError):
        validate("route", {**document, "surprise": 1})


def test_schema_command_prints_json_schema(capsys):
    with pytest.raises(SystemExit) as done:
        main(["schema", "route"])
    assert done.value.code == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema == json_schema("route")
    assert {"answered", "status", "choices", "final_approver"} <= set(schema["properties"])
