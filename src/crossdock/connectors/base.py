"""The connector interface: what every system kind provides to the engine.

A connector kind is a class registered under the ``crossdock.connectors``
entry-point group. The engine only ever sees these small protocols:

* :class:`Source` pulls native input and yields :class:`~crossdock.model.change.Change`
  objects (or :class:`SourceError` for input it cannot map) in acknowledged units.
* :class:`FileSource` (a source that can) reads one whole export file on demand.
* :class:`Destination` pushes a batch of :class:`Delivery` objects and answers
  one :class:`DeliveryResult` per delivery.
* :class:`WebhookReceiver` verifies and maps an inbound HTTP request.

Delivery guarantee towards destinations: at-least-once. Each delivery carries
a stable ``delivery_id`` (route, entity, version) that receivers use to drop
duplicates, which makes the effect exactly-once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar, Generic, Literal, Protocol, TypeVar, cast, runtime_checkable

from pydantic import BaseModel

from crossdock.config.hub import HubConfig, SystemConfig
from crossdock.errors import ConfigInvalid, ErrorCode, InvalidInput
from crossdock.model.base import EntityType
from crossdock.model.change import Change, ChangeOp
from crossdock.model.order import Order
from crossdock.observability.redaction import register_secret
from crossdock.store.facade import Store


@dataclass(frozen=True, slots=True)
class SourceError:
    """Input a connector could not turn into a change: becomes a business exception.

    ``ref`` locates it (``products.csv:17``), ``field`` names the canonical
    field path or native column at fault, ``raw`` keeps the input so a person
    can fix and replay it.
    """

    system: str
    reason: str
    code: ErrorCode
    ref: str | None = None
    field: str | None = None
    entity_type: EntityType | None = None
    native_id: str | None = None
    raw: Mapping[str, Any] | str | None = None


SourceItem = Change | SourceError


@dataclass(slots=True)
class InboundUnit:
    """One acknowledged unit of source input (a file, a message batch).

    ``items`` is consumed once. The engine calls ``ack`` after everything from
    the unit is committed, so a crash before that re-reads the unit; ingest's
    idempotency keys then drop what was already applied.
    """

    name: str
    items: Iterable[SourceItem]
    total: int | None = None
    ack: Callable[[], None] = field(default=lambda: None)


@dataclass(frozen=True, slots=True)
class ChannelOrder:
    """An order a sales channel took (a shop's completed checkout), for the hub's order intake.

    Not a canonical record: the order service decides on it and publishes the
    canonical ``order`` itself. ``body`` is the intake body, the JSON of
    ``POST /v1/orders`` (order number, customer, lines, prices); ``ship_to_address``
    is the address the buyer gave when the channel names no ship-to site, for
    intake to match against the customer's sites. ``cancelled``: the channel
    cancelled the order (``body`` then needs only its ``order_number``); the
    hub's order of that number is cancelled, an order it never took is ignored.
    """

    system: str
    native_id: str
    ref: str
    body: Mapping[str, Any]
    ship_to_address: Mapping[str, str | None] | None = None
    cancelled: bool = False


@dataclass(slots=True)
class OrderUnit:
    """Orders read in one go; ``ack`` (after intake took or filed every one) moves the bookmark."""

    name: str
    orders: list[ChannelOrder]
    ack: Callable[[], None] = field(default=lambda: None)
    refused: list[SourceError] = field(default_factory=list)
    """Orders the connector could not map (filed as business exceptions)."""


@runtime_checkable
class OrderFeed(Protocol):
    def pull_orders(self) -> Iterator[OrderUnit]:
        """Orders the channel took since its bookmark; returns when there are none."""
        ...


@runtime_checkable
class Source(Protocol):
    def pull(self) -> Iterator[InboundUnit]:
        """Units of input waiting now; returns when there are none."""
        ...


@runtime_checkable
class ReplayableSource(Protocol):
    def replay(self, ref: str, raw: Mapping[str, Any] | str) -> SourceItem:
        """Map input an exception kept (its ``ref`` and raw row) again, with today's mapping.

        How ``exceptions retry`` replays a row that failed to map (an unmapped
        value, say) once the mapping is fixed: the result is a change, or the
        error the row still has.
        """
        ...


@runtime_checkable
class SnapshotSource(Protocol):
    def snapshot(self) -> Iterator[SourceItem]:
        """Everything the system holds now, as changes; moves no bookmark (reconciliation)."""
        ...


@runtime_checkable
class FileSource(Protocol):
    """A source that reads whole export files on demand (`crossdock import`, `reconcile --file`)."""

    def read_file(self, path: Path) -> InboundUnit:
        """One file as a unit of changes, through the system's mapping; moves no bookmark."""
        ...


@dataclass(frozen=True, slots=True)
class Delivery:
    """One record version going to one destination through one route."""

    delivery_id: str
    route: str
    entity_type: EntityType
    entity_id: str
    version: int
    op: ChangeOp
    data: Mapping[str, Any]
    native_id: str | None
    event_time: datetime
    source_system: str | None = None
    traceparent: str | None = None
    """W3C trace context of the change this delivery carries on."""


class DeliveryStatus(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """The destination's answer for one delivery.

    ``native_id`` is the destination's id for the record when it assigned or
    knows one; the engine writes it into the crosswalk. ``reference`` goes into
    the route's receipts (``receipts: true``).
    """

    delivery_id: str
    status: DeliveryStatus
    native_id: str | None = None
    error: str | None = None
    code: ErrorCode | None = None
    retry_after: float | None = None
    reference: str | None = None
    """The destination's own human-facing number for the record (e.g. a sale number)."""
    also_native_ids: tuple[str, ...] = ()
    """More native ids that stand for the same record there (a B2B account's buyers, say);
    the engine writes them into the crosswalk after ``native_id``."""


@runtime_checkable
class Destination(Protocol):
    def push(self, batch: Sequence[Delivery]) -> list[DeliveryResult]:
        """Push a batch; raise ``RetryableError``/``PermanentError`` when the whole batch fails."""
        ...


@runtime_checkable
class WebhookReceiver(Protocol):
    def receive(self, headers: Mapping[str, str], body: bytes) -> list[SourceItem]:
        """Verify the request (raise ``InvalidInput`` with code ``bad_signature``) and map it."""
        ...


@dataclass(frozen=True, slots=True)
class IntakeAnswer:
    """What the order service made of an order a document exchange handed it."""

    order_id: str
    status: str


class OrderIntake(Protocol):
    """Takes a canonical order from a channel into the order service.

    Raises ``InvalidInput`` (naming the field) or ``ConflictError`` when the order
    is refused; nothing of it is written then. Taking the same order again answers
    the same order (idempotent per channel and order number).
    """

    def __call__(self, channel: str, order: Order) -> IntakeAnswer: ...


class OrderChanges(Protocol):
    """What a channel may do to an order it sent besides sending it again: read, cancel.

    ``current`` is the order the hub holds for the channel's order number (None:
    none); an amended body goes through the :class:`OrderIntake` as the same
    order number. ``cancel`` raises ``ConflictError`` when the order can no
    longer be cancelled (shipped), ``NotFound`` when there is none.
    """

    def current(self, channel: str, order_number: str) -> Order | None: ...

    def cancel(self, channel: str, order_number: str, reason: str) -> IntakeAnswer: ...


@dataclass(frozen=True, slots=True)
class SignedAnswer:
    """What a signed document transport answers over HTTP (an AS2 MDN)."""

    status: int
    headers: dict[str, str]
    body: bytes
    after: Callable[[], object] | None = None
    """Work to run once the answer is sent (an asynchronous MDN's first attempt)."""


@runtime_checkable
class SignedDocuments(Protocol):
    """A document exchange that also takes documents over HTTP, proven by their signature."""

    def receives_signed(self) -> bool:
        """Whether this partner sends over the hub's signed route (AS2 configured)."""
        ...

    def receive_signed(
        self,
        headers: dict[str, str],
        body: bytes,
        intake: OrderIntake,
        changes: OrderChanges | None = None,
    ) -> SignedAnswer:
        """Verify, process once, answer; ``BadSignature`` when the sender is not proven."""
        ...

    def receive_signed_receipt(self, headers: dict[str, str], body: bytes) -> None:
        """A signed receipt (asynchronous AS2 MDN) for a document sent; BadSignature if unproven."""
        ...


@dataclass(slots=True)
class ExchangeReport:
    """One pass of a document exchange: files read, orders taken, exceptions filed."""

    files: int = 0
    duplicates: int = 0
    orders: int = 0
    exceptions: int = 0
    acks: int = 0


@runtime_checkable
class DocumentExchange(Protocol):
    """A system that trades business documents (EDI): orders in, acknowledgments out."""

    def exchange(self, intake: OrderIntake, changes: OrderChanges | None = None) -> ExchangeReport:
        """Process what the partner sent, handing each order to ``intake``; answer it.

        Changes to orders (an EDI 860) are applied through ``changes``; without
        it they are refused with an exception.
        """
        ...


@dataclass(frozen=True, slots=True)
class ErpOrderState:
    """Where the ERP's own document of a hub order stands, asked before amending it.

    ``state`` is the ERP's name for it (Tryton: ``draft``, ``quotation``,
    ``confirmed``, ``processing``, ``done``, ``cancelled``); ``amendable``: its
    lines may still be changed by the hub; ``cancellable``: the hub may cancel it.
    """

    native_id: str
    state: str
    amendable: bool
    cancellable: bool


@runtime_checkable
class ErpOrders(Protocol):
    """An ERP the hub asks, before it changes an order, what the ERP's document allows."""

    def order_state(self, entity_id: str) -> ErpOrderState | None:
        """The ERP document made for canonical order ``entity_id``; None if there is none."""
        ...

    def withdraw_rest(self, entity_id: str) -> ErpOrderState | None:
        """Cancel what the ERP has not shipped yet of a partly shipped order (idempotent).

        Raises what the ERP answered when it refuses; None if it has no document.
        """
        ...


S = TypeVar("S", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class LinkStatus:
    """How a connector's link to its system stands, asked with a short timeout.

    ``detail`` is ``connected`` or ``unreachable: <reason>``. ``pending`` is the
    source side's lag as the system counts it (messages waiting or delivered and
    not yet acknowledged); ``unconfirmed`` the destination side's (sends this
    process made that the system has not yet confirmed). ``None``: not a side of
    this system, or not known while unreachable.
    """

    connected: bool
    detail: str
    where: str = ""
    pending: int | None = None
    unconfirmed: int | None = None


class Connector(Generic[S]):
    """Base of a connector kind: ``class Files(Connector[FilesSettings])``.

    Subclasses set ``kind`` and ``Settings`` (the model the registry validates the
    system's settings with); ``self.settings`` is then typed as that model.
    """

    kind: ClassVar[str]
    Settings: ClassVar[type[BaseModel]]
    settings: S

    def __init__(self, system: SystemConfig, settings: BaseModel, hub: HubConfig) -> None:
        if not isinstance(settings, self.Settings):
            raise TypeError(
                f"{type(self).__name__} takes {self.Settings.__name__}, "
                f"not {type(settings).__name__}"
            )
        self.system = system
        self.settings = cast(S, settings)
        self.hub = hub

    @property
    def name(self) -> str:
        return self.system.name

    def source(self) -> Source | None:
        """The system as a source of changes, if it is one."""
        return None

    def destination(self) -> Destination | None:
        """The system as a destination for deliveries, if it is one."""
        return None

    def webhook_receiver(self) -> WebhookReceiver | None:
        """The system's inbound HTTP endpoint, if it has one."""
        return None

    def order_feed(self) -> OrderFeed | None:
        """The system as a sales channel whose orders the hub pulls into intake, if it is one."""
        return None

    def documents(self) -> DocumentExchange | None:
        """The system as a trading partner exchanging documents, if it is one."""
        return None

    def erp_orders(self) -> ErpOrders | None:
        """The system as an ERP whose order documents the hub may amend, if it is one."""
        return None

    def notifier(self) -> Notifier | None:
        """The system as a receiver of the hub's own notices (alerts), if it is one."""
        return None

    def link_status(self, timeout: float) -> LinkStatus | None:
        """Whether the system answers now, and its lag; ``None``: this kind has no link to check.

        Must answer within about ``timeout`` seconds and never raise: a system that
        cannot be reached is ``connected=False`` with the reason.
        """
        return None

    def bind_store(self, store: Store) -> None:
        """Called by the hub with its store (for bookmarks, see ``store.connector_state``)."""

    def close(self) -> None:
        """Release clients and files."""


class Notifier(Protocol):
    """Takes one JSON document from the hub about itself (an alert that fired or resolved).

    ``msg_id`` is the same on every retry of one notice, so a receiver can drop
    repeats. Raises :class:`RetryableError` or :class:`PermanentError` when it
    was not taken.
    """

    def notify(self, msg_id: str, document: Mapping[str, Any]) -> None: ...


#: A connector of any kind (what the registry and the engine hold).
AnyConnector = Connector[Any]


def secret_from_env(
    system: str, field: str, variable: str, environ: Mapping[str, str], what: str
) -> str:
    """The secret a setting names by environment variable; never logged afterwards.

    ``field`` is the setting (``secret_env``), ``what`` says what the variable must
    hold. A missing or empty variable is a configuration error naming both.
    """
    value = environ.get(variable)
    if value is None or not value.strip():
        raise config_invalid(
            system,
            field,
            f"environment variable {variable} is not set (or empty); export it with {what}",
        )
    register_secret(value)
    return value


def config_invalid(system: str, field: str, reason: str) -> InvalidInput:
    """A connector setting that cannot be used; ``field`` is relative to ``settings``."""
    return ConfigInvalid(
        f"systems.{system}.settings.{field}: {reason}", field=f"settings.{field}", reason=reason
    )


@dataclass(frozen=True, slots=True)
class Sent:
    """One record as the hub's route has the destination hold it (for a read-back).

    ``data`` is what the route sends (its fields, its masking); ``withdrawn``
    says the destination should no longer hold the record (deleted in the hub,
    or outside the route's filter now), ``data`` then being its last values.
    """

    entity_type: EntityType
    entity_id: str
    route: str
    data: Mapping[str, Any]
    withdrawn: bool = False


MismatchKind = Literal["different", "missing_in_system", "unknown_to_hub", "deleted_in_hub"]


@dataclass(frozen=True, slots=True)
class Mismatch:
    """One difference a destination found between what it holds and what the hub sent it."""

    kind: MismatchKind
    entity_type: EntityType
    native_id: str | None
    entity_id: str | None
    field: str | None
    system_value: Any
    hub_value: Any
    route: str | None = None


@dataclass(slots=True)
class ReadBack:
    """A destination's comparison: records compared, agreeing, and what differs."""

    records: int = 0
    agreeing: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)


@runtime_checkable
class ReadBackDestination(Protocol):
    def read_back(self, sent: Sequence[Sent]) -> ReadBack:
        """Read what the system holds and compare it with ``sent`` (reads only).

        How `crossdock reconcile` checks a system the hub only writes to: the
        comparison is the destination's, in its own terms (a variant's price, a
        stock level per location), since what it holds is no partial canonical
        record.
        """
        ...


__all__ = [
    "AnyConnector",
    "ChannelOrder",
    "Connector",
    "Delivery",
    "DeliveryResult",
    "DeliveryStatus",
    "Destination",
    "DocumentExchange",
    "ErpOrderState",
    "ErpOrders",
    "ExchangeReport",
    "FileSource",
    "InboundUnit",
    "IntakeAnswer",
    "LinkStatus",
    "Mismatch",
    "MismatchKind",
    "OrderChanges",
    "OrderFeed",
    "OrderIntake",
    "OrderUnit",
    "ReadBack",
    "ReadBackDestination",
    "Sent",
    "SignedAnswer",
    "SignedDocuments",
    "SnapshotSource",
    "Source",
    "SourceError",
    "SourceItem",
    "WebhookReceiver",
    "config_invalid",
    "secret_from_env",
]
