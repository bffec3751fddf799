"""The ``edi_x12`` connector: trading partners speaking X12 (004010) through mailboxes and AS2.

In: 850 purchase orders and 860 changes, validated against their grammar
(``grammars/``, data not code), mapped to the canonical order and handed to
the order service; a 997 answers every received group, and a received 997 is
matched to the group it answers. With ``as2`` settings the partner also sends
over AS2 (signed MDNs) and the hub's files go out the same way. Out, as a
route's destination: 855, 856, 810 and 846, each in its own envelope with
control numbers allocated in the store before any file is written. Registered under the
``crossdock.connectors`` entry point ``edi_x12``.
"""

from crossdock.connectors.edi_x12.config import EdiSettings
from crossdock.connectors.edi_x12.connector import EdiConnector

__all__ = ["EdiConnector", "EdiSettings"]
