"""The extraction's indexed county lookup answers exactly as the shared ``resolve_region``."""

from __future__ import annotations

import random

from crawler.extract.region import find_region
from crawler.regions import county_regions, resolve_region


def test_find_region_agrees_with_resolve_region():
    regions = county_regions()
    rng = random.Random(20241)
    texts = ["", "无地名的文本", "城关区", "兰州市城关区", "朝阳区人民政府", "汉台区和南郑区"]
    for _ in range(400):
        a, b = rng.sample(regions, 2)
        texts += [a.full_name, f"{a.city or ''}{a.short_name}人民政府", f"{a.county}与{b.county}", f"{a.short_name}法治{b.province}"]
    assert [find_region(t) for t in texts] == [resolve_region(t) for t in texts]
