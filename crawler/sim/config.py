"""Portal configs for the farm's portals, in exactly the TOML format of ``spiders/portals/*.toml``.

``crawler sim serve --write-portals DIR`` writes these, so ``crawler crawl --portals-dir DIR``
harvests the farm the way it would harvest real portals. A config names the encoding only
when the portal's own declaration is missing or wrong, as an operator would.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from crawler.sim import corpus

if TYPE_CHECKING:
    from crawler.sim.farm import Farm, PortalPlan


def _string(value: str) -> str:
    # A JSON string without ASCII escaping is a valid TOML basic string.
    return json.dumps(value, ensure_ascii=False)


def _array(values: list[str]) -> str:
    return "[" + ", ".join(_string(v) for v in values) + "]"


def portal_toml(farm: Farm, plan: PortalPlan) -> str:
    """The TOML config of one planned portal."""
    spec = plan.spec
    region = spec.region
    issuers = sorted({e.article.issuer for e in plan.entries if e.kind in ("annual_rule_of_law_report", "mirror")})
    if spec.kind == "city":
        issuers = [plan.site.name]
        region_lines = [
            f"province = {_string(region.province)}",
            f"city = {_string(corpus.city_name(region))}",
            f"county = {_string(corpus.city_name(region))}",
            f"code = {_string(spec.city_key + '00')}",
        ]
    else:
        region_lines = [f"province = {_string(region.province)}"]
        if region.city:
            region_lines.append(f"city = {_string(region.city)}")
        region_lines += [f"county = {_string(region.county)}", f"code = {_string(region.code)}"]
    start_urls = [spec.base_url + plan.family.list_path(column, 0) for column in plan.columns]
    lines = [
        f"# Simulated portal {spec.index} of a farm (seed {farm.seed}); written by `crawler sim serve --write-portals`.",
        f"name = {_string(spec.name)}",
        f"title = {_string(plan.site.name)}",
        f"family = {_string('auto' if 'auto_config' in spec.extras else spec.family)}",
        "verified = false",
        f"issuers = {_array(issuers)}",
        f"allowed_domains = {_array([spec.address])}",
        f"start_urls = {_array(start_urls)}",
    ]
    if spec.lying:
        lines.append(f"encoding = {_string(spec.encoding)}")
    lines += ["", "[region]", *region_lines, "", "[limits]", "max_pages = 500", "max_depth = 8", ""]
    return "\n".join(lines)
