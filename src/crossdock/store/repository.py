"""The store: one object that opens transactions and answers the read questions.

``Store.write()`` opens a write transaction (``BEGIN IMMEDIATE`` on SQLite)
and yields a :class:`~crossdock.store.write.WriteTx`; everything else here
reads. Services and routers go through this class, never through raw SQL.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Row, func, select, update
from sqlalchemy.exc import DBAPIError

from crossdock.errors import ErrorCode
from crossdock.model.base import EntityType
from crossdock.model.change import ChangeOp
from crossdock.store import raw_input
from crossdock.store import schema as t
from crossdock.store.engine import WRITE, create_store_engine
from crossdock.store.jsoncodec import loads
from crossdock.store.migrate import upgrade
from crossdock.store.records import (
    ApiKeyRow,
    AuditEntry,
    EventRow,
    ExceptionRow,
    ExceptionStatus,
    KeyListing,
    ParkedRow,
    ParkedStatus,
    ProposalRow,
    ProposalStatus,
    RouteCursor,
    StoredRecord,
)
from crossdock.store.write import WriteTx, utc


def _now() -> datetime:
    return datetime.now(UTC)


class Store:
    """A Crossdock store on SQLite or PostgreSQL, chosen by URL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Store:
        store = cls(create_store_engine(url))
        if migrate:
            upgrade(store.engine)
        return store

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def write(self) -> Iterator[WriteTx]:
        with self.engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
            yield WriteTx(conn)

    # -- records ------------------------------------------------------------------------
    def get_record(self, entity_type: EntityType, record_id: str) -> StoredRecord | None:
        c = t.records.c
        with self.engine.connect() as conn:
            r = conn.execute(
                select(
                    c.id, c.version, c.data, c.provenance, c.deleted, c.created_at, c.updated_at
                ).where(c.entity_type == entity_type.value, c.id == record_id)
            ).first()
        if r is None:
            return None
        return _record(entity_type, r)

    def get_records(
        self, entity_type: EntityType, record_ids: Sequence[str]
    ) -> dict[str, StoredRecord]:
        """Many records by id (tombstones included); one query per 400 ids."""
        c = t.records.c
        out: dict[str, StoredRecord] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(record_ids), 400):
                rows = conn.execute(
                    select(
                        c.id, c.version, c.data, c.provenance, c.deleted, c.created_at, c.updated_at
                    ).where(c.entity_type == entity_type.value, c.id.in_(record_ids[i : i + 400]))
                ).all()
                for r in rows:
                    out[r[0]] = _record(entity_type, r)
        return out

    def list_records(
        self,
        entity_type: EntityType,
        *,
        after_id: str | None = None,
        limit: int = 100,
        include_deleted: bool = False,
    ) -> list[StoredRecord]:
        c = t.records.c
        q = select(
            c.id, c.version, c.data, c.provenance, c.deleted, c.created_at, c.updated_at
        ).where(c.entity_type == entity_type.value)
        if after_id is not None:
            q = q.where(c.id > after_id)
        if not include_deleted:
            q = q.where(c.deleted.is_(False))
        q = q.order_by(c.id).limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        return [_record(entity_type, r) for r in rows]

    def iter_records(self, entity_type: EntityType, *, page: int = 2000) -> Iterator[StoredRecord]:
        """Every current (not deleted) record of one type, in id order, read a page at a time."""
        after: str | None = None
        while True:
            rows = self.list_records(entity_type, after_id=after, limit=page)
            yield from rows
            if len(rows) < page:
                return
            after = rows[-1].id

    def changed_after(
        self, after: int, entity_types: Sequence[EntityType], *, limit: int = 5000
    ) -> list[tuple[int, EntityType, str]]:
        """(seq, entity type, entity id) of later events of these types, without payloads."""
        c = t.events.c
        q = (
            select(c.seq, c.entity_type, c.entity_id)
            .where(c.seq > after, c.entity_type.in_([e.value for e in entity_types]))
            .order_by(c.seq)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        return [(int(r[0]), EntityType(r[1]), r[2]) for r in rows]

    def record_as_of(
        self, entity_type: EntityType, record_id: str, at: datetime
    ) -> dict[str, Any] | None:
        """A record's data as the hub held it at ``at`` (from its outbox events); None if absent."""
        c = t.events.c
        with self.engine.connect() as conn:
            r = conn.execute(
                select(c.op, c.data)
                .where(c.entity_type == entity_type.value, c.entity_id == record_id, c.time <= at)
                .order_by(c.seq.desc())
                .limit(1)
            ).first()
        if r is None or r[0] == ChangeOp.DELETE.value:
            return None
        data = loads(r[1])
        return data if isinstance(data, dict) else None

    def count_records(self) -> dict[str, int]:
        c = t.records.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(c.entity_type, func.count())
                .where(c.deleted.is_(False))
                .group_by(c.entity_type)
            ).all()
        return {r[0]: int(r[1]) for r in rows}

    def find_by_key(self, entity_type: EntityType, kind: str, value: str) -> str | None:
        c = t.record_keys.c
        with self.engine.connect() as conn:
            return conn.execute(
                select(c.record_id).where(
                    c.entity_type == entity_type.value, c.kind == kind, c.value == value
                )
            ).scalar_one_or_none()

    # -- crosswalk ----------------------------------------------------------------------
    def native_ids(self, entity_type: EntityType, canonical_id: str) -> list[tuple[str, str]]:
        """(system, native_id) pairs of one canonical record, oldest first."""
        c = t.crosswalk.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(c.system, c.native_id)
                .where(c.entity_type == entity_type.value, c.canonical_id == canonical_id)
                .order_by(c.created_at, c.native_id)
            ).all()
        return [(r[0], r[1]) for r in rows]

    def native_ids_of(
        self, entity_type: EntityType, canonical_ids: Sequence[str]
    ) -> dict[str, list[tuple[str, str]]]:
        """canonical_id -> its (system, native_id) pairs, oldest first; one query per 400 ids."""
        c = t.crosswalk.c
        out: dict[str, list[tuple[str, str]]] = {cid: [] for cid in canonical_ids}
        with self.engine.connect() as conn:
            for i in range(0, len(canonical_ids), 400):
                rows = conn.execute(
                    select(c.canonical_id, c.system, c.native_id)
                    .where(
                        c.entity_type == entity_type.value,
                        c.canonical_id.in_(canonical_ids[i : i + 400]),
                    )
                    .order_by(c.created_at, c.native_id)
                ).all()
                for cid, system, native in rows:
                    out[cid].append((system, native))
        return out

    def native_ids_for(
        self, entity_type: EntityType, system: str, canonical_ids: Sequence[str]
    ) -> dict[str, str]:
        """canonical_id -> the first native id ``system`` has for it."""
        c = t.crosswalk.c
        out: dict[str, str] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(canonical_ids), 400):
                rows = conn.execute(
                    select(c.canonical_id, c.native_id)
                    .where(
                        c.entity_type == entity_type.value,
                        c.system == system,
                        c.canonical_id.in_(canonical_ids[i : i + 400]),
                    )
                    .order_by(c.created_at.desc())
                ).all()
                for cid, nid in rows:
                    out[cid] = nid
        return out

    def crosswalk_of(self, system: str, entity_type: EntityType) -> dict[str, str]:
        """Every native id ``system`` has for records of this type -> its canonical id."""
        c = t.crosswalk.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(c.native_id, c.canonical_id).where(
                    c.system == system, c.entity_type == entity_type.value
                )
            )
            return {r[0]: r[1] for r in rows}

    def resolve(self, system: str, entity_type: EntityType, native_id: str) -> str | None:
        c = t.crosswalk.c
        with self.engine.connect() as conn:
            return conn.execute(
                select(c.canonical_id).where(
                    c.system == system,
                    c.entity_type == entity_type.value,
                    c.native_id == native_id,
                )
            ).scalar_one_or_none()

    # -- events -------------------------------------------------------------------------
    def events_after(
        self,
        after: int,
        *,
        limit: int = 500,
        entity_types: Sequence[EntityType] | None = None,
        entity_id: str | None = None,
        partition: tuple[int, int] | None = None,
    ) -> list[EventRow]:
        """Events after ``after``; ``partition=(p, n)`` keeps those whose bucket % n == p."""
        c = t.events.c
        q = select(t.events).where(c.seq > after)
        if partition is not None and partition[1] > 1:
            q = q.where(c.bucket % partition[1] == partition[0])
        if entity_types:
            q = q.where(c.entity_type.in_([e.value for e in entity_types]))
        if entity_id is not None:
            q = q.where(c.entity_id == entity_id)
        q = q.order_by(c.seq).limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        return [_event(r) for r in rows]

    def previous_event(
        self, entity_type: EntityType, entity_id: str, before_version: int
    ) -> EventRow | None:
        """The entity's newest event older than ``before_version``."""
        c = t.events.c
        q = (
            select(t.events)
            .where(
                c.entity_type == entity_type.value,
                c.entity_id == entity_id,
                c.version < before_version,
            )
            .order_by(c.version.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        return None if row is None else _event(row)

    def count_events_after(
        self,
        after: int,
        *,
        entity_types: Sequence[EntityType] | None = None,
        partition: tuple[int, int] | None = None,
    ) -> int:
        """How many events after ``after`` (of these types, in this partition) wait."""
        c = t.events.c
        q = select(func.count()).select_from(t.events).where(c.seq > after)
        if partition is not None and partition[1] > 1:
            q = q.where(c.bucket % partition[1] == partition[0])
        if entity_types:
            q = q.where(c.entity_type.in_([e.value for e in entity_types]))
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar_one())

    def last_seq(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(select(func.coalesce(func.max(t.events.c.seq), 0))).scalar_one()
            )

    def event_time(self, seq: int) -> datetime | None:
        with self.engine.connect() as conn:
            return utc(conn.execute(select(t.events.c.time).where(t.events.c.seq == seq)).scalar())

    def first_seq_since(self, since: datetime) -> int | None:
        """The first outbox sequence number at or after ``since``."""
        c = t.events.c
        with self.engine.connect() as conn:
            found = conn.execute(select(func.min(c.seq)).where(c.time >= since)).scalar()
        return int(found) if found is not None else None

    def count_events(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(t.events)).scalar_one())

    # -- route cursors ------------------------------------------------------------------
    def cursor(self, route: str, partition: int = 0) -> RouteCursor:
        c = t.route_cursors.c
        with self.engine.connect() as conn:
            r = conn.execute(
                select(t.route_cursors).where(c.route == route, c.partition == partition)
            ).first()
        if r is None:
            return RouteCursor(route=route, position=0, partition=partition)
        return _cursor(r)

    def cursors(self, route: str) -> list[RouteCursor]:
        """Every partition's cursor of a route that has one."""
        c = t.route_cursors.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.route_cursors).where(c.route == route).order_by(c.partition)
            ).all()
        return [_cursor(r) for r in rows]

    def set_cursor(
        self, route: str, position: int, *, partitions: int = 1, actor: str, reason: str
    ) -> None:
        """Move every partition's cursor of a route by hand (replay); audited."""
        with self.write() as tx:
            for p in range(partitions):
                save_cursor(
                    tx, route, position, partition=p, success=False, delivered=0, error=None
                )
            tx.audit(actor, "route.cursor.set", route, {"position": position, "reason": reason})

    # -- exceptions ---------------------------------------------------------------------
    def list_exceptions(
        self,
        *,
        status: ExceptionStatus | None = ExceptionStatus.OPEN,
        after_id: int = 0,
        limit: int = 100,
        system: str | None = None,
    ) -> list[ExceptionRow]:
        c = t.exceptions.c
        q = select(t.exceptions).where(c.id > after_id)
        if status is not None:
            q = q.where(c.status == status.value)
        if system is not None:
            q = q.where(c.system == system)
        with self.engine.connect() as conn:
            rows = conn.execute(q.order_by(c.id).limit(limit)).all()
        return [_exception(r) for r in rows]

    def waiting_for(self, entity_type: EntityType, keys: Sequence[str]) -> list[ExceptionRow]:
        """Open ``waiting_for_record`` exceptions of this type waiting for one of ``keys``."""
        c = t.exceptions.c
        base = select(t.exceptions).where(
            c.status == ExceptionStatus.OPEN.value,
            c.code == ErrorCode.WAITING_FOR_RECORD.value,
            c.entity_type == entity_type.value,
        )
        out: list[ExceptionRow] = []
        with self.engine.connect() as conn:
            if conn.execute(base.limit(1)).first() is None:
                return out  # the common case: nothing waits, one cheap query
            for i in range(0, len(keys), 400):
                rows = conn.execute(base.where(c.field.in_(keys[i : i + 400])).order_by(c.id))
                out.extend(_exception(r) for r in rows)
        return out

    def get_exception(self, exc_id: int) -> ExceptionRow | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(t.exceptions).where(t.exceptions.c.id == exc_id)).first()
        return _exception(r) if r is not None else None

    def count_open_exceptions(self, system: str | None = None) -> int:
        c = t.exceptions.c
        q = select(func.count()).where(c.status == ExceptionStatus.OPEN.value)
        if system is not None:
            q = q.where(c.system == system)
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar_one())

    def count_exceptions(self, status: ExceptionStatus = ExceptionStatus.OPEN) -> int:
        c = t.exceptions.c
        with self.engine.connect() as conn:
            return int(
                conn.execute(select(func.count()).where(c.status == status.value)).scalar_one()
            )

    def set_exception_status(
        self, exc_id: int, status: ExceptionStatus, *, actor: str, note: str | None = None
    ) -> None:
        with self.write() as tx:
            tx.conn.execute(
                update(t.exceptions)
                .where(t.exceptions.c.id == exc_id)
                .values(status=status.value, updated_at=_now(), note=note)
            )
            tx.audit(actor, f"exception.{status.value}", str(exc_id), {"note": note})

    # -- proposals ----------------------------------------------------------------------
    def list_proposals(
        self, status: ProposalStatus = ProposalStatus.PENDING, limit: int = 100
    ) -> list[ProposalRow]:
        c = t.proposals.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.proposals).where(c.status == status.value).order_by(c.id).limit(limit)
            ).all()
        return [
            ProposalRow(
                r.id,
                EntityType(r.entity_type),
                r.entity_id,
                r.system,
                r.field,
                loads(r.value),
                utc(r.source_ts) or _now(),
                ProposalStatus(r.status),
                utc(r.created_at) or _now(),
            )
            for r in rows
        ]

    # -- parked -------------------------------------------------------------------------
    def list_parked(
        self, route: str | None = None, status: ParkedStatus = ParkedStatus.PARKED, limit: int = 100
    ) -> list[ParkedRow]:
        c = t.parked.c
        q = select(t.parked).where(c.status == status.value)
        if route is not None:
            q = q.where(c.route == route)
        with self.engine.connect() as conn:
            rows = conn.execute(q.order_by(c.id).limit(limit)).all()
        return [_parked(r) for r in rows]

    def count_parked(self) -> dict[str, int]:
        c = t.parked.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(c.route, func.count())
                .where(c.status == ParkedStatus.PARKED.value)
                .group_by(c.route)
            ).all()
        return {r[0]: int(r[1]) for r in rows}

    # -- api keys -----------------------------------------------------------------------
    def add_api_key(
        self,
        name: str,
        prefix: str,
        key_hash: str,
        scopes: Sequence[str],
        *,
        system: str | None = None,
        role: str | None = None,
        expires_at: datetime | None = None,
        actor: str = "cli",
    ) -> int:
        with self.write() as tx:
            res = tx.conn.execute(
                t.api_keys.insert().values(
                    name=name,
                    prefix=prefix,
                    key_hash=key_hash,
                    scopes=",".join(sorted(scopes)),
                    created_at=_now(),
                    system=system,
                    role=role,
                    expires_at=expires_at,
                )
            )
            tx.audit(
                actor,
                "api_key.create",
                name,
                {
                    "prefix": prefix,
                    "scopes": sorted(scopes),
                    "system": system,
                    "role": role,
                    "expires_at": expires_at.isoformat() if expires_at else None,
                },
            )
            pk = res.inserted_primary_key
            return int(pk[0]) if pk else 0

    def api_key_by_prefix(self, prefix: str) -> ApiKeyRow | None:
        # Every API request asks this once: straight to the driver on a pooled
        # connection (SQLAlchemy's connection and statement setup cost eight times
        # SQLite's own work here; the pool still rolls the connection back on return).
        mark = "%s" if self.backend == "postgresql" else "?"
        sql = (
            "SELECT id, name, prefix, key_hash, scopes, revoked_at, system, role, expires_at, "
            f"last_used_at FROM api_keys WHERE prefix = {mark}"
        )
        driver = self.engine.dialect.loaded_dbapi
        dbapi = self.engine.raw_connection()
        try:
            cur = dbapi.cursor()
            cur.execute(sql, (prefix,))
            r = cur.fetchone()
            cur.close()
        except driver.Error as exc:  # as SQLAlchemy raises it (a busy store answers 503)
            raise DBAPIError.instance(
                sql, (prefix,), exc, driver.Error, dialect=self.engine.dialect
            ) from exc
        finally:
            dbapi.close()
        if r is None:
            return None
        return ApiKeyRow(
            int(r[0]),
            r[1],
            r[2],
            r[3],
            frozenset(s for s in r[4].split(",") if s),
            r[5] is not None,
            system=r[6],
            role=r[7],
            expires_at=_driver_ts(r[8]),
            last_used_at=_driver_ts(r[9]),
        )

    def touch_api_key(self, prefix: str, at: datetime) -> None:
        """Note a key's use (``keys list`` shows it); callers do it at most once a minute."""
        with self.write() as tx:
            tx.conn.execute(
                update(t.api_keys).where(t.api_keys.c.prefix == prefix).values(last_used_at=at)
            )

    def expire_api_key(self, prefix: str, at: datetime, *, actor: str = "cli") -> bool:
        """Make a key stop working at ``at`` (sooner if it already expires sooner)."""
        c = t.api_keys.c
        with self.write() as tx:
            res = tx.conn.execute(
                update(t.api_keys)
                .where(c.prefix == prefix, (c.expires_at.is_(None)) | (c.expires_at > at))
                .values(expires_at=at)
            )
            tx.audit(actor, "api_key.expire", prefix, {"at": at.isoformat()})
            return bool(res.rowcount)

    def list_api_keys(self) -> list[KeyListing]:
        """Every key's public facts (never its hash), newest first."""
        c = t.api_keys.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    c.prefix,
                    c.name,
                    c.scopes,
                    c.created_at,
                    c.revoked_at,
                    c.system,
                    c.role,
                    c.expires_at,
                    c.last_used_at,
                ).order_by(c.id.desc())
            ).all()
        return [
            KeyListing(
                prefix=r.prefix,
                name=r.name,
                scopes=tuple(s for s in r.scopes.split(",") if s),
                created_at=utc(r.created_at) or _now(),
                revoked_at=utc(r.revoked_at),
                system=r.system,
                role=r.role,
                expires_at=utc(r.expires_at),
                last_used_at=utc(r.last_used_at),
            )
            for r in rows
        ]

    def revoke_api_key(self, prefix: str, *, actor: str = "cli") -> bool:
        with self.write() as tx:
            res = tx.conn.execute(
                update(t.api_keys).where(t.api_keys.c.prefix == prefix).values(revoked_at=_now())
            )
            tx.audit(actor, "api_key.revoke", prefix, {})
            return bool(res.rowcount)

    def audit_entries(self, limit: int = 100) -> list[dict[str, Any]]:
        return [
            {
                "id": e.id,
                "at": e.at,
                "actor": e.actor,
                "action": e.action,
                "target": e.target,
                "detail": e.detail,
            }
            for e in self.audit_page(limit=limit)
        ]

    def audit_page(
        self,
        *,
        before: int | None = None,
        limit: int = 100,
        actor: str | None = None,
        action: str | None = None,
        target: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[AuditEntry]:
        """Audit rows, newest first, below id ``before``.

        ``action`` and ``target`` match as prefixes, ``actor`` as a substring (a key
        prefix, a name, a system).
        """
        c = t.audit_log.c
        q = select(t.audit_log).order_by(c.id.desc()).limit(limit)
        if before is not None:
            q = q.where(c.id < before)
        if actor:
            q = q.where(c.actor.contains(actor, autoescape=True))
        if action:
            q = q.where(c.action.startswith(action, autoescape=True))
        if target:
            q = q.where(c.target.startswith(target, autoescape=True))
        if since is not None:
            q = q.where(c.at >= since)
        if until is not None:
            q = q.where(c.at < until)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        return [
            AuditEntry(
                r.id, utc(r.at) or _now(), r.actor, r.action, r.target, loads(r.detail), r.origin
            )
            for r in rows
        ]

    def audit(self, actor: str, action: str, target: str, detail: dict[str, Any]) -> None:
        """Append one audit row in a transaction of its own."""
        with self.write() as tx:
            tx.audit(actor, action, target, detail)


def save_cursor(
    tx: WriteTx,
    route: str,
    position: int,
    *,
    partition: int = 0,
    success: bool,
    delivered: int,
    error: str | None,
) -> None:
    """Upsert one partition's cursor of a route inside a write transaction."""
    now = _now()
    c = t.route_cursors.c
    where = (c.route == route, c.partition == partition)
    exists = tx.conn.execute(select(c.route).where(*where)).first()
    values: dict[str, Any] = {"position": position, "updated_at": now, "last_error": error}
    if success:
        values["last_success_at"] = now
    if exists is None:
        tx.conn.execute(
            t.route_cursors.insert().values(
                route=route, partition=partition, delivered=delivered, **values
            )
        )
    else:
        tx.conn.execute(
            update(t.route_cursors)
            .where(*where)
            .values(delivered=c.delivered + delivered, **values)
        )


def _driver_ts(value: Any) -> datetime | None:
    """A timestamp as a bare driver hands it back: SQLite gives SQLAlchemy's text form."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return utc(value)


def _record(entity_type: EntityType, r: Sequence[Any]) -> StoredRecord:
    """A row of (id, version, data, provenance, deleted, created_at, updated_at)."""
    return StoredRecord(
        entity_type, r[0], r[1], loads(r[2]), loads(r[3]), bool(r[4]), utc(r[5]), utc(r[6])
    )


def _cursor(r: Row[Any]) -> RouteCursor:
    return RouteCursor(
        r.route,
        int(r.position),
        utc(r.updated_at),
        utc(r.last_success_at),
        r.last_error,
        int(r.delivered),
        int(r.partition),
    )


_ENTITY_TYPES = {e.value: e for e in EntityType}
_OPS = {o.value: o for o in ChangeOp}


def _event(r: Row[Any]) -> EventRow:
    # Delivery decodes every event it reads: dictionary lookups, not Enum() calls.
    return EventRow(
        seq=int(r.seq),
        event_id=r.event_id,
        entity_type=_ENTITY_TYPES[r.entity_type],
        entity_id=r.entity_id,
        version=int(r.version),
        op=_OPS[r.op],
        source_system=r.source_system,
        changed=loads(r.changed),
        data=loads(r.data),
        time=utc(r.time) or _now(),
    )


def _exception(r: Row[Any]) -> ExceptionRow:
    return ExceptionRow(
        id=int(r.id),
        system=r.system,
        entity_type=r.entity_type,
        native_id=r.native_id,
        ref=r.ref,
        field=r.field,
        code=r.code,
        reason=r.reason,
        payload=raw_input.show(r.payload),
        status=ExceptionStatus(r.status),
        created_at=utc(r.created_at) or _now(),
        updated_at=utc(r.updated_at) or _now(),
        note=r.note,
    )


def _parked(r: Row[Any]) -> ParkedRow:
    return ParkedRow(
        id=int(r.id),
        route=r.route,
        entity_type=EntityType(r.entity_type),
        entity_id=r.entity_id,
        version=int(r.version),
        seq=int(r.seq),
        delivery_id=r.delivery_id,
        code=r.code,
        error=r.error,
        attempts=int(r.attempts),
        payload=loads(r.payload),
        status=ParkedStatus(r.status),
        parked_at=utc(r.parked_at) or _now(),
    )


__all__ = ["Store", "save_cursor"]
