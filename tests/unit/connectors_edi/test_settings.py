"""The connector's public face, its settings (refused with the field named), the shipped example."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

import crossdock.connectors.edi_x12 as pkg
from crossdock.connectors.edi_x12 import EdiConnector, EdiSettings
from crossdock.connectors.edi_x12.writer import Writer
from crossdock.connectors.registry import connector_class
from crossdock.sync.runtime import parse_checked

from .helpers import settings


def test_public_face() -> None:
    assert sorted(pkg.__all__) == ["EdiConnector", "EdiSettings"]
    assert connector_class("edi_x12") is EdiConnector
    assert EdiConnector.Settings is EdiSettings


def test_the_shipped_example_loads() -> None:
    hub = parse_checked((Path(pkg.__file__).parent / "example.yaml").read_text())
    system = next(s for s in hub.systems if s.name == "bigbox")
    cfg = EdiSettings.model_validate(system.settings)
    assert cfg.units["CA"] == "CS" and cfg.ship_to == "BB-{code}"
    env = cfg.envelope()
    assert (env.sender_id, env.receiver_id, env.application_receiver) == (
        "CROSSDOCKHUB",
        "123456789",
        "BIGBOX",
    )


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"separators": {"element": "*", "component": "*", "segment": "~"}}, "separators"),
        ({"ship_to": "STORE"}, "ship_to"),
        ({"items": ["XX"]}, "items"),
        ({"ours": {"qualifier": "Z", "id": "HUB"}}, "ours"),
        ({"version": "4010"}, "version"),
    ],
)
def test_bad_settings_name_the_field(over: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        settings(**over)
    assert err.value.errors()[0]["loc"][0] == field


def test_the_isa_written_is_fixed_width() -> None:
    from datetime import UTC, datetime

    text = Writer(settings().envelope()).isa(42, datetime(2026, 12, 4, 9, 5, tzinfo=UTC))
    assert len(text.rstrip("\n")) == 106
    assert text.startswith("ISA*00*          *00*          *ZZ*CROSSDOCKHUB   *01*123456789      ")
    assert "*261204*0905*U*00401*000000042*0*P*>~" in text


def test_a_value_holding_a_separator_is_refused_not_written() -> None:
    from crossdock.connectors.edi_x12.errors import X12SyntaxError

    with pytest.raises(X12SyntaxError) as err:
        Writer(settings().envelope()).segment(["N1", "ST", "A*B"])
    assert "N102" in err.value.message
