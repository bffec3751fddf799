from __future__ import annotations

import pytest

from crossdock.config import ConfigError, NonOwnerPolicy, parse_hub
from crossdock.model.base import EntityType

GOOD = """
store:
  url: sqlite:///hub.sqlite
systems:
  - name: erp
    kind: files
  - name: portal
    kind: webhook
    settings:
      secret_env: ${PORTAL_SECRET}
ownership:
  customer:
    owner: erp
    fields:
      contacts: portal
    non_owner: propose
routes:
  - name: products-to-portal
    entities: [product]
    destination: portal
    fields: [sku, description, units]
"""


def test_good_file_parses_with_secrets_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_SECRET", "s3cret")
    hub = parse_hub(GOOD)
    assert hub.system("portal").settings["secret_env"] == "s3cret"
    assert hub.ownership[EntityType.CUSTOMER].non_owner is NonOwnerPolicy.PROPOSE
    route = hub.route("products-to-portal")
    assert route.sends("units") and route.sends("sku") and not route.sends("cost")


def test_missing_secret_names_the_variable_and_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PORTAL_SECRET", raising=False)
    with pytest.raises(ConfigError) as err:
        parse_hub(GOOD, "hub.yaml")
    msg = str(err.value)
    assert (
        "hub.yaml:10" in msg and "systems[1].settings.secret_env" in msg and "PORTAL_SECRET" in msg
    )


def test_unknown_destination_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_SECRET", "x")
    with pytest.raises(ConfigError) as err:
        parse_hub(GOOD.replace("destination: portal", "destination: shop"), "hub.yaml")
    assert "routes[0].destination" in str(err.value) and "'shop'" in str(err.value)


def test_wrong_type_names_file_line_and_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_SECRET", "x")
    with pytest.raises(ConfigError) as err:
        parse_hub(GOOD.replace("entities: [product]", "entities: [gadget]"), "hub.yaml")
    msg = str(err.value)
    assert msg.startswith("hub.yaml:") and "routes[0].entities[0]" in msg


def test_bad_policy_and_unknown_key() -> None:
    with pytest.raises(ConfigError) as err:
        parse_hub("systems: []\nownership: {}\nroutez: []\n")
    assert "routez" in str(err.value)
    with pytest.raises(ConfigError) as err2:
        parse_hub(
            "systems: [{name: erp, kind: files}]\n"
            "ownership: {customer: {owner: erp, non_owner: maybe}}\n"
        )
    assert "ownership.customer.non_owner" in str(err2.value)


def test_invalid_yaml_names_the_line() -> None:
    with pytest.raises(ConfigError) as err:
        parse_hub("systems:\n  - name: erp\n   kind: files\n", "x.yaml")
    assert "x.yaml:" in str(err.value) and "YAML" in str(err.value)


def test_unknown_owner_system_is_named() -> None:
    with pytest.raises(ConfigError) as err:
        parse_hub("systems: [{name: erp, kind: files}]\nownership: {product: {owner: pim}}\n")
    assert "ownership.product.owner" in str(err.value) and "'pim'" in str(err.value)
