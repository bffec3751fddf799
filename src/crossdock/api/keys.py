"""API keys: their format, their hash, their scopes, and minting one.

A key looks like ``cdk_<prefix>_<secret>``: ``cdk_`` then 8 lowercase
letters and digits (the public prefix, used to find the key) then ``_`` and
32 URL-safe characters (the secret, 192 bits). The store keeps only the
SHA-256 of the whole key; the plaintext is shown once, when it is made.

Scopes are ``read``, ``write`` and ``admin``; ``admin`` implies ``write``
which implies ``read``.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import string
from collections.abc import Iterable
from enum import StrEnum

from crossdock.errors import ErrorCode, InvalidInput
from crossdock.store import Store

KEY_PREFIX = "cdk_"
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
_SECRET_ALPHABET = string.ascii_letters + string.digits + "-_"
_KEY_RE = re.compile(r"cdk_([a-z0-9]{8})_([A-Za-z0-9_-]{32})")


class Scope(StrEnum):
    """What a key may do."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


_IMPLIED: dict[Scope, frozenset[Scope]] = {
    Scope.READ: frozenset({Scope.READ}),
    Scope.WRITE: frozenset({Scope.READ, Scope.WRITE}),
    Scope.ADMIN: frozenset({Scope.READ, Scope.WRITE, Scope.ADMIN}),
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


def create_api_key(store: Store, name: str, scopes: Iterable[str]) -> str:
    """Mint a key named ``name`` with ``scopes``; returns the plaintext (shown once)."""
    name = name.strip()
    if not name or len(name) > 128:
        raise InvalidInput("an API key needs a name of 1 to 128 characters", field="name")
    wanted = sorted(set(scopes))
    if not wanted:
        raise InvalidInput("an API key needs at least one scope", field="scopes")
    known = {s.value for s in Scope}
    unknown = [s for s in wanted if s not in known]
    if unknown:
        raise InvalidInput(
            f"unknown scope(s) {', '.join(unknown)}; known: read, write, admin",
            field="scopes",
            code=ErrorCode.INVALID_INPUT,
        )
    for _ in range(5):
        key, prefix = generate_key()
        if store.keys.by_prefix(prefix) is None:
            store.keys.add(name, prefix, hash_key(key), wanted)
            return key
    raise RuntimeError("could not draw an unused API key prefix")  # pragma: no cover


__all__ = [
    "KEY_PREFIX",
    "Scope",
    "create_api_key",
    "effective_scopes",
    "generate_key",
    "hash_key",
    "parse_key",
]
