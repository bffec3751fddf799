"""The hub file's errors point at the right line and say what to fix."""

from __future__ import annotations

import pytest

from crossdock.config import ConfigError
from crossdock.sync.runtime import parse_checked

HUB = """\
store:
  url: sqlite:///hub.sqlite
systems:
  - name: erp
    kind: files
    settings:
      inbox: ./drop
      mappings:
        - pattern: "items*.csv"
          entity: product
          id: ITEMNO
          columns: {ITEMNO: sku, COST: cost}
  - name: wms
    kind: files
    settings:
      export_dir: ./out
routes:
  - name: items
    entities: [product]
    destination: wms
  - name: more-items
    entities: [product]
    destination: wms
"""


def _error(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_checked(text, "crossdock.yaml")
    return info.value


def test_a_cross_reference_points_at_its_own_line() -> None:
    err = _error(
        HUB.replace("    destination: wms\n  - name: more", "    destination: shop\n  - name: more")
    )
    assert str(err).startswith("crossdock.yaml:20: routes[0].destination: unknown system 'shop'")


def test_the_second_route_is_named_by_its_line_too() -> None:
    lines = HUB.splitlines()
    lines[-1] = "    destination: shop"
    err = _error("\n".join(lines) + "\n")
    assert str(err).startswith("crossdock.yaml:23: routes[1].destination: unknown system 'shop'")


def test_a_misspelt_key_is_named_with_the_key_it_was_meant_to_be() -> None:
    err = _error(
        HUB.replace("    destination: wms\n  - name: more", "    destinaton: wms\n  - name: more")
    )
    text = str(err)
    assert "crossdock.yaml:20: routes[0].destinaton: unknown key 'destinaton'" in text
    assert "did you mean 'destination'?" in text


def test_a_settings_error_has_its_line_and_one_path() -> None:
    err = _error(HUB.replace("      inbox: ./drop", "      inbx: ./drop"))
    text = str(err)
    assert text.startswith("crossdock.yaml:7: systems[0].settings.inbx: unknown key 'inbx'")
    assert "did you mean 'inbox'?" in text and text.count("settings.inbx") == 1


def test_a_mapping_to_a_field_the_model_lacks_is_refused_at_load() -> None:
    err = _error(HUB.replace("COST: cost}", "COST: cots}"))
    text = str(err)
    assert "systems[0].settings.mappings[0]" in text and "'cots' is not a field of Product" in text
    assert "did you mean 'cost'?" in text


@pytest.mark.parametrize("text", ["", "\n", "# only a comment\n", "{}\n"])
def test_an_empty_hub_file_is_refused(text: str) -> None:
    assert "empty" in str(_error(text))
