"""Onboarding against the real Tryton: a portal sign-up becomes one party, its code written back."""

from __future__ import annotations

from pathlib import Path

import pytest

from crossdock.app import Application
from crossdock.connectors.tryton.client import TrytonClient
from crossdock.model.base import EntityType
from crossdock.store.onboarding_rows import OnboardingStatus
from crossdock.sync.runtime import Hub, parse_checked

from .conftest import PASSWORD, TrytonServer
from .onboarding_hub import onboarding_yaml, signup

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.usefixtures("hub_env")]
CUS = EntityType.CUSTOMER


def test_a_portal_signup_becomes_a_tryton_party_in_one_sync_pass(
    tryton: TrytonServer, tmp_path: Path
) -> None:
    app = Application(Hub.open(parse_checked(onboarding_yaml(tryton, tmp_path))))
    client = TrytonClient(tryton.url, tryton.database, "admin", PASSWORD)
    try:
        app.hub.ingest([signup(1, credit_limit="2500")])
        cid = app.hub.store.crosswalk.resolve("portal", CUS, "signup-1")
        assert cid is not None
        app.attach_steps()
        app.hub.sync_once()  # the pump runs as one of the sync pass's steps
        st = app.onboarding.of_customer(cid)
        assert st.row.status is OnboardingStatus.DONE, st.row.reason
        [party] = client.search_read(
            "party.party", [["code", "=", "ON-000001"]], ["name", "addresses"]
        )
        assert party["name"] == "Quill Harbor Supply" and len(party["addresses"]) == 1
        rec = app.hub.store.records.get(CUS, cid)
        assert rec is not None
        assert rec.data["account_number"] == "ON-000001"
        assert (rec.data["territory"], rec.data["sales_rep"]) == ("north-texas", "mlopez")
        assert app.hub.store.crosswalk.resolve("tryton", CUS, str(party["id"])) == cid
        # the next pass pulls the party back from Tryton: still one customer, one party
        app.hub.sync_once()
        assert [
            r.id
            for r in app.hub.store.records.iter(CUS)
            if r.data.get("account_number") == "ON-000001"
        ] == [cid]
        assert len(client.search("party.party", [["code", "=", "ON-000001"]])) == 1
    finally:
        client.close()
        app.close()
