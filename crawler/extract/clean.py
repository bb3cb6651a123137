"""From decoded markup to one cleaned lxml tree: parse once, drop code and forms, drop furniture.

lxml-html-clean's :class:`Cleaner` removes what is never text (scripts, styles, comments,
form controls, frames); the structural pass then removes the page furniture that the rule
table names by tag, class/id or XPath. Elements hidden with ``display:none`` are dropped
*before* the Cleaner, because it strips the ``style`` attributes that reveal them.
"""

from __future__ import annotations

import re

from lxml import etree, html
from lxml_html_clean import Cleaner

from crawler.extract.rules import ChromeRules

# Only the passes that matter for text: every enabled option is one more walk of the tree.
# Comments and processing instructions are already dropped by the parser; frames, embedded
# objects and media go with ``kill_tags`` (one pass), and attributes are never output.
_CLEANER = Cleaner(
    scripts=True,
    javascript=False,
    comments=True,
    style=True,
    inline_style=False,
    links=False,
    meta=False,  # head <meta> carries ArticleTitle/PubDate, read before cleaning anyway
    page_structure=False,
    processing_instructions=False,
    embedded=False,
    frames=False,
    forms=True,
    annoying_tags=False,
    remove_unknown_tags=False,
    safe_attrs_only=False,
    kill_tags=("noscript", "template", "svg", "canvas", "video", "audio", "map", "iframe", "frame", "frameset",
               "object", "embed", "applet"),
)

_HIDDEN = etree.XPath(
    "//*[contains(translate(@style, ' ', ''), 'display:none') or @hidden or @aria-hidden='true']"
)
_PARSER = html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
_TOKEN_SPLIT = re.compile(r"[\s_\-]+")
_FURNITURE_TAGS = frozenset("div ul ol dl section table span p form a img iframe".split())
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 13))


def parse(data: bytes) -> html.HtmlElement | None:
    """Parse UTF-8 markup into an lxml tree, or ``None`` when nothing parseable is left.

    Bytes, not ``str``: lxml refuses a ``str`` that carries an XML encoding declaration, which
    saved government pages often do, and a page that already is UTF-8 need not be re-encoded.
    """
    # libxml2 keeps C0 control characters that lxml then refuses to write back into the tree
    # (when a removed element's tail is moved); in UTF-8 they never occur inside a character.
    data = data.translate(None, _CONTROL_BYTES)
    if not data.strip():
        return None
    try:
        root = html.document_fromstring(data, parser=_PARSER)
    except (etree.ParserError, ValueError):
        return None
    _adopt_stray_roots(root)
    return root


def _adopt_stray_roots(root: html.HtmlElement) -> None:
    """Move content that libxml2 put in extra top-level ``<html>`` elements into the body.

    Pages with markup after ``</html>`` (or a second ``<html>``) parse into several sibling
    roots; XPath still sees them, but a walk from the root would not, and the body could be there.
    """
    strays = [sibling for sibling in root.itersiblings() if isinstance(sibling.tag, str)]
    if not strays:
        return
    body = root.find("body")
    target = body if body is not None else root
    for stray in strays:
        for child in list(stray):
            target.append(child)


def remove(element: html.HtmlElement) -> None:
    """Remove ``element`` but keep its tail text in the flow of its parent."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    if tail and tail.strip():
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


def clean(root: html.HtmlElement, rules: ChromeRules) -> int:
    """Drop hidden elements, non-text markup and the rules' ``chrome_xpath``; return how many went."""
    removed = 0
    for element in _HIDDEN(root):
        if element.getparent() is not None and element.tag not in ("html", "body"):
            remove(element)
            removed += 1
    _CLEANER(root)
    for xpath in rules.compiled_chrome_xpath:
        for element in xpath(root):
            if isinstance(element, html.HtmlElement) and element.getparent() is not None:
                remove(element)
                removed += 1
    return removed


def is_structural_chrome(element: html.HtmlElement, rules: ChromeRules) -> bool:
    """Whether the element is furniture by its tag or by a class/id word of the rule table.

    Only blocks that templates build furniture from are judged by their names: a table cell
    or list item called ``header`` is part of its table or list, not a page header.
    """
    if element.tag in rules.chrome_tags:
        return True
    if element.tag not in _FURNITURE_TAGS:
        return False
    classes = element.get("class")
    ident = element.get("id")
    if not classes and not ident:
        return False
    words = _TOKEN_SPLIT.split(f"{classes or ''} {ident or ''}".lower())
    return not rules.chrome_token_set.isdisjoint(words)
