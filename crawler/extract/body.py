"""Find the report's container in a cleaned tree and turn it into paragraphs.

The container is the element whose subtree holds the most *article-like* text: text with
Chinese sentence punctuation counts for it, link text counts against it, short unpunctuated
labels count for nothing. Known CMS body containers (``div.TRS_Editor``, ``#zoom``...) are
hints that win when they hold most of that text, never the only way, so an unknown template
still works. Inside the container, furniture that structure or the rule table recognises is
removed, and blocks become paragraphs (a data table row becomes one tab-separated line).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree, html

from crawler.extract.clean import is_structural_chrome, remove
from crawler.extract.rules import ChromeRules

_SENTENCE_PUNCT = re.compile("[，。；、！？,;]")
_BLOCK_TAGS = frozenset(
    "p div h1 h2 h3 h4 h5 h6 li ul ol dl dd dt tr table tbody thead tfoot section article blockquote "
    "pre center main figure figcaption address hr header footer nav aside form fieldset caption".split()
)
_CELL_TAGS = frozenset(("td", "th"))
_HEADING_TAGS = frozenset(("h1", "h2", "h3", "h4", "h5"))
# Tags that templates give a ``title`` class or id to mark the article heading.
_TITLED_TAGS = frozenset(("div", "p", "span", "td", "strong", "b", "font", "header", "section"))
# Tags a link list (related articles, pagers, tag clouds) is built from.
_LIST_TAGS = frozenset(("ul", "ol", "div", "table", "dl", "p", "span", "td"))
_SKIP_TAGS = frozenset(("script", "style", "head", "title", "meta", "link", "select", "option", "button", "textarea"))


@dataclass(slots=True)
class Scores:
    """Per-element subtree totals ``[score, link characters, all characters, document position]``.

    ``score`` is punctuated non-link text minus link text: what a body container maximises.
    """

    totals: dict[html.HtmlElement, list[float]]
    watched: list[html.HtmlElement]

    def score(self, element: html.HtmlElement) -> float:
        totals = self.totals.get(element)
        return totals[0] if totals else 0.0

    def position(self, element: html.HtmlElement) -> int:
        """The element's place in document order among the scored elements (-1 if not scored)."""
        totals = self.totals.get(element)
        return int(totals[3]) if totals else -1

    def size(self, element: html.HtmlElement) -> int:
        """Non-blank characters in the element's subtree (0 for an element not scored)."""
        totals = self.totals.get(element)
        return int(totals[2]) if totals else 0

    def link_share(self, element: html.HtmlElement) -> float:
        """The share of the element's text that sits inside links (0 for an element without text)."""
        totals = self.totals.get(element)
        return totals[1] / totals[2] if totals and totals[2] else 0.0


def score_tree(root: html.HtmlElement, watch: re.Pattern[str] | None = None) -> Scores:
    """One pre-order pass for each element's own text, then a bottom-up sum into subtree totals.

    An element's own text is its ``text`` plus the ``tail`` of each child; tails are booked
    to the parent when the child is visited, so every element is touched once. The same
    pass notes, for the metadata readers, the elements whose own text matches ``watch``, so
    that they need no tree scans of their own. The walk touches every element, so it keeps
    the pairs of (element's totals, parent's totals) to sum up rather than looking them up
    again.
    """
    totals: dict[html.HtmlElement, list[float]] = {}
    linked: set[html.HtmlElement] = set()
    watched: dict[html.HtmlElement, None] = {}
    nested: list[tuple[list[float], list[float]]] = []
    for element in root.iter(etree.Element):
        parent = element.getparent()
        above = totals.get(parent)
        parent_linked = parent in linked
        tail = element.tail
        if above is not None and tail and not tail.isspace():
            _book(above, tail, parent_linked)
            if watch is not None and parent not in watched and watch.search(tail):
                watched[parent] = None
        tag = element.tag
        if tag in _SKIP_TAGS:
            continue
        in_link = tag == "a" or parent_linked
        if in_link:
            linked.add(element)
        own = totals[element] = [0.0, 0, 0, len(totals)]
        text = element.text
        if text and not text.isspace():
            _book(own, text, in_link)
            if watch is not None and watch.search(text):
                watched[element] = None
        if above is not None:
            nested.append((own, above))
    for own, above in reversed(nested):  # children before parents
        above[0] += own[0]
        above[1] += own[1]
        above[2] += own[2]
    return Scores(totals=totals, watched=list(watched))


def headings_above(scores: Scores, container: html.HtmlElement) -> Iterator[html.HtmlElement]:
    """Heading-like elements in document order, from the top of the page to just inside the container.

    Looked for only when a page's metadata gives no title, and only above the body, so most
    elements are never tested.
    """
    last = scores.position(container) + 2
    for element, totals in scores.totals.items():
        if totals[3] > last:
            return
        tag = element.tag
        if tag in _HEADING_TAGS or (tag in _TITLED_TAGS and _is_titled(element)):
            yield element


def _is_titled(element: html.HtmlElement) -> bool:
    """Whether a class or id names the element a title (``title``, ``article-title``, ``detailTitle``)."""
    classes = element.get("class")
    if classes is not None and "title" in classes.lower():
        return True
    ident = element.get("id")
    return ident is not None and "title" in ident.lower()


def _book(totals: list[float], chunk: str, in_link: bool) -> None:
    """Add a text chunk's non-blank characters: to the link text, else to the score when punctuated."""
    n = len("".join(chunk.split()))
    totals[2] += n
    if in_link:
        totals[0] -= n
        totals[1] += n
    elif _SENTENCE_PUNCT.search(chunk) is not None:
        totals[0] += n


def find_container(root: html.HtmlElement, scores: Scores, rules: ChromeRules) -> html.HtmlElement | None:
    """The body container: the portal's ``body_xpath`` if it matches, a hint holding most of the text, else the best-scoring element.

    One pass over the scored elements in document order finds both the best element (a tie
    goes to the inner one) and the best hint; elements without article text are passed over.
    """
    if rules.compiled_body_xpath is not None:
        matches = [m for m in rules.compiled_body_xpath(root) if isinstance(m, html.HtmlElement)]
        if matches:
            return matches[0]
    if not scores.totals:
        return None
    best = hint = None
    best_score = hint_score = 0.0
    for element, totals in scores.totals.items():
        value = totals[0]
        if value <= 0:
            continue
        if value > best_score or (value == best_score and _is_descendant(element, best)):
            best, best_score = element, value
        if value > hint_score and rules.is_body_hint(element):
            hint, hint_score = element, value
    if best is None:
        body = root.find("body")
        return body if body is not None else root
    if hint is not None and hint_score >= 0.6 * best_score:
        return hint
    return best


def _is_descendant(element: html.HtmlElement, ancestor: html.HtmlElement) -> bool:
    parent = element.getparent()
    while parent is not None:
        if parent is ancestor:
            return True
        parent = parent.getparent()
    return False


def strip_chrome(root: html.HtmlElement, container: html.HtmlElement, scores: Scores, rules: ChromeRules) -> int:
    """Remove furniture (structural chrome, link lists) everywhere but around the container; return the count.

    Outside the container this only counts what the page carried (``chrome_removed``);
    inside it, it is what keeps share bars and related-article lists out of the text. A
    removed element's subtree is not visited.
    """
    keep = {container, *container.iterancestors()}
    removed = 0
    stack = list(root)
    while stack:
        element = stack.pop()
        if not isinstance(element.tag, str):
            continue
        if element not in keep and (is_structural_chrome(element, rules) or _is_link_list(element, scores)):
            remove(element)
            removed += 1
        else:
            stack.extend(element)
    return removed


def attached(element: html.HtmlElement, root: html.HtmlElement) -> bool:
    """Whether the element is still in ``root``'s tree (it or an ancestor may have been removed)."""
    return any(ancestor is root for ancestor in element.iterancestors())


def _is_link_list(element: html.HtmlElement, scores: Scores) -> bool:
    """A block that is mostly links, with several of them: related-article lists, pagers, tag clouds."""
    if element.tag not in _LIST_TAGS:
        return False
    if scores.link_share(element) < 0.6:
        return False
    links = element.iter("a")
    return next(links, None) is not None and next(links, None) is not None


def paragraphs_of(container: html.HtmlElement) -> list[str]:
    """The container's text as paragraphs in document order (not yet whitespace-normalised)."""
    out: list[str] = []
    buffer: list[str] = []
    _walk(container, out, buffer)
    _flush(out, buffer)
    return out


def _flush(out: list[str], buffer: list[str]) -> None:
    """End a paragraph. Tabs in page text are blanks: a tab only separates the cells of a data-table row."""
    if buffer:
        text = "".join(buffer)
        if not text.isspace():
            out.append(text.replace("\t", " "))
        buffer.clear()


def _walk(element: html.HtmlElement, out: list[str], buffer: list[str]) -> None:
    tag = element.tag
    if not isinstance(tag, str) or tag in _SKIP_TAGS:
        return
    if tag == "br":
        _flush(out, buffer)
        return
    if tag == "table" and _is_data_table(element):
        _flush(out, buffer)
        for row in element.iter("tr"):
            cells = [_cell_text(cell) for cell in row if cell.tag in _CELL_TAGS]
            if any(c.strip() for c in cells):
                out.append("\t".join(cells))
        return
    block = tag in _BLOCK_TAGS or tag in _CELL_TAGS
    if block:
        _flush(out, buffer)
    text = element.text  # each read of .text or .tail decodes it again
    if text:
        buffer.append(text)
    for child in element:
        _walk(child, out, buffer)
        tail = child.tail
        if tail:
            buffer.append(tail)
    if block:
        _flush(out, buffer)


def _cell_text(cell: html.HtmlElement) -> str:
    parts = (part.strip() for part in cell.itertext())
    return " ".join(part for part in parts if part).replace("\t", " ")


def _is_data_table(table: html.HtmlElement) -> bool:
    """A table of data (rows as tab lines) rather than layout: several columns, no nested table."""
    if table.find(".//table") is not None:
        return False
    widest = 0
    for row in table.iter("tr"):
        widest = max(widest, sum(1 for cell in row if cell.tag in _CELL_TAGS))
    return widest >= 2
