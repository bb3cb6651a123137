"""Every outcome of Archive.record and the calls around it, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from storage.archive import Archive
from storage.models import Attachment, Content, Document, DocumentUrl, Fetch, Portal, Run, Version
from storage.records import AttachmentRecord, FetchRecord, Outcome
from tests.storage.builders import T0, report, report_text

URL = "http://127.1.0.1:8800/zwgk/fzzfjs/202403/t20240320_1.html"
MIRROR = "http://127.1.0.9:8800/sjbm/sfj/t20240321_9.html"


def count(engine: Engine, model: type) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(model)).scalar_one()


def test_first_fetch_is_a_new_document_with_its_metadata(archive: Archive, engine: Engine) -> None:
    result = archive.record(
        report(URL, report_text("汉台区"), title="2023年法治政府建设情况报告", published=dt.date(2024, 3, 20),
               report_year=2023, region="陕西省汉中市汉台区", region_code="610702", issuer="汉中市汉台区人民政府",
               doc_no="汉区政发〔2024〕3号", kind="annual_rule_of_law_report")
    )
    assert result.outcome is Outcome.NEW_DOCUMENT
    with Session(engine) as session:
        document = session.get_one(Document, result.document_id)
        version = session.get_one(Version, result.version_id)
    assert (document.canonical_url, document.region_code, document.report_year, document.kind, document.status) == (
        URL, "610702", 2023, "annual_rule_of_law_report", "present")
    assert (version.seq, version.title, version.published, version.meta["doc_no"]) == (
        1, "2023年法治政府建设情况报告", dt.date(2024, 3, 20), "汉区政发〔2024〕3号")


def test_same_text_again_is_unchanged_and_only_bumps_last_seen(archive: Archive, engine: Engine) -> None:
    first = archive.record(report(URL, report_text("汉台区")))
    later = T0 + dt.timedelta(days=1)
    again = archive.record(report(URL, report_text("汉台区"), at=later))
    assert again.outcome is Outcome.UNCHANGED
    assert (again.document_id, again.version_id) == (first.document_id, first.version_id)
    assert (count(engine, Version), count(engine, Content), count(engine, Fetch)) == (1, 1, 2)
    with engine.connect() as connection:
        last_seen = connection.execute(select(Version.last_seen)).scalar_one()
    assert last_seen.replace(tzinfo=dt.UTC) == later


def test_whitespace_only_change_has_the_same_hash_and_makes_no_version(archive: Archive, engine: Engine) -> None:
    text = report_text("汉台区")
    archive.record(report(URL, text))
    reflowed = text.replace("，", "， ").replace("\n", "\n\u3000\u3000")
    assert archive.record(report(URL, reflowed)).outcome is Outcome.UNCHANGED
    assert count(engine, Version) == 1


def test_changed_text_is_a_new_version_numbered_after_the_last(archive: Archive, engine: Engine) -> None:
    first = archive.record(report(URL, report_text("汉台区")))
    second = archive.record(report(URL, report_text("汉台区") + "\n补充：本年度新增公共法律服务站十个。", title="修订版"))
    assert second.outcome is Outcome.NEW_VERSION
    assert second.document_id == first.document_id and second.version_id != first.version_id
    with engine.connect() as connection:
        seqs = connection.execute(select(Version.seq).order_by(Version.seq)).scalars().all()
        latest = connection.execute(select(Document.latest_seq)).scalar_one()
    assert seqs == [1, 2] and latest == 2


def test_reverting_to_an_earlier_text_is_a_version_too(archive: Archive, engine: Engine) -> None:
    original, edited = report_text("汉台区"), report_text("汉台区") + "\n错误更正。"
    outcomes = [archive.record(report(URL, text)).outcome for text in (original, edited, original)]
    assert outcomes == [Outcome.NEW_DOCUMENT, Outcome.NEW_VERSION, Outcome.NEW_VERSION]
    assert (count(engine, Version), count(engine, Content)) == (3, 2)


def test_same_text_at_a_mirror_is_a_duplicate_stored_once(archive: Archive, engine: Engine) -> None:
    original = archive.record(report(URL, report_text("汉台区")))
    mirror = archive.record(report(MIRROR, report_text("汉台区"), portal="sim_trs_0009"))
    assert mirror.outcome is Outcome.DUPLICATE
    assert mirror.duplicate_of == mirror.document_id == original.document_id
    assert (count(engine, Document), count(engine, Content), count(engine, Version)) == (1, 1, 1)
    with engine.connect() as connection:
        urls = connection.execute(select(DocumentUrl.url).order_by(DocumentUrl.url)).scalars().all()
    assert urls == sorted([URL, MIRROR])
    # The mirror is now one of the document's URLs: fetching it again changes nothing.
    assert archive.record(report(MIRROR, report_text("汉台区"))).outcome is Outcome.UNCHANGED


def test_near_duplicate_is_a_new_document_linked_to_the_similar_one(archive: Archive, engine: Engine) -> None:
    original = archive.record(report(URL, report_text("汉台区", paragraphs=30)))
    edited = report_text("汉台区", paragraphs=30).replace("第7项", "第七项（修订）")
    near = archive.record(report(MIRROR, edited))
    unrelated = archive.record(report(MIRROR + "?other", report_text("勉县", paragraphs=30)))
    assert near.outcome is Outcome.NEW_DOCUMENT and near.near_duplicate_of == original.document_id
    assert unrelated.outcome is Outcome.NEW_DOCUMENT and unrelated.near_duplicate_of is None
    with engine.connect() as connection:
        link = connection.execute(
            select(Document.near_duplicate_of, Document.similarity).where(Document.id == near.document_id)
        ).one()
    assert link.near_duplicate_of == original.document_id and link.similarity >= 0.9
    assert count(engine, Document) == 3


def test_attachments_are_kept_with_their_version(archive: Archive, engine: Engine) -> None:
    attachment = AttachmentRecord(url=URL + ".pdf", name="报告全文.pdf", type="pdf", content_hash="ab" * 32,
                                  text="附件正文", status="ok")
    result = archive.record(report(URL, report_text("汉台区"), attachments=[attachment]))
    with Session(engine) as session:
        stored = session.scalars(select(Attachment)).one()
    assert (stored.version_id, stored.name, stored.text, stored.status) == (result.version_id, "报告全文.pdf", "附件正文", "ok")


def test_validators_come_from_the_last_successful_fetch_of_an_archived_url(archive: Archive) -> None:
    assert archive.validators(URL) is None
    archive.record(report(URL, report_text("汉台区"), etag='"v1"', last_modified="Wed, 20 Mar 2024 02:30:00 GMT"))
    archive.record(report(URL, report_text("汉台区"), at=T0 + dt.timedelta(days=1), etag='"v2"'))
    assert archive.validators(URL) == ('"v2"', None)
    archive.record_fetch(FetchRecord(url="http://127.1.0.1:8800/list.html", fetched_at=T0, http_status=200, etag='"l"'))
    assert archive.validators("http://127.1.0.1:8800/list.html") is None


def test_not_modified_fetch_is_logged_and_counts_as_seen(archive: Archive, engine: Engine) -> None:
    archive.record(report(URL, report_text("汉台区"), etag='"v1"'))
    later = T0 + dt.timedelta(days=2)
    archive.record_fetch(FetchRecord(url=URL, fetched_at=later, http_status=304))
    with engine.connect() as connection:
        last_seen = connection.execute(select(Version.last_seen)).scalar_one()
        not_modified = connection.execute(select(Fetch.not_modified).order_by(Fetch.id)).scalars().all()
    assert last_seen.replace(tzinfo=dt.UTC) == later
    assert not_modified == [False, True]


def test_removed_document_is_marked_once_and_revived_when_seen_again(archive: Archive, engine: Engine) -> None:
    archive.record(report(URL, report_text("汉台区")))
    gone = T0 + dt.timedelta(days=30)
    assert archive.mark_removed(URL, gone, "404") is True
    assert archive.mark_removed(URL, gone + dt.timedelta(days=1), "404") is False
    assert archive.mark_removed("http://127.1.0.1:8800/never-seen.html", gone, "404") is False
    with engine.connect() as connection:
        status = connection.execute(select(Document.status, Document.removed_since, Document.removed_reason)).one()
    assert (status.status, status.removed_since.replace(tzinfo=dt.UTC), status.removed_reason) == ("removed", gone, "404")
    assert archive.record(report(URL, report_text("汉台区"), at=gone + dt.timedelta(days=7))).outcome is Outcome.UNCHANGED
    with engine.connect() as connection:
        assert connection.execute(select(Document.status, Document.removed_since)).one() == ("present", None)


def test_recheck_due_follows_the_policy(archive: Archive) -> None:
    fresh, old = URL, URL.replace("t20240320_1", "t20190320_1")
    archive.record(report(fresh, report_text("汉台区"), report_year=2023))
    archive.record(report(old, report_text("旧报告"), report_year=2018, at=T0 - dt.timedelta(days=400)))
    archive.record(report(old, report_text("旧报告"), report_year=2018, at=T0 - dt.timedelta(hours=1)))
    assert archive.recheck_due("sim_trs_0001", T0 + dt.timedelta(hours=12)) == []
    # A day later only the report first seen recently is due; the old one waits two weeks.
    assert archive.recheck_due("sim_trs_0001", T0 + dt.timedelta(days=1)) == [fresh]
    # Two weeks on both are due, the one unseen the longest first.
    assert archive.recheck_due("sim_trs_0001", T0 + dt.timedelta(days=15)) == [old, fresh]
    assert archive.recheck_due("another_portal", T0 + dt.timedelta(days=15)) == []


def test_runs_and_portals_are_recorded(archive: Archive, engine: Engine) -> None:
    portal_id = archive.upsert_portal("sim_trs_0001", title="汉中市汉台区人民政府", family="trs", region_code="610702",
                                      config={"start_urls": ["http://127.1.0.1:8800/"]})
    assert archive.upsert_portal("sim_trs_0001", title="汉台区人民政府", family="trs") == portal_id
    run_id = archive.start_run("sim_trs_0001", command="crawler crawl sim_trs_0001", started_at=T0)
    result = archive.record(report(URL, report_text("汉台区"), run_id=run_id))
    archive.finish_run(run_id, {"pages": 3, "new_documents": 1, "finished": T0}, "finished")
    with Session(engine) as session:
        run = session.scalars(select(Run)).one()
        document_portal = session.get_one(Document, result.document_id).portal_id
    assert (run.status, run.stats["pages"], run.stats["finished"]) == ("finished", 3, str(T0))
    assert run.finished_at is not None and document_portal == portal_id


def test_a_portal_run_opens_with_its_portal_and_the_status_of_the_run_before(archive: Archive, engine: Engine) -> None:
    # The crawl decides from that status whether the last crawl of the portal ended cleanly.
    first, before_first = archive.open_portal_run("sim_trs_0001", title="汉台区人民政府", family="trs",
                                                  region_code="610702", command="crawler crawl --all", started_at=T0)
    # The first never finished; the config has been edited since (the portal row follows it).
    second, before_second = archive.open_portal_run("sim_trs_0001", title="汉台区政府", family="generic",
                                                    region_code="610702", started_at=T0)
    archive.finish_run(second, {}, "finished")
    third, before_third = archive.open_portal_run("sim_trs_0001", title="汉台区政府", family="generic",
                                                  region_code="610702", started_at=T0)
    other, before_other = archive.open_portal_run("sim_hanweb_0002", family="hanweb", started_at=T0)
    assert (before_first, before_second, before_third, before_other) == (None, "running", "finished", None)
    with Session(engine) as session:
        runs = {run.id: run for run in session.scalars(select(Run))}
        portal = session.scalars(select(Portal).where(Portal.name == "sim_trs_0001")).one()
    assert sorted(runs) == sorted({first, second, third, other})
    assert (runs[first].portal, runs[first].command, runs[first].status) == ("sim_trs_0001", "crawler crawl --all", "running")
    assert (portal.title, portal.family, portal.region_code) == ("汉台区政府", "generic", "610702")


def test_a_batch_gives_each_page_the_outcome_recording_it_alone_would(archive: Archive, engine: Engine) -> None:
    edited = report_text("汉台区", paragraphs=30).replace("第7项", "第七项（修订）")
    pages = [
        report(URL, report_text("汉台区", paragraphs=30)),
        report(URL, report_text("汉台区", paragraphs=30), at=T0 + dt.timedelta(hours=1)),
        report(MIRROR, report_text("汉台区", paragraphs=30)),
        report(URL + "?near", edited),
        report(URL, report_text("汉台区", paragraphs=30) + "\n补充说明。", region_code="610702"),
    ]
    results = archive.record_many(pages)
    assert [r.outcome for r in results] == [
        Outcome.NEW_DOCUMENT, Outcome.UNCHANGED, Outcome.DUPLICATE, Outcome.NEW_DOCUMENT, Outcome.NEW_VERSION]
    first = results[0].document_id
    assert results[2].duplicate_of == first and results[3].near_duplicate_of == first and results[4].document_id == first
    assert (count(engine, Document), count(engine, Version), count(engine, Content), count(engine, Fetch)) == (2, 3, 3, 5)
    with engine.connect() as connection:
        assert connection.execute(select(Document.latest_seq, Document.region_code).where(Document.id == first)).one() == (2, "610702")


def test_a_batch_with_a_failing_page_records_none_of_it(archive: Archive, engine: Engine) -> None:
    good = report(URL, report_text("汉台区"))
    broken = dataclasses.replace(report(MIRROR, report_text("勉县")), text=None)
    with pytest.raises(TypeError):
        archive.record_many([good, broken])
    assert (count(engine, Document), count(engine, Version), count(engine, Content), count(engine, Fetch)) == (0, 0, 0, 0)
    # The same pages, the broken one fixed, then record as if nothing had happened.
    assert [r.outcome for r in archive.record_many([good, report(MIRROR, report_text("勉县"))])] == [
        Outcome.NEW_DOCUMENT, Outcome.NEW_DOCUMENT]
