"""The pure render API (for extraction tests) and the farm's evolution beyond night 2, without HTTP."""

from __future__ import annotations

from datetime import date

import lxml.etree
import lxml.html
import pytest

from crawler.sim import FAMILIES, Article, Farm, SiteInfo, render_article
from crawler.sim.families import OPTIONAL_FAMILIES
from crawler.sim.site import PortalSite
from crawler.textnorm import canonical_text
from tests.sim.farm_walk import body_paragraphs

ARTICLE = Article(
    title="某县2024年度法治政府建设情况报告",
    paragraphs=("2024年，某县坚持以习近平法治思想为指导。", "一、主要举措", "指标\t2024年\t2023年", "行政复议案件（件）\t45\t38",
                "二、存在的不足和原因·下一步安排"),
    published=date(2025, 3, 20),
    issuer="某市某县人民政府",
    index_no="1234560001/2025-000001",
    doc_no="某政发〔2025〕3号",
)


@pytest.mark.parametrize("family", sorted({**FAMILIES, **OPTIONAL_FAMILIES}))
@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_render_article_puts_exactly_the_paragraphs_in_the_body(family, encoding):
    site = SiteInfo(name="某市某县人民政府", base_url="http://127.0.0.9:8800", site_code="1234560001", province="某省",
                    encoding=encoding, declared=encoding)
    page = render_article(family, ARTICLE, site, variant_seed=3)
    tree = lxml.html.document_fromstring(page.decode(encoding))
    assert canonical_text(body_paragraphs(family, tree)) == canonical_text(ARTICLE.paragraphs)
    assert tree.xpath("//meta[@name='ArticleTitle']/@content") == [ARTICLE.title]
    text = tree.text_content()
    assert "网站标识码" in text and "ICP备" in text and "大" in text  # chrome is there, outside the body
    assert page == render_article(family, ARTICLE, site, variant_seed=3)


def test_render_article_rejects_an_unknown_family():
    with pytest.raises(ValueError, match="unknown farm family 'ucap'"):
        render_article("ucap", ARTICLE, SiteInfo("x", "http://127.0.0.9", "1", "p"))


def test_later_nights_keep_evolving_and_serve_what_the_manifest_says():
    farm = Farm(6, 2, 9, 8800)
    manifest = farm.manifest()
    assert max(r["version"] for r in manifest["reports"]) >= 2
    assert len(manifest["removed"]) >= 6  # night 2's deletions stay removed
    sites = {}
    for report in manifest["reports"]:
        if report["body"] != "html":
            continue
        spec = next(s for s in farm.specs if report["url"].startswith(s.base_url + "/"))
        site = sites.setdefault(spec.index, PortalSite(farm, farm.plan(spec.index)))
        reply = site.handle("GET", report["url"][len(spec.base_url):], {}, {})
        tree = lxml.html.document_fromstring(reply.body.decode(spec.encoding))
        assert canonical_text(body_paragraphs(spec.family, tree)) == report["text"], report["url"]


def test_hanweb_data_proxy_pages_by_record_range_and_by_page():
    farm = Farm(3, 1, 0, 8800)
    spec = next(s for s in farm.specs if s.family == "hanweb" and s.kind == "county")
    plan = farm.plan(spec.index)
    site = PortalSite(farm, plan)
    column = plan.columns[0].base
    by_range = site.handle("GET", "/module/web/jpage/dataproxy.jsp",
                           {"columnid": column, "startrecord": "1", "endrecord": "10", "perpage": "5"}, {})
    by_page = [site.handle("GET", "/module/web/jpage/dataproxy.jsp", {"columnid": column, "page": str(n), "perpage": "5"},
                           {}) for n in (1, 2)]
    def links(body: bytes) -> list[str]:
        store = lxml.etree.fromstring(body)
        return [lxml.html.fragment_fromstring(r.text, create_parent="div").xpath(".//a/@href")[0] for r in store.iter("record")]

    assert links(by_range.body) == links(by_page[0].body) + links(by_page[1].body)
    assert len(links(by_range.body)) == 10
