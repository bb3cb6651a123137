"""The right text for every charset county portals use, including pages whose declaration lies."""

from __future__ import annotations

import pytest

from crawler.extract import extract

TITLE = "2023年度某区法治政府建设情况报告"
PARAGRAPHS = [
    "2023年，区政府坚持以习近平新时代中国特色社会主义思想为指导，深入贯彻落实《法治政府建设实施纲要（2021—2025年）》，全面推进依法行政。",
    "一、主要举措和成效",
    "（一）健全依法决策机制。严格落实重大行政决策程序，对涉及群众切身利益的事项广泛听取意见，全年审查规范性文件十二件。",
    "（二）深化“放管服”改革。推行“一网通办”，政务服务事项网上可办率达到百分之九十八以上，群众满意度持续提升。",
]
# Traditional characters for Big5 (Big5 cannot encode the simplified forms).
PARAGRAPHS_BIG5 = [
    "2023年，區政府堅持依法行政，全面推進法治政府建設，各項工作取得明顯成效。",
    "一、主要舉措和成效",
    "（一）健全依法決策機制。嚴格落實重大行政決策程序，廣泛聽取群眾意見，審查規範性文件十二件。",
]


def page(paragraphs: list[str], meta_charset: str | None, title: str = TITLE, home: str = "首页") -> str:
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={meta_charset}">' if meta_charset else ""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<html><head>{meta}<title>{title}</title></head><body><div class='nav'><a href='/'>{home}</a></div>"
            f"<h1>{title}</h1><div class='TRS_Editor'>{body}</div></body></html>")


@pytest.mark.parametrize(
    ("codec", "declared", "header"),
    [
        ("utf-8", "utf-8", "text/html; charset=utf-8"),
        ("gbk", "gbk", "text/html; charset=gbk"),
        ("gb2312", "gb2312", "text/html"),
        ("gb18030", "gb18030", None),
        ("gbk", "gb2312", None),  # GBK bytes under a gb2312 label, the usual case
        ("gbk", None, None),  # no declaration at all
        ("gbk", "utf-8", "text/html; charset=utf-8"),  # header and meta lie
        ("utf-8", "gb2312", "text/html; charset=gb2312"),  # saved as UTF-8 under a gb2312 meta
        ("gbk", "iso-8859-1", "text/html; charset=iso-8859-1"),  # a Western default left in the template
    ],
)
def test_simplified_chinese_pages(codec, declared, header):
    paragraphs = [p.replace("—", "至") for p in PARAGRAPHS] if codec == "gb2312" else PARAGRAPHS
    body = page(paragraphs, declared).encode(codec)
    result = extract(body, "http://127.0.0.1/a.html", header)
    assert result.paragraphs == paragraphs
    assert result.title == TITLE


@pytest.mark.parametrize("declared", ["big5", None, "gb2312"])
def test_big5_pages(declared):
    body = page(PARAGRAPHS_BIG5, declared, "2023年度法治政府建設情況報告", "首頁").encode("big5")
    result = extract(body, "http://127.0.0.1/b.html")
    assert result.paragraphs == PARAGRAPHS_BIG5
    assert result.encoding.startswith("big5")


def test_portal_override_wins_over_declaration():
    body = page(PARAGRAPHS, "utf-8").encode("gbk")
    result = extract(body, "http://127.0.0.1/c.html", "text/html; charset=utf-8", encoding="gbk")
    assert result.paragraphs == PARAGRAPHS
    assert result.encoding == "gb18030"


def test_original_characters_are_kept():
    result = extract(page(PARAGRAPHS, "utf-8").encode("utf-8"), "http://127.0.0.1/d.html")
    assert "《法治政府建设实施纲要（2021—2025年）》" in result.text
    assert "“放管服”" in result.text
