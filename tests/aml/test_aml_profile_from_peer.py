"""A peer's AML thresholds (an adopted `aml-rules` bundle part) as a rule profile: laid over the shipped v3, a
TOML that does not parse refused by name."""

from importlib import resources

import pytest

from biplomacy.aml.profile_store import profile_from_thresholds
from biplomacy.aml.scan import thresholds
from biplomacy.core.errors import InputError

ORIGIN = {"bundle_sha256": "ab" * 32, "part": "aml-rules", "issuer": "National Bitcoin Office", "country": "SV"}


def test_a_peers_thresholds_keep_v3_where_they_are_silent_and_unknown_names_are_recorded_not_applied():
    v2 = (resources.files("biplomacy") / "data" / "aml" / "thresholds-v2.toml").read_text(encoding="utf-8")
    p = profile_from_thresholds(v2 + "fan_in_min_counterparties = 5\n", "bundle x", ORIGIN)
    shipped = thresholds()
    assert p.thresholds.fan_in_min_counterparties == 5 and shipped.fan_in_min_counterparties == 8
    assert p.thresholds.disabled == shipped.disabled == ("unordered_cycle",)  # v2 says nothing: v3's stands
    assert p.thresholds.scatter_gather_min_paths == shipped.scatter_gather_min_paths  # a rule v2 lacks
    assert p.fitted_on["left_out"] == ["fan_min_counterparties"]  # v2's name for fan-in and fan-out together
    assert "fan_in_min_counterparties" in p.fitted_on["thresholds_given"]
    assert p.model is None and p.fitted_on["issuer"] == "National Bitcoin Office"
    assert p.thresholds.version == p.version != "v2"  # alerts name the adopted profile


@pytest.mark.parametrize(("text", "why"), [
    ("fan_in_min_counterparties = ", "its AML thresholds are not a readable thresholds TOML"),
    ("fan_in_min_counterparties = 'many'", "thresholds.fan_in_min_counterparties is 'many', not a int")])
def test_a_thresholds_toml_that_does_not_parse_is_refused_naming_the_part(text, why):
    with pytest.raises(InputError, match=f"bundle 0123 part aml-rules: {why}"):
        profile_from_thresholds(text, "bundle 0123 part aml-rules", ORIGIN)
