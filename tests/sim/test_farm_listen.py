"""``listen()`` serves the farm inside a reactor someone else runs (as ``crawler demo`` does with Scrapy's)."""

from __future__ import annotations

import subprocess
import sys

from tests.farm import fetch, parse_ready_line

# Scrapy's default reactor; the farm must not need its own.
SCRIPT = """
from scrapy.utils.reactor import install_reactor
install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
from twisted.internet import reactor
from crawler.sim import Farm
from crawler.sim.server import listen

listening = listen(lambda port: Farm(2, 4, 0, port), reactor, port=0)
reactor.callWhenRunning(lambda: print(listening.ready_line(), flush=True))
reactor.callLater(30, reactor.stop)
reactor.run()
"""


def test_listen_runs_inside_an_asyncio_reactor():
    process = subprocess.Popen([sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, text=True)
    try:
        port, urls = parse_ready_line(process.stdout.readline().strip())
        assert port > 0 and len(urls) >= 3
        assert all(fetch(url + "robots.txt").status == 200 for url in urls)
    finally:
        process.terminate()
        process.wait(timeout=10)
