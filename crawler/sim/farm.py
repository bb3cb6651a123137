"""The farm: every simulated portal, its articles and their history, decided by (portals, seed, night, faults).

Nothing here looks at the clock or at a global random state: each portal draws from its own
``random.Random`` seeded with the farm's seed and the portal's index, and each night's
events from one seeded with the entry and the night. The same arguments therefore give the
same sites, the same pages and the same manifest in any process, which is what lets tests
and benchmarks compare a crawl against :meth:`Farm.manifest`.

Portals are planned lazily and cached (a bounded LRU), so a 3,000-portal farm starts at
once and only pays for the portals that are actually requested.
"""

from __future__ import annotations

import functools
import ipaddress
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from crawler.regions import Region, county_regions
from crawler.sim import corpus
from crawler.sim.config import portal_toml
from crawler.sim.faults import PAGE_FAULTS, parse_faults
from crawler.sim.families import Column, Family, family
from crawler.sim.model import REPORT, Article, AttachmentLink, Entry, SiteInfo
from crawler.sim.site import PortalSite, extra_fault_paths
from crawler.sim.templates import TEMPLATES, templated
from crawler.textnorm import canonical_text, content_hash

# Night 0 is the state of the web on this day, after the Q1 publication season.
BASE_DATE = date(2025, 6, 1)
FAMILY_ORDER = ("trs", "hanweb", "shtml")
GOVERNMENT_YEARS = (2022, 2023, 2024)
BUREAU_YEARS = (2023, 2024)
# Body modes cycled over a portal's reports, so even a small farm has each of them.
BODY_MODES = ("html", "table", "pages", "pdf", "html", "docx", "pages", "table")
# (bytes encoding, charset named in <meta> or None, charset repeated in the HTTP header).
ENCODING_PROFILES = (
    ("utf-8", "utf-8", True),
    ("gbk", "gbk", False),  # declared only in <meta>
    ("utf-8", "utf-8", True),
    ("gb2312", "gb2312", True),
    ("utf-8", "utf-8", False),
    ("gbk", "utf-8", True),  # lies: says UTF-8, is GBK
    ("utf-8", "gb2312", False),  # lies: says GB2312, is UTF-8
    ("gbk", None, False),  # says nothing, is GBK
)
# List-page variants seen on real portals (portal-families.md §13), as the list-file stem per family:
# 0 textbook; 1 TRS pager renamed createPage(), Hanweb dates in <b>, .shtml prefix "xlist";
# 2 TRS pager as countPage variables over "list_N.html", Hanweb absolute links and no total on the
#   column page (the proxy's answers give it), .shtml "common_list";
# 3 older TRS template (MM-DD dates, href on the next line), Hanweb JSONP, .shtml MM-DD dates;
# 4 TRS "动静结合": all items in hidden groups with ms-attr-href links, no pager; Hanweb pages with two
#   units (data stores), each with its own proxy query and total; .shtml pages list-N.html linked
#   only by their numbers (no pager call, no next link).
LIST_VARIANTS: tuple[dict[str, str], ...] = ({}, {"shtml": "xlist"}, {"trs": "list", "shtml": "common_list"}, {}, {})
# Portal-level variants (docs/simulator.md "List-page variants"): name and the families it is put on.
# Within every block of VARIANT_BLOCK county portals each goes to one portal of a fitting family,
# so any farm of a few portals (the tests' 8) carries every one of them.
PORTAL_VARIANTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("trs_dongjing_post_search", TEMPLATES["trs_dongjing_post_search"][1]),
    ("aspnet_script_pages", TEMPLATES["aspnet_script_pages"][1]),
    ("reverse_hidden_pager", TEMPLATES["reverse_hidden_pager"][1]),
    ("overlapping_columns", ("trs", "hanweb", "shtml")),
    ("aggregated_column", ("trs", "shtml")),
    ("auto_config", ("trs", "hanweb", "shtml")),
)
VARIANT_BLOCK = 24
# The stable names of the list variants (manifest ``variants``), by (family, LIST_VARIANTS index).
VARIANT_NAMES: dict[tuple[str, int], tuple[str, ...]] = {
    ("trs", 1): ("renamed_pager",),
    ("trs", 2): ("countpage_variables",),
    ("trs", 3): ("uppercase_next_line_markup", "short_list_dates"),
    ("trs", 4): ("trs_dongjing",),
    ("hanweb", 1): ("hanweb_dates_in_b",),
    ("hanweb", 2): ("hanweb_absolute_links", "hanweb_totals_only_in_proxy"),
    ("hanweb", 3): ("hanweb_jsonp",),
    ("hanweb", 4): ("hanweb_several_units",),
    ("shtml", 1): ("six_arg_pager_prefix",),
    ("shtml", 2): ("six_arg_pager_prefix",),
    ("shtml", 3): ("short_list_dates",),
    ("shtml", 4): ("numbered_page_links",),
}
_PROVINCE_ABBR = {
    "北京": "京", "天津": "津", "河北": "冀", "山西": "晋", "内蒙古": "蒙", "辽宁": "辽", "吉林": "吉",
    "黑龙江": "黑", "上海": "沪", "江苏": "苏", "浙江": "浙", "安徽": "皖", "福建": "闽", "江西": "赣",
    "山东": "鲁", "河南": "豫", "湖北": "鄂", "湖南": "湘", "广东": "粤", "广西": "桂", "海南": "琼",
    "重庆": "渝", "四川": "川", "贵州": "黔", "云南": "滇", "西藏": "藏", "陕西": "陕", "甘肃": "甘",
    "青海": "青", "宁夏": "宁", "新疆": "新",
}  # fmt: skip
_PLAN_CACHE = 256


def night_date(night: int) -> date:
    """The day night ``night`` simulates (night 0 = :data:`BASE_DATE`)."""
    return BASE_DATE + timedelta(days=night)


def addresses(host: str, count: int) -> list[str]:
    """``count`` loopback addresses from ``host`` upwards, skipping last octets 0 and 255."""
    start = ipaddress.IPv4Address(host)
    if not start.is_loopback:
        raise ValueError(f"--host {host}: the farm only serves on loopback (127.0.0.0/8)")
    out, current = [], int(start)
    while len(out) < count:
        address = ipaddress.IPv4Address(current)
        if not address.is_loopback:
            raise ValueError(f"--host {host}: {count} portals do not fit in 127.0.0.0/8 from there")
        if current % 256 not in (0, 255):
            out.append(str(address))
        current += 1
    return out


@dataclass(frozen=True, slots=True)
class PortalSpec:
    """What is known about a portal without planning it: cheap, for all portals at start."""

    index: int
    name: str
    family: str
    address: str
    base_url: str
    region: Region
    kind: str  # county | city
    encoding: str
    declared: str | None
    header_charset: bool
    extras: tuple[str, ...] = ()  # portal-level variants (PORTAL_VARIANTS)

    @property
    def template(self) -> str | None:
        """The list template (crawler/sim/templates.py) the portal's lists use, if any."""
        return next((name for name in self.extras if name in TEMPLATES), None)

    @property
    def city_key(self) -> str:
        return self.region.code[:4]

    @property
    def lying(self) -> bool:
        """Whether a crawler must be told the encoding (declaration missing or wrong)."""
        return self.declared is None or _codec(self.declared) != _codec(self.encoding)


def _codec(name: str) -> str:
    return {"gb2312": "gbk"}.get(name, name)


@dataclass(slots=True)
class _Draft:
    """An article decided but not yet placed (no URL or id yet)."""

    key: str
    kind: str
    column: int
    title: str
    paragraphs: list[str]
    published: date
    issuer: str
    doc_no: str = ""
    mode: str = "html"
    report_year: int | None = None
    issuer_kind: str = ""


@dataclass(slots=True)
class PortalPlan:
    """A planned portal: its site identity, columns and every entry with its state tonight."""

    spec: PortalSpec
    site: SiteInfo
    family: Family
    columns: tuple[Column, ...]
    entries: list[Entry]
    offsite: str
    robots_disallow: tuple[str, ...]

    def visible(self, on: date) -> list[Entry]:
        """Entries served on ``on``: published by then and not removed, newest first."""
        live = [e for e in self.entries if e.article.published <= on and not (e.removed and e.removed_on <= on)]
        return sorted(live, key=lambda e: (e.article.published, e.key), reverse=True)


class Farm:
    """A deterministic farm of county portals (and the city portals that mirror them).

    ``portals`` county portals, at consecutive loopback addresses from ``host`` (see
    :func:`addresses`), then one portal per distinct city among them, all on ``port``.
    """

    def __init__(self, portals: int, seed: int, night: int, port: int, host: str = "127.0.0.1",
                 faults: str | Iterable[str] = (), families: Iterable[str] = FAMILY_ORDER) -> None:
        if portals < 1:
            raise ValueError(f"--portals must be at least 1, not {portals}")
        if night < 0:
            raise ValueError(f"--night must be 0 or more, not {night}")
        self.count = portals
        self.seed = seed
        self.night = night
        self.port = port
        self.host = host
        self.faults = parse_faults(faults)
        self.families = tuple(families)
        for name in self.families:
            family(name)  # an unknown name fails here, naming the known ones
        if not self.families:
            raise ValueError("--families must name at least one family")
        self.today = night_date(night)
        self.specs = self._specs()
        self._by_address = {spec.address: spec for spec in self.specs}
        self._cities = {spec.city_key: spec for spec in self.specs if spec.kind == "city"}
        self.plan = functools.lru_cache(maxsize=_PLAN_CACHE)(self._plan)
        self.fault_sites = self._assign_faults()

    # --- portals -------------------------------------------------------------------------

    def _specs(self) -> list[PortalSpec]:
        regions = county_regions()
        order = random.Random(f"{self.seed}/regions").sample(range(len(regions)), len(regions))
        counties = [regions[order[i % len(order)]] for i in range(self.count)]
        cities: dict[str, Region] = {}
        for region in counties:
            cities.setdefault(region.code[:4], region)
        addrs = addresses(self.host, self.count + len(cities))
        fams = [self.families[(i + self.seed) % len(self.families)] for i in range(len(counties))]
        extras = self._portal_variants(fams)
        specs = []
        for i, region in enumerate(counties):
            fam = fams[i]
            enc, declared, header = ENCODING_PROFILES[(i + self.seed) % len(ENCODING_PROFILES)]
            specs.append(self._spec(i, f"sim_{fam}_{i:04d}", fam, addrs[i], region, "county", enc, declared, header,
                                    extras[i]))
        for j, region in enumerate(cities.values()):
            i = self.count + j
            fam = self.families[(j + self.seed + 1) % len(self.families)]
            specs.append(self._spec(i, f"sim_city_{j:04d}", fam, addrs[i], region, "city", "utf-8", "utf-8", True))
        return specs

    def _spec(self, i, name, fam, address, region, kind, enc, declared, header, extras=()) -> PortalSpec:
        base = f"http://{address}:{self.port}"
        return PortalSpec(i, name, fam, address, base, region, kind, enc, declared, header, extras)

    def _portal_variants(self, fams: list[str]) -> list[tuple[str, ...]]:
        """Which county portal carries each portal-level variant: one per variant and block, by seed.

        A list template replaces the portal's family list variant, so templates go to textbook
        portals first: a farm of 15 portals keeps every (family, list variant) pair as well.
        """
        out: list[tuple[str, ...]] = [() for _ in fams]
        for start in range(0, len(fams), VARIANT_BLOCK):
            block = list(range(start, min(start + VARIANT_BLOCK, len(fams))))
            shift = self.seed % len(block)
            free = block[shift:] + block[:shift]
            for name, families in PORTAL_VARIANTS:
                fitting = [i for i in free if fams[i] in families]
                if name in TEMPLATES:
                    fitting.sort(key=lambda i: (fams[i], (i + self.seed) % len(LIST_VARIANTS)) in VARIANT_NAMES)
                if fitting:
                    out[fitting[0]] = (name,)
                    free.remove(fitting[0])
        return out

    def spec_at(self, address: str) -> PortalSpec | None:
        """The portal served at ``address``, if any."""
        return self._by_address.get(address)

    def city_of(self, spec: PortalSpec) -> PortalSpec:
        """The city portal that republishes ``spec``'s reports."""
        return self._cities[spec.city_key]

    def _site(self, spec: PortalSpec) -> SiteInfo:
        region = spec.region
        abbr = next((v for k, v in _PROVINCE_ABBR.items() if region.province.startswith(k)), "京")
        rng = random.Random(f"{self.seed}/{spec.index}/site")
        code = region.code if spec.kind == "county" else region.code[:4] + "00"
        name = f"{corpus.place_name(region)}人民政府" if spec.kind == "county" else f"{corpus.city_name(region)}人民政府"
        return SiteInfo(
            name=name,
            base_url=spec.base_url,
            site_code=f"{code}{rng.randint(1, 99):04d}",
            province=region.province,
            region=region if spec.kind == "county" else None,
            encoding=spec.encoding,
            declared=spec.declared,
            header_charset=spec.header_charset,
            icp=f"{abbr}ICP备{rng.randint(10000000, 99999999)}号-{rng.randint(1, 3)}",
            police=f"{abbr}公网安备{code}{rng.randint(10000000, 99999999):09d}号",
        )

    # --- planning --------------------------------------------------------------------------

    def _plan(self, index: int) -> PortalPlan:
        spec = self.specs[index]
        if spec.kind == "city":
            return self._plan_city(spec)
        return self._plan_county(spec)

    def list_variant(self, spec: PortalSpec) -> int:
        """Which list-page variant (docs/simulator.md) the portal's columns use."""
        return (spec.index + self.seed) % len(LIST_VARIANTS)

    def _columns(self, spec: PortalSpec, fam: Family, rng: random.Random, names: list[str]) -> tuple[Column, ...]:
        """The portal's columns. Variants rotate by index like families do, so that any
        len(families) * len(LIST_VARIANTS) consecutive portals hold every (family, variant) pair.
        An ``aggregated_column`` portal has a third column listing the other two's articles."""
        ident = rng.randint(1000, 999999)
        variant = self.list_variant(spec)
        list_name = LIST_VARIANTS[variant].get(fam.name, "")
        columns = [Column(name, fam.column_base(i, ident), list_name, variant) for i, name in enumerate(names)]
        if "aggregated_column" in spec.extras:
            columns.append(Column("政府信息公开", fam.column_base(len(names), ident), list_name, variant,
                                  aggregates=tuple(range(len(names)))))
        return tuple(columns)

    def _plan_county(self, spec: PortalSpec) -> PortalPlan:
        rng = random.Random(f"{self.seed}/{spec.index}/plan")
        fam = family(spec.family)
        if spec.template:
            fam = templated(fam, spec.template)
        site = self._site(spec)
        region = spec.region
        place = corpus.place_name(region)
        government, bureau = f"{place}人民政府", f"{place}司法局"
        columns = self._columns(spec, fam, rng, ["法治政府建设", f"{region.county}司法局"])
        drafts: list[_Draft] = []
        late_portal = spec.index % 4 == 0  # 4, not 3, so that late reports fall on every family
        for issuer_kind, years in (("government", GOVERNMENT_YEARS), ("bureau", BUREAU_YEARS)):
            for year in years:
                published = self._report_date(rng, year)
                if late_portal and issuer_kind == "bureau" and year == BUREAU_YEARS[-1]:
                    published = night_date(2)
                issuer = government if issuer_kind == "government" else bureau
                drafts.append(_Draft(
                    key=f"{spec.name}/report/{issuer_kind}/{year}", kind=REPORT,
                    column=0 if issuer_kind == "government" else 1,
                    title=self._report_title(rng, region, issuer, year, issuer_kind),
                    paragraphs=corpus.report_paragraphs(rng, region, year), published=published, issuer=issuer,
                    report_year=year, issuer_kind=issuer_kind,
                    doc_no=f"{region.short_name}{'政发' if issuer_kind == 'government' else '司发'}"
                    f"〔{published.year}〕{rng.randint(1, 40)}号",
                ))
        for n, draft in enumerate(drafts):
            mode = BODY_MODES[(spec.index * 3 + n) % len(BODY_MODES)]
            draft.mode = "html" if mode == "table" else mode
            if mode == "table" or (mode == "pages" and rng.random() < 0.5):
                cut = len(draft.paragraphs) // 2
                table = corpus.statistics_table(rng, draft.report_year)
                draft.paragraphs = [*draft.paragraphs[:cut], *table, *draft.paragraphs[cut:]]
        reports = {d.report_year: d for d in drafts if d.issuer_kind == "government"}
        for year in GOVERNMENT_YEARS:
            drafts.extend(self._negatives(rng, spec, region, government, bureau, year, reports[year]))
        entries = self._entries(fam, site, columns, rng, drafts)
        self._evolve(spec, entries)
        disallow = ("/search/",) if spec.index % 2 == 0 else ()
        return PortalPlan(spec, site, fam, columns, entries, self.city_of(spec).base_url + "/", disallow)

    def _report_date(self, rng: random.Random, year: int) -> date:
        if rng.random() < 0.15:  # late: after the 1 April deadline, still before night 0
            return date(year + 1, rng.choice((4, 5)), rng.randint(1, 28))
        return date(year + 1, rng.randint(1, 3), rng.randint(1, 28))

    def _report_title(self, rng: random.Random, region: Region, issuer: str, year: int, issuer_kind: str) -> str:
        county = region.county
        if issuer_kind == "government":
            forms = (
                f"{county}{year}年度法治政府建设情况报告",
                f"{issuer}关于{year}年度法治政府建设情况的报告",
                f"{year}年{county}法治政府建设工作情况报告",
                f"{county}人民政府{year}年法治政府建设工作总结",
            )
        else:
            forms = (
                f"{county}司法局{year}年度法治政府建设情况报告",
                f"{issuer}关于{year}年度法治政府建设工作情况的报告",
                f"{year}年{county}司法局法治建设工作总结",
            )
        return rng.choice(forms)

    def _negatives(self, rng: random.Random, spec: PortalSpec, region: Region, government: str, bureau: str,
                   year: int, report: _Draft) -> list[_Draft]:
        """The pages a crawler must reject for ``year``, on the same lists as the reports.

        The 政策解读 quotes its report's opening paragraphs, so only its title and framing tell
        it apart, as on real portals.
        """
        county = region.county
        nxt = date(year + 1, 1, 1)

        def when(lo_month: int, hi_month: int) -> date:
            return nxt.replace(month=rng.randint(lo_month, hi_month), day=rng.randint(1, 28))

        plans = [
            ("info_disclosure_annual_report", 0, f"{government}{year}年政府信息公开工作年度报告", government, when(1, 3)),
            ("policy_interpretation", 0, f"《{county}{year}年度法治政府建设情况报告》政策解读", government, when(3, 5)),
            ("work_plan", 0, f"{county}{year + 1}年法治政府建设工作要点", government, when(2, 4)),
            ("news", 0, f"{county}召开{year}年度法治政府建设工作推进会", government, when(1, 5)),
            ("news", 1, f"{county}司法局开展“法律进社区”普法宣传活动（{year + 1}年）", bureau, when(1, 5)),
            ("notice", 1, f"关于开展{year}年度法治政府建设示范创建工作的通知", bureau, when(1, 5)),
            ("notice", 1, f"{government}关于{year + 1}年春季森林防火的通告", government, when(1, 4)),
        ]
        drafts = []
        for n, (kind, column, title, issuer, published) in enumerate(plans):
            paragraphs = corpus.filler_paragraphs(rng, region, year, rng.randint(3, 6))
            if kind == "policy_interpretation":
                paragraphs = [f"近日，{government}发布《{report.title}》。现就有关内容解读如下。",
                              *report.paragraphs[:2], *paragraphs]
            drafts.append(_Draft(
                key=f"{spec.name}/{kind}/{year}/{n}", kind=kind, column=column, title=title, paragraphs=paragraphs,
                published=published, issuer=issuer,
                doc_no=f"{region.short_name}政办发〔{published.year}〕{rng.randint(1, 90)}号"
                if kind in ("notice", "work_plan") else "",
            ))
        return drafts

    def _entries(self, fam: Family, site: SiteInfo, columns: tuple[Column, ...], rng: random.Random,
                 drafts: list[_Draft]) -> list[Entry]:
        """Place the drafts: ids increase with publication date site-wide, as TRS docids do."""
        drafts.sort(key=lambda d: (d.published, d.key))
        docid = rng.randint(1_000_000, 9_000_000)
        entries = []
        for seq, draft in enumerate(drafts, start=1):
            docid += rng.randint(3, 60)
            hexid = f"{rng.getrandbits(128):032x}"
            column = columns[draft.column]
            published = draft.published
            path = fam.article_path(column, published, docid, hexid)
            attachments: tuple[AttachmentLink, ...] = ()
            attachment_path = ""
            if draft.mode in ("pdf", "docx"):
                attachment_path = fam.attachment_path(column, published, docid, hexid, draft.mode)
                link = AttachmentLink(_relative(attachment_path, fam), f"{draft.title}.{draft.mode}", draft.mode)
                attachments = (link,)
            article = Article(
                title=draft.title, paragraphs=tuple(draft.paragraphs), published=published, issuer=draft.issuer,
                column=column.name, index_no=f"{site.site_code}/{published.year}-{seq:06d}" if draft.kind != "news" else "",
                doc_no=draft.doc_no, subject="综合政务/法治" if draft.kind == REPORT else "综合政务",
                attachments=attachments,
            )
            pages = rng.choice((2, 3)) if draft.mode == "pages" else 1
            entries.append(Entry(
                key=draft.key, kind=draft.kind, column=draft.column, path=path, article=article,
                body_mode=draft.mode, page_paths=tuple(fam.page_path(path, k) for k in range(1, pages + 1)),
                attachment_path=attachment_path, report_year=draft.report_year, issuer_kind=draft.issuer_kind,
            ))
        return entries

    def _evolve(self, spec: PortalSpec, entries: list[Entry]) -> None:
        """Apply nights 2..N: edits (new versions), deletions (404 or redirect) and mirrors."""
        reports = [e for e in entries if e.kind == REPORT]
        for entry in reports:
            entry.versions = [entry.article.paragraphs]
            entry.version_dates = [entry.article.published]
        # The city republished the oldest government report long ago: mirrors exist from night 0.
        oldest = min((e for e in reports if e.issuer_kind == "government"), key=lambda e: e.article.published)
        oldest.mirrored_on = oldest.article.published + timedelta(days=5)
        if self.night < 2:
            return
        settled = sorted((e for e in reports if e.article.published <= night_date(1) and e is not oldest),
                         key=lambda e: e.key)
        forced: dict[str, str] = {}
        if len(settled) >= 3:
            picks = random.Random(f"{self.seed}/{spec.index}/night2").sample(settled, 3)
            forced = {
                picks[0].key: "edit",
                picks[1].key: "404" if spec.index % 2 == 0 else "redirect",
                picks[2].key: "mirror",
            }
        for entry in reports:
            for night in range(2, self.night + 1):
                today = night_date(night)
                if entry.removed or entry.article.published >= today:
                    continue
                if night == 2:
                    event = forced.get(entry.key, "")
                else:
                    roll = random.Random(f"{self.seed}/{entry.key}/{night}").random()
                    event = "edit" if roll < 0.08 else "404" if roll < 0.09 else "redirect" if roll < 0.10 else (
                        "mirror" if roll < 0.15 else "")
                if event == "edit":
                    rng = random.Random(f"{self.seed}/{entry.key}/edit/{night}")
                    entry.versions.append(tuple(corpus.edited(list(entry.versions[-1]), rng)))
                    entry.version_dates.append(today)
                elif event in ("404", "redirect"):
                    entry.removed, entry.removed_on = event, today
                elif event == "mirror" and entry.mirrored_on is None:
                    entry.mirrored_on = today

    def _plan_city(self, spec: PortalSpec) -> PortalPlan:
        rng = random.Random(f"{self.seed}/{spec.index}/plan")
        fam = family(spec.family)
        site = self._site(spec)
        city = corpus.city_name(spec.region)
        columns = self._columns(spec, fam, rng, ["区县动态", "通知公告"])
        drafts = []
        for n, year in enumerate(GOVERNMENT_YEARS):
            drafts.append(_Draft(
                key=f"{spec.name}/news/{year}/{n}", kind="news", column=1,
                title=f"{city}召开{year}年度全面依法治市工作会议", issuer=site.name,
                published=date(year + 1, rng.randint(1, 5), rng.randint(1, 28)),
                paragraphs=corpus.filler_paragraphs(rng, spec.region, year, 4),
            ))
        entries = self._entries(fam, site, columns, rng, drafts)
        for county_spec in self.specs:
            if county_spec.kind != "county" or county_spec.city_key != spec.city_key:
                continue
            for original in self.plan(county_spec.index).entries:
                if original.mirrored_on is not None and original.mirrored_on <= self.today and not original.removed:
                    entries.append(self._mirror(fam, site, columns[0], rng, original))
        return PortalPlan(spec, site, fam, columns, entries, f"http://zwfw.{spec.region.code[:2]}.example.gov.cn/", ())

    def _mirror(self, fam: Family, site: SiteInfo, column: Column, rng: random.Random, original: Entry) -> Entry:
        """The city's copy of a county report: same text, its own URL, chrome and publication date."""
        published = original.mirrored_on
        docid = 9_000_000 + int(random.Random(original.key).random() * 999_999)
        hexid = f"{random.Random(original.key + '/mirror').getrandbits(128):032x}"
        path = fam.article_path(column, published, docid, hexid)
        attachments: tuple[AttachmentLink, ...] = ()
        attachment_path = ""
        if original.body_mode in ("pdf", "docx"):
            attachment_path = fam.attachment_path(column, published, docid, hexid, original.body_mode)
            link = AttachmentLink(_relative(attachment_path, fam), original.article.attachments[0].name, original.body_mode)
            attachments = (link,)
        article = Article(
            title=original.article.title, paragraphs=original.paragraphs, published=published,
            issuer=original.article.issuer, column=column.name, attachments=attachments,
        )
        pages = len(original.page_paths) if original.body_mode == "pages" else 1
        return Entry(
            key=f"{original.key}/mirror", kind="mirror", column=0, path=path, article=article,
            body_mode=original.body_mode, page_paths=tuple(fam.page_path(path, k) for k in range(1, pages + 1)),
            attachment_path=attachment_path, report_year=original.report_year, issuer_kind=original.issuer_kind,
            versions=[original.paragraphs], version_dates=[published],
        )

    # --- faults --------------------------------------------------------------------------------

    def _assign_faults(self) -> dict[str, list[int]]:
        """Which county portals carry each enabled fault kind (antibot portals carry nothing else)."""
        counties = [s.index for s in self.specs if s.kind == "county"]
        per_kind = max(1, len(counties) // 200)
        assigned: dict[str, list[int]] = {}
        rng = random.Random(f"{self.seed}/faults")
        blocked: set[int] = set()
        if "antibot_412" in self.faults:
            blocked = set(rng.sample(counties, per_kind)) if len(counties) > 1 else set(counties)
            assigned["antibot_412"] = sorted(blocked)
        usable = [i for i in counties if i not in blocked] or counties
        for kind in self.faults:
            if kind != "antibot_412":
                assigned[kind] = sorted(random.Random(f"{self.seed}/faults/{kind}").sample(usable, min(per_kind, len(usable))))
        return assigned

    def page_fault_path(self, kind: str, plan: PortalPlan) -> str:
        """The existing page a page-level fault sits on: a report each (or, for 503, the first list page).

        Two faults on one portal never share a page, so each behaves exactly as documented.
        """
        if kind == "http_503_burst":
            return plan.family.list_path(plan.columns[0], 0).split("#")[0]
        here = [k for k in self.faults_of(plan.spec.index) if k in PAGE_FAULTS and k != "http_503_burst"]
        live = sorted(plan.visible(self.today), key=lambda e: (e.kind != REPORT, e.key))
        return live[here.index(kind) % len(live)].path

    def faults_of(self, index: int) -> list[str]:
        """The fault kinds portal ``index`` carries."""
        return [kind for kind, portals in self.fault_sites.items() if index in portals]

    def fault_list(self) -> list[dict]:
        """Every place a switched-on fault sits: ``{url, kind, portal}``, sorted."""
        out = []
        for kind, portals in self.fault_sites.items():
            for index in portals:
                plan = self.plan(index)
                if kind == "antibot_412":
                    url = plan.spec.base_url + "/"
                elif kind in PAGE_FAULTS:
                    url = plan.spec.base_url + self.page_fault_path(kind, plan)
                else:
                    url = plan.spec.base_url + extra_fault_paths()[kind]
                out.append({"url": url, "kind": kind, "portal": plan.spec.name})
        return sorted(out, key=lambda f: (f["kind"], f["url"]))

    # --- ground truth ---

    def variants(self, spec: PortalSpec) -> list[str]:
        """The list-page variants portal ``spec`` carries, by their stable names (docs/simulator.md)."""
        if spec.template:
            return [*spec.extras, *TEMPLATES[spec.template][2]]
        return [*VARIANT_NAMES.get((spec.family, self.list_variant(spec)), ()), *spec.extras]

    def lists(self, spec: PortalSpec) -> list[dict]:
        """Every list page portal ``spec`` serves tonight: its URL, main-list items and announced further pages."""
        site = PortalSite(self, self.plan(spec.index))
        return [{"url": spec.base_url + page.url, "items": list(page.items), "next": list(page.next),
                 "family": page.family, **({"method": page.method} if page.method != "GET" else {})}
                for page in site.lists]

    # -------------------------------------------------------------------------------------------

    def report_text(self, entry: Entry) -> str:
        """The canonical text a perfect extractor keeps: the body, or the attachment's whole text."""
        if entry.body_mode in ("pdf", "docx"):
            return canonical_text([entry.article.title, *entry.paragraphs])
        return canonical_text(entry.paragraphs)

    def manifest(self) -> dict:
        """Ground truth for night ``night``: portals, live reports, removed reports, negatives, faults."""
        portals, reports, removed, negatives = [], [], [], []
        for spec in self.specs:
            portals.append({"name": spec.name, "family": spec.family, "base_url": spec.base_url + "/",
                            "encoding": spec.encoding, "declared_encoding": spec.declared, "kind": spec.kind,
                            "list_variant": self.list_variant(spec), "variants": self.variants(spec),
                            "region_code": spec.region.code if spec.kind == "county" else spec.city_key + "00",
                            "lists": self.lists(spec)})
        city_mirrors: dict[str, str] = {}
        for spec in self.specs:
            if spec.kind == "city":
                for entry in self.plan(spec.index).entries:
                    if entry.kind == "mirror":
                        city_mirrors[entry.key.removesuffix("/mirror")] = spec.base_url + entry.path
        for spec in self.specs:
            if spec.kind != "county":
                continue
            plan = self.plan(spec.index)
            for entry in sorted(plan.entries, key=lambda e: e.path):
                if entry.article.published > self.today:
                    continue
                url = spec.base_url + entry.path
                if entry.removed:
                    removed.append({"url": url, "portal": spec.name, "how": entry.removed,
                                    "date": entry.removed_on.isoformat()})
                    continue
                if entry.kind != REPORT:
                    negatives.append({"url": url, "kind": entry.kind, "portal": spec.name, "title": entry.article.title})
                    continue
                text = self.report_text(entry)
                mirror = city_mirrors.get(entry.key)
                reports.append({
                    "url": url, "portal": spec.name, "title": entry.article.title,
                    "region": spec.region.full_name, "region_code": spec.region.code,
                    "issuer": entry.article.issuer, "issuer_kind": entry.issuer_kind,
                    "report_year": entry.report_year, "published": entry.article.published.isoformat(),
                    "version": len(entry.versions), "modified": entry.modified.isoformat(),
                    "body": entry.body_mode, "pages": [spec.base_url + p for p in entry.page_paths],
                    "text_sha256": content_hash(text), "text": text,
                    "mirrors": [mirror] if mirror else [],
                    "attachments": [spec.base_url + entry.attachment_path] if entry.attachment_path else [],
                })
        return {
            "farm": {"portals": self.count, "seed": self.seed, "night": self.night, "date": self.today.isoformat(),
                     "port": self.port, "host": self.host, "faults": list(self.faults), "families": list(self.families)},
            "portals": portals, "reports": reports, "removed": removed, "negatives": negatives,
            "faults": self.fault_list(),
        }

    def portal_configs(self) -> dict[str, str]:
        """One TOML portal config per simulated portal (file name -> text), as ``spiders/portals`` holds."""
        return {f"{spec.name}.toml": portal_toml(self, self.plan(spec.index)) for spec in self.specs}


def _relative(target: str, fam: Family) -> str:
    """How the family links an attachment from its page: TRS relative (``./P0….pdf``), others absolute."""
    if fam.name == "trs":
        return "./" + target.rsplit("/", 1)[-1]
    return target

