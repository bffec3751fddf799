"""API keys: only a hash is kept; a request finds its key by the key's public prefix."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update

from crossdock.store import schema as t
from crossdock.store.bulk import driver_utc, utc
from crossdock.store.errors import StoreError
from crossdock.store.records import ApiKeyRow, KeyListing
from crossdock.store.repos import rows
from crossdock.store.repos.base import SqlRepo

_C = t.api_keys.c


class SqlKeys(SqlRepo):
    """The ``api_keys`` table."""

    def add(
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
        """Store a new key's hash, owner and expiry; audited. The key's id."""
        with self._write() as tx:
            res = tx.conn.execute(
                t.api_keys.insert().values(
                    name=name,
                    prefix=prefix,
                    key_hash=key_hash,
                    scopes=",".join(sorted(scopes)),
                    created_at=rows.now(),
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

    def by_prefix(self, prefix: str) -> ApiKeyRow | None:
        """The key with this prefix (revoked and expired ones too)."""
        # Every API request asks this once: straight to the driver on a pooled
        # connection (SQLAlchemy's connection and statement setup cost eight times
        # SQLite's own work here; the pool still rolls the connection back on return).
        sql = self._dialect.sql(
            "SELECT id, name, prefix, key_hash, scopes, revoked_at, system, role, expires_at, "
            "last_used_at FROM api_keys WHERE prefix = ?"
        )
        driver = self._engine.dialect.loaded_dbapi
        dbapi = self._engine.raw_connection()
        try:
            cur = dbapi.cursor()
            cur.execute(sql, (prefix,))
            r = cur.fetchone()
            cur.close()
        except driver.Error as exc:  # as SQLAlchemy raises it (a busy store answers 503)
            raise StoreError.instance(
                sql, (prefix,), exc, driver.Error, dialect=self._engine.dialect
            ) from exc
        finally:
            dbapi.close()
        if r is None:
            return None
        scopes = frozenset(s for s in r[4].split(",") if s)
        return ApiKeyRow(
            int(r[0]),
            r[1],
            r[2],
            r[3],
            scopes,
            r[5] is not None,
            system=r[6],
            role=r[7],
            expires_at=driver_utc(r[8]),
            last_used_at=driver_utc(r[9]),
        )

    def touch(self, prefix: str, at: datetime) -> None:
        """Note a key's use (``keys list`` shows it); callers do it at most once a minute."""
        with self._write() as tx:
            tx.conn.execute(update(t.api_keys).where(_C.prefix == prefix).values(last_used_at=at))

    def expire(self, prefix: str, at: datetime, *, actor: str = "cli") -> bool:
        """Make a key stop working at ``at`` (sooner, if it already expires sooner); audited."""
        with self._write() as tx:
            res = tx.conn.execute(
                update(t.api_keys)
                .where(_C.prefix == prefix, (_C.expires_at.is_(None)) | (_C.expires_at > at))
                .values(expires_at=at)
            )
            tx.audit(actor, "api_key.expire", prefix, {"at": at.isoformat()})
            return bool(res.rowcount)

    def listing(self) -> list[KeyListing]:
        """Every key's public facts (never its hash), newest first."""
        with self._engine.connect() as conn:
            found = conn.execute(
                select(
                    _C.prefix,
                    _C.name,
                    _C.scopes,
                    _C.created_at,
                    _C.revoked_at,
                    _C.system,
                    _C.role,
                    _C.expires_at,
                    _C.last_used_at,
                ).order_by(_C.id.desc())
            ).all()
        return [
            KeyListing(
                prefix=r.prefix,
                name=r.name,
                scopes=tuple(s for s in r.scopes.split(",") if s),
                created_at=utc(r.created_at) or rows.now(),
                revoked_at=utc(r.revoked_at),
                system=r.system,
                role=r.role,
                expires_at=utc(r.expires_at),
                last_used_at=utc(r.last_used_at),
            )
            for r in found
        ]

    def revoke(self, prefix: str, *, actor: str = "cli") -> bool:
        """Revoke the key with this prefix; audited. False when there is none."""
        with self._write() as tx:
            res = tx.conn.execute(
                update(t.api_keys).where(_C.prefix == prefix).values(revoked_at=rows.now())
            )
            tx.audit(actor, "api_key.revoke", prefix, {})
            return bool(res.rowcount)
