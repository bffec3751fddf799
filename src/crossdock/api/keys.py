"""API keys: their format, their hash, their scopes, and minting one.

A key looks like ``cdk_<prefix>_<secret>``: ``cdk_`` then 8 lowercase
letters and digits (the public prefix, used to find the key) then ``_`` and
32 URL-safe characters (the secret, 192 bits). The store keeps only the
SHA-256 of the whole key; the plaintext is shown once, when it is made.

A key belongs to a system (it sends changes as that system and no other), to
a person with a role, or (keys made before roles, and ``--scope``) carries
scopes of its own. A system's or a role's operations come from the hub
file's ``access:`` section each time the key is checked
(:mod:`crossdock.config.access`). Operations are ``read``, ``write``,
``operate`` (exceptions, parked deliveries, replays), ``approve``
(proposals) and ``admin``; ``admin`` implies every other, and each of the
rest implies ``read``.

A key may expire (``expires_at``); rotating a key mints its successor with
the same owner and lets the old one live on for a grace period, so both work
while clients move over.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import string
from collections.abc import Collection, Iterable
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from crossdock.errors import ErrorCode, InvalidInput, NotFound
from crossdock.store import Store

KEY_PREFIX = "cdk_"
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
_SECRET_ALPHABET = string.ascii_letters + string.digits + "-_"
_KEY_RE = re.compile(r"cdk_([a-z0-9]{8})_([A-Za-z0-9_-]{32})")


class Scope(StrEnum):
    """What a key may do: the operations of :class:`crossdock.config.access.Operation`."""

    READ = "read"
    WRITE = "write"
    OPERATE = "operate"
    APPROVE = "approve"
    ADMIN = "admin"


_IMPLIED: dict[Scope, frozenset[Scope]] = {
    Scope.READ: frozenset({Scope.READ}),
    Scope.WRITE: frozenset({Scope.READ, Scope.WRITE}),
    Scope.OPERATE: frozenset({Scope.READ, Scope.OPERATE}),
    Scope.APPROVE: frozenset({Scope.READ, Scope.APPROVE}),
    Scope.ADMIN: frozenset(Scope),
}


def effective_scopes(granted: Iterable[str]) -> frozenset[Scope]:
    """Granted scope names expanded by implication; unknown names grant nothing."""
    out: set[Scope] = set()
    for name in granted:
        try:
            out |= _IMPLIED[Scope(name)]
        except ValueError:
            continue
    return frozenset(out)


def hash_key(key: str) -> str:
    """SHA-256 (hex) of the whole key: what the store keeps."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def parse_key(key: str) -> str | None:
    """The public prefix of a well-formed key, else ``None``."""
    match = _KEY_RE.fullmatch(key)
    return match.group(1) if match else None


def generate_key() -> tuple[str, str]:
    """A fresh ``(key, prefix)`` pair."""
    prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(8))
    secret = "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(32))
    return f"{KEY_PREFIX}{prefix}_{secret}", prefix


def create_api_key(
    store: Store,
    name: str,
    scopes: Iterable[str] = (),
    *,
    system: str | None = None,
    role: str | None = None,
    expires_at: datetime | None = None,
    known_systems: Collection[str] | None = None,
    known_roles: Collection[str] | None = None,
    actor: str = "cli",
) -> str:
    """Mint a key named ``name``; returns the plaintext (shown once).

    It belongs to ``system``, or to a person with ``role``, or carries ``scopes``:
    exactly one of the three. ``known_systems`` / ``known_roles``, when given, are
    what the hub file declares, and the owner must be one of them.
    """
    name = name.strip()
    if not name or len(name) > 128:
        raise InvalidInput("an API key needs a name of 1 to 128 characters", field="name")
    wanted = sorted(set(scopes))
    owners = [x for x in (system, role, wanted or None) if x]
    if len(owners) != 1:
        raise InvalidInput(
            "an API key belongs to a system (--system), to a person with a role (--role), "
            "or carries scopes (--scope): exactly one of them",
            field="system",
        )
    _check_owner("system", system, known_systems)
    _check_owner("role", role, known_roles)
    known = {s.value for s in Scope}
    unknown = [s for s in wanted if s not in known]
    if unknown:
        raise InvalidInput(
            f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(s.value for s in Scope)}",
            field="scopes",
            code=ErrorCode.INVALID_INPUT,
        )
    if expires_at is not None and expires_at <= datetime.now(UTC):
        raise InvalidInput("an API key's expiry must lie in the future", field="expires_at")
    for _ in range(5):
        key, prefix = generate_key()
        if store.keys.by_prefix(prefix) is None:
            store.keys.add(
                name,
                prefix,
                hash_key(key),
                wanted,
                system=system,
                role=role,
                expires_at=expires_at,
                actor=actor,
            )
            return key
    raise RuntimeError("could not draw an unused API key prefix")  # pragma: no cover


def _check_owner(what: str, value: str | None, known: Collection[str] | None) -> None:
    if value is None or known is None or value in known:
        return
    raise InvalidInput(
        f"unknown {what} {value!r}; the hub file declares: {', '.join(sorted(known)) or 'none'}",
        field=what,
    )


def rotate_api_key(
    store: Store, prefix: str, *, grace: timedelta, actor: str = "cli"
) -> tuple[str, datetime]:
    """Mint the successor of the live key ``prefix`` (same name, owner and scopes).

    The old key keeps working for ``grace`` (or until its own expiry, if sooner), so
    two keys are live while clients move over. Returns the new key and when the old
    one stops.
    """
    row = store.keys.by_prefix(prefix)
    now = datetime.now(UTC)
    if row is None or row.revoked or (row.expires_at is not None and row.expires_at <= now):
        raise NotFound(f"no live API key with prefix {prefix!r}")
    key = create_api_key(
        store,
        row.name,
        row.scopes,
        system=row.system,
        role=row.role,
        expires_at=row.expires_at,
        actor=actor,
    )
    until = now + grace
    if row.expires_at is not None:
        until = min(until, row.expires_at)
    store.keys.expire(prefix, until, actor=actor)
    return key, until


__all__ = [
    "KEY_PREFIX",
    "Scope",
    "create_api_key",
    "effective_scopes",
    "generate_key",
    "hash_key",
    "parse_key",
    "rotate_api_key",
]
