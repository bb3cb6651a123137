"""Which county a page speaks of: :func:`crawler.regions.resolve_region`, with an index in front.

``resolve_region`` scores all ~2,800 counties against the text, which is the single most
expensive step of an extraction when run for the issuer, the title, the site name and the
body of every page. A county scores only if its name (or short name) occurs in the text, so
an index from each name's first two characters to its counties narrows the scoring to the
few counties the text can name; the ranking is the shared module's own (``_score``), so the
answer is the same by construction (a test checks it against ``resolve_region``).
"""

from __future__ import annotations

import functools
from collections import defaultdict

from crawler.regions import Region, _score, county_regions


@functools.cache
def _index() -> dict[str, tuple[Region, ...]]:
    by_prefix: dict[str, set[Region]] = defaultdict(set)
    for region in county_regions():
        for name in {region.county, region.short_name}:
            by_prefix[name[:2]].add(region)
    return {prefix: tuple(regions) for prefix, regions in by_prefix.items()}


@functools.lru_cache(maxsize=4096)
def find_region(text: str | None) -> Region | None:
    """The same answer as ``resolve_region(text)``, scoring only the counties the text can name."""
    if not text:
        return None
    index = _index()
    candidates = {region for i in range(len(text) - 1) for region in index.get(text[i : i + 2], ())}
    scored = sorted(((s, r.code, r) for r in candidates if (s := _score(r, text))), key=lambda t: -t[0])
    if not scored or (len(scored) > 1 and scored[0][0] == scored[1][0]):
        return None
    return scored[0][2]
