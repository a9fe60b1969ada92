"""The clinic's HTTP client for clinic-hub (docs/protocol.md): one method per endpoint.

Every failure becomes a ``HubError`` whose ``problem`` names what went wrong in terms a doctor can
act on (no network name, nobody listening, certificate, too slow, token...), so the sync engine and
``clinic-tui sync --check`` can explain it in plain words. No UI and no database here.
"""

from __future__ import annotations

import gzip
import socket
import ssl
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar
from urllib.parse import urlsplit

if "httpx" not in sys.modules:
    # httpx imports its own command-line client (click, rich, pygments: a third of its import time)
    # whenever those are installed, as Textual installs them. Nothing here runs it: marking the
    # module absent makes httpx define a stub instead (its documented fallback when they are not).
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
import httpx

from clinic_tui.sync.answers import HubNumbers, PullPage, PushAnswer, read_numbers, read_pull_page, read_push_answer
from clinic_tui.sync.credentials import is_loopback
from clinic_tui.sync.wire_rules import API_PREFIX, API_VERSION, COMPACT_PUSH

if TYPE_CHECKING:
    # The pydantic models are imported where an answer is read with them: a sync with nothing to
    # send reads its one answer with ``sync.answers`` and never loads pydantic (issue 19).
    from pydantic import BaseModel

    from clinic_tui.sync.wire import AttachmentStatus, HealthResponse, OwnClinic, OwnPage

    _Model = TypeVar("_Model", bound=BaseModel)

_Answer = TypeVar("_Answer")

# A 2G link: a connection may take seconds to set up and a batch answer a minute to come back.
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0

PROBLEMS = ("dns", "refused", "tls", "timeout", "damaged", "auth", "forbidden", "too_old", "http", "protocol")
# Problems of the network path: the sync is "offline", try again later. "damaged": an answer that
# arrived corrupt (bad gzip, not JSON, not the expected shape), like a cut connection.
OFFLINE_PROBLEMS = frozenset({"dns", "refused", "tls", "timeout", "damaged"})
# A request whose answer was lost or damaged on the way may be sent again unchanged.
RESENDABLE_PROBLEMS = frozenset({"timeout", "refused", "damaged"})


class HubError(Exception):
    """A request that did not get a usable answer. ``problem`` is one of ``PROBLEMS``.

    ``status`` is the HTTP status when there was one; ``code`` and ``detail`` the hub's error code
    and message (ErrorResponse), if it sent them.
    """

    def __init__(self, problem: str, detail: str = "", *, status: int | None = None, code: str | None = None):
        super().__init__(f"{problem}: {detail}" if detail else problem)
        self.problem = problem
        self.detail = detail
        self.status = status
        self.code = code

    @property
    def offline(self) -> bool:
        return self.problem in OFFLINE_PROBLEMS


class OldHub(HubError):
    """The hub refused a parameter of a later protocol revision (422): ask the older way."""

    def __init__(self, parameter: str):
        super().__init__("too_old", parameter, status=422, code="invalid_request")


class BatchTooLarge(HubError):
    """413: the batch has too many records or too many bytes; send it in halves."""


class PushBody(bytes):
    """A push body as sent (gzip), knowing its batch id: an answer naming another batch is not an
    answer to it (``Pusher`` resends it, as it does a damaged answer)."""

    batch_id: str


def encode_batch(records: Sequence[bytes | str]) -> PushBody:
    """A push body: a new batch id and the records (each a wire record as JSON, UTF-8 bytes as
    ``outbox.build_batch`` reads them, or text), gzip level 6: a tenth of the plain size, for a third
    of the CPU of level 9. Resending these bytes resends the same batch id."""
    batch_id = uuid.uuid4().hex
    texts = [record.encode() if isinstance(record, str) else record for record in records]
    body = PushBody(gzip.compress(b'{"batch_id":"%s","records":[%s]}' % (batch_id.encode(), b",".join(texts)), 6))
    body.batch_id = batch_id
    return body


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def classify_transport_error(exc: httpx.TransportError) -> HubError:
    """What a failed connection means, found in the chain of exceptions under httpx's."""
    if isinstance(exc, httpx.TimeoutException):
        return HubError("timeout", type(exc).__name__)
    for cause in _causes(exc):
        if isinstance(cause, socket.gaierror):
            return HubError("dns", str(cause))
        if isinstance(cause, ssl.SSLError):
            return HubError("tls", getattr(cause, "verify_message", None) or str(cause))
        if isinstance(cause, ConnectionRefusedError):
            return HubError("refused", str(cause))
    text = str(exc)
    lowered = text.lower()
    if (
        "name or service not known" in lowered
        or "nodename nor servname" in lowered
        or "getaddrinfo" in lowered
        or "name resolution" in lowered
        or "no address associated" in lowered
    ):
        return HubError("dns", text)
    if "certificate" in lowered or "ssl" in lowered or "tls" in lowered:
        return HubError("tls", text)
    # Refused, reset or cut mid-answer: nobody (or nothing that stays) at the other end.
    return HubError("refused", text or type(exc).__name__)


class HubClient:
    """Talks to one hub with one clinic token. Use as a context manager, or call ``close()``."""

    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        ca_bundle: Path | str | None = None,
        proxy: str | None = None,
        language: str = "zh",
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ):
        headers = {"Accept-Encoding": "gzip", "Accept-Language": language, "User-Agent": "clinic-tui"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        verify: Any = True
        if base_url.startswith("https") and ca_bundle:
            verify = ssl.create_default_context(cafile=str(ca_bundle))
        elif not base_url.startswith("https"):
            verify = False  # plain http (loopback, or explicitly allowed): nothing to verify
            if is_loopback(urlsplit(base_url).hostname):
                # Plain http is allowed to this machine only: through a proxy it would cross the
                # network unencrypted (and reach the proxy's own loopback). Never proxied.
                proxy = None
        self.base_url = base_url.rstrip("/")
        # The hub's protocol revision as its latest push or pull answer named it (None: it named
        # none, a hub before revision 3 for a push, before 4 for a pull). A sync keeps it with the
        # hub's numbers: whether the next one may push an edit without comparing first.
        self.protocol_revision: int | None = None
        self._http = httpx.Client(
            base_url=self.base_url + API_PREFIX,
            headers=headers,
            verify=verify,
            proxy=proxy or None,
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            transport=transport,
            trust_env=False,
        )

    def __enter__(self) -> HubClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- endpoints --------------------------------------------------------------------------------
    def health(self) -> HealthResponse:
        """The hub's API version and epoch (no token needed). Refuses a hub speaking another API."""
        from clinic_tui.sync.wire import HealthResponse

        # An answer that is not a health document: not a clinic-hub (or one from before this API).
        health = self._parse(HealthResponse, self._send("GET", "/health"), problem="protocol")
        if health.api_version != API_VERSION:
            raise HubError("too_old", f"api_version {health.api_version!r}, this clinic speaks {API_VERSION!r}")
        return health

    def push(self, body: bytes, *, compact: bool = False) -> PushAnswer:
        """Send one batch made by ``encode_batch``. Raises ``BatchTooLarge`` on 413.

        ``compact`` asks for the answer of protocol revision 3 (``Prefer: return=minimal``): the
        records the hub took plainly come back as a count and a hash (``answer.confirmed``), which
        the caller must check against what it sent (``outbox.confirmed_items``). A hub before
        revision 3 ignores the header and answers per record (``confirmed`` is None)."""
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        if compact:
            headers["Prefer"] = COMPACT_PUSH
        answer = self._read(read_push_answer, self._send("POST", "/sync/push", content=body, headers=headers))
        self.protocol_revision = answer.protocol_revision
        return answer

    def pull(self, cursor: str | None, limit: int, *, with_reconcile: bool = False) -> PullPage:
        """A page of the hub's changes; ``with_reconcile`` asks the last page to carry the reconcile
        numbers too (protocol revision 2: a hub before it answers 422, see ``OldHub``)."""
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        if with_reconcile:
            params["with_reconcile"] = "true"
        try:
            response = self._send("GET", "/sync/pull", params=params)
        except HubError as exc:
            if with_reconcile and exc.status == 422 and exc.code == "invalid_request":
                raise OldHub("with_reconcile") from exc
            raise
        page = self._read(read_pull_page, response)
        self.protocol_revision = page.protocol_revision
        return page

    def own(self, kind: str, after: str | None, limit: int) -> OwnPage:
        """A page of this clinic's own records as the hub holds them (after a restore)."""
        from clinic_tui.sync.wire import OwnPage

        params: dict[str, Any] = {"kind": kind, "limit": limit}
        if after:
            params["after"] = after
        return self._parse(OwnPage, self._send("GET", "/sync/own", params=params))

    def own_clinic(self) -> OwnClinic:
        """Who this clinic is on the hub (code, name, the clinic id of its records): for a rebuild."""
        from clinic_tui.sync.wire import OwnClinic

        return self._parse(OwnClinic, self._send("GET", "/sync/own/clinic"))

    def reconcile(self) -> HubNumbers:
        """The hub's numbers of this clinic's records. Refuses a hub speaking another API (a sync
        may start here instead of at GET /health)."""
        numbers = self._read(read_numbers, self._send("GET", "/sync/reconcile"))
        if numbers.api_version not in (None, API_VERSION):  # None: a hub before protocol revision 2
            raise HubError("too_old", f"api_version {numbers.api_version!r}, this clinic speaks {API_VERSION!r}")
        return numbers

    def declare_attachment(self, sha256: str, size: int, media_type: str) -> AttachmentStatus:
        """Start (or resume) the upload of a file: the hub answers the chunks it still lacks."""
        from clinic_tui.sync.wire import AttachmentStatus

        body = {"size": size, "media_type": media_type}
        return self._parse(AttachmentStatus, self._send("PUT", f"/attachments/{sha256}", json=body))

    def put_chunk(self, sha256: str, index: int, data: bytes) -> AttachmentStatus:
        """Send one chunk as it is in the file (never compressed: the bytes travel as taken)."""
        from clinic_tui.sync.wire import AttachmentStatus

        response = self._send(
            "PUT",
            f"/attachments/{sha256}/chunks/{index}",
            content=data,
            headers={"Content-Type": "application/octet-stream"},
        )
        return self._parse(AttachmentStatus, response)

    def download_attachment(self, sha256: str, write: Callable[[bytes], None]) -> None:
        """The bytes of one of this clinic's own complete files, given to ``write`` as they come
        (tens of MB are never held whole); raises HubError (code ``attachment_not_found`` when the
        hub holds no complete copy of it from this clinic). The caller checks the hash."""
        try:
            # Asked as they are: the hub never compresses them, and nothing is to be inflated.
            headers = {"Accept-Encoding": "identity"}
            with self._http.stream("GET", f"/attachments/{sha256}/content", headers=headers) as response:
                if response.status_code >= 400:
                    response.read()
                    self._refuse(response)
                for block in response.iter_raw():
                    write(block)
        except httpx.TransportError as exc:
            raise classify_transport_error(exc) from exc

    # --- plumbing ---------------------------------------------------------------------------------
    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise classify_transport_error(exc) from exc
        except httpx.DecodingError as exc:  # a corrupt gzip body: the transfer was damaged
            raise HubError("damaged", str(exc)[:200]) from exc
        if response.status_code < 400:
            return response
        self._refuse(response)

    @staticmethod
    def _refuse(response: httpx.Response) -> NoReturn:
        """The HubError an answer of 400 or more stands for."""
        code, detail = _error_body(response)
        status = response.status_code
        if status == 401:
            raise HubError("auth", detail, status=status, code=code)
        if status == 403:
            raise HubError("forbidden", detail, status=status, code=code)
        if status == 413:
            raise BatchTooLarge("http", detail, status=status, code=code)
        if status == 404:
            # No such endpoint: a hub from before this API (or not a clinic-hub at all).
            raise HubError("too_old", detail or "404", status=status, code=code)
        raise HubError("http", detail or str(status), status=status, code=code)

    @staticmethod
    def _parse(model: type[_Model], response: httpx.Response, *, problem: str = "damaged") -> _Model:
        """The answer as ``model``. From an endpoint that answered 200, a body that is not JSON or
        not of this shape is a damaged transfer (resent), not a hub of another version."""
        from pydantic import ValidationError

        try:
            return model.model_validate_json(response.content)
        except (ValidationError, ValueError) as exc:
            raise HubError(problem, f"{model.__name__}: {str(exc)[:200]}", status=response.status_code) from exc

    @staticmethod
    def _read(reader: Callable[[bytes], _Answer], response: httpx.Response) -> _Answer:
        """The answer read by one of ``sync.answers``' readers (no pydantic); damaged if not of its shape."""
        try:
            return reader(response.content)
        except ValueError as exc:  # json.JSONDecodeError and pydantic's ValidationError are ValueErrors
            raise HubError("damaged", f"{reader.__name__}: {str(exc)[:200]}", status=response.status_code) from exc


def _error_body(response: httpx.Response) -> tuple[str | None, str]:
    try:
        body = response.json()
    except ValueError:
        return None, response.text[:200]
    if isinstance(body, dict):
        return body.get("code"), str(body.get("message") or "")
    return None, str(body)[:200]
