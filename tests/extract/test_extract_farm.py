"""Farm pages of every family: the farm's canonical text comes back, and every page kind is told apart.

Pages are fetched in-process from the farm's own request handler (:class:`PortalSite`), the
same bytes and Content-Type the HTTP server sends, so no server is needed here; crawl tests
cover the HTTP path.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from urllib.parse import urlsplit

import pytest

from crawler.extract import extract, extract_attachment
from crawler.regions import resolve_region
from crawler.sim import FAMILIES, Article, Farm, SiteInfo, render_article
from crawler.sim.site import PortalSite
from crawler.textnorm import clean_paragraph
from crawler.extract.score import char_prf
from extract_pages import assert_labelled_metadata, seeds

ENCODINGS = [("utf-8", "utf-8", True), ("gbk", "gb2312", False), ("gbk", None, False), ("utf-8", "gb2312", True)]


@cache
def farm() -> tuple[Farm, dict]:
    built = Farm(portals=12, seed=11, night=3, port=8800)
    return built, built.manifest()


_SITES: dict[int, PortalSite] = {}


def fetch(url: str) -> tuple[bytes, str | None]:
    """The body and Content-Type the farm serves for ``url`` (status 200 expected)."""
    the_farm, _ = farm()
    parts = urlsplit(url)
    spec = next(s for s in the_farm.specs if s.base_url == f"{parts.scheme}://{parts.netloc}")
    site = _SITES.get(spec.index)
    if site is None:
        site = _SITES[spec.index] = PortalSite(the_farm, the_farm.plan(spec.index))
    reply = site.handle("GET", parts.path, {}, {})
    assert reply.status == 200, f"{url}: farm answered {reply.status}"
    return reply.body, reply.headers.get("Content-Type")


def report_text(report: dict) -> str:
    """What the extraction gives for a report: its page, all its pages, or its attachment."""
    if report["body"] in ("pdf", "docx"):
        url = report["attachments"][0]
        body, content_type = fetch(url)
        return extract_attachment(body, url, content_type).text
    urls = report["pages"] if report["body"] == "pages" else [report["url"]]
    return "\n".join(_page_text(url) for url in urls)


def _page_text(url: str) -> str:
    body, content_type = fetch(url)
    return extract(body, url, content_type).text


def test_farm_covers_every_family():
    _, manifest = farm()
    assert {p["family"] for p in manifest["portals"]} == set(FAMILIES)
    assert {r["body"] for r in manifest["reports"]} >= {"html", "pages", "pdf", "docx"}


def test_report_bodies_f1_at_least_099():
    _, manifest = farm()
    scores = {r["url"]: char_prf(report_text(r), r["text"])[2] for r in manifest["reports"]}
    worst = min(scores, key=scores.get)
    assert scores[worst] >= 0.99, f"{worst}: F1 {scores[worst]:.4f}"


def test_report_hash_equals_manifest_for_html_reports():
    _, manifest = farm()
    for report in manifest["reports"]:
        if report["body"] == "html":
            body, content_type = fetch(report["url"])
            assert extract(body, report["url"], content_type).content_hash == report["text_sha256"], report["url"]


def test_report_metadata_matches_manifest():
    _, manifest = farm()
    for report in manifest["reports"]:
        if report["body"] in ("pdf", "docx"):
            continue
        body, content_type = fetch(report["url"])
        result = extract(body, report["url"], content_type)
        got = (result.title, result.region, result.region_code, result.issuer, result.report_year, result.published)
        want = (report["title"], report["region"], report["region_code"], report["issuer"], report["report_year"],
                report["published"])
        assert got == want, report["url"]
        assert result.is_annual_report


def test_every_page_kind_classified():
    _, manifest = farm()
    pages = [(r["url"], "annual_rule_of_law_report") for r in manifest["reports"]]
    pages += [(n["url"], n["kind"]) for n in manifest["negatives"]]
    assert {kind for _, kind in pages} == {"annual_rule_of_law_report", "info_disclosure_annual_report",
                                          "policy_interpretation", "work_plan", "news", "notice"}
    wrong = []
    for url, kind in pages:
        body, content_type = fetch(url)
        got = extract(body, url, content_type).kind
        if got != kind:
            wrong.append((url, kind, got))
    assert wrong == []


def _site_for(seed, encoding: str, declared: str | None, header: bool) -> SiteInfo:
    region = resolve_region(seed.expected["region"])
    return SiteInfo(
        name=f"{region.city or ''}{region.county}人民政府", base_url="http://127.0.0.1:8800", site_code=f"{region.code}0001",
        province=region.province, region=region, encoding=encoding, declared=declared, header_charset=header,
    )


def _article_for(seed) -> Article:
    expected = seed.expected
    published = expected.get("published") or expected.get("signed") or "2024-03-01"
    if len(published) == 7:
        published += "-15"
    return Article(
        title=expected["title"] or "",
        paragraphs=tuple(clean_paragraph(line) for line in seed.numbered("lines_body")),
        published=date.fromisoformat(published),
        issuer=expected["issuer"] or "",
        index_no=expected.get("index_no", ""),
        doc_no=expected.get("doc_no", ""),
    )


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("seed", seeds(), ids=[s.name[:3] for s in seeds()])
def test_seed_rendered_by_every_family(seed, family):
    article = _article_for(seed)
    for variant, (encoding, declared, header) in enumerate(ENCODINGS):
        site = _site_for(seed, encoding, declared, header)
        content_type = site.content_type
        result = extract(render_article(family, article, site, variant_seed=variant), seed.url, content_type)

        assert result.paragraphs == list(article.paragraphs), f"{family} variant {variant}"
        expected = seed.expected
        assert_labelled_metadata(result, expected)
        # The farm page states a full date; for the seed whose own page only gave a month the
        # day is the farm's, so only the month is the seed's.
        assert result.published[: len(expected.get("published") or "")] == (expected.get("published") or "")
        assert result.kind == "annual_rule_of_law_report"
