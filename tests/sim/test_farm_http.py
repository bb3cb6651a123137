"""HTTP behaviour of the farm: validators and 304s, per-request chrome, robots.txt, 404s, encodings."""

from __future__ import annotations

import tomllib

import lxml.html

from tests.farm import fetch


def _first_report(farm, body: str = "html") -> dict:
    return next(r for r in farm.manifest()["reports"] if r["body"] == body)


def test_etag_and_last_modified_come_from_content_not_chrome(farm):
    url = _first_report(farm)["url"]
    first, second = fetch(url), fetch(url)
    assert first.status == second.status == 200
    assert first.body != second.body, "per-request chrome (counter, related links) should differ"
    assert first.headers["etag"] == second.headers["etag"]
    assert first.headers["last-modified"] == second.headers["last-modified"]


def test_conditional_requests_answer_304(farm):
    url = _first_report(farm)["url"]
    full = fetch(url)
    by_etag = fetch(url, {"If-None-Match": full.headers["etag"]})
    assert (by_etag.status, by_etag.body) == (304, b"")
    assert by_etag.headers["etag"] == full.headers["etag"]
    by_date = fetch(url, {"If-Modified-Since": full.headers["last-modified"]})
    assert by_date.status == 304
    stale = fetch(url, {"If-None-Match": '"not-the-etag"'})
    assert stale.status == 200 and stale.body
    older = fetch(url, {"If-Modified-Since": "Mon, 01 Jan 2018 00:00:00 GMT"})
    assert older.status == 200


def test_attachments_are_stable_files_with_validators(farm):
    report = _first_report(farm, "pdf")
    url = report["attachments"][0]
    first, second = fetch(url), fetch(url)
    assert first.body == second.body and first.body.startswith(b"%PDF-")
    assert fetch(url, {"If-None-Match": first.headers["etag"]}).status == 304


def test_each_portal_has_its_own_robots_txt(farm):
    bodies = [fetch(base + "robots.txt") for base in farm.base_urls]
    assert all(b.status == 200 and b.body.startswith(b"User-agent: *") for b in bodies)
    disallowing = [b for b in bodies if b"Disallow: /search/" in b.body]
    assert disallowing and len(disallowing) < len(bodies)
    for base, robots in zip(farm.base_urls, bodies):
        if b"Disallow: /search/" in robots.body:
            assert fetch(base + "search/index.html").status == 200  # holds a search form, no reports


def test_unknown_paths_are_404_pages(farm):
    answer = fetch(farm.base_urls[0] + "no/such/page.html")
    assert answer.status == 404


def test_encodings_decode_as_documented(farm):
    manifest = farm.manifest()
    configs = {name.removesuffix(".toml"): tomllib.loads(text) for name, text in farm.farm.portal_configs().items()}
    seen = set()
    for portal in manifest["portals"]:
        answer = fetch(portal["base_url"])
        config = configs[portal["name"]]
        text = answer.body.decode(portal["encoding"])  # the true encoding always decodes
        assert config["title"] in lxml.html.document_fromstring(text).findtext(".//title")
        declared = portal["declared_encoding"]
        header = answer.headers["content-type"]
        meta = lxml.html.document_fromstring(answer.body).xpath("//meta[@charset or @http-equiv]")
        if declared is None:
            assert "charset" not in header and not meta
        elif declared.replace("gb2312", "gbk") != portal["encoding"].replace("gb2312", "gbk"):
            # a lying declaration: decoding by it does not give the portal's name
            assert config["title"] not in answer.body.decode(declared, errors="replace")
        lying = declared is None or declared.replace("gb2312", "gbk") != portal["encoding"].replace("gb2312", "gbk")
        assert config.get("encoding") == (portal["encoding"] if lying else None)
        seen.add((portal["encoding"], declared, "charset" in header))
    encodings = {e for e, _, _ in seen}
    assert {"utf-8", "gbk", "gb2312"} <= encodings
    assert (("gbk", None, False)) in seen, "a GBK portal without any charset declaration"
    assert any(e == "gbk" and d == "utf-8" for e, d, _ in seen), "a GBK portal claiming UTF-8"
    assert any(not h and d for _, d, h in seen), "a portal declaring its charset only in <meta>"


def test_hanweb_data_proxy_accepts_post_like_get(farm):
    manifest = farm.manifest()
    portal = next(p for p in manifest["portals"] if p["family"] == "hanweb" and p["kind"] == "county")
    column = lxml.html.document_fromstring(fetch(portal["base_url"]).body).xpath("//div[@class='nav']//a/@href")[1]
    columnid = column.split("/col/col")[1].split("/")[0]
    query = f"columnid={columnid}&startrecord=1&endrecord=12&perpage=4"
    got = fetch(f"{portal['base_url']}module/web/jpage/dataproxy.jsp?{query}")
    posted = fetch(f"{portal['base_url']}module/web/jpage/dataproxy.jsp", method="POST", body=query.encode(),
                   headers={"Content-Type": "application/x-www-form-urlencoded", "X-Requested-With": "XMLHttpRequest"})
    assert got.status == posted.status == 200
    assert got.body == posted.body and got.body.count(b"<record>") == 12
