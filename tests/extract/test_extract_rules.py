"""The chrome rule table: defaults, and a portal's ``[extract]`` rules extending it."""

from __future__ import annotations

import pytest

from crawler.extract import ChromeRules, extract

BODY = [
    "2023年，县政府全面推进法治政府建设，严格落实重大行政决策程序，持续深化行政执法三项制度改革。",
    "一、主要举措",
    "（一）加强组织领导。县政府常务会议专题研究法治政府建设工作四次，研究解决重点难点问题。",
    "特此报告。",
]


def page(extra_inside: str = "", extra_outside: str = "") -> bytes:
    body = "".join(f"<p>{p}</p>" for p in BODY)
    return (f"<html><head><title>某县2023年法治政府建设情况报告</title></head><body>{extra_outside}"
            f"<div class='wrap'><div class='body-text'>{body}{extra_inside}</div></div></body></html>").encode()


@pytest.mark.parametrize(
    "line",
    [
        "当前位置：首页 > 政务公开 > 法治政府建设",
        "【字体：大 中 小】",
        "字号：[ 大 中 小 ]",
        "【打印本页】【关闭窗口】",
        "分享到：",
        "浏览次数：1024",
        "访问量：88",
        "上一篇：关于召开会议的通知",
        "下一篇：无",
        "相关链接",
        "冀ICP备05001234号-1",
        "冀公网安备13010202000123号",
        "网站标识码：1301000001",
        "无障碍浏览",
        "简体 | 繁體",
        "【下载Word】【下载PDF】",
        "实名登录",
        "今天是2024年3月1日 星期五",
        "版权所有：某县人民政府 主办：某县人民政府办公室",
        "网易首页 --> 主频道 --> 消费真相",
        "【责任编辑：张三】",
        "(责编：李四、王五)",
        "【纠错】",
        "链接已复制",
    ],
)
def test_default_rules_drop_furniture_inside_the_body(line):
    result = extract(page(extra_inside=f"<p>{line}</p>"), "http://127.0.0.1/r.html")
    assert result.paragraphs == BODY


def test_body_sentences_mentioning_furniture_words_are_kept():
    sentence = "县政府网站新增无障碍浏览功能，完善打印、分享等服务，全年访问量较上年增长百分之二十，相关链接全部核查完毕。"
    result = extract(page(extra_inside=f"<p>{sentence}</p>"), "http://127.0.0.1/r.html")
    assert result.paragraphs == [*BODY, sentence]


def test_portal_text_rule_extends_the_table():
    line = "本站由县政务数据中心维护"
    plain = extract(page(extra_inside=f"<p>{line}</p>"), "http://127.0.0.1/r.html")
    assert line in plain.paragraphs
    rules = ChromeRules.default().extend(text=[r"^本站由.*维护$"])
    extended = extract(page(extra_inside=f"<p>{line}</p>"), "http://127.0.0.1/r.html", rules=rules)
    assert extended.paragraphs == BODY
    assert ChromeRules.default().is_chrome_text(line) is False, "extend() returns a copy"


def test_portal_xpath_rule_removes_an_element():
    widget = "<div class='weird-widget'>本文适合所有市民阅读，欢迎转发给身边的亲友。</div>"
    rules = ChromeRules.default().extend(xpath=["//div[@class='weird-widget']"])
    assert "欢迎转发" in extract(page(extra_inside=widget), "http://127.0.0.1/r.html").text
    assert extract(page(extra_inside=widget), "http://127.0.0.1/r.html", rules=rules).paragraphs == BODY


def test_portal_body_xpath_picks_the_container():
    notice = "<div id='notice'><p>温馨提示：本县将于三月开展法治宣传周活动，欢迎市民积极参与，共同营造良好法治氛围。</p></div>"
    rules = ChromeRules.default().extend(body_xpath="//div[@id='notice']")
    result = extract(page(extra_outside=notice), "http://127.0.0.1/r.html", rules=rules)
    assert result.text.startswith("温馨提示")


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"text": ["(unclosed"]}, "bad chrome_text pattern '\\(unclosed'"),
        ({"xpath": ["//div[@class="]}, "bad chrome_xpath '//div\\[@class='"),
        ({"body_xpath": "//*[[["}, "bad body_xpath"),
    ],
)
def test_bad_portal_rule_names_itself(rules, message):
    with pytest.raises(ValueError, match=message):
        ChromeRules.default().extend(**rules)


def test_dateline_above_the_text_is_metadata_and_a_closing_date_is_body():
    dated = extract(page(extra_outside="", extra_inside="<p>2024年3月1日</p>").replace(
        b"<div class='body-text'>", b"<div class='body-text'><p>2024-02-28 09:30</p>"), "http://127.0.0.1/r.html")
    assert dated.paragraphs == [*BODY, "2024年3月1日"]
    assert (dated.published, dated.signed) == ("2024-02-28", "2024-03-01")


def test_tabs_in_page_text_are_blanks_not_cells():
    result = extract(page(extra_inside="<p>\t二、存在的问题\t</p>"), "http://127.0.0.1/r.html")
    assert result.paragraphs[-1] == "二、存在的问题"


@pytest.mark.parametrize(
    ("closing", "issuer", "signed"),
    [
        (["某县人民政府", "2024年3月1日"], "某县人民政府", "2024-03-01"),
        (["某县司法局 2024年3月1日"], "某县司法局", "2024-03-01"),
        (["某县人民政府", "二〇二四年三月一日"], "某县人民政府", "2024-03-01"),
        (["《人民日报》（2024年03月01日 04版）"], None, None),
        (["某县人民政府", "二〇二五年十十月一日"], None, None),  # no such date: not a signature, no error
    ],
)
def test_signature_lines(closing, issuer, signed):
    extra = "".join(f"<p>{line}</p>" for line in closing)
    result = extract(page(extra_inside=extra), "http://127.0.0.1/r.html")
    assert (result.issuer, result.signed) == (issuer, signed)
    assert result.paragraphs[-len(closing):] == closing


def test_disclosure_record_with_padded_labels_is_metadata_not_body():
    record = (
        "<table class='xxgk'><tr><td>索&nbsp;&nbsp;引&nbsp;&nbsp;号：000014349/2024-00012</td>"
        "<td>主题分类：综合政务</td></tr><tr><td>发文机关：某县司法局</td><td>发文字号：某司发〔2024〕3号</td></tr>"
        "<tr><td>成文日期：2024年02月20日</td><td>发布日期：2024年02月21日</td></tr></table>"
    )
    result = extract(page(extra_outside="").replace(b"<div class='body-text'>", b"<div class='body-text'>" + record.encode()),
                     "http://127.0.0.1/r.html")
    assert result.paragraphs == BODY
    assert (result.index_no, result.subject, result.issuer, result.doc_no, result.published) == (
        "000014349/2024-00012", "综合政务", "某县司法局", "某司发〔2024〕3号", "2024-02-21")


def test_title_is_the_heading_nearest_the_body_when_title_tag_is_the_site_name():
    site = "某某市某某县人民政府"
    body = "".join(f"<p>{p}</p>" for p in BODY)
    html = (f"<html><head><title>{site}</title><meta name='SiteName' content='{site}'></head><body>"
            f"<div class='header'><h1 class='logo'>{site}门户网站</h1></div>"
            f"<div class='col-title'>法治政府建设专栏目录</div>"
            f"<div class='main'><div class='art-title'>某县2023年法治政府建设情况报告</div>"
            f"<div class='art-body'>{body}</div></div></body></html>")
    result = extract(html.encode(), "http://127.0.0.1/t.html")
    assert result.title == "某县2023年法治政府建设情况报告"
    assert result.paragraphs == BODY

    bare = f"<html><head><title>{site}</title><meta name='SiteName' content='{site}'></head><body>{body}</body></html>"
    assert extract(bare.encode(), "http://127.0.0.1/t.html").title is None


def test_title_repeated_over_lines_is_dropped_but_a_short_opening_is_kept():
    title = "某县人民政府关于2023年度法治政府建设情况的报告"
    repeated = "<p>某县人民政府</p><p>关于2023年度法治政府建设情况的报告</p>"
    html = f"<html><head><title>{title}</title></head><body><h1>{title}</h1><div class='c'>{repeated}<p>2023年</p>"
    html += "".join(f"<p>{p}</p>" for p in BODY) + "</div></body></html>"
    result = extract(html.encode(), "http://127.0.0.1/t.html")
    assert result.title == title
    assert result.paragraphs == ["2023年", *BODY]


def test_pinyin_named_furniture_inside_the_body_is_removed():
    widgets = ("<div class='fenxiang'>微信 微博 QQ空间 分享给朋友们一起看看吧，谢谢大家的支持。</div>"
               "<div id='dayin'><span>打印本文，保存备查，方便大家随时阅读。</span></div>")
    assert extract(page(extra_inside=widgets), "http://127.0.0.1/r.html").paragraphs == BODY


def test_data_table_cells_named_like_furniture_are_kept():
    table = ("<table><tr><th class='table-header'>指标</th><th class='table-header'>数值</th></tr>"
             "<tr><td class='bottom-line'>审查规范性文件</td><td class='bottom-line'>12件</td></tr></table>")
    result = extract(page(extra_inside=table), "http://127.0.0.1/r.html")
    assert result.paragraphs == [*BODY, "指标\t数值", "审查规范性文件\t12件"]


def test_region_from_the_footer_sponsor_when_nothing_else_names_the_county():
    footer = "<div class='footer'>主办单位：汉中市汉台区人民政府办公室 | 技术支持：某公司</div>"
    plain = extract(page(), "http://127.0.0.1/r.html")
    with_footer = extract(page(extra_outside="").replace(b"</body>", footer.encode() + b"</body>"), "http://127.0.0.1/r.html")
    assert plain.region is None
    assert (with_footer.region, with_footer.region_code) == ("陕西省汉中市汉台区", "610702")
    assert with_footer.paragraphs == BODY


def test_code_form_controls_media_and_hidden_elements_are_not_text_but_the_text_around_them_is():
    inside = (
        "<p>第一段，正文内容。<script>var a = '脚本文字';</script>紧随脚本的正文，保留。</p>"
        "<form action='/s'><p>表单里的正文，保留。</p><input value='输入框'><select><option>选项文字</option></select>"
        "<textarea>文本框文字</textarea><button>按钮文字</button></form>"
        "<p style='color: red; display : none'>隐藏的段落，不要。</p><p hidden>属性隐藏，不要。</p>"
        "<div aria-hidden='true'>读屏隐藏，不要。</div><noscript>请启用脚本，不要。</noscript>"
        "<style>.x { color: red }</style><iframe src='/x'></iframe><svg><text>矢量图文字</text></svg>"
    )
    result = extract(page(extra_inside=inside), "http://127.0.0.1/a.html")
    assert "第一段，正文内容。紧随脚本的正文，保留。" in result.paragraphs
    assert "表单里的正文，保留。" in result.paragraphs
    for gone in ("脚本文字", "输入框", "选项文字", "文本框文字", "按钮文字", "隐藏", "请启用脚本", "color", "矢量图文字"):
        assert gone not in result.text
    assert result.paragraphs[:len(BODY)] == BODY
