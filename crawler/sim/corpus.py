"""Realistic Chinese text for the farm: reports recombined from real ones, and the negatives.

Report bodies come from the body paragraphs of five real reports (``data/seeds.json``, copied
from the project's seed set so the package works on its own). A simulated report keeps the
shape of one seed (opening, numbered headings, long paragraphs), swaps some paragraphs for
paragraphs of the same kind from other seeds, and renames the seed's place names and years
to the portal's county and the report's year. The point is realistic characters, lengths and
headings for the extractor and the classifier, not meaningful prose.
"""

from __future__ import annotations

import functools
import json
import random
import re
from dataclasses import dataclass
from importlib import resources

from crawler.regions import Region

# A paragraph this short is a heading (一、… / (一)…) rather than running text.
_HEADING_MAX = 40
_PLACE_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "特别行政区", "省", "市")
_YEAR = re.compile(r"20\d\d")
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class Seed:
    """The body of one real report and the names it must be renamed from."""

    province: str
    city: str
    county: str
    short: str
    year: int
    paragraphs: tuple[str, ...]


@functools.cache
def seeds() -> tuple[Seed, ...]:
    """The packaged seed reports."""
    raw = json.loads(resources.files("crawler.sim").joinpath("data/seeds.json").read_text(encoding="utf-8"))
    return tuple(
        Seed(s["province"], s["city"], s["county"], s["short"], s["year"], tuple(s["paragraphs"])) for s in raw["seeds"]
    )


def city_name(region: Region) -> str:
    """The prefecture's name, or the province's for a municipality's district (北京市东城区)."""
    return region.city or region.province


def place_name(region: Region) -> str:
    """How a report names its county: with the city, as titles and signatures do."""
    return f"{region.city or ''}{region.county}"


def _short(name: str) -> str:
    """A province's or city's name as prose shortens it (陕西省 -> 陕西, 汉中市 -> 汉中)."""
    for suffix in _PLACE_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def _rename(text: str, seed: Seed, region: Region, year: int) -> str:
    """``text`` of ``seed`` moved to ``region`` and ``year``.

    All names are replaced in one pass, longest first, so a new name that happens to contain
    an old one (未央区 -> 西安区 while 西安 -> 辽源) is never renamed twice.
    """
    shift = year - seed.year
    text = _YEAR.sub(lambda m: str(int(m.group()) + shift), text)
    city = city_name(region)
    names = {
        seed.province: region.province,
        _short(seed.province): _short(region.province),
        seed.city: city,
        _short(seed.city): _short(city),
        seed.county: region.county,
        seed.short: region.short_name,
    }
    pattern = re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))
    return pattern.sub(lambda m: names[m.group()], text)


def report_paragraphs(rng: random.Random, region: Region, year: int) -> list[str]:
    """Body paragraphs of one annual rule-of-law report of ``region`` about ``year``."""
    pool = seeds()
    base = rng.choice(pool)
    others = [s for s in pool if s is not base]
    paragraphs = []
    for n, paragraph in enumerate(base.paragraphs):
        source = base
        # The opening paragraph stays: it is the one that names the county and the year.
        if n > 0 and len(paragraph) > _HEADING_MAX and rng.random() < 0.3:
            source = rng.choice(others)
            candidates = [p for p in source.paragraphs[1:] if len(p) > _HEADING_MAX]
            paragraph = rng.choice(candidates)
        paragraphs.append(_rename(paragraph, source, region, year))
    return paragraphs


def statistics_table(rng: random.Random, year: int) -> list[str]:
    """A small statistics table as canonical rows (cells joined by tabs, header first)."""
    rows = [f"指标\t{year}年\t{year - 1}年\t增减"]
    for label in rng.sample(_TABLE_LABELS, 4):
        now, before = rng.randint(12, 900), rng.randint(12, 900)
        rows.append(f"{label}\t{now}\t{before}\t{now - before:+d}")
    return rows


def edited(paragraphs: list[str], rng: random.Random) -> list[str]:
    """The paragraphs after one editorial correction: a figure changed or a sentence added."""
    changed = list(paragraphs)
    long_ones = [i for i, p in enumerate(changed) if len(p) > _HEADING_MAX and "\t" not in p]
    index = rng.choice(long_ones)
    text = changed[index]
    figures = list(_DIGITS.finditer(text))
    if figures and rng.random() < 0.7:
        figure = rng.choice(figures)
        text = f"{text[: figure.start()]}{int(figure.group()) + rng.randint(1, 9)}{text[figure.end():]}"
    else:
        text = text + rng.choice(_CORRECTIONS)
    changed[index] = text
    return changed


def filler_paragraphs(rng: random.Random, region: Region, year: int, count: int) -> list[str]:
    """Generic government-news sentences, renamed to ``region``: bodies of the negatives."""
    county = region.county
    chosen = rng.sample(_FILLER, min(count, len(_FILLER)))
    return [p.format(county=county, city=city_name(region), year=year) for p in chosen]


_TABLE_LABELS = [
    "行政复议案件（件）",
    "行政应诉案件（件）",
    "规范性文件备案审查（件）",
    "重大行政决策合法性审查（件）",
    "行政执法人员培训（人次）",
    "法律顾问审查合同（份）",
    "人民调解案件（件）",
    "公共法律服务咨询（人次）",
]

_CORRECTIONS = [
    "相关数据已根据最终统计结果更新。",
    "全年累计开展专项检查12次。",
    "下一步将持续巩固提升工作成效。",
]

_FILLER = [
    "近日，{county}召开{year}年全面依法治县委员会会议，总结工作成效，安排部署下一阶段重点任务。",
    "会议强调，要深入学习贯彻习近平法治思想，坚持依法行政，不断提升政府治理能力和水平。",
    "{county}司法局组织工作人员深入社区、村组，开展“八五”普法宣传活动，发放宣传资料2000余份。",
    "活动现场，工作人员围绕民法典、反电信网络诈骗法等内容，向群众讲解法律知识，解答法律咨询。",
    "为进一步规范行政执法行为，{county}组织开展行政执法案卷评查，共评查案卷120余卷。",
    "各单位要高度重视，明确专人负责，按时报送相关材料，确保各项工作落到实处。",
    "本次培训邀请{city}律师协会专家授课，全县200余名行政执法人员参加培训。",
    "下一步，{county}将持续推进法治政府建设，为经济社会高质量发展提供有力法治保障。",
    "联系电话：0000-1234567，联系人：办公室。",
    "请各乡镇（街道）、县直各部门于{year}年12月20日前将自查报告报送县司法局。",
    "现将有关事项通知如下：一、工作目标；二、工作任务；三、工作要求。",
    "本报告中所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。",
    "{year}年，全县共主动公开政府信息3500余条，受理政府信息公开申请36件，均按时答复。",
    "此次解读围绕报告的主要内容、重点举措和下一步工作安排进行说明，便于公众理解。",
    "据悉，{county}将以此为契机，进一步完善公共法律服务体系，打通服务群众“最后一公里”。",
    "全年计划开展法治政府建设督察2次，重点围绕依法决策、严格执法、行政复议等方面进行。",
]
