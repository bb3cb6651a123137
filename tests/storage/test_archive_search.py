"""Full-text search finds two-character Chinese terms, ranks, filters and searches latest texts only."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from storage import query
from storage import search as fulltext
from storage.archive import Archive
from tests.storage.builders import report

REVIEW = "本年度办理行政复议案件五十件，行政复议决定全部按期作出。\n行政复议听证制度进一步完善。"
EDUCATION = "深入开展普法宣传教育，落实“谁执法谁普法”责任制。\n组织领导干部学法考试。"
MIXED = "推进严格规范公正文明执法，全年无行政复议纠错案件。\n开展普法进乡村活动。"


def seed(archive: Archive) -> dict[str, int]:
    ids = {}
    for name, text, code, year in (
        ("review", REVIEW, "610702", 2023),
        ("education", EDUCATION, "610703", 2023),
        ("mixed", MIXED, "610702", 2022),
    ):
        ids[name] = archive.record(
            report(f"http://127.1.0.1/{name}.html", text, region_code=code, region=f"汉中市{code}", report_year=year,
                   title=f"{name} 报告")
        ).document_id
    return ids


def found(engine: Engine, text: str, **filters) -> list[int]:
    return [hit.document_id for hit in query.search(engine, text, **filters)]


def test_two_character_terms_are_found_on_both_backends(archive: Archive, engine: Engine) -> None:
    ids = seed(archive)
    assert set(found(engine, "复议")) == {ids["review"], ids["mixed"]}
    assert set(found(engine, "普法")) == {ids["education"], ids["mixed"]}
    assert found(engine, "仲裁") == []


def test_longer_terms_match_as_phrases_and_words_must_all_appear(archive: Archive, engine: Engine) -> None:
    ids = seed(archive)
    assert found(engine, "行政复议听证") == [ids["review"]]
    # 复议 and 普法 both occur in "mixed" only; the characters of 复法 never occur side by side.
    assert found(engine, "复议 普法") == [ids["mixed"]]
    assert found(engine, "复法") == []


def test_the_document_that_says_it_most_ranks_first(archive: Archive, engine: Engine) -> None:
    ids = seed(archive)
    assert found(engine, "行政复议")[0] == ids["review"]


def test_filters_by_region_code_or_name_and_year(archive: Archive, engine: Engine) -> None:
    ids = seed(archive)
    assert found(engine, "复议", year=2022) == [ids["mixed"]]
    assert found(engine, "普法", region="610703") == [ids["education"]]
    assert set(found(engine, "复议", region="汉中市")) == {ids["review"], ids["mixed"]}
    assert found(engine, "复议", region="勉县") == []


def test_only_the_latest_version_is_searched(archive: Archive, engine: Engine) -> None:
    url = "http://127.1.0.1/edited.html"
    archive.record(report(url, "原稿提到行政复议。"))
    document_id = archive.record(report(url, "修订稿只谈普法。")).document_id
    assert found(engine, "普法") == [document_id]
    assert found(engine, "复议") == []


def test_hits_carry_a_snippet_with_the_terms_marked(archive: Archive, engine: Engine) -> None:
    seed(archive)
    hit = query.search(engine, "听证")[0]
    start, end = hit.snippet.highlights[0]
    assert hit.snippet.text[start:end] == "听证"
    assert hit.title == "review 报告" and hit.version == 1


def test_query_without_letters_finds_nothing(archive: Archive, engine: Engine) -> None:
    seed(archive)
    assert found(engine, "“”，。") == []


def test_a_very_common_term_is_ranked_among_its_newest_matches(
    archive: Archive, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fulltext, "RANK_WINDOW", 2)
    ids = [
        archive.record(
            report(f"http://127.1.0.1/{i}.html", "复议。" * (10 - i) + f"第{i}篇", region_code="610702" if i < 2 else "610703")
        ).document_id
        for i in range(4)
    ]
    # The oldest documents say 复议 most often, yet only the two newest matches are ranked ...
    assert found(engine, "复议") == [ids[2], ids[3]]
    # ... and the window is taken after the filters, so older matches are still reachable.
    assert found(engine, "复议", region="610702") == [ids[0], ids[1]]
