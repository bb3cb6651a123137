"""What kind of page this is, from its title (or, without one, its opening).

The archive keeps only ``annual_rule_of_law_report`` pages as reports, so the rules guard
its two look-alikes: the 政府信息公开工作年度报告 (an annual report, but of a different
obligation) and the 解读 pages that explain a report without being it. The rules are an
ordered table: the first that matches decides.
"""

from __future__ import annotations

import re
from itertools import islice

# (kind, pattern over the title, veto anywhere in the title, veto after the pattern's match).
# A title names its document type last (…情况的报告, …工作要点, …的通知), so a plan or notice
# word only vetoes a report when it comes after the report word — unless a conjunction joins
# them (…工作总结和2024年工作计划 is the report, which includes next year's plans).
_Rule = tuple[str, re.Pattern[str], re.Pattern[str] | None, re.Pattern[str] | None]
_RULES: tuple[_Rule, ...] = (
    ("policy_interpretation", re.compile(r"解读|图解|答记者问|一图读懂|政策问答|问答"), None, None),
    ("info_disclosure_annual_report", re.compile(r"信息公开.{0,8}(年度?报告|年报)|政务公开.{0,8}(年度报告|年报)"), None, None),
    (
        "annual_rule_of_law_report",
        re.compile(r"(法治政府建设|法治建设|依法行政|法治政府|依法治[县区市旗])(工作)?.{0,16}(报告|总结|情况)"),
        re.compile(r"考核|督察|评估|培训|会议|召开|举办|举行|开展|推进会|座谈|调研|部署"),
        re.compile(r"(?![和及暨与]).*(工作要点|计划|方案|通知|公告|通告|公示)"),
    ),
    ("work_plan", re.compile(r"工作要点|工作计划|实施方案|工作方案|行动方案|行动计划|工作安排|规划"), None, None),
    ("notice", re.compile(r"(通知|公告|通告|公示|启事|决定)$|^关于.{0,60}(通知|公告|通告|公示)"), None, None),
)
_BODY_REPORT = re.compile(r"法治政府建设|法治建设|依法行政")
_YEAR_OPENING = re.compile(r"^(?:19|20)\d{2}\s*年")
_NUMBERED_HEADING = re.compile(r"^[一二三四五六七八九十]+、")


def classify(title: str | None, paragraphs: list[str]) -> str:
    """The page kind (one of :data:`crawler.extract.model.KINDS`)."""
    if not paragraphs:
        return "other"
    if title:
        for kind, pattern, veto, veto_after in _RULES:
            match = pattern.search(title)
            if match is None or (veto and veto.search(title)):
                continue
            if veto_after and veto_after.match(title, match.end()):
                continue
            return kind
        return "news"
    return _classify_untitled(paragraphs)


def _classify_untitled(paragraphs: list[str]) -> str:
    """A page without a usable title: a report opens with the year and is organised in 一、二、 sections."""
    if not _YEAR_OPENING.match(paragraphs[0].strip()):
        return "news"
    headings = sum(1 for p in paragraphs if _NUMBERED_HEADING.match(p.strip()))
    # Two mentions are enough: the search stops at the second instead of listing them all.
    if headings >= 2 and len(list(islice(_BODY_REPORT.finditer("\n".join(paragraphs)), 2))) == 2:
        return "annual_rule_of_law_report"
    return "news"
