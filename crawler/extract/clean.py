"""From decoded markup to one cleaned lxml tree: parse once, drop code and forms, drop furniture.

Markup that is never text (scripts, styles, form controls, frames, embedded media) is
removed with its content; the structural pass then removes the page furniture that the rule
table names by tag, class/id or XPath. Hidden elements (``display:none``, ``hidden``,
``aria-hidden="true"``) go first.
"""

from __future__ import annotations

import re

from lxml import etree, html
from lxml_html_clean import Cleaner

from crawler.extract.rules import ChromeRules

# lxml-html-clean's Cleaner drops what is never page text: scripts, styles, comments and
# processing instructions, form controls (a <form> itself is unwrapped: it often wraps a
# whole page), and the media and frame elements named in kill_tags, each with its content
# and with its tail kept. Everything a sanitiser would also do is off: <meta> tags, class,
# id and custom attributes, unknown tags and the page structure are what the metadata and
# body steps read, and rewriting javascript: links costs a tree walk the text never needs.
_CLEANER = Cleaner(
    scripts=True, javascript=False, comments=True, style=True, inline_style=False, links=False, meta=False,
    page_structure=False, processing_instructions=True, embedded=False, frames=False, forms=True,
    annoying_tags=False, remove_unknown_tags=False, safe_attrs_only=False,
    kill_tags=(
        "noscript", "template", "svg", "canvas", "video", "audio", "map", "iframe", "frame", "frameset",
        "object", "embed", "applet",
    ),
)

# Elements that may be hidden: libxml2 finds the few carrying one of the attributes (one
# ``/descendant::`` walk; ``//*`` would evaluate the predicate per parent), Python reads their
# values (``translate()`` in XPath costs more than the whole walk on style-heavy pages).
_MAY_BE_HIDDEN = etree.XPath("/descendant::*[@style or @hidden or @aria-hidden]")

_TOKEN_SPLIT = re.compile(r"[\s_\-]+")
_FURNITURE_TAGS = frozenset("div ul ol dl section table span p form a img iframe".split())
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 13))


def _html_parser() -> etree.HTMLParser:
    """An HTML parser whose elements are all plain :class:`lxml.html.HtmlElement`.

    ``lxml.html.HTMLParser`` picks each element's class in a Python callback (to give form
    controls their own classes, which the extraction never uses); every element proxy the
    extraction touches would pay for that call. A C-level default lookup gives the same
    ``HtmlElement`` API at a fraction of the cost of a tree walk.
    """
    parser = etree.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    parser.set_element_class_lookup(
        etree.ElementDefaultClassLookup(
            element=html.HtmlElement, comment=html.HtmlComment, pi=html.HtmlProcessingInstruction, entity=html.HtmlEntity
        )
    )
    return parser


_PARSER = _html_parser()


def parse(data: bytes) -> html.HtmlElement | None:
    """Parse UTF-8 markup into an lxml tree, or ``None`` when nothing parseable is left.

    Bytes, not ``str``: lxml refuses a ``str`` that carries an XML encoding declaration, which
    saved government pages often do, and a page that already is UTF-8 need not be re-encoded.
    """
    # libxml2 keeps C0 control characters that lxml then refuses to write back into the tree
    # (when a removed element's tail is moved); in UTF-8 they never occur inside a character.
    data = data.translate(None, _CONTROL_BYTES)
    if not data or data.isspace():
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


def text_of(element: html.HtmlElement) -> str:
    """All the text inside ``element`` (its tail excluded): what ``text_content()`` gives.

    Serialised by libxml2 as text, because ``text_content()`` evaluates an XPath expression
    per call, which costs about twice as much on the blocks the metadata readers look at.
    """
    return etree.tostring(element, method="text", encoding=str, with_tail=False)


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
    for element in _MAY_BE_HIDDEN(root):
        if _is_hidden(element) and element.getparent() is not None and element.tag not in ("html", "body"):
            remove(element)
            removed += 1
    _CLEANER(root)
    for xpath in rules.compiled_chrome_xpath:
        for element in xpath(root):
            if isinstance(element, html.HtmlElement) and element.getparent() is not None:
                remove(element)
                removed += 1
    return removed


def _is_hidden(element: html.HtmlElement) -> bool:
    """``display:none`` (blanks ignored), ``hidden`` or ``aria-hidden="true"``."""
    return (
        "display:none" in (element.get("style") or "").replace(" ", "")
        or element.get("hidden") is not None
        or element.get("aria-hidden") == "true"
    )


def is_structural_chrome(element: html.HtmlElement, rules: ChromeRules) -> bool:
    """Whether the element is furniture by its tag or by a class/id word of the rule table.

    Only blocks that templates build furniture from are judged by their names: a table cell
    or list item called ``header`` is part of its table or list, not a page header.
    """
    tag = element.tag
    if tag in rules.chrome_tag_set:
        return True
    if tag not in _FURNITURE_TAGS:
        return False
    classes = element.get("class")
    ident = element.get("id")
    if not classes and not ident:
        return False
    words = _TOKEN_SPLIT.split(f"{classes or ''} {ident or ''}".lower())
    return not rules.chrome_token_set.isdisjoint(words)
