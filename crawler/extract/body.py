"""Find the report's container in a cleaned tree and turn it into paragraphs.

The container is the element whose subtree holds the most *article-like* text: text with
Chinese sentence punctuation counts for it, link text counts against it, short unpunctuated
labels count for nothing. Known CMS body containers (``div.TRS_Editor``, ``#zoom``...) are
hints that win when they hold most of that text, never the only way, so an unknown template
still works. Inside the container, furniture that structure or the rule table recognises is
removed, and blocks become paragraphs (a data table row becomes one tab-separated line).
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree, html

from crawler.extract.clean import is_structural_chrome, remove
from crawler.extract.rules import ChromeRules

_SENTENCE_PUNCT = frozenset("，。；、！？,;")
_BLOCK_TAGS = frozenset(
    "p div h1 h2 h3 h4 h5 h6 li ul ol dl dd dt tr table tbody thead tfoot section article blockquote "
    "pre center main figure figcaption address hr header footer nav aside form fieldset caption".split()
)
_CELL_TAGS = frozenset(("td", "th"))
_SKIP_TAGS = frozenset(("script", "style", "head", "title", "meta", "link", "select", "option", "button", "textarea"))


@dataclass(slots=True)
class Scores:
    """Per-element article text (``good``), link text (``links``) and the combined ``score``."""

    score: dict[html.HtmlElement, float]
    good: dict[html.HtmlElement, int]
    links: dict[html.HtmlElement, int]
    text: dict[html.HtmlElement, int]


def _measure(chunk: str | None) -> tuple[int, bool]:
    if not chunk:
        return 0, False
    stripped = "".join(chunk.split())
    return len(stripped), any(ch in _SENTENCE_PUNCT for ch in stripped)


def score_tree(root: html.HtmlElement) -> Scores:
    """One pass over the tree, then a bottom-up sum: every element's subtree totals."""
    order: list[html.HtmlElement] = []
    in_link: dict[html.HtmlElement, bool] = {}
    own_score: dict[html.HtmlElement, float] = {}
    own_good: dict[html.HtmlElement, int] = {}
    own_links: dict[html.HtmlElement, int] = {}
    own_text: dict[html.HtmlElement, int] = {}
    for element in root.iter(etree.Element):
        if element.tag in _SKIP_TAGS:
            continue
        parent = element.getparent()
        linked = element.tag == "a" or (parent is not None and in_link.get(parent, False))
        in_link[element] = linked
        order.append(element)
        chunks = [element.text] + [child.tail for child in element]
        length = good = 0
        punctuated = False
        for chunk in chunks:
            n, p = _measure(chunk)
            length += n
            if p:
                good += n
                punctuated = True
        own_text[element] = length
        if linked:
            own_links[element] = length
            own_good[element] = 0
            own_score[element] = -float(length)
        else:
            own_links[element] = 0
            own_good[element] = good if punctuated else 0
            own_score[element] = float(good)
    score, good_total, link_total, text_total = dict(own_score), dict(own_good), dict(own_links), dict(own_text)
    for element in reversed(order):
        parent = element.getparent()
        if parent is not None and parent in score:
            score[parent] += score[element]
            good_total[parent] += good_total[element]
            link_total[parent] += link_total[element]
            text_total[parent] += text_total[element]
    return Scores(score=score, good=good_total, links=link_total, text=text_total)


def find_container(root: html.HtmlElement, scores: Scores, rules: ChromeRules) -> html.HtmlElement | None:
    """The body container: the portal's ``body_xpath`` if it matches, a hint holding most of the text, else the best-scoring element."""
    if rules.body_xpath:
        try:
            matches = [m for m in root.xpath(rules.body_xpath) if isinstance(m, html.HtmlElement)]
        except etree.XPathError as exc:
            raise ValueError(f"bad body_xpath {rules.body_xpath!r}: {exc}") from exc
        if matches:
            return matches[0]
    if not scores.score:
        return None
    best_score = -1.0
    best = None
    for element, value in scores.score.items():  # document order; a tie goes to the inner element
        if value > best_score or (value == best_score and best is not None and _is_descendant(element, best)):
            best, best_score = element, value
    if best is None or best_score <= 0:
        body = root.find("body")
        return body if body is not None else root
    hint = _best_hint(root, scores, rules)
    if hint is not None and scores.score.get(hint, 0) >= 0.6 * best_score:
        return hint
    return best


def _is_descendant(element: html.HtmlElement, ancestor: html.HtmlElement) -> bool:
    parent = element.getparent()
    while parent is not None:
        if parent is ancestor:
            return True
        parent = parent.getparent()
    return False


_HINT_CACHE: dict[tuple[str, ...], etree.XPath] = {}


def _best_hint(root: html.HtmlElement, scores: Scores, rules: ChromeRules) -> html.HtmlElement | None:
    xpath = _HINT_CACHE.get(rules.body_hints)
    if xpath is None:
        xpath = _HINT_CACHE[rules.body_hints] = etree.XPath(" | ".join(rules.body_hints))
    best = None
    best_score = 0.0
    for element in xpath(root):
        value = scores.score.get(element, 0.0)
        if value > best_score:
            best, best_score = element, value
    return best


def strip_chrome(root: html.HtmlElement, container: html.HtmlElement, scores: Scores, rules: ChromeRules) -> int:
    """Remove furniture (structural chrome, link lists) everywhere but around the container; return the count.

    Outside the container this only counts what the page carried (``chrome_removed``);
    inside it, it is what keeps share bars and related-article lists out of the text.
    """
    keep = {container, *container.iterancestors()}
    removed = 0
    for element in list(root.iterdescendants(etree.Element)):
        if element in keep or not _attached(element, root):
            continue
        if is_structural_chrome(element, rules) or _is_link_list(element, scores):
            remove(element)
            removed += 1
    return removed


def _attached(element: html.HtmlElement, root: html.HtmlElement) -> bool:
    """Whether the element is still in the tree (an ancestor may have been removed already)."""
    for ancestor in element.iterancestors():
        if ancestor is root:
            return True
    return False


def _is_link_list(element: html.HtmlElement, scores: Scores) -> bool:
    """A block that is mostly links, with several of them: related-article lists, pagers, tag clouds."""
    if element.tag not in ("ul", "ol", "div", "table", "dl", "p", "span", "td"):
        return False
    total = scores.text.get(element, 0)
    links = scores.links.get(element, 0)
    if total == 0 or links / total < 0.6:
        return False
    return len(element.xpath(".//a")) >= 2


def paragraphs_of(container: html.HtmlElement) -> list[str]:
    """The container's text as paragraphs in document order (not yet whitespace-normalised)."""
    out: list[str] = []
    buffer: list[str] = []
    _walk(container, out, buffer)
    _flush(out, buffer)
    return out


def _flush(out: list[str], buffer: list[str]) -> None:
    if buffer:
        text = "".join(buffer)
        if text.strip():
            out.append(text)
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
    if element.text:
        buffer.append(element.text)
    for child in element:
        _walk(child, out, buffer)
        if child.tail:
            buffer.append(child.tail)
    if block:
        _flush(out, buffer)


def _cell_text(cell: html.HtmlElement) -> str:
    return " ".join(part.strip() for part in cell.itertext() if part.strip()).replace("\t", " ")


def _is_data_table(table: html.HtmlElement) -> bool:
    """A table of data (rows as tab lines) rather than layout: several columns, no nested table."""
    if table.find(".//table") is not None:
        return False
    widest = 0
    for row in table.iter("tr"):
        widest = max(widest, sum(1 for cell in row if cell.tag in _CELL_TAGS))
    return widest >= 2
