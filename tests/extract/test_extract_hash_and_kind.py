"""content_hash ignores chrome and width/whitespace but not edits; page kinds are told apart."""

from __future__ import annotations

import pytest

from crawler.extract import extract
from crawler.textnorm import content_hash
from extract_pages import seed_page, seeds


def test_hash_is_the_same_whatever_the_chrome():
    seed = seeds()[4]
    structured = extract(seed_page(seed, "structured"), seed.url)
    inline = extract(seed_page(seed, "inline"), seed.url)
    assert structured.content_hash == inline.content_hash == content_hash(structured.text)


def _page(paragraphs: list[str]) -> bytes:
    return ("<html><body><div class='nav'><a href='/'>首页</a><a href='/a'>要闻</a></div><div class='TRS_Editor'>"
            + "".join(f"<p>{p}</p>" for p in paragraphs) + "</div></body></html>").encode()


BASE = ["2023年，县政府全面推进依法行政，各项工作取得积极成效。", "一、主要举措（一）健全依法决策机制，审查文件12件。"]


def test_hash_ignores_width_and_whitespace_but_not_edits():
    base = extract(_page(BASE), "http://127.0.0.1/h.html").content_hash
    halfwidth = ["2023年,县政府全面推进依法行政,各项工作取得积极成效.", "一、主要举措(一)健全依法决策机制,审查文件１２件。"]
    halfwidth[0] = halfwidth[0][:-1] + "。"
    respaced = ["\u3000\u30002023年，县政府全面推进 依法行政，各项工作\n取得积极成效。", BASE[1]]
    edited = [BASE[0], BASE[1].replace("12件", "13件")]
    assert extract(_page(halfwidth), "http://127.0.0.1/h.html").content_hash == base
    assert extract(_page(respaced), "http://127.0.0.1/h.html").content_hash == base
    assert extract(_page(edited), "http://127.0.0.1/h.html").content_hash != base


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("某县人民政府2023年度法治政府建设情况报告", "annual_rule_of_law_report"),
        ("某县司法局关于2023年法治政府建设工作情况的报告", "annual_rule_of_law_report"),
        ("2022年某区法治建设工作总结", "annual_rule_of_law_report"),
        ("中共某县委 某县人民政府关于2024年法治政府建设情况的报告", "annual_rule_of_law_report"),
        ("某县人民政府2023年政府信息公开工作年度报告", "info_disclosure_annual_report"),
        ("某县司法局2023年度政府信息公开工作年度报告", "info_disclosure_annual_report"),
        ("某县2023年政府信息公开年报", "info_disclosure_annual_report"),
        ("某县司法局2023年法治政府建设工作总结和2024年工作安排", "annual_rule_of_law_report"),
        ("某县2023年法治政府建设工作总结暨2024年工作计划", "annual_rule_of_law_report"),
        ("关于报送2023年度法治政府建设情况报告的通知", "notice"),
        ("某县召开2023年度法治政府建设情况汇报会", "news"),
        ("图解：某县2023年度法治政府建设情况报告", "policy_interpretation"),
        ("《某县2023年度法治政府建设情况报告》解读", "policy_interpretation"),
        ("某县2024年法治政府建设工作要点", "work_plan"),
        ("某县法治政府建设实施方案（2021—2025年）", "work_plan"),
        ("关于开展2024年度法治政府建设督察的通知", "notice"),
        ("某县召开2023年法治政府建设推进会", "news"),
    ],
)
def test_kind_from_title(title, kind):
    body = f"<html><head><title>{title}</title></head><body><h1>{title}</h1><div class='TRS_Editor'><p>{BASE[0]}</p></div></body></html>"
    result = extract(body.encode(), "http://127.0.0.1/k.html")
    assert result.kind == kind
    assert result.is_annual_report == (kind == "annual_rule_of_law_report")
