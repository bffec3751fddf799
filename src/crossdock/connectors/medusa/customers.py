"""B2B accounts as Medusa customer groups, their buyers as Medusa customers in the group.

One canonical customer (a B2B account) is one Medusa customer group named by
its account number (Medusa keeps group names unique, so the name is the key a
retry finds it by); ``metadata`` carries the hub's id, the account's name and
its hub group and tier. Each contact with an e-mail address is a buyer: a
Medusa customer found by that address before any create (a buyer who already
registered in the store is used as is, so their login and their group are one
customer), else created with the contact's name and phone and the account's
name as company. The group then holds exactly the buyers the account names:
missing ones are added, customers whose address is no longer a contact are
taken out (the customers themselves are never deleted: they may have orders).

A deleted, inactive or blocked account keeps its group but with no buyers in
it, so no one sees its contract prices any more.

The delivery's native id is the group's id; the buyers' customer ids go to
the crosswalk too (``also_native_ids``), so an order a buyer places in Medusa
resolves to the account.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from crossdock.connectors.base import Delivery
from crossdock.connectors.medusa.client import MedusaClient
from crossdock.connectors.medusa.errors import MedusaValidationError
from crossdock.errors import ErrorCode, PermanentError
from crossdock.model.change import ChangeOp

#: Metadata keys the hub writes on groups and the customers it made.
META_ACCOUNT = "crossdock_account"
META_ID = "crossdock_id"
_NO_BUYERS = frozenset({"inactive", "blocked"})


def buyer_emails(data: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The account's buyers by e-mail address (trimmed, lower case), first contact wins."""
    out: dict[str, Mapping[str, Any]] = {}
    for contact in data.get("contacts") or []:
        email = str(contact.get("email") or "").strip().lower()
        if email and email not in out:
            out[email] = contact
    return out


def buyer_values(
    account: str, data: Mapping[str, Any], contact: Mapping[str, Any]
) -> dict[str, Any]:
    """A buyer's fields: names from the contact's name, the account as company."""
    first, _, last = str(contact.get("name") or "").strip().partition(" ")
    return {
        "first_name": first or None,
        "last_name": last.strip() or None,
        "company_name": data.get("name") or account,
        "phone": contact.get("phone"),
        "metadata": {META_ACCOUNT: account},
    }


class CustomerGroups:
    """Finds or makes the Medusa group of an account (cached; one create at a time)."""

    def __init__(self, client: MedusaClient) -> None:
        self.client = client
        self._ids: dict[str, str] = {}
        self._lock = threading.Lock()

    def find(self, account: str) -> str | None:
        rows = self.client.rows(
            "/admin/customer-groups",
            "customer_groups",
            action="find a customer group",
            name=account,
            fields="id,name",
        )
        found = [r for r in rows if r.get("name") == account]
        return str(found[0]["id"]) if found else None

    def group_id(self, account: str, metadata: Mapping[str, Any] | None = None) -> str:
        """The group's id; made (with ``metadata``) when Medusa has none of that name."""
        with self._lock:
            if account in self._ids:
                return self._ids[account]
            gid = self.find(account)
            if gid is None:
                body = {"name": account, "metadata": dict(metadata or {META_ACCOUNT: account})}
                try:
                    made = self.client.post(
                        "/admin/customer-groups", body, action="create a customer group"
                    )
                    gid = str(made["customer_group"]["id"])
                except MedusaValidationError:
                    gid = self.find(account)  # another hub process made it first
                    if gid is None:
                        raise
            self._ids[account] = gid
            return gid

    def forget(self, account: str) -> None:
        with self._lock:
            self._ids.pop(account, None)


class MedusaCustomers:
    """Pushes B2B accounts (groups) and their buyers (customers in the group)."""

    def __init__(self, client: MedusaClient, groups: CustomerGroups) -> None:
        self.client = client
        self.groups = groups

    def push(self, d: Delivery) -> tuple[str, tuple[str, ...]]:
        data = d.data
        account = str(data.get("account_number") or "").strip()
        if not account:
            raise PermanentError(
                "a customer without account_number cannot be a Medusa customer group",
                code=ErrorCode.MAPPING_FAILED,
            )
        meta = {
            META_ACCOUNT: account,
            META_ID: d.entity_id,
            "name": data.get("name"),
            "customer_group": data.get("customer_group"),
            "tier": data.get("tier"),
        }
        gid = self.groups.group_id(account, meta)
        self.client.post(
            f"/admin/customer-groups/{gid}", {"metadata": meta}, action="update a customer group"
        )
        gone = d.op is ChangeOp.DELETE or str(data.get("status") or "") in _NO_BUYERS
        wanted = {} if gone else buyer_emails(data)
        buyers: dict[str, str] = {}
        for email, contact in wanted.items():
            for cid in self.buyer_ids(account, data, email, contact):
                buyers[cid] = email
        self.set_members(gid, set(buyers))
        return gid, tuple(sorted(buyers))

    def find_by_email(self, email: str) -> list[dict[str, Any]]:
        return self.client.rows(
            "/admin/customers",
            "customers",
            action="find a customer",
            email=email,
            fields="id,email,has_account,metadata",
        )

    def buyer_ids(
        self, account: str, data: Mapping[str, Any], email: str, contact: Mapping[str, Any]
    ) -> list[str]:
        """Every Medusa customer with the address (guest and registered), else a new one."""
        values = buyer_values(account, data, contact)
        found = self.find_by_email(email)
        if not found:
            try:
                made = self.client.post(
                    "/admin/customers", {"email": email, **values}, action="create a customer"
                )
                return [str(made["customer"]["id"])]
            except MedusaValidationError:
                found = self.find_by_email(email)  # made meanwhile (a registration, a retry)
                if not found:
                    raise
        for row in found:
            # Only the records the hub made are kept in step; a registered buyer's own
            # profile is theirs.
            if (row.get("metadata") or {}).get(META_ACCOUNT) == account and not row.get(
                "has_account"
            ):
                self.client.post(
                    f"/admin/customers/{row['id']}", values, action="update a customer"
                )
        return [str(row["id"]) for row in found]

    def members(self, gid: str) -> set[str]:
        rows = self.client.list_all(
            "/admin/customers",
            "customers",
            action="read a group's customers",
            groups=gid,
            fields="id",
        )
        return {str(r["id"]) for r in rows}

    def set_members(self, gid: str, wanted: set[str]) -> None:
        current = self.members(gid)
        add, remove = sorted(wanted - current), sorted(current - wanted)
        if add or remove:
            self.client.post(
                f"/admin/customer-groups/{gid}/customers",
                {"add": add, "remove": remove},
                action="set a customer group's buyers",
            )


__all__ = ["META_ACCOUNT", "CustomerGroups", "MedusaCustomers", "buyer_emails", "buyer_values"]
