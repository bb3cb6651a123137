"""The five labelled seed reports, wrapped as portal pages, come back exactly as labels.json says."""

from __future__ import annotations

import pytest

from crawler.extract import extract
from crawler.textnorm import clean_paragraph
from extract_pages import assert_labelled_metadata, seed_page, seeds

LAYOUTS = ("structured", "inline")
CASES = [pytest.param(seed, layout, id=f"{seed.name[:3]}-{layout}") for seed in seeds() for layout in LAYOUTS]


@pytest.mark.parametrize(("seed", "layout"), CASES)
def test_body_lines_kept_in_order_and_chrome_gone(seed, layout):
    result = extract(seed_page(seed, layout), seed.url)

    assert result.paragraphs == [clean_paragraph(line) for line in seed.numbered("lines_body")]
    for line in seed.numbered("lines_chrome") + seed.numbered("lines_meta") + seed.numbered("lines_title"):
        assert clean_paragraph(line) not in result.paragraphs
    assert result.text == "\n".join(result.paragraphs)
    assert result.chrome_removed >= (len(seed.labels["lines_chrome"]) if layout == "inline" else 1)


@pytest.mark.parametrize(("seed", "layout"), CASES)
def test_expected_metadata_exact(seed, layout):
    expected = seed.expected
    result = extract(seed_page(seed, layout), seed.url)

    assert_labelled_metadata(result, expected)
    published = expected.get("published")
    if published is None:
        assert result.published is None
    elif len(published) == 7:  # the page only says the month (a /202401/ URL)
        assert (result.published, result.published_precision) == (f"{published}-01", "month")
    else:
        assert (result.published, result.published_precision) == (published, "day")
    assert result.kind == "annual_rule_of_law_report"
    assert result.is_annual_report
    assert result.problems == []


def test_region_code_matches_region():
    seed = seeds()[0]
    result = extract(seed_page(seed, "structured"), seed.url)
    assert result.region_code == "610702"
