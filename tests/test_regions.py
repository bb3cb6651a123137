"""County lookup: the names reports and portals use resolve to the right 6-digit division."""

from __future__ import annotations

import random

import pytest

from crawler.regions import _score, county_regions, region_by_code, resolve_region


def _brute_force(text: str):
    """Score every county, as the lookup would without its prefix index."""
    scored = sorted(((s, r.code, r) for r in county_regions() if (s := _score(r, text))), key=lambda t: -t[0])
    if not scored or (len(scored) > 1 and scored[0][0] == scored[1][0]):
        return None
    return scored[0][2]


def test_all_county_level_divisions_are_listed():
    regions = county_regions()
    assert 2800 <= len(regions) <= 2900
    assert len({r.code for r in regions}) == len(regions)
    assert all(len(r.code) == 6 and not r.code.endswith("00") for r in regions)


@pytest.mark.parametrize(
    ("text", "code", "full_name"),
    [
        ("汉中市汉台区人民政府", "610702", "陕西省汉中市汉台区"),
        ("长治市潞州区司法局", "140403", "山西省长治市潞州区"),
        ("衡阳市蒸湘区人民政府", "430408", "湖南省衡阳市蒸湘区"),
        ("西安市未央区", "610112", "陕西省西安市未央区"),
        ("2022年秦州区法治建设工作总结", "620502", "甘肃省天水市秦州区"),
        ("兰州市城关区", "620102", "甘肃省兰州市城关区"),
        ("天水市秦州人民政府", "620502", "甘肃省天水市秦州区"),
    ],
)
def test_names_resolve_to_their_division(text, code, full_name):
    region = resolve_region(text)
    assert region is not None and region.code == code and region.full_name == full_name
    assert region_by_code(code) == region


@pytest.mark.parametrize("text", ["", "无地名的文本", "城关区人民政府", "朝阳区"])
def test_ambiguous_or_absent_names_resolve_to_nothing(text):
    assert resolve_region(text) is None


def test_indexed_lookup_answers_as_scoring_every_county():
    regions = county_regions()
    rng = random.Random(20241)
    texts = ["汉台区和南郑区", "兰州市城关区", "朝阳区人民政府"]
    for _ in range(300):
        a, b = rng.sample(regions, 2)
        texts += [a.full_name, f"{a.city or ''}{a.short_name}人民政府", f"{a.county}与{b.county}", f"{a.short_name}法治{b.province}"]
    assert [resolve_region(t) for t in texts] == [_brute_force(t) for t in texts]
