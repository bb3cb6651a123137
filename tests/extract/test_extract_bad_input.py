"""Bad bodies give a flagged, empty result naming the problem; nothing raises into the crawl."""

from __future__ import annotations

import random

import pytest

from crawler.extract import extract
from extract_pages import realpages, seed_page, seeds

URL = "http://127.0.0.1/bad.html"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(random.Random(1).randrange(256) for _ in range(4000))


@pytest.mark.parametrize(
    ("body", "content_type", "problem"),
    [
        pytest.param(b"", "text/html", "empty", id="empty"),
        pytest.param(b"   \r\n\t ", "text/html", "empty", id="blank"),
        pytest.param(PNG, "image/png", "binary", id="image"),
        pytest.param(PNG, "text/html", "binary", id="image-served-as-html"),
        pytest.param(bytes(random.Random(2).randrange(256) for _ in range(6000)), "text/html", "binary", id="binary-as-html"),
        pytest.param(b"<html><body>" + b"<p>x</p>" * (20 * 1024 * 1024 // 8) + b"</body></html>", "text/html", "too_large", id="20MB"),
        pytest.param(b"<html><body><div class='nav'><a href='/'>home</a></div></body></html>", "text/html", "empty", id="no-text"),
    ],
)
def test_flagged_empty_result(body, content_type, problem):
    result = extract(body, URL, content_type)
    assert problem in result.problems
    assert result.text == ""
    assert result.content_hash is None
    assert result.url == URL
    assert result.kind == "other" and not result.is_annual_report


def test_truncated_html_keeps_what_arrived():
    seed = seeds()[2]
    page = seed_page(seed, "structured")
    cut = page[: len(page) * 2 // 3]
    result = extract(cut, seed.url)
    assert "truncated" in result.problems
    assert result.paragraphs, "the part that arrived is still extracted"
    assert result.paragraphs[0] == seed.numbered("lines_body")[0]
    assert len(result.paragraphs) < len(seed.labels["lines_body"])


def test_plain_text_and_fragments_are_not_truncated():
    for body in ("2023年，县政府全面推进依法行政，各项工作取得积极成效。".encode(), "<p>2023年，县政府全面推进依法行政。</p>".encode()):
        result = extract(body, URL)
        assert result.problems == [] and result.paragraphs


def test_markup_without_a_document_is_unparseable():
    assert extract(b"<!-- nothing here -->", URL).problems == ["unparseable"]


def test_soft_404_page_is_flagged():
    body = ("<html><head><title>404 页面不存在</title></head><body><div class='nav'><a href='/'>首页</a></div>"
            "<div class='main'><p>对不起，您访问的页面不存在或已被删除。</p></div></body></html>").encode()
    result = extract(body, URL, "text/html")
    assert "soft_404" in result.problems
    assert (result.text, result.content_hash, result.kind) == ("", None, "other")


def test_markup_garbage_does_not_raise():
    body = b"<<<>>><html<<body>></p></div></table>\xff\xfe<![CDATA[ <p>\x85\x86"
    result = extract(body, URL)
    assert isinstance(result.problems, list)


def _mutations(page: bytes, rng: random.Random):
    """Damaged copies of a page: cut, overwritten, spliced with random bytes, tags broken."""
    for _ in range(40):
        data = bytearray(page)
        operation = rng.randrange(5)
        if operation == 0:
            data = data[: rng.randrange(len(data))]
        elif operation == 1:
            for _ in range(50):
                data[rng.randrange(len(data))] = rng.randrange(256)
        elif operation == 2:
            data = data[rng.randrange(len(data)) :]
        elif operation == 3:
            at = rng.randrange(len(data))
            data[at:at] = bytes(rng.randrange(256) for _ in range(200))
        else:
            data = bytearray(bytes(data).replace(b">", b"<", rng.randrange(1, 50)))
        yield bytes(data)


PAGES = [(seed.url, seed_page(seed, "structured")) for seed in seeds()] + [
    (gold.get("url") or f"http://127.0.0.1/{name}.html", body) for name, body, gold in realpages()[::4]
]


@pytest.mark.parametrize(("url", "page"), PAGES, ids=[f"page{i}" for i in range(len(PAGES))])
def test_damaged_pages_never_raise(url, page):
    rng = random.Random(url)
    for damaged in _mutations(page, rng):
        result = extract(damaged, url, rng.choice([None, "text/html", "text/html; charset=gbk"]))
        assert result.url == url
        assert result.text == "\n".join(result.paragraphs)
