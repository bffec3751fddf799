"""Publishing customer prices: the price book lines channel routes deliver, kept current.

For the customers a ``pricing.publish`` rule names, the publisher keeps one
``customer_price`` record per sellable SKU of the rule's channel, written
through ingest as system ``pricing``, so routes deliver them like any record.

It follows the outbox: each run reads the price-relevant changes after its
bookmark (:meth:`PricingService.changes`: which customers and SKUs a product,
price list or customer change can have moved), reprices only those pairs and
saves the bookmark once ingest has committed. Ingest writes a new version
only when a price really moved, so a list edit that changes no published
price sends nothing. Delivery guarantee: at-least-once; a crash between the
ingest and the bookmark reprices the same pairs, which changes nothing.

A record is the price of one base unit, and where a list prices the SKU by
quantity or by a larger unit, what a channel needs to charge the quote for any
cart: ``breaks`` (the base quantities from which the price per base unit
changes, each quoted for that quantity) and ``unit_prices`` (a case a list
prices itself, quoted per case, where that is not the factor times the base
price). Only SKUs some list prices so are quoted again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from crossdock.config.pricing import PricePublish
from crossdock.model.base import EntityType
from crossdock.model.change import Change
from crossdock.services.pricing.results import LineProblem, PricedLine, QuoteLine, QuoteRequest
from crossdock.services.pricing.service import PricingService
from crossdock.store.connector_state import ConnectorState
from crossdock.sync.ingest import Ingestor

PUBLISHER = "pricing"
"""The system name published prices carry (their source in provenance and events)."""
BOOKMARK = "publish_after"
BATCH = 1000

Area = tuple[frozenset[str] | None, frozenset[str] | None]
"""Customers (accounts) and SKUs a change may have moved; ``None``: all of them."""


@dataclass
class PublishReport:
    priced: int = 0
    changed: int = 0
    unpriced: int = 0
    position: int = 0


class PricePublisher:
    """Keeps the published customer prices current with the committed changes."""

    def __init__(self, service: PricingService, ingestor: Ingestor) -> None:
        self.service = service
        self.ingestor = ingestor
        self.state = ConnectorState(service.store, PUBLISHER)

    def run(self) -> PublishReport:
        rules = self.service.config.publish
        report = PublishReport()
        if not rules:
            return report
        mark = self.state.get(BOOKMARK)
        if mark is None:  # first run: everything, as of now
            position = self.service.store.outbox.last_seq()
            areas: list[Area] = [(None, None)]
        else:
            changes, position = self.service.changes(int(mark), limit=100_000)
            areas = [
                (
                    None if c.customers is None else frozenset(c.customers),
                    None if c.skus is None else frozenset(c.skus),
                )
                for c in changes
            ]
            if not areas:
                if position != int(mark):
                    self.state.set(BOOKMARK, str(position))
                report.position = position
                return report
        now = datetime.now(UTC)
        for rule in rules:
            self._publish(rule, areas, now, report)
        self.state.set(BOOKMARK, str(position))
        report.position = position
        return report

    def _publish(
        self, rule: PricePublish, areas: list[Area], now: datetime, report: PublishReport
    ) -> None:
        changes: list[Change] = []
        for account, skus in self._targets(rule, areas):
            priced: dict[str, PricedLine] = {}
            for sku, answer in self._price(rule, account, skus):
                if isinstance(answer, LineProblem):
                    report.unpriced += 1
                    continue
                report.priced += 1
                priced[sku] = answer
            extras = self._tiers(rule, account, priced)
            changes.extend(
                _change(rule, account, sku, line, now, extras.get(sku))
                for sku, line in priced.items()
            )
            if len(changes) >= BATCH:
                report.changed += self._ingest(changes)
                changes = []
        report.changed += self._ingest(changes)

    def _ingest(self, changes: list[Change]) -> int:
        if not changes:
            return 0
        done = self.ingestor.ingest(changes)
        return done.created + done.updated

    def _targets(
        self, rule: PricePublish, areas: list[Area]
    ) -> Iterator[tuple[str, frozenset[str] | None]]:
        """(customer, SKUs to reprice or None for the whole book) for the rule's customers."""
        engine = self.service.refresh()
        customers = sorted(
            c.account
            for c in engine.index.customers.values()
            if (rule.all_customers and c.active)
            or c.account in rule.customers
            or (c.group is not None and c.group in rule.groups)
        )
        for account in customers:
            skus: set[str] = set()
            whole = False
            for who, what in areas:
                if who is not None and account not in who:
                    continue
                if what is None:
                    whole = True
                    break
                skus |= what
            if whole:
                yield account, None
            elif skus:
                yield account, frozenset(skus)

    def _price(
        self, rule: PricePublish, account: str, skus: Iterable[str] | None
    ) -> Iterator[tuple[str, PricedLine | LineProblem]]:
        request = QuoteRequest(account, [], channel=rule.channel, currency=rule.currency)
        if skus is None:
            yield from self.service.book(request, batch=BATCH)
            return
        wanted = sorted(skus)
        for i in range(0, len(wanted), BATCH):
            lines = [QuoteLine(sku, Decimal(1)) for sku in wanted[i : i + BATCH]]
            part = QuoteRequest(account, lines, channel=rule.channel, currency=rule.currency)
            quote = self.service.quote(part)
            yield from zip((line.sku for line in lines), quote.lines, strict=True)

    def _tiers(
        self, rule: PricePublish, account: str, priced: dict[str, PricedLine]
    ) -> dict[str, dict[str, Any]]:
        """SKU → ``breaks`` / ``unit_prices`` where the customer's price changes with them."""
        asks: list[tuple[str, QuoteLine, Decimal | None]] = []
        for sku, (points, units) in self.service.tiers(priced).items():
            asks.extend((sku, QuoteLine(sku, q), None) for q in points)
            asks.extend((sku, QuoteLine(sku, Decimal(1), u), f) for u, f in units.items())
        out: dict[str, dict[str, Any]] = {}
        last = {sku: line.unit_price for sku, line in priced.items()}
        for i in range(0, len(asks), BATCH):
            part = asks[i : i + BATCH]
            request = QuoteRequest(
                account, [a[1] for a in part], channel=rule.channel, currency=rule.currency
            )
            for (sku, ask, factor), answer in zip(
                part, self.service.quote(request).lines, strict=True
            ):
                if isinstance(answer, LineProblem):
                    continue
                price = answer.unit_price
                extra = out.setdefault(sku, {})
                if factor is None and price != last[sku]:  # a quantity break
                    tier = {
                        "min_quantity": format(ask.quantity, "f"),
                        "unit_price": format(price, "f"),
                    }
                    extra.setdefault("breaks", []).append(tier)
                    last[sku] = price
                elif factor is not None and price != priced[sku].unit_price * factor:
                    extra.setdefault("unit_prices", {})[str(ask.unit)] = _text(price)
        return {sku: extra for sku, extra in out.items() if extra}


def _text(value: Decimal) -> str:
    return format(value, "f")


def _change(
    rule: PricePublish,
    account: str,
    sku: str,
    line: PricedLine,
    now: datetime,
    extra: dict[str, Any] | None = None,
) -> Change:
    won = line.rule
    channel = rule.channel
    return Change(
        system=PUBLISHER,
        entity_type=EntityType.CUSTOMER_PRICE,
        native_id=f"{account}|{sku}|{channel or '*'}",
        data={
            "customer": account,
            "sku": sku,
            "channel": channel,
            "currency": line.currency,
            "unit": line.unit,
            "unit_price": format(line.unit_price, "f"),
            "rule": won.kind.value,
            "list_code": won.list_code,
            **(extra or {}),
        },
        source_ts=now,
    )


__all__ = ["BOOKMARK", "PUBLISHER", "PricePublisher", "PublishReport"]
