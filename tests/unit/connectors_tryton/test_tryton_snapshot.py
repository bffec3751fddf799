"""The Tryton source is a snapshot source: crossdock reconcile can compare it with the hub."""

from __future__ import annotations


def test_a_tryton_source_can_be_reconciled() -> None:
    from crossdock.connectors.base import SnapshotSource
    from crossdock.connectors.tryton.source import TrytonSource

    assert issubclass(TrytonSource, SnapshotSource)
