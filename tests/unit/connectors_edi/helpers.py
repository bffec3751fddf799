"""What the EDI unit tests share: the samples, a partner's settings, a product lookup in memory."""

from __future__ import annotations

from pathlib import Path

from crossdock.connectors.edi_x12.ack997 import body, from_result
from crossdock.connectors.edi_x12.config import EdiSettings
from crossdock.connectors.edi_x12.envelope import Group
from crossdock.connectors.edi_x12.separators import Separators
from crossdock.connectors.edi_x12.validate import validate_group

SAMPLES = Path(__file__).parent / "samples"
PARTIES = "*01*123456789      *ZZ*CROSSDOCKHUB   "


def isa(repetition: str = "U", version: str = "00401") -> str:
    """A 106-character ISA from the partner (01/123456789) to the hub (ZZ/CROSSDOCKHUB)."""
    return (
        "ISA*00*          *00*          "
        + PARTIES
        + f"*261201*0930*{repetition}*{version}*000000001*0*P*>~"
    )


ISA = isa()


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def settings(**over: object) -> EdiSettings:
    doc: dict[str, object] = {
        "mailbox": "./edi/bigbox",
        "ours": {"qualifier": "ZZ", "id": "CROSSDOCKHUB"},
        "theirs": {"qualifier": "01", "id": "123456789"},
        "customer": "BIGBOX",
        "ship_to": "BB-{code}",
        "bill_to": "BB-{code}",
        "units": {"CA": "CS", "EA": "EA"},
        "items": ["VP", "SK", "BP", "UP", "UK"],
    }
    return EdiSettings.model_validate({**doc, **over})


class DictLookup:
    """Products as a distributor's hub would hold them: W-100 (UPC 012345678905) and W-200."""

    skus = {"W-100", "W-200"}
    partner = {"BB-55": "W-200"}
    gtins = {"00012345678905": "W-100"}

    def by_sku(self, sku: str) -> str | None:
        return sku if sku in self.skus else None

    def by_partner_id(self, part: str) -> str | None:
        return self.partner.get(part)

    def by_gtin(self, gtin: str) -> str | None:
        return self.gtins.get(gtin.zfill(14))


def ack_lines(group: Group) -> list[str]:
    """The 997 segments (AK1..AK9) answering ``group``, as ``*``-joined text."""
    seps = Separators()
    return ["*".join(f) for f in body(from_result(validate_group(group, ("004010",))), seps)]
