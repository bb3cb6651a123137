"""A deterministic farm of simulated county portals, served over real HTTP on loopback.

Nothing in this project may reach a real portal, so every crawl test, benchmark and the
demo run against this farm. It imitates the CMS families county portals really run (TRS,
Hanweb, the ``.shtml`` platform), their chrome, encodings and hostile behaviour, and tells
the truth about itself through :meth:`Farm.manifest`. See ``docs/simulator.md``.
"""

from __future__ import annotations

from crawler.sim.chrome import Template
from crawler.sim.faults import FAULT_KINDS, parse_faults
from crawler.sim.families import FAMILIES, Column, PageContext
from crawler.sim.families import family as family_named
from crawler.sim.farm import BASE_DATE, Farm, night_date
from crawler.sim.model import Article, AttachmentLink, SiteInfo


def render_article(family: str, article: Article, site: SiteInfo, *, variant_seed: int = 0) -> bytes:
    """A detail page for ``article`` in ``family``'s layout, with its chrome, encoded as ``site`` says.

    For extraction tests: the page body holds exactly ``article.paragraphs`` (tab rows as a
    table); everything else on the page is chrome. ``variant_seed`` varies the template
    details (charset tag form, font-size wording) and the per-request values.
    """
    fam = family_named(family)
    column = Column(article.column, fam.column_base(0, 1000 + variant_seed))
    ctx = PageContext(column=column, columns=(column,), variant=variant_seed)
    template = Template.from_html(fam.render_article(site, article, ctx), site.encoding)

    def fill(slot: str) -> bytes:
        values = {"date": "2025年06月01日 星期日", "counter": str(1000 + variant_seed), "token": str(variant_seed)}
        text = values.get(slot, f'<li><a href="/x/{variant_seed}.html?t={variant_seed}">相关链接{variant_seed}</a></li>')
        return text.encode(site.encoding, errors="xmlcharrefreplace")

    return template.fill(fill)


__all__ = [
    "BASE_DATE",
    "FAMILIES",
    "FAULT_KINDS",
    "Article",
    "AttachmentLink",
    "Farm",
    "SiteInfo",
    "night_date",
    "parse_faults",
    "render_article",
]
