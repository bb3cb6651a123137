"""Nightly re-harvesting with APScheduler: the daemon behind ``crawler schedule run``.

The modules, in the order a night goes:

* :mod:`scheduler.lock`: one active scheduler per archive (advisory lock / lock file);
* :mod:`scheduler.jobs`: job ids, triggers, the job table in the archive database;
* :mod:`scheduler.daemon`: the BlockingScheduler, its start-up and its clean stop;
* :mod:`scheduler.harvest`: the job function, which runs one crawl as a child process;
* :mod:`scheduler.child`: child processes with time limits, and how they ended;
* :mod:`scheduler.history`: job runs in the archive's ``runs`` table;
* :mod:`scheduler.health`: per-portal health and flags for ``crawler status``.

Nothing here imports Scrapy or Twisted; see "The nightly scheduler" in docs/operations.md.
"""
