"""``family = "auto"``: every portal of the farm crawled with the family left to detection.

The farm's portals are written with their real family, then rewritten to ``auto``; the crawl
must find what the family templates find (night 0 of tests/crawl/test_nights.py): every
report and nothing else, on every family and every list variant.
"""

from __future__ import annotations

import re

import pytest

from crawler.sim.farm import FAMILY_ORDER
from tests.crawl.conftest import Workspace
from tests.crawl.evaluate import Score, score
from tests.farm import RunningFarm


@pytest.fixture(scope="module")
def auto_crawl(farm: RunningFarm, tmp_path_factory: pytest.TempPathFactory) -> dict:
    workspace = Workspace(tmp_path_factory.mktemp("auto"))
    families = set()
    for path in farm.write_portals(workspace.portals_dir):
        text = path.read_text(encoding="utf-8")
        families.add(re.search(r'^family = "(\w+)"$', text, re.MULTILINE).group(1))
        path.write_text(re.sub(r'^family = "\w+"$', 'family = "auto"', text, flags=re.MULTILINE), encoding="utf-8")
    summary = workspace.crawl()
    return {"families": families, "summary": summary, "manifest": farm.manifest(),
            "score": score(workspace.engine(), farm.manifest())}


def test_farm_portals_of_every_family_were_rewritten_to_auto(auto_crawl: dict) -> None:
    assert auto_crawl["families"] >= set(FAMILY_ORDER)
    assert auto_crawl["summary"]["portals"] == len(auto_crawl["manifest"]["portals"])


def test_auto_harvests_every_report_and_nothing_else(auto_crawl: dict) -> None:
    result: Score = auto_crawl["score"]
    assert result.recall >= 0.99, sorted(result.missing)
    assert result.precision >= 0.99, sorted(result.extra)
    assert auto_crawl["summary"]["new_documents"] == len(auto_crawl["manifest"]["reports"])
    assert auto_crawl["summary"]["errors"] == 0
