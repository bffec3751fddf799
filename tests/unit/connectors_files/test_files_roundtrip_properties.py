"""Properties: whatever a CSV cell holds, the source hands on exactly its (stripped) text."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from crossdock.config.hub import HubConfig, SystemConfig
from crossdock.connectors.base import SourceError
from crossdock.connectors.files.source import FilesSource
from crossdock.connectors.registry import build_connector

TEXT = st.text(st.characters(codec="utf-8"), max_size=20)
IDS = st.text("ABCXYZ0123456789-_", min_size=1, max_size=8)
ROWS = st.lists(st.tuples(IDS, TEXT, TEXT), min_size=1, max_size=8, unique_by=lambda r: r[0])


@settings(max_examples=60, deadline=None)
@given(
    rows=ROWS,
    delimiter=st.sampled_from(",;\t|"),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
)
def test_cells_come_back_exactly(
    rows: list[tuple[str, str, str]], delimiter: str, encoding: str
) -> None:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(["ID", "NAME", "NOTE"])
    writer.writerows(rows)
    with tempfile.TemporaryDirectory() as tmp:
        inbox = Path(tmp) / "inbox"
        system = SystemConfig(
            name="erp",
            kind="files",
            settings={
                "inbox": str(inbox),
                "mappings": [
                    {
                        "pattern": "*.csv",
                        "entity": "product",
                        "id": "ID",
                        "delimiter": delimiter,
                        "columns": {"ID": "sku", "NAME": "description", "NOTE": "long_description"},
                    }
                ],
            },
        )
        source = build_connector(system, HubConfig(systems=[system])).source()
        assert isinstance(source, FilesSource)
        (inbox / "items.csv").write_bytes(out.getvalue().encode(encoding))
        (unit,) = list(source.pull())
        items = list(unit.items)
        again = [getattr(i, "idempotency_key", None) for i in next(iter(source.pull())).items]
    assert not [i for i in items if isinstance(i, SourceError)]
    assert [getattr(i, "idempotency_key", None) for i in items] == again
    for (native, name, note), change in zip(rows, items, strict=True):
        assert not isinstance(change, SourceError)
        assert change.native_id == native
        expected = {"sku": native, "description": name.strip(), "long_description": note.strip()}
        assert change.data == {k: v for k, v in expected.items() if v}
