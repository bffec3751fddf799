"""Bank details on the customer: checked on the way in, masked on the way out and in logs."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from crossdock.api.masking import Mask
from crossdock.config.customers import Approvals
from crossdock.config.masking import MaskingConfig, Viewer
from crossdock.model.base import EntityType
from crossdock.model.customer import Customer
from crossdock.observability.redaction import redact_text

IBAN = "GB82 WEST 1234 5698 7654 32"


def test_an_iban_is_compacted_and_checked() -> None:
    c = Customer.model_validate({"bank_account": {"holder": "ACME", "iban": IBAN.lower()}})
    assert c.bank_account is not None and c.bank_account.iban == "GB82WEST12345698765432"
    with pytest.raises(ValidationError, match="not a valid IBAN"):
        Customer.model_validate({"bank_account": {"iban": "GB83WEST12345698765432"}})
    with pytest.raises(ValidationError, match="iban or an account_number"):
        Customer.model_validate({"bank_account": {"holder": "ACME"}})


def test_bank_details_are_hidden_from_channels() -> None:
    masking = MaskingConfig.model_validate({"channels": ["shop"]})
    data = {"name": "ACME", "bank_account": {"iban": "GB82WEST12345698765432"}}
    shop = Mask(masking, EntityType.CUSTOMER, Viewer(system="shop")).data(data)
    assert shop == {"name": "ACME"}
    erp = Mask(masking, EntityType.CUSTOMER, Viewer(system="erp")).data(data)
    assert erp == data


def test_an_iban_never_reaches_a_log_line() -> None:
    assert "GB82" not in redact_text(f"pushed {{'iban': '{IBAN}'}}")
    assert "GB82" not in redact_text("iban=GB82WEST12345698765432 ok")
    assert redact_text("order GB00X12345678901 kept") == "order GB00X12345678901 kept"


def test_approval_fields_must_be_customer_fields() -> None:
    assert "bank_account" in Approvals().fields
    with pytest.raises(ValidationError, match="bank_details is not a customer field"):
        Approvals.model_validate({"fields": ["bank_details"]})
    with pytest.raises(ValidationError, match="credit_limit waits by"):
        Approvals.model_validate({"fields": ["credit_limit"]})
