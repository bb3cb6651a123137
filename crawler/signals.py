"""The project's own Scrapy signals (sent through ``crawler.signals``, like Scrapy's).

Scrapy signals are plain objects compared by identity; receivers connect with
``crawler.signals.connect(handler, signal=list_parsed)``.
"""

# Sent by a portal spider for every list page it reads, before it follows anything:
# ``spider``, ``response``, ``items`` (the article links of the page's main list, in page
# order, as ``spiders.base.ListLink``), ``next`` (the URLs of every further list page the
# spider derived from this page — pager pages and columns — whether or not it fetches them
# now) and ``family`` (the family whose reader read the page). ``crawler portal check`` shows
# them; a crawl ignores them.
list_parsed = object()
