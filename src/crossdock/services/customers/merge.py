"""Merge and unmerge of two canonical customers, each in one write transaction.

A merge keeps one record (the survivor) and tombstones the other with
``merged_into``. In the same transaction: the survivor's new version (values
chosen by :mod:`.survivorship`), the tombstone's version, the merged-away
record's crosswalk rows and account numbers moved to the survivor (so every
later change from any system that names them lands on the survivor; ingest
also follows a merged-away id through the merge log), its orders repointed,
the price lists whose scope named either old account number rewritten to
name the survivor's (ship-to codes following the joined sites), the ship-to
site crosswalk moved to the survivor (each joined-away code kept as an
alias of its surviving site, so a system or a price list still naming it
reaches that site: :mod:`.sites`, :mod:`crossdock.sync.references`), the
blocking-key index re-keyed, an upsert event for the survivor (every
destination is sent it again) and a delete event carrying ``merged_into``
for the merged-away id (a receiver redirects it), the merge row with the
snapshot an unmerge needs, and the audit entry.

An unmerge puts the snapshot back as a new version of each record: data,
provenance, crosswalk rows, account numbers, site crosswalk, repointed orders and the
rewritten price-list scopes (with their provenance) as they were before the
merge. Reservations name no customer (they hang off an order), so moving the
orders moves them. Only the newest merge into a survivor can be undone
(an older one's snapshot does not know what the later merges added).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from crossdock.config.customers import CustomersConfig
from crossdock.config.ownership import DELETED, OwnershipMatrix
from crossdock.errors import ConflictError, ErrorCode, InvalidInput, NotFound
from crossdock.model.base import EntityType
from crossdock.model.customer import Customer
from crossdock.model.paths import flatten_record
from crossdock.model.price_list import PriceList
from crossdock.services.customers.profile import blocking_keys, profile
from crossdock.services.customers.survivorship import Side, survive
from crossdock.store import Store, StoredRecord, WriteTx, dumps
from crossdock.store.customer_rows import SITE_ALIAS, MergeRow, MergeStatus
from crossdock.sync.changes_codec import ts_key
from crossdock.sync.ingest_plan import event_row
from crossdock.sync.references import lock_key

HUB = "crossdock"
"""The source system of the versions a merge or unmerge writes (no connector echoes it)."""

_CUSTOMER = EntityType.CUSTOMER
_LIST = EntityType.PRICE_LIST
_SCOPE = ("scope.customers", "scope.ship_tos")
"""The price-list paths a merge rewrites (and an unmerge puts back)."""


@dataclass(frozen=True, slots=True)
class Merged:
    merge_id: int
    survivor_id: str
    merged_id: str
    version: int
    """The survivor's new version."""
    reasons: dict[str, str]
    orders: int
    links: int


@dataclass(frozen=True, slots=True)
class Unmerged:
    merge_id: int
    survivor_id: str
    merged_id: str
    versions: tuple[int, int]


def _side(rec: StoredRecord) -> dict[str, Any]:
    return {
        "version": rec.version,
        "data": rec.data,
        "provenance": rec.provenance,
        "deleted": rec.deleted,
    }


def _all_paths(data: dict[str, Any]) -> list[str]:
    """Every field of the record: the event says all of it changed, so every route re-sends."""
    return sorted(flatten_record(Customer, data))


def _valid(data: dict[str, Any]) -> dict[str, Any]:
    try:
        obj = Customer.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "customer"
        raise InvalidInput(
            f"the merged customer would be invalid: {err['msg']}",
            field=where,
            code=ErrorCode.VALIDATION_FAILED,
        ) from None
    return obj.model_dump(mode="json", exclude_unset=True, exclude_none=True)


def _accounts(data: dict[str, Any]) -> set[str]:
    acct = data.get("account_number")
    return {acct} if isinstance(acct, str) and acct else set()


def _rescoped(
    data: dict[str, Any], named: set[str], old: set[str], new: str, sites: dict[str, str]
) -> tuple[list[str], list[str] | None] | None:
    """A list's (customers, ship_tos) after the merge; None when the merge leaves it alone.

    A list naming either account names ``new`` instead of the ``old`` ones, and its
    ship-to codes that the merge joined into a survivor's site name that site.
    """
    scope = data.get("scope") or {}
    names = list(scope.get("customers") or [])
    if not named.intersection(names):
        return None
    customers = list(dict.fromkeys(new if c in old else c for c in names))
    codes = scope.get("ship_tos")
    ship_tos = None if codes is None else list(dict.fromkeys(sites.get(c, c) for c in codes))
    if (customers, ship_tos) == (names, codes):
        return None
    return customers, ship_tos


def _with_scope(
    rec: StoredRecord, customers: Any, ship_tos: Any, prov: dict[str, Any]
) -> StoredRecord:
    scope = {**(rec.data.get("scope") or {}), "customers": customers, "ship_tos": ship_tos}
    scope = {k: v for k, v in scope.items() if v is not None}
    data = {k: v for k, v in rec.data.items() if k != "scope"}
    if scope:
        data["scope"] = scope
    provenance = {k: v for k, v in rec.provenance.items() if k not in _SCOPE}
    provenance.update({k: v for k, v in prov.items() if v is not None})
    return StoredRecord(
        _LIST, rec.id, rec.version + 1, data, provenance, rec.deleted, data_json=dumps(data)
    )


def _list_event(rec: StoredRecord, now: datetime) -> dict[str, Any]:
    return event_row(
        _LIST,
        rec.id,
        rec.version,
        rec.deleted,
        HUB,
        list(_SCOPE),
        rec.data_json or dumps(rec.data),
        now,
    )


def _united_site_links(
    survivor_id: str, rows: list[tuple[str, str, str, str]], joined: dict[str, str]
) -> list[tuple[str, str, str, str]]:
    """The site crosswalk after the merge: all on the survivor, joined codes followed.

    The merged-away customer's rows name the site its code was joined into (the
    survivor's row wins where both had the same system's site id), and each code a
    merge joined into another site becomes an alias of it (system ``crossdock``).
    """
    out: dict[tuple[str, str], str] = {}
    for rid, system, native, code in sorted(rows, key=lambda r: r[0] != survivor_id):
        out.setdefault((system, native), code if rid == survivor_id else joined.get(code, code))
    for old, code in joined.items():
        if old != code:
            out.setdefault((SITE_ALIAS, old), code)
    return [(survivor_id, s, n, c) for (s, n), c in sorted(out.items())]


class CustomerMerger:
    """Merges two canonical customers and undoes a merge."""

    def __init__(self, store: Store, matrix: OwnershipMatrix, config: CustomersConfig) -> None:
        self.store = store
        self.matrix = matrix
        self.config = config

    # -- merge ------------------------------------------------------------------------------
    def merge(
        self, survivor_id: str, merged_id: str, *, actor: str, note: str | None = None
    ) -> Merged:
        with self.store.write() as tx:
            return self.merge_in(tx, survivor_id, merged_id, actor=actor, note=note)

    def merge_in(
        self, tx: WriteTx, survivor_id: str, merged_id: str, *, actor: str, note: str | None = None
    ) -> Merged:
        """Merge inside the caller's transaction (a steward's decision commits with it)."""
        if survivor_id == merged_id:
            raise InvalidInput("a customer cannot be merged into itself", field="merged_id")
        # The account numbers it moves are locked with the merge (one call: no deadlock), as
        # ingest locks the ones a price list names: a list ingested meanwhile is either
        # rewritten here or renamed by ingest (sync/references.py), never left behind.
        seen = tx.load_records(_CUSTOMER, [survivor_id, merged_id])
        accounts = sorted(a for r in seen.values() for a in _accounts(r.data))
        tx.lock_keys(
            [
                f"customer:merge:{survivor_id}",
                f"customer:merge:{merged_id}",
                *(lock_key(_CUSTOMER, "account_number", a) for a in accounts),
            ]
        )
        recs = tx.load_records(_CUSTOMER, [survivor_id, merged_id])
        for rid, name in ((survivor_id, "survivor_id"), (merged_id, "merged_id")):
            rec = recs.get(rid)
            if rec is None:
                raise NotFound(f"customer {rid} does not exist")
            if rec.deleted:
                raise ConflictError(
                    f"customer {rid} ({name}) is deleted or merged away already",
                    code=ErrorCode.VERSION_CONFLICT,
                )
        keep, gone = recs[survivor_id], recs[merged_id]
        now = datetime.now(UTC)
        repo = self.store.customer_merges
        links = repo.links(tx, [survivor_id, merged_id])
        keys = repo.keys(tx, [survivor_id, merged_id])
        orders = repo.orders_of(tx, merged_id)
        site_links = repo.site_links(tx, [survivor_id, merged_id])
        snapshot = {
            "survivor": _side(keep),
            "merged": _side(gone),
            "links": [list(x) for x in links],
            "keys": [list(x) for x in keys],
            "orders": orders,
            "site_links": [list(x) for x in site_links],
        }
        version = keep.version + 1
        out = survive(
            self.matrix,
            self.config.survivorship.priority,
            Side(keep.data, keep.provenance),
            Side(gone.data, gone.provenance),
            version,
        )
        data = _valid(out.data)
        lists = self._repoint_lists(tx, keep, gone, data, out.sites_joined, now)
        snapshot["price_lists"] = lists
        new_keep = StoredRecord(
            _CUSTOMER, survivor_id, version, data, out.provenance, data_json=dumps(data)
        )
        tomb_prov = {**gone.provenance, DELETED: [HUB, ts_key(now), gone.version + 1]}
        tomb = StoredRecord(_CUSTOMER, merged_id, gone.version + 1, gone.data, tomb_prov, True)
        tx.update_records([(new_keep, keep.version), (tomb, gone.version)], now)
        moved = [(s, n, survivor_id) for s, n, c in links if c == merged_id]
        repo.set_links(tx, moved)
        repo.set_keys(tx, [survivor_id, merged_id], [(k, v, survivor_id) for k, v, _ in keys])
        repo.set_order_customer(tx, orders, survivor_id)
        repo.set_site_links(
            tx,
            [survivor_id, merged_id],
            _united_site_links(survivor_id, site_links, out.sites_joined),
        )
        self.store.customer_match.replace_keys(
            tx,
            [survivor_id, merged_id],
            [(k, survivor_id) for k in blocking_keys(profile(survivor_id, data))],
        )
        tx.add_events(
            [
                event_row(
                    _CUSTOMER, survivor_id, version, False, HUB, _all_paths(data),
                    new_keep.data_json or dumps(data), now,
                ),
                event_row(
                    _CUSTOMER, merged_id, tomb.version, True, HUB, [DELETED],
                    dumps({"merged_into": survivor_id}), now,
                ),
            ]
        )  # fmt: skip
        merge_id = repo.record(tx, survivor_id, merged_id, snapshot, actor)
        tx.audit(
            actor,
            "customer.merge",
            f"customer/{survivor_id}",
            {
                "merge": merge_id,
                "merged": merged_id,
                "note": note,
                "survivorship": out.reasons,
                "sites_joined": out.sites_joined,
                "links_moved": [[s, n] for s, n, _ in moved],
                "orders_repointed": orders,
                "price_lists_repointed": sorted(lists),
            },
        )
        return Merged(
            merge_id, survivor_id, merged_id, version, out.reasons, len(orders), len(moved)
        )

    # -- unmerge ----------------------------------------------------------------------------
    def unmerge(self, merge_id: int, *, actor: str, note: str | None = None) -> Unmerged:
        repo = self.store.customer_merges
        now = datetime.now(UTC)
        with self.store.write() as tx:
            row = repo.get(merge_id, tx)
            if row is None:
                raise NotFound(f"merge {merge_id} does not exist")
            self._undoable(tx, row)
            snap = row.snapshot
            ids = [row.survivor_id, row.merged_id]
            tx.lock_keys([f"customer:merge:{i}" for i in ids])
            current = tx.load_records(_CUSTOMER, ids)
            written: list[tuple[StoredRecord, int]] = []
            for rid, side in zip(ids, (snap["survivor"], snap["merged"]), strict=True):
                cur = current.get(rid)
                if cur is None:
                    raise NotFound(f"customer {rid} no longer exists")
                rec = StoredRecord(
                    _CUSTOMER, rid, cur.version + 1, side["data"], side["provenance"],
                    bool(side["deleted"]), data_json=dumps(side["data"]),
                )  # fmt: skip
                written.append((rec, cur.version))
            tx.update_records(written, now)
            repo.set_links(tx, [(s, n, c) for s, n, c in snap["links"]])
            repo.set_keys(tx, ids, [(k, v, r) for k, v, r in snap["keys"]])
            repo.set_order_customer(tx, snap["orders"], row.merged_id)
            repo.set_site_links(tx, ids, [(r, s, n, c) for r, s, n, c in snap["site_links"]])
            self._restore_lists(tx, snap.get("price_lists") or {}, now)
            self.store.customer_match.replace_keys(
                tx,
                ids,
                [
                    (k, rec.id)
                    for rec, _ in written
                    if not rec.deleted
                    for k in blocking_keys(profile(rec.id, rec.data))
                ],
            )
            tx.add_events(
                [
                    event_row(
                        _CUSTOMER, rec.id, rec.version, rec.deleted, HUB,
                        [DELETED] if rec.deleted else _all_paths(rec.data),
                        rec.data_json or dumps(rec.data), now,
                    )
                    for rec, _ in written
                ]
            )  # fmt: skip
            repo.set_unmerged(tx, merge_id, actor)
            tx.audit(
                actor,
                "customer.unmerge",
                f"customer/{row.survivor_id}",
                {"merge": merge_id, "restored": row.merged_id, "note": note},
            )
        return Unmerged(
            merge_id, row.survivor_id, row.merged_id, (written[0][0].version, written[1][0].version)
        )

    # -- price-list scopes ------------------------------------------------------------------
    def _repoint_lists(
        self,
        tx: WriteTx,
        keep: StoredRecord,
        gone: StoredRecord,
        data: dict[str, Any],
        sites: dict[str, str],
        now: datetime,
    ) -> dict[str, dict[str, Any]]:
        """Name the survivor's account where a list's scope named either old account.

        A contract list scoped to the merged-away account (or to the survivor's own
        account, when survivorship kept the other number) is the survivor's now; its
        ship-to codes follow the sites the merge joined. Returns, per list rewritten,
        the scope and provenance the unmerge puts back.
        """
        new = data.get("account_number")
        named = _accounts(keep.data) | _accounts(gone.data)
        if not isinstance(new, str) or not (sites or named - {new}):
            return {}
        old = named - {new}
        ids = self.store.customer_merges.lists_naming(tx, sorted(named))
        saved: dict[str, dict[str, Any]] = {}
        written: list[tuple[StoredRecord, int]] = []
        for rec in tx.load_records(_LIST, ids).values():
            moved = None if rec.deleted else _rescoped(rec.data, named, old, new, sites)
            if moved is None:
                continue
            flat = flatten_record(PriceList, rec.data)
            saved[rec.id] = {
                "scope": {p: flat.get(p) for p in _SCOPE},
                "provenance": {p: rec.provenance.get(p) for p in _SCOPE},
            }
            stamp = {
                p: [*(rec.provenance.get(p) or [HUB, ts_key(now)])[:2], rec.version + 1]
                for p in _SCOPE
                if p in flat
            }
            written.append((_with_scope(rec, *moved, stamp), rec.version))
        tx.update_records(written, now)
        tx.add_events([_list_event(rec, now) for rec, _ in written])
        return saved

    def _restore_lists(self, tx: WriteTx, saved: dict[str, dict[str, Any]], now: datetime) -> None:
        """Put back each list's scope (customers, ship-tos) and its provenance as it was."""
        written: list[tuple[StoredRecord, int]] = []
        for rec in tx.load_records(_LIST, sorted(saved)).values():
            was = saved[rec.id]
            scope = was["scope"]
            new = _with_scope(rec, scope.get(_SCOPE[0]), scope.get(_SCOPE[1]), was["provenance"])
            written.append((new, rec.version))
        tx.update_records(written, now)
        tx.add_events([_list_event(rec, now) for rec, _ in written])

    def _undoable(self, tx: WriteTx, row: MergeRow) -> None:
        if row.status is not MergeStatus.MERGED:
            raise ConflictError(f"merge {row.id} is {row.status.value} already")
        newest = self.store.customer_merges.newest_into(tx, row.survivor_id)
        if newest is not None and newest.id != row.id:
            raise ConflictError(
                f"customer {row.survivor_id} took in another merge since ({newest.id}); "
                f"unmerge {newest.id} first"
            )
        onward = self.store.customer_merges.survivors(tx, [row.survivor_id])
        if onward:
            raise ConflictError(
                f"customer {row.survivor_id} was merged into {onward[row.survivor_id]} since; "
                "unmerge that first"
            )


__all__ = ["HUB", "CustomerMerger", "Merged", "Unmerged"]
