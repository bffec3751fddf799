"""An EDI sender that SIGKILLs itself at a chosen boundary (for the kill test).

Run as ``python edi_out_worker.py <store url> <mailbox> <count> <n> <where>``: it
pushes invoices INV-1..INV-<count> to the partner's destination one delivery at a
time, as the delivery engine re-pushes whatever it has not seen acknowledged,
and at the n-th document kills itself with SIGKILL right after the control
numbers are committed (``allocated``), right after the file is written
(``written``) or right after the numbers and the sent group are recorded
(``recorded``). ``n`` 0 runs to the end. The kill lives here, in the test.
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crossdock.connectors.base import Delivery
from crossdock.connectors.edi_x12.client import Mailbox
from crossdock.connectors.edi_x12.config import EdiSettings
from crossdock.connectors.edi_x12.destination import EdiDestination
from crossdock.model.base import EntityType
from crossdock.model.change import ChangeOp
from crossdock.store import Store
from crossdock.store.repos.edi import SqlEdi


def invoice(i: int) -> Delivery:
    data = {
        "invoice_number": f"INV-{i}",
        "status": "open",
        "invoice_date": "2026-12-04",
        "lines": [{"line_number": 1, "sku": "W-100", "quantity": "1", "unit": "EA",
                   "unit_price": "2.00", "extended_price": "2.00"}],
    }  # fmt: skip
    return Delivery(
        f"d{i}", "to-bigbox", EntityType.INVOICE, f"ivc{i}", 1, ChangeOp.UPSERT, data, None,
        datetime.now(UTC),
    )  # fmt: skip


def main(url: str, mailbox: str, count: int, n: int, where: str) -> None:
    settings = EdiSettings.model_validate(
        {
            "mailbox": mailbox,
            "ours": {"qualifier": "ZZ", "id": "CROSSDOCKHUB"},
            "theirs": {"qualifier": "01", "id": "123456789"},
            "customer": "BIGBOX",
        }
    )
    box = Mailbox(Path(mailbox))
    box.make()
    seen = {where: 0}

    def boundary(name: str) -> None:
        if name == where:
            seen[name] += 1
            if seen[name] == n:
                os.kill(os.getpid(), signal.SIGKILL)

    allocate, put, record = SqlEdi.allocate, Mailbox.put, EdiDestination._record

    def allocating(self: SqlEdi, *args: Any, **kw: Any) -> Any:
        out = allocate(self, *args, **kw)
        boundary("allocated")
        return out

    def putting(self: Mailbox, name: str, text: str) -> Path:
        out = put(self, name, text)
        boundary("written")
        return out

    def recording(self: EdiDestination, *args: Any) -> int:
        out = record(self, *args)
        boundary("recorded")
        return out

    SqlEdi.allocate = allocating  # type: ignore[method-assign]
    Mailbox.put = putting  # type: ignore[method-assign]
    EdiDestination._record = recording  # type: ignore[method-assign]
    store = Store.open(url)
    dest = EdiDestination("bigbox", settings, box, store)
    for i in range(1, count + 1):
        dest.push([invoice(i)])
    store.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
