"""Page chrome shared by the families: banners, menus, footers and the parts that change per request.

Real county pages wrap a report in a lot of text that is not the report: site banners, a
today's-date line, breadcrumbs, 字号 and print/close controls, share buttons, accessibility
bars, visit counters, related-article lists, previous/next links and ICP / 公安备案 footers.
An extractor that keeps any of it would see a "new version" every night, so the farm serves
all of it, and makes some of it change on every request.

Per-request parts are left in the rendered page as *slots* (``SLOT_DATE`` …): the page is
rendered and hashed once, and :class:`Template` fills the slots when it is served. The ETag
is the hash of the page with its slots empty, so it only changes when the content does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from crawler.sim.model import SiteInfo

SLOT_DATE = "\x00date\x00"
SLOT_COUNTER = "\x00counter\x00"
SLOT_RELATED = "\x00related\x00"
SLOT_TOKEN = "\x00token\x00"

SlotFiller = Callable[[str], bytes]


@dataclass(frozen=True, slots=True)
class Template:
    """A rendered page split at its slots: static byte chunks alternate with slot names."""

    chunks: tuple[bytes, ...]
    etag: str

    @classmethod
    def from_html(cls, html: str, encoding: str) -> Template:
        """Encode ``html`` (characters the encoding lacks become numeric character references)."""
        raw = html.encode(encoding, errors="xmlcharrefreplace")
        return cls.from_bytes(raw)

    @classmethod
    def from_bytes(cls, raw: bytes) -> Template:
        chunks = tuple(raw.split(b"\x00"))
        digest = hashlib.sha256(b"".join(chunks[0::2])).hexdigest()[:20]
        return cls(chunks=chunks, etag=f'"{digest}"')

    def fill(self, filler: SlotFiller) -> bytes:
        """The page as served: each slot replaced by ``filler(slot_name)``."""
        if len(self.chunks) == 1:
            return self.chunks[0]
        parts = list(self.chunks)
        parts[1::2] = [filler(name.decode("ascii")) for name in parts[1::2]]
        return b"".join(parts)


def head(site: SiteInfo, title: str, metas: Sequence[tuple[str, str]], *, variant: int = 0) -> str:
    """``<head>`` with the 政府网站发展指引 metadata tags and the declared charset (if any)."""
    charset = ""
    if site.declared:
        charset = (
            f'<meta charset="{site.declared}">'
            if variant % 2
            else f'<meta http-equiv="Content-Type" content="text/html; charset={site.declared}">'
        )
    tags = "\n".join(f'<meta name="{name}" content="{escape(value)}">' for name, value in metas if value)
    return (
        f"<head>\n{charset}\n<title>{escape(title)}</title>\n{tags}\n"
        '<link rel="stylesheet" href="/images/style.css">\n'
        '<script src="/js/jquery.min.js"></script>\n'
        "<script>function doZoom(size){document.getElementById('zoom').style.fontSize=size+'px';}</script>\n"
        "</head>"
    )


def top_bar(site: SiteInfo) -> str:
    """Date banner, accessibility and language switches: the first line of every page."""
    return (
        '<div class="topbar"><span class="today">今天是' + SLOT_DATE + "</span>"
        '<a href="javascript:void(0)" onclick="kqNav();">无障碍浏览</a> '
        '<a href="javascript:s2tt()">繁体</a> | <a href="javascript:t2ss()">简体</a> '
        '<a href="javascript:void(0)">长者版</a> <a href="javascript:void(0)">设为首页</a> '
        "<a href=\"javascript:void(0)\">加入收藏</a></div>\n"
        f'<div class="banner"><a href="/"><img src="/images/logo.png" alt="{escape(site.name)}"></a>'
        f"<h1 class=\"site-title\">{escape(site.name)}</h1></div>"
    )


def menu(items: Sequence[tuple[str, str]], *, offsite: str) -> str:
    """The main navigation: home, the columns, 政务服务 (another domain), 互动交流, search."""
    links = ['<a href="/">首页</a>']
    links += [f'<a href="{escape(url)}">{escape(name)}</a>' for url, name in items]
    links.append(f'<a href="{escape(offsite)}" target="_blank">政务服务</a>')
    links.append('<a href="/search/index.html?q=' + SLOT_TOKEN + '">站内搜索</a>')
    return '<div class="nav"><ul>' + "".join(f"<li>{link}</li>" for link in links) + "</ul></div>"


def breadcrumb(trail: Sequence[tuple[str, str]], *, label: str = "当前位置：", sep: str = " &gt; ") -> str:
    parts = ['<a href="/" class="CurrChnlCls">首页</a>']
    parts += [f'<a href="{escape(url)}" class="CurrChnlCls">{escape(name)}</a>' for url, name in trail]
    return f'<div class="position"><span>{label}</span>{sep.join(parts)}</div>'


def tools(variant: int) -> str:
    """字号 / print / close / share controls, worded as the variant's template words them."""
    font = (
        '【字体：<a href="javascript:doZoom(20)">大</a> <a href="javascript:doZoom(16)">中</a> '
        '<a href="javascript:doZoom(12)">小</a>】'
        if variant % 3 == 0
        else '字号：[ <a href="javascript:doZoom(20)">大</a> <a href="javascript:doZoom(16)">中</a> '
        '<a href="javascript:doZoom(12)">小</a> ]'
    )
    share = (
        '<div class="bdsharebuttonbox"><span>分享到：</span><a class="bds_qzone" data-cmd="qzone"></a>'
        '<a class="bds_tsina" data-cmd="tsina"></a><a class="bds_weixin" data-cmd="weixin"></a></div>'
        "<script>window._bd_share_config={common:{bdText:''}};</script>"
    )
    return (
        f'<div class="tools">{font} <span>视力保护色：</span>'
        '<a href="javascript:window.print()">【打印本页】</a> <a href="javascript:window.close()">【关闭窗口】</a> '
        f'<a href="#top">【返回顶部】</a></div>{share}'
    )


def counter() -> str:
    return '<span class="counter">浏览次数：' + SLOT_COUNTER + "</span>"


def related() -> str:
    """Related articles: a list that rotates on every request (filled from the slot)."""
    return '<div class="related"><h3>相关文章</h3><ul>' + SLOT_RELATED + "</ul></div>"


def prev_next(prev: tuple[str, str] | None, following: tuple[str, str] | None) -> str:
    def link(label: str, item: tuple[str, str] | None) -> str:
        if item is None:
            return f"<p>{label}没有了</p>"
        return f'<p>{label}<a href="{escape(item[0])}">{escape(item[1])}</a></p>'

    return f'<div class="prevnext">{link("上一篇：", prev)}{link("下一篇：", following)}</div>'


def footer(site: SiteInfo, *, variant: int = 0) -> str:
    """主办/承办, 网站标识码, ICP and 公安备案, conac and 找错 widgets, visitor counter."""
    host = site.name
    lines = [
        f"主办：{escape(host)} 承办：{escape(host)}办公室 技术支持：某某网络科技有限公司",
        f"网站标识码：{site.site_code} "
        f'<a href="http://beian.miit.gov.cn/" target="_blank">{escape(site.icp)}</a> '
        f'<a href="http://www.beian.gov.cn/portal/registerSystemInfo?recordcode={site.police[-15:-1]}">'
        f"{escape(site.police)}</a>",
        "本网站支持IPv6 建议使用1280×768分辨率浏览",
    ]
    if variant % 2 == 0:
        lines.append("您是第 <span>" + SLOT_COUNTER + "</span> 位访问者")
    widgets = (
        '<span id="_ideConac"></span>'
        f"<script id=\"_jiucuo_\" sitecode='{site.site_code}' src='https://zfwzgl.www.gov.cn/exposure/jiucuo.js'></script>"
    )
    return '<div class="footer">' + "".join(f"<p>{line}</p>" for line in lines) + widgets + "</div>"


def paragraphs_html(paragraphs: Sequence[str], *, indent: bool) -> str:
    """Body markup: ``<p>`` per paragraph, consecutive tab rows as one ``<table>``."""
    out: list[str] = []
    rows: list[str] = []

    def flush() -> None:
        if rows:
            body = "".join(
                "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row.split("\t")) + "</tr>" for row in rows
            )
            out.append(f'<table border="1" cellspacing="0" cellpadding="4" width="100%"><tbody>{body}</tbody></table>')
            rows.clear()

    for paragraph in paragraphs:
        if "\t" in paragraph:
            rows.append(paragraph)
            continue
        flush()
        style = ' style="text-indent:2em"' if indent else ""
        lead = "\u3000\u3000" if not indent and len(paragraph) > 40 else ""
        out.append(f"<p{style}>{lead}{escape(paragraph)}</p>")
    flush()
    return "\n".join(out)


def metadata_rows(article_meta: Sequence[tuple[str, str]]) -> str:
    """信息公开 metadata as a two-pairs-per-row table (label cells, value cells)."""
    cells = [f"<td class=\"label\">{escape(label)}：</td><td>{escape(value)}</td>" for label, value in article_meta]
    rows = ["<tr>" + "".join(cells[i : i + 2]) + "</tr>" for i in range(0, len(cells), 2)]
    return "".join(rows)
