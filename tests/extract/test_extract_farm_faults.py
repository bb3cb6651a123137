"""The farm's hostile pages (soft 404, binary as HTML, a 20 MB page, a cut-off body) are flagged, not raised."""

from __future__ import annotations

from functools import cache
from urllib.parse import urlsplit

import pytest

from crawler.extract import extract
from crawler.sim import Farm
from crawler.sim.site import PortalSite

EXPECTED = {"soft_404": "soft_404", "binary_as_html": "binary", "huge_page": "too_large", "truncated_body": "truncated"}


@cache
def faults() -> tuple[Farm, dict[str, str]]:
    farm = Farm(portals=4, seed=3, night=1, port=8800, faults=",".join(EXPECTED))
    return farm, {f["kind"]: f["url"] for f in farm.manifest()["faults"]}


@pytest.mark.parametrize(("kind", "problem"), EXPECTED.items())
def test_fault_page_is_flagged(kind, problem):
    farm, urls = faults()
    url = urls[kind]
    parts = urlsplit(url)
    spec = next(s for s in farm.specs if s.base_url == f"{parts.scheme}://{parts.netloc}")
    reply = PortalSite(farm, farm.plan(spec.index)).handle("GET", parts.path, {}, {})
    body = reply.body
    if reply.action == "truncate":  # what the server does on the wire: half the body
        body = body[: len(body) // 2]
    result = extract(body, url, reply.headers.get("Content-Type"))
    assert problem in result.problems
    if kind == "truncated_body":  # still the report, as far as it arrived: the crawl refetches it
        assert result.is_annual_report and result.paragraphs
    else:
        assert not result.is_annual_report and result.content_hash is None
