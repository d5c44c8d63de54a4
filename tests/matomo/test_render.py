"""Matomo's output formats (pure)."""

from __future__ import annotations


def test_xml_drops_characters_xml_cannot_hold_and_csv_defuses_formulas() -> None:
    from xml.etree import ElementTree

    from collector.matomo.render import render

    rows = [{"label": '=HYPERLINK("x")\x01<b>', "nb_visits": -1}]
    xml, _ = render(rows, "xml")
    assert ElementTree.fromstring(xml).findtext("row/label") == '=HYPERLINK("x")<b>'
    csv, _ = render(rows, "csv", unicode=False)
    assert csv.decode().splitlines()[1] == '"\'=HYPERLINK(""x"")\x01<b>",-1'
