"""Serving the farm over HTTP with Twisted: one process, one listener per portal address.

Every portal has its own loopback address on the one port, so to Scrapy each is its own
site (own host, own robots.txt, own per-domain concurrency) without touching /etc/hosts;
Linux routes the whole of 127.0.0.0/8 to the loopback interface.

:func:`listen` binds on a given reactor without running it (a program can serve the farm
inside a reactor it runs itself); :func:`serve` is the blocking form behind
``crawler sim serve``, which ``crawler demo`` and the tests start as a child process.
"""

from __future__ import annotations

import functools
import json
import logging
import socket
import struct
from collections.abc import Callable
from collections import Counter
from dataclasses import dataclass
from urllib.parse import unquote

from twisted.internet import error
from twisted.internet.interfaces import IListeningPort
from twisted.web import resource, server

from crawler.sim.farm import Farm
from crawler.sim.site import PortalSite, Reply

log = logging.getLogger(__name__)

_SITE_CACHE = 256
# The only request headers the farm's answers depend on.
_CONDITIONAL = ("if-none-match", "if-modified-since")
_PORT_ATTEMPTS = 20

# The first line the server prints, the one a parent process waits for (crawler.sim.process).
READY_PREFIX = "farm ready: "
# Served on every address: the most requests each portal address ever had in flight at once
# (JSON {address: peak}), so a test can check a crawl's per-host concurrency from the server's side.
PEAK_CONCURRENCY_PATH = "/_farm/peak-concurrency"


class FarmResource(resource.Resource):
    """The one Twisted resource behind every listener: dispatches on the address that was called."""

    isLeaf = True

    def __init__(self, farm: Farm, reactor, latency: float = 0.0) -> None:
        super().__init__()
        self.farm = farm
        self.reactor = reactor
        self.latency = latency  # every answer waits this long: makes concurrent requests overlap
        self.in_flight: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()
        self.site = functools.lru_cache(maxsize=_SITE_CACHE)(self._site)
        self._fault_hits: dict[int, dict[str, int]] = {}

    def _site(self, index: int) -> PortalSite:
        return PortalSite(self.farm, self.farm.plan(index), self._fault_hits.setdefault(index, {}))

    def render(self, request: server.Request) -> bytes | int:
        spec = self.farm.spec_at(request.getHost().host)
        if spec is None:
            request.setResponseCode(421)
            return b"misdirected request"
        args = {k.decode("latin-1"): v[-1].decode("utf-8", "replace") for k, v in request.args.items()} if request.args else {}
        headers = {}
        for name in _CONDITIONAL:
            value = request.getHeader(name)
            if value is not None:
                headers[name] = value
        path = request.path.decode("latin-1")
        if path == PEAK_CONCURRENCY_PATH:
            request.setHeader(b"content-type", b"application/json")
            return json.dumps(dict(self.peak)).encode()
        if "%" in path:
            path = unquote(path)
        self._count(request, spec.address)
        reply = self.site(spec.index).handle(request.method.decode("ascii"), path, args, headers)
        if reply.delay or self.latency:
            self.reactor.callLater(max(reply.delay, self.latency), self._write, request, reply)
            return server.NOT_DONE_YET
        return self._write(request, reply, direct=True)

    def _count(self, request: server.Request, address: str) -> None:
        self.in_flight[address] += 1
        self.peak[address] = max(self.peak[address], self.in_flight[address])

        def finished(_: object) -> None:
            self.in_flight[address] -= 1

        request.notifyFinish().addBoth(finished)

    def _write(self, request: server.Request, reply: Reply, direct: bool = False) -> bytes | int:
        if reply.action == "reset":
            _reset(request)
            return server.NOT_DONE_YET
        request.setResponseCode(reply.status)
        request.responseHeaders.removeHeader(b"content-type")
        request.setHeader(b"server", b"nginx")
        for name, value in reply.headers.items():
            request.setHeader(name.encode("ascii"), value.encode("latin-1"))
        body = reply.body if isinstance(reply.body, bytes) else b""
        if reply.action == "truncate":
            request.setHeader(b"content-length", str(len(body)).encode())
            request.write(body[: len(body) // 2])
            request.transport.loseConnection()
            return server.NOT_DONE_YET
        if request.method == b"HEAD" or reply.status == 304:
            body = b""
        if direct:
            return body
        if request.channel is not None:  # the client may have given up while we were slow
            request.write(body)
            request.finish()
        return server.NOT_DONE_YET


class _QuietSite(server.Site):
    """A Site without the per-request access log: at thousands of requests/s it costs more than the page."""

    noisy = False

    def log(self, request: server.Request) -> None:
        """Access logging is off; the farm's traffic is measured by its clients."""


def _reset(request: server.Request) -> None:
    """Close with a TCP RST (SO_LINGER 0), as a crashing upstream or a middlebox does."""
    handle = request.transport.getHandle()
    handle.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    request.transport.abortConnection()


@dataclass(slots=True)
class Listening:
    """A farm bound on a reactor: the chosen port and its listeners (stop with :meth:`stop`)."""

    farm: Farm
    port: int
    listeners: list[IListeningPort]

    @property
    def base_urls(self) -> list[str]:
        return [spec.base_url + "/" for spec in self.farm.specs]

    def ready_line(self) -> str:
        """``farm ready: N portals, port P, URL URL ...`` (counties first, then city portals)."""
        return f"{READY_PREFIX}{len(self.farm.specs)} portals, port {self.port}, " + " ".join(self.base_urls)

    def stop(self) -> None:
        for listener in self.listeners:
            listener.stopListening()


def listen(farm_factory: Callable[[int], Farm], reactor, port: int = 0, latency: float = 0.0) -> Listening:
    """Bind every portal address of the farm on ``port`` (0: one free on all of them) without running the reactor.

    ``farm_factory(port)`` builds the farm once the port is known, since base URLs contain it.
    """
    attempts = _PORT_ATTEMPTS if port == 0 else 1
    for _ in range(attempts):
        chosen = port or _free_port()
        farm = farm_factory(chosen)
        site = _QuietSite(FarmResource(farm, reactor, latency))
        listeners: list[IListeningPort] = []
        try:
            for spec in farm.specs:
                listeners.append(reactor.listenTCP(chosen, site, backlog=511, interface=spec.address))
        except error.CannotListenError as exc:
            for listener in listeners:
                listener.stopListening()
            if port:
                raise OSError(f"cannot listen on {exc.interface}:{exc.port}: {exc.socketError}") from exc
            log.info("port %d busy on %s, trying another", chosen, exc.interface)
            continue
        return Listening(farm, chosen, listeners)
    raise OSError(f"no port free on all {len(farm.specs)} farm addresses after {attempts} attempts")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(farm_factory: Callable[[int], Farm], port: int = 0, on_ready: Callable[[Listening], None] | None = None,
          latency: float = 0.0) -> None:
    """Serve the farm until the process is stopped (SIGINT / SIGTERM)."""
    from twisted.internet import reactor

    _raise_fd_limit()
    listening = listen(farm_factory, reactor, port, latency)
    if on_ready is not None:
        reactor.callWhenRunning(on_ready, listening)
    reactor.run()


def _raise_fd_limit() -> None:
    """One socket per portal: lift the soft descriptor limit to the hard one."""
    import resource as rlimit

    soft, hard = rlimit.getrlimit(rlimit.RLIMIT_NOFILE)
    if soft < hard:
        rlimit.setrlimit(rlimit.RLIMIT_NOFILE, (hard, hard))
