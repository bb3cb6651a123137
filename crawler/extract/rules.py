"""The chrome rule table: every pattern that says "this is page furniture, not the report".

Chinese government CMSs wrap a report in the same furniture again and again (breadcrumbs,
字号 大中小 switches, 打印/关闭 buttons, click counters, 上一篇/下一篇, ICP and 公网安备
footers). Keeping all of it here, as data, means a new portal quirk is one line in a portal's
``[extract]`` section (see :meth:`ChromeRules.extend`) instead of another ``if`` in the
extractor; the cleaning and body modules only *apply* this table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from lxml import etree

# A paragraph longer than this, or with two or more sentence marks (，。；), is never chrome by
# text alone: furniture is short and unpunctuated, and a body sentence that merely mentions
# "打印" or "访问量" must survive.
MAX_CHROME_CHARS = 160

# Whole-paragraph patterns (matched with ``re.search`` against the whitespace-normalised
# paragraph, so anchor them when they must cover the whole line).
DEFAULT_TEXT_PATTERNS: tuple[str, ...] = (
    # breadcrumbs
    r"^(您|你)?(当前|现在|目前)?(的|所在)?(所在)?位置\s*[:：]",
    r"^(当前|所在)位置\s*[:：]?",
    r"^首\s*页\s*(>|>>|»|→|/|＞|-&gt;|->|›|-|—)",
    r"^[^，。；]{1,20}(\s*(-->|->|>>|>|»|›|→|＞)\s*[^，。；>»›→＞]{1,20}){2,}$",  # 网易首页 --> 主频道 --> …
    # font-size switches
    r"(字\s*[号体]|文字)\s*(大小)?\s*[:：]?\s*[\[【(（]?\s*(大|小|中|默认|[+＋A]|\s|[\]】)）])",
    r"^[【\[]?\s*大\s*[】\]]?\s*[【\[]?\s*中\s*[】\]]?\s*[【\[]?\s*小\s*[】\]]?$",
    # counters
    r"^(点击|浏览|阅读|访问)(次数|数|量|率)?\s*[:：]?\s*\d*\s*次?\s*$",
    r"(浏览次数|点击次数|点击数|阅读次数|访问量|访问次数|浏览量|阅读量)\s*([:：]|\d)",
    r"您是第\s*\d*\s*位访",
    # neighbours and related lists
    r"^(上一篇|下一篇|上一条|下一条|上篇|下篇)\s*[:：]?",
    r"^(相关稿件|相关链接|相关文章|相关阅读|相关新闻|相关信息|相关文件|延伸阅读|推荐阅读|热点推荐)\s*[:：]?$",
    # footer furniture
    r"ICP\s*[备证]",
    r"公网安备",
    r"网站标识码",
    r"网站识别码",
    r"版权所有",
    r"(主办|承办|维护|技术支持|主管)(单位)?\s*[:：]",
    r"(联系|服务)电话\s*[:：].{0,40}$",
    r"建议使用.{0,40}浏览器",
    r"分辨率",
    r"^(网站地图|联系我们|关于我们|免责声明|隐私声明|网站声明|使用帮助)(\s*[|｜/]\s*\S{2,6})*$",
    # editor credits and correction widgets
    r"^[\[【(（]?\s*(责任编辑|责编|编辑|审核|校对|终审|初审)\s*[:：]",
    r"^[\[【]\s*纠错\s*[\]】]",
    # accessibility and language switches, logins, downloads
    r"^无障碍(浏览|阅读)?",
    r"^(简体|繁體|繁体)\s*(版|中文)?\s*[|｜/]?\s*(繁體|繁体|简体)?",
    r"(下载\s*(Word|PDF|WORD|pdf|word))",
    r"^(实名登录|个人登录|法人登录|登录|注册)(\s*[|｜/]\s*(注册|登录|退出))*$",
    r"(扫一扫|扫描二维码).{0,20}(手机|分享|打开|关注)",
    # today's-date banners
    r"^(今天是|今日)?\s*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*(星期|周)[一二三四五六日天]",
    # a line that is only a sequence of widget words (checked with WIDGET_WORDS below)
)

# Words that make up button bars. A short paragraph made only of these (plus brackets,
# separators and blanks) is a widget bar, whatever order or punctuation the CMS uses.
DEFAULT_WIDGET_WORDS: tuple[str, ...] = (
    "打印本页", "打印此页", "打印文章", "打印正文", "打印", "关闭本页", "关闭窗口", "关闭", "分享到", "分享",
    "收藏本页", "收藏", "返回顶部", "返回", "顶部", "字号", "字体", "默认", "大", "中", "小", "保存",
    "微信", "微博", "新浪微博", "QQ空间", "QQ", "朋友圈", "复制链接", "扫一扫", "纠错", "我要纠错",
    "简体", "繁體", "繁体", "无障碍", "长者模式", "关怀版", "下载", "Word", "PDF", "实名登录",
    "登录", "注册", "相关稿件", "相关链接", "上一篇", "下一篇", "视力保护色", "背景色", "恢复",
    "链接已复制", "复制", "转发", "点赞", "评论",
)

# Elements dropped before the body is chosen: HTML5 furniture and the class/id words that
# Chinese CMS templates use for it. Class/id tokens are matched case-insensitively against
# whole tokens or prefixes (``footer``, ``foot_box``, ``bdshare_t``...).
DEFAULT_CHROME_TAGS: tuple[str, ...] = ("nav", "header", "footer", "aside", "menu")
DEFAULT_CHROME_TOKENS: tuple[str, ...] = (
    "nav", "navbar", "menu", "topbar", "header", "head_nav", "footer", "foot", "bottom", "copyright",
    "breadcrumb", "crumb", "crumbs", "position", "location", "curpos", "dqwz", "bread",
    "share", "bdshare", "bshare", "jiathis", "print", "fontsize", "font_size", "zihao", "zh_size",
    "related", "xgwz", "xglj", "xgxx", "relate", "sidebar", "side", "aside", "toolbar", "tools",
    "pagenav", "prevnext", "prev_next", "next_prev", "sxp", "hits", "clickcount", "counter",
    "ewm", "qrcode", "jiucuo", "conac", "login", "search", "searchbox", "friendlink", "links", "yqlj",
    # pinyin names templates use: 分享, 打印, 关闭, 版权, 导航, 相关新闻/文件, 返回, 面包屑
    "fenxiang", "dayin", "guanbi", "banquan", "daohang", "xgxw", "xgwj", "fanhui", "mbx", "mianbaoxie",
)

# Containers that Chinese government CMSs use for an article body (class words and ids):
# hints, never the only way. A hint wins when it holds most of the page's article-like text
# (see body.py).
DEFAULT_BODY_CLASSES: tuple[str, ...] = (
    "TRS_Editor", "trs_editor_view", "TRS_PreAppend", "Custom_UnionStyle", "article-content", "wzzw-article",
    "gkxl-article", "pages_content", "view", "TRS_UEDITOR",
)
DEFAULT_BODY_IDS: tuple[str, ...] = (
    "UCAP-CONTENT", "zoomcon", "zoom", "Zoom", "fontzoom", "info_content", "content-fontsize",
)


@dataclass(frozen=True, slots=True)
class ChromeRules:
    """The rule table the extractor applies; build it with :meth:`default` and :meth:`extend`."""

    text_patterns: tuple[str, ...] = DEFAULT_TEXT_PATTERNS
    widget_words: tuple[str, ...] = DEFAULT_WIDGET_WORDS
    chrome_tags: tuple[str, ...] = DEFAULT_CHROME_TAGS
    chrome_tokens: tuple[str, ...] = DEFAULT_CHROME_TOKENS
    chrome_xpath: tuple[str, ...] = ()
    body_classes: tuple[str, ...] = DEFAULT_BODY_CLASSES
    body_ids: tuple[str, ...] = DEFAULT_BODY_IDS
    body_xpath: str | None = None
    max_chrome_chars: int = MAX_CHROME_CHARS
    chrome_tag_set: frozenset[str] = field(init=False, repr=False, compare=False)
    body_id_set: frozenset[str] = field(init=False, repr=False, compare=False)
    body_class_set: frozenset[str] = field(init=False, repr=False, compare=False)
    chrome_token_set: frozenset[str] = field(init=False, repr=False, compare=False)
    _text_res: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)
    _widget_re: re.Pattern[str] = field(init=False, repr=False, compare=False)
    compiled_chrome_xpath: tuple[etree.XPath, ...] = field(init=False, repr=False, compare=False)
    compiled_body_xpath: etree.XPath | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Compile every pattern once; a bad one is a ``ValueError`` that names it."""
        for pattern in self.text_patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"bad chrome_text pattern {pattern!r}: {exc}") from exc
        text_res = _alternations(self.text_patterns)
        object.__setattr__(self, "compiled_chrome_xpath", tuple(_xpath(x, "chrome_xpath") for x in self.chrome_xpath))
        object.__setattr__(self, "compiled_body_xpath", _xpath(self.body_xpath, "body_xpath") if self.body_xpath else None)
        words = sorted(self.widget_words, key=len, reverse=True)
        widget_re = re.compile(
            r"^(?:[\s\[\]【】()（）|｜/·•:：,，、<>《》\-—_]|" + "|".join(map(re.escape, words)) + r")+$",
            re.IGNORECASE,
        )
        object.__setattr__(self, "chrome_tag_set", frozenset(self.chrome_tags))
        object.__setattr__(self, "body_id_set", frozenset(self.body_ids))
        object.__setattr__(self, "body_class_set", frozenset(self.body_classes))
        object.__setattr__(self, "chrome_token_set", frozenset(t.lower() for t in self.chrome_tokens))
        object.__setattr__(self, "_text_res", text_res)
        object.__setattr__(self, "_widget_re", widget_re)

    @classmethod
    def default(cls) -> ChromeRules:
        """The built-in table, tuned on real county portal pages."""
        return _DEFAULT

    def extend(
        self,
        text: Iterable[str] = (),
        xpath: Iterable[str] = (),
        body_xpath: str | None = None,
    ) -> ChromeRules:
        """A copy with a portal's own ``[extract]`` rules added (``chrome_text``, ``chrome_xpath``, ``body_xpath``)."""
        return replace(
            self,
            text_patterns=self.text_patterns + tuple(text),
            chrome_xpath=self.chrome_xpath + tuple(xpath),
            body_xpath=body_xpath or self.body_xpath,
        )

    def is_body_hint(self, element: etree._Element) -> bool:
        """Whether the element carries a known body-container class or id."""
        if element.get("id") in self.body_id_set:
            return True
        classes = element.get("class")
        return bool(classes) and not self.body_class_set.isdisjoint(classes.split())

    def is_chrome_text(self, paragraph: str) -> bool:
        """Whether a whole paragraph is furniture by its text alone."""
        if len(paragraph) > self.max_chrome_chars or paragraph.count("，") + paragraph.count("。") + paragraph.count("；") >= 2:
            return False
        if self._widget_re.match(paragraph) is not None:
            return True
        for pattern in self._text_res:
            if pattern.search(paragraph) is not None:
                return True
        return False


def _alternations(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    """The text patterns as two alternations: those written to start with ``^``, and the rest.

    One alternation of all of them is several times slower to search: its ``^`` branches
    have no literal first character, so the regex engine tries every branch at every
    position. Apart, the rest keep the first-character prefilter that makes a miss cheap.
    A paragraph is chrome when either matches, exactly as with one alternation.
    """
    groups = ([p for p in patterns if p.startswith("^")], [p for p in patterns if not p.startswith("^")])
    return tuple(re.compile("|".join(f"(?:{p})" for p in group), re.IGNORECASE) for group in groups if group)


def _xpath(expression: str, key: str) -> etree.XPath:
    try:
        return etree.XPath(expression)
    except etree.XPathSyntaxError as exc:
        raise ValueError(f"bad {key} {expression!r}: {exc}") from exc


_DEFAULT = ChromeRules()
