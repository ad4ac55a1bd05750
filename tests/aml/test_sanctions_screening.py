"""Sanctions: loading lists (plain and OFAC's XML) with rejects reported, exact address and fuzzy name screening."""

from __future__ import annotations

from importlib import resources

SHIPPED = resources.files("biplomacy") / "data" / "sanctions" / "ofac-sdn-xbt-2024-09-27.txt"
XML = """<?xml version="1.0"?><Sanctions><DistinctParty><Feature><FeatureType>Digital Currency Address - XBT
</FeatureType><VersionDetail>{a}</VersionDetail></Feature></DistinctParty>
<DistinctParty><Feature><FeatureType>Digital Currency Address - XBT</FeatureType><VersionDetail>{t}</VersionDetail>
</Feature></DistinctParty></Sanctions>"""


def _first_address() -> str:
    return next(ln for ln in SHIPPED.read_text().splitlines() if ln.strip())


def test_loading_the_shipped_list_reports_the_misfiled_tron_line(cli_nodb):
    r = cli_nodb("supervise", "sanctions", "load", str(SHIPPED), "--json")
    assert r.exit_code == 0
    assert r.json["addresses"] == 434
    assert [x["message"][:7] for x in r.json["rejected"]] == ["'TUCsTq"]


def test_a_sanctioned_address_matches_and_a_clean_one_does_not(cli_nodb):
    hit = cli_nodb("supervise", "sanctions", "screen", "--address", _first_address(), "--json")
    miss = cli_nodb("supervise", "sanctions", "screen", "--address", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
                    "--json")
    assert hit.json["match"] is True and miss.json["match"] is False


def test_ofac_xml_features_are_read_and_a_tron_value_is_left_out(cli_nodb, tmp_path):
    f = tmp_path / "sdn_advanced.xml"
    f.write_text(XML.format(a=_first_address(), t="TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq"))
    r = cli_nodb("supervise", "sanctions", "load", str(f), "--json")
    assert r.exit_code == 0 and r.json["addresses"] == 1 and len(r.json["rejected"]) == 1


def test_name_screening_reports_the_fuzzy_score(cli_nodb, tmp_path):
    names = tmp_path / "names.txt"
    names.write_text("GARANTEX EUROPE OU\nLazarus Group\n")
    r = cli_nodb("supervise", "sanctions", "screen", "--name", "Lazarus Grp", "--names", str(names), "--json")
    assert r.json["match"] is True
    assert r.json["matches"][0]["value"] == "Lazarus Group" and 80 <= r.json["matches"][0]["score"] < 100


def test_bad_inputs_exit_2_with_one_line(cli_nodb, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("not an address\n")
    for args in (("load", str(tmp_path / "missing.txt")), ("load", str(empty)), ("screen", "--name", "x"),
                 ("screen",)):
        r = cli_nodb("supervise", "sanctions", *args, "--json")
        assert r.exit_code == 2 and "Traceback" not in r.stderr, args


def test_each_load_is_kept_as_a_version_and_screening_uses_the_latest(cli, tmp_path):
    first = _first_address()
    newer = tmp_path / "newer.txt"
    newer.write_text("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq\n")
    assert cli("supervise", "sanctions", "load", str(SHIPPED), "--store", "--json").json["version"] == 1
    assert cli("supervise", "sanctions", "load", str(newer), "--store", "--json").json["version"] == 2
    history = cli("supervise", "sanctions", "lists", "--json").json
    assert [(v["version"], v["addresses"], v["rejected"]) for v in history] == [(2, 1, 0), (1, 434, 1)]
    assert cli("supervise", "sanctions", "screen", "--address", first, "--stored", "--json").json["match"] is False
    assert cli("supervise", "sanctions", "screen", "--address", first, "--json").json["match"] is True


def test_a_bad_list_stores_no_version(cli, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("nothing here\n")
    assert cli("supervise", "sanctions", "load", str(bad), "--store", "--json").exit_code == 2
    assert cli("supervise", "sanctions", "lists", "--json").json == []
