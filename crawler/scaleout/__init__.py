"""Scale-out: crawl workers on several machines share one run through Redis and one archive in PostgreSQL.

:mod:`crawler.scaleout.runstate` keeps a run in Redis (its portals by phase, the leases of the
portals being crawled, their summaries, the workers' heartbeats); :mod:`crawler.scaleout.worker`
is the process that takes portals from it and crawls each with Scrapy, the frontier in Redis
through scrapy-redis's scheduler and dupefilter. docs/scale-out.md explains the design.
"""
