"""What kind of page this is, from its title (or, without one, its opening).

The archive keeps only ``annual_rule_of_law_report`` pages as reports, so the rules guard
its two look-alikes: the 政府信息公开工作年度报告 (an annual report, but of a different
obligation) and the 解读 pages that explain a report without being it. The rules are an
ordered table: the first that matches decides.
"""

from __future__ import annotations

import re

# (kind, pattern over the title, patterns that veto it)
_RULES: tuple[tuple[str, re.Pattern[str], re.Pattern[str] | None], ...] = (
    ("policy_interpretation", re.compile(r"解读|图解|答记者问|一图读懂|政策问答|问答"), None),
    ("info_disclosure_annual_report", re.compile(r"(政府)?信息公开.{0,8}年度?报告|政务公开.{0,8}年度报告"), None),
    (
        "annual_rule_of_law_report",
        re.compile(r"(法治政府建设|法治建设|依法行政|法治政府|依法治[县区市旗])(工作)?.{0,16}(报告|总结|情况)"),
        re.compile(r"(工作要点|计划|方案|通知|公告|通告|公示|考核|督察|评估|培训|会议|召开|举办|举行|开展|推进会|座谈|调研|部署)"),
    ),
    ("work_plan", re.compile(r"工作要点|工作计划|实施方案|工作方案|行动方案|行动计划|工作安排|规划"), None),
    ("notice", re.compile(r"(通知|公告|通告|公示|启事|决定)$|^关于.{0,60}(通知|公告|通告|公示)"), None),
)
_BODY_REPORT = re.compile(r"法治政府建设|法治建设|依法行政")
_YEAR_OPENING = re.compile(r"^(?:19|20)\d{2}\s*年")
_NUMBERED_HEADING = re.compile(r"^[一二三四五六七八九十]+、")


def classify(title: str | None, paragraphs: list[str]) -> str:
    """The page kind (one of :data:`crawler.extract.model.KINDS`)."""
    if not paragraphs:
        return "other"
    if title:
        for kind, pattern, veto in _RULES:
            if pattern.search(title) and not (veto and veto.search(title)):
                return kind
        return "news"
    return _classify_untitled(paragraphs)


def _classify_untitled(paragraphs: list[str]) -> str:
    """A page without a usable title: a report opens with the year and is organised in 一、二、 sections."""
    text = "\n".join(paragraphs)
    opening = paragraphs[0].strip()
    headings = sum(1 for p in paragraphs if _NUMBERED_HEADING.match(p.strip()))
    if _YEAR_OPENING.match(opening) and headings >= 2 and len(_BODY_REPORT.findall(text)) >= 2:
        return "annual_rule_of_law_report"
    return "news"
