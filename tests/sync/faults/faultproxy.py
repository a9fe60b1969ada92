"""A fault-injecting HTTP/1.1 proxy on loopback, between the sync client and a hub.

Threads, stdlib only. Each client connection gets its own upstream connection and is relayed one
request/response at a time (HTTP/1.1 without pipelining, as httpx does), so the proxy knows where
each message starts and ends and can fault a chosen request:

- ``drop``: the request is forwarded and the hub's whole answer read (the hub has committed), then
  the client connection is reset: the client never reads the answer.
- ``truncate``: only the first ``at`` bytes of the answer reach the client, then a reset.
- ``garble``: ``count`` bytes of the answer's body, from ``at``, are flipped; headers stay valid.
- ``hook``: call ``hook()`` at a moment of the exchange (``when``): ``"received"`` (the request is
  in the proxy, not yet at the hub), ``"forwarded"`` (the hub is processing it), ``"answered"``
  (the hub answered, the client has nothing yet) or ``"relayed"`` (the client has the answer).
  The hook runs on the connection's thread, so a hook that sleeps delays that exchange.
  With ``withhold``, a fault at "received" then resets the client: the hub never sees the request.

A fault fires on the ``nth`` request whose path starts with ``path``, counted from when it was
armed, once. Apart from faults: ``throttle(bytes_per_second, latency, handshake_rtts)`` (a slow link,
both ways; each new connection first waits ``handshake_rtts`` round trips, as TCP and TLS would),
``go_offline()`` / ``go_online()`` (connections refused, live ones reset), and the traffic seen
(``exchanges``: method, path, request and response sizes, the request body when kept).
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

CHUNK = 1024  # bytes sent per throttled step


@dataclass
class Fault:
    action: str  # drop | truncate | garble | hook
    nth: int = 1
    path: str = "/api/v1/sync/push"
    at: int = 0  # truncate: bytes of the answer let through; garble: offset in the body
    count: int = 16  # garble: bytes flipped
    when: str = "forwarded"  # hook: received | forwarded | answered | relayed
    hook: Callable[[], None] | None = None
    withhold: bool = False  # hook at "received": then reset, the request never reaches the hub
    seen: int = 0
    fired: bool = False


@dataclass
class Message:
    head: bytes  # start line and headers, up to and including the blank line
    body: bytes  # as framed on the wire (chunked framing kept)
    start_line: str
    headers: dict[str, str]

    @property
    def raw(self) -> bytes:
        return self.head + self.body


@dataclass
class Exchange:
    method: str
    path: str
    request_bytes: int  # head + body, as sent by the client
    request_body_bytes: int
    content_encoding: str
    response_bytes: int = 0
    status: int = 0
    fault: str = ""
    request_body: bytes | None = field(default=None, repr=False)


class UpstreamClosed(Exception):
    """The hub closed or reset the connection before a whole answer arrived."""


def _read_message(stream: BinaryIO, *, response: bool) -> Message | None:
    """One HTTP/1.1 message from ``stream``; None when the peer closed cleanly before it began."""
    head = b""
    while True:
        line = stream.readline(65537)
        if not line:
            if head:
                raise UpstreamClosed("closed in the middle of the headers")
            return None
        head += line
        if line in (b"\r\n", b"\n"):
            if head.strip():
                break
            head = b""  # stray blank line between messages
    lines = head.decode("latin-1").split("\r\n")
    start_line = lines[0]
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    status = int(start_line.split()[1]) if response else 0
    body = b""
    if response and (status < 200 or status in (204, 304)):
        pass
    elif "chunked" in headers.get("transfer-encoding", "").lower():
        while True:
            size_line = stream.readline(65537)
            if not size_line:
                raise UpstreamClosed("closed in the middle of a chunked body")
            body += size_line
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while True:  # trailers, up to the blank line
                    trailer = stream.readline(65537)
                    body += trailer
                    if trailer in (b"\r\n", b"\n", b""):
                        break
                break
            chunk = stream.read(size + 2)
            if len(chunk) < size + 2:
                raise UpstreamClosed("closed in the middle of a chunk")
            body += chunk
    elif "content-length" in headers:
        length = int(headers["content-length"])
        body = stream.read(length)
        if len(body) < length:
            raise UpstreamClosed("closed in the middle of the body")
    elif response:
        body = stream.read()  # framed by the end of the connection
    return Message(head, body, start_line, headers)


def _reset(sock: socket.socket, stream: BinaryIO | None = None) -> None:
    """Close with a TCP reset, as a dropped link or a killed peer looks to the other side.

    The descriptor closes only when its makefile() stream is closed too, hence ``stream``.
    """
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    if stream is not None:
        stream.close()
    sock.close()


class FaultProxy:
    """``FaultProxy(("127.0.0.1", hub_port))``; ``.url`` is what the client talks to."""

    def __init__(self, upstream: tuple[str, int], *, keep_bodies: bool = False):
        self.upstream = upstream
        self.keep_bodies = keep_bodies
        self.faults: list[Fault] = []
        self.exchanges: list[Exchange] = []
        self.bytes_per_second: float | None = None
        self.latency = 0.0
        self.handshake_rtts = 0
        self.connections = 0  # client connections accepted
        self._lock = threading.Lock()
        self._live: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self.port = 0
        self._listen()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- control ---------------------------------------------------------------------------------

    def arm(self, *faults: Fault) -> None:
        with self._lock:
            self.faults.extend(faults)

    def fired(self) -> list[Fault]:
        with self._lock:
            return [f for f in self.faults if f.fired]

    def throttle(self, bytes_per_second: float | None, latency: float = 0.0, handshake_rtts: int = 0) -> None:
        """A slow link: at most ``bytes_per_second`` each way, ``latency`` seconds added each way, and
        ``handshake_rtts`` round trips before a new connection carries anything (TCP 1, TLS 1.3 1 more)."""
        self.bytes_per_second = bytes_per_second
        self.latency = latency
        self.handshake_rtts = handshake_rtts

    def clear(self) -> None:
        """Back to a clean pass-through (faults not yet fired are dropped)."""
        with self._lock:
            self.faults.clear()
        self.throttle(None)

    def go_offline(self) -> None:
        """Refuse new connections (nothing listens on the port) and reset the live ones."""
        listener, self._listener = self._listener, None
        if listener is not None:
            try:  # wakes the thread blocked in accept(), which close() alone does not on Linux
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()
        with self._lock:
            live, self._live = self._live, set()
        for sock in live:  # their threads hold the descriptors: wake them, they close with a reset
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def go_online(self) -> None:
        if self._listener is None:
            self._listen(self.port)

    def close(self) -> None:
        self.go_offline()

    # --- relaying --------------------------------------------------------------------------------

    def _listen(self, port: int = 0) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # the listener was closed: offline
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._live.add(client)
                self.connections += 1
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _send(self, sock: socket.socket, data: bytes) -> None:
        rate = self.bytes_per_second
        if not rate:
            sock.sendall(data)
            return
        for start in range(0, len(data), CHUNK):
            piece = data[start : start + CHUNK]
            sock.sendall(piece)
            time.sleep(len(piece) / rate)

    def _next_fault(self, path: str) -> Fault | None:
        with self._lock:
            chosen = None
            for fault in self.faults:
                if fault.fired or not path.startswith(fault.path):
                    continue
                fault.seen += 1
                if fault.seen == fault.nth and chosen is None:
                    fault.fired = True
                    chosen = fault
            return chosen

    def _serve(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        upstream_stream = None
        client_stream = client.makefile("rb")
        if self.handshake_rtts and self.latency:
            time.sleep(self.handshake_rtts * 2 * self.latency)
        try:
            while True:
                request = _read_message(client_stream, response=False)
                if request is None:
                    return
                method, path = (request.start_line.split() + ["", ""])[:2]
                exchange = Exchange(
                    method,
                    path,
                    len(request.raw),
                    len(request.body),
                    request.headers.get("content-encoding", "identity"),
                    request_body=request.body if self.keep_bodies else None,
                )
                with self._lock:
                    self.exchanges.append(exchange)
                fault = self._next_fault(path)
                if fault:
                    exchange.fault = fault.action + (f"@{fault.when}" if fault.action == "hook" else "")

                def hook(moment: str) -> None:
                    if fault and fault.action == "hook" and fault.when == moment and fault.hook:
                        fault.hook()

                hook("received")
                if fault and fault.withhold:
                    _reset(client, client_stream)
                    return
                if self.latency:
                    time.sleep(self.latency)
                if upstream is None:
                    try:
                        upstream = socket.create_connection(self.upstream, timeout=120)
                    except OSError:
                        _reset(client, client_stream)  # the hub is down: the client sees its connection reset
                        return
                    upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    upstream_stream = upstream.makefile("rb")
                self._send(upstream, request.raw)
                hook("forwarded")
                try:
                    answer = _read_message(upstream_stream, response=True)
                except (UpstreamClosed, OSError):
                    answer = None
                if answer is None:
                    _reset(client, client_stream)
                    return
                exchange.status = int(answer.start_line.split()[1])
                exchange.response_bytes = len(answer.raw)
                hook("answered")
                raw = answer.raw
                if fault and fault.action == "drop":
                    _reset(client, client_stream)
                    return
                if fault and fault.action == "truncate":
                    self._send(client, raw[: fault.at])
                    _reset(client, client_stream)
                    return
                if fault and fault.action == "garble":
                    body = bytearray(answer.body)
                    for i in range(fault.at, min(fault.at + fault.count, len(body))):
                        body[i] ^= 0x5A
                    raw = answer.head + bytes(body)
                if self.latency:
                    time.sleep(self.latency)
                self._send(client, raw)
                hook("relayed")
                if answer.headers.get("connection", "").lower() == "close":
                    return
        except OSError:
            return
        finally:
            with self._lock:
                self._live.discard(client)
            for sock, stream in ((client, client_stream), (upstream, upstream_stream)):
                if sock is not None:
                    try:
                        stream.close()
                        sock.close()
                    except OSError:
                        pass
