"""A trading partner's settings: ids, envelope, separators, mailbox and the 850 mapping.

Example (``crossdock.yaml``)::

    - name: bigbox
      kind: edi_x12
      settings:
        mailbox: ./edi/bigbox            # inbound/ and outbound/ beneath it
        ours: {qualifier: ZZ, id: CROSSDOCKHUB}
        theirs: {qualifier: "01", id: "123456789"}
        version: "00401"                 # ISA12; GS08 is group_version (004010)
        separators: {element: "*", component: ">", segment: "~"}
        customer: BIGBOX                 # the partner's account number in the hub
        ship_to: "BB-{code}"             # N1*ST store/DC number 0042 -> site BB-0042
        units: {CA: CS, EA: EA}          # PO103 code -> the hub's unit
        items: [VP, BP, UP]              # product id qualifiers, in order of preference
        ack_deadline_hours: 24           # a sent group without its 997 after this: an alert

``items``: ``VP``/``VN``/``SK`` name the hub's SKU; ``BP``/``IN``/``CB`` the
partner's own part number, looked up in the crosswalk under this system;
``UP``/``UK``/``EN``/``UA`` a GTIN (UPC, GTIN-14, EAN-13), looked up among the
products' identifiers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from crossdock.connectors.edi_x12.errors import X12SyntaxError
from crossdock.connectors.edi_x12.separators import Separators
from crossdock.connectors.edi_x12.writer import Envelope

SKU_QUALIFIERS = frozenset({"VP", "VN", "SK"})
PARTNER_QUALIFIERS = frozenset({"BP", "IN", "CB"})
GTIN_QUALIFIERS = frozenset({"UP", "UK", "EN", "UA"})
_ID = r"^[A-Za-z0-9 .\-_/&]+$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InterchangeId(_Strict):
    qualifier: str = Field(min_length=2, max_length=2, pattern=r"^[A-Z0-9]{2}$")
    id: str = Field(min_length=1, max_length=15, pattern=_ID)


class SeparatorSettings(_Strict):
    element: str = "*"
    component: str = ">"
    segment: str = "~"
    repetition: str | None = Field(default=None, description="ISA11, versions 00402 and later")

    def separators(self) -> Separators:
        return Separators(self.element, self.component, self.segment, self.repetition)

    @model_validator(mode="after")
    def _distinct(self) -> SeparatorSettings:
        try:
            self.separators().check()
        except X12SyntaxError as exc:
            raise ValueError(exc.message) from None
        return self


class PemSource(_Strict):
    """Where a PEM (or PKCS#12) blob comes from: a file the hub file names, or a variable."""

    file: Path | None = Field(default=None, description="relative: to the cwd")
    env: str | None = Field(default=None, description="environment variable holding the PEM")

    @model_validator(mode="after")
    def _one(self) -> PemSource:
        if (self.file is None) == (self.env is None):
            raise ValueError("give exactly one of file or env")
        return self


class As2Settings(_Strict):
    """AS2 transport for the partner: signed and encrypted messages, signed MDNs.

    Keys and certificates come from files named here or from environment
    variables, never from the repository.
    """

    ours: str = Field(min_length=1, max_length=128, description="the hub's AS2 name (AS2-To in)")
    theirs: str = Field(min_length=1, max_length=128, description="the partner's AS2 name")
    url: str | None = Field(
        default=None, pattern=r"^https?://", description="the partner's AS2 endpoint (outbound)"
    )
    key: PemSource = Field(description="the hub's private key and certificate (PEM or PKCS#12)")
    key_password_env: str | None = Field(default=None, description="variable with its password")
    partner_certificate: PemSource = Field(description="verifies the partner, encrypts to it")
    encryption: Literal["aes_128_cbc", "aes_192_cbc", "aes_256_cbc", "tripledes_192_cbc"] = (
        "aes_256_cbc"
    )
    mdn_url: str | None = Field(
        default=None,
        pattern=r"^https?://",
        description="the hub's AS2 MDN endpoint as the partner reaches it: set, outbound "
        "messages ask for an asynchronous MDN posted there (POST /v1/as2/{system}/mdn)",
    )
    mdn_deadline_seconds: int = Field(default=900, ge=1, description="no MDN by then: an alert")
    retry_seconds: float = Field(default=30.0, gt=0, description="first backoff; doubles")
    retry_max_seconds: float = Field(default=1800.0, gt=0)
    timeout_seconds: float = Field(default=60.0, gt=0)


class EdiSettings(_Strict):
    """Typed settings of a ``kind: edi_x12`` system (one trading partner)."""

    mailbox: Path = Field(description="folder with inbound/ and outbound/ (relative: to the cwd)")
    ours: InterchangeId = Field(description="the hub's interchange id (ISA05/06 outbound)")
    theirs: InterchangeId = Field(description="the partner's interchange id (ISA07/08 outbound)")
    application_sender: str | None = Field(default=None, max_length=15, description="GS02 out")
    application_receiver: str | None = Field(default=None, max_length=15, description="GS03 out")
    version: str = Field(default="00401", pattern=r"^[0-9]{5}$", description="ISA12")
    group_version: str = Field(default="004010", pattern=r"^[0-9]{6}[A-Z0-9]*$", description="GS08")
    accept_versions: list[str] = Field(
        default_factory=lambda: ["004010"], description="GS08 values read (others: AK905 2)"
    )
    usage: Literal["P", "T"] = "P"
    separators: SeparatorSettings = SeparatorSettings()
    line_break: bool = Field(default=True, description="a line break after each segment out")
    customer: str = Field(min_length=1, max_length=64, description="the partner's account number")
    ship_to: str = Field(default="{code}", description="site code from the N1*ST id; {code}")
    bill_to: str | None = Field(default=None, description="site code from the N1*BT id; {code}")
    units: dict[str, str] = Field(
        default_factory=dict, description="PO103 code -> hub unit; empty: taken as they are"
    )
    items: list[str] = Field(
        default_factory=lambda: ["VP", "VN", "SK", "BP", "IN", "UP", "UK", "EN", "UA"],
        min_length=1,
    )
    ack_deadline_hours: float = Field(
        default=24,
        gt=0,
        description="a group sent without the partner's 997 after this long is an alert",
    )
    partner_prices: bool = Field(
        default=True, description="PO104 is the channel's price (the price rule compares it)"
    )
    replace_855: bool = Field(
        default=True,
        description="a replacement 855 (BAK01 05) when an acknowledged order is amended or"
        " cancelled",
    )
    as2: As2Settings | None = Field(default=None, description="AS2 transport (else: mailbox only)")

    @field_validator("ship_to", "bill_to")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        if value is not None and "{code}" not in value:
            raise ValueError("must contain {code} (the partner's store or DC number)")
        return value

    @field_validator("items")
    @classmethod
    def _items(cls, value: list[str]) -> list[str]:
        known = SKU_QUALIFIERS | PARTNER_QUALIFIERS | GTIN_QUALIFIERS
        bad = [q for q in value if q not in known]
        if bad:
            raise ValueError(f"unknown qualifier(s) {bad}; known: {sorted(known)}")
        return value

    def envelope(self) -> Envelope:
        """How the hub writes to this partner."""
        return Envelope(
            sender_qualifier=self.ours.qualifier,
            sender_id=self.ours.id,
            receiver_qualifier=self.theirs.qualifier,
            receiver_id=self.theirs.id,
            application_sender=self.application_sender or self.ours.id,
            application_receiver=self.application_receiver or self.theirs.id,
            version=self.version,
            group_version=self.group_version,
            usage=self.usage,
            separators=self.separators.separators(),
            line_break=self.line_break,
        )


__all__ = [
    "GTIN_QUALIFIERS",
    "PARTNER_QUALIFIERS",
    "SKU_QUALIFIERS",
    "As2Settings",
    "EdiSettings",
    "InterchangeId",
    "PemSource",
    "SeparatorSettings",
]
