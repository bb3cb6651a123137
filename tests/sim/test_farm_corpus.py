"""Report text is moved to the portal's county and year: no seed place names survive."""

from __future__ import annotations

from crawler.sim import Farm
from crawler.sim.corpus import seeds

SEED_PLACES = {name for s in seeds() for name in (s.county, s.short, s.city, s.city.removesuffix("市"))}


def test_reports_name_their_own_county_and_no_seed_county():
    manifest = Farm(40, 6, 0, 8800).manifest()
    for report in manifest["reports"]:
        region = report["region"]
        leaked = {name for name in SEED_PLACES if name in report["text"] and name not in region}
        assert not leaked, f"{report['url']}: seed place names {leaked} in a report of {region}"
        year = str(report["report_year"])
        assert year in report["text"].split("\n")[0] or year in report["text"][:400], report["url"]
