"""The hub's answers as the clinic's sync reads them, without pydantic: push answers, reconcile
numbers and pull pages.

A sync with nothing to send is one exchange: a pull page with no changes that carries the reconcile
numbers (docs/sync.md, "Exchanges"). Reading it through the pydantic models of ``sync.wire`` meant
importing pydantic and building the models' validators, most of that process's CPU beside Python
itself (issue 19); a day's push paid the same to read its answers. These readers check the same
shape as the wire models by hand with the standard library's JSON;
a page that brings changes is still read by ``wire.PullResponse`` (imported then), since applying
them uses its typed records. An answer that is not of this shape raises ``ValueError``: the client
turns it into a damaged transfer, as it does a pydantic ``ValidationError``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clinic_tui.sync.wire import PullChange


_STATUSES = frozenset({"accepted", "duplicate", "rejected", "conflict"})


@dataclass(frozen=True, slots=True)
class RecordAnswer:
    """The hub's answer about one record (``wire.RecordResult``)."""

    id: str
    kind: str | None
    revision: int | None
    status: str
    hub_revision: int | None = None
    code: str | None = None
    message: str | None = None
    params: dict[str, str] | None = None


@dataclass(frozen=True)
class ConfirmedNumbers:
    """What a compact push answer confirms without listing it (``wire.Confirmed``)."""

    count: int
    hash: str
    accepted: int
    duplicate: int


@dataclass(frozen=True)
class PushAnswer:
    """``POST /sync/push`` (``wire.PushResponse``)."""

    batch_id: str
    epoch: str
    replayed: bool
    results: list[RecordAnswer]
    confirmed: ConfirmedNumbers | None = None
    protocol_revision: int | None = None


@dataclass(frozen=True)
class KindNumbers:
    """What the hub holds of one kind from this clinic (``wire.KindSummary``)."""

    count: int
    hash: str


@dataclass(frozen=True)
class HubNumbers:
    """``GET /sync/reconcile`` (``wire.ReconcileResponse``)."""

    epoch: str
    kinds: dict[str, KindNumbers]
    api_version: str | None = None


@dataclass(frozen=True)
class PullPage:
    """``GET /sync/pull`` (``wire.PullResponse``)."""

    changes: list[PullChange]
    next_cursor: str
    has_more: bool
    epoch: str
    reconcile: HubNumbers | None = None
    protocol_revision: int | None = None  # the hub's (protocol revision 4; absent before)


def _field(document: dict[str, Any], name: str, kind: type | tuple[type, ...], *, optional: bool = False) -> Any:
    value = document.get(name)
    if value is None and optional:
        return None
    # bool is an int to Python, not to JSON Schema: a count of ``true`` is not a count.
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise ValueError(f"{name}: expected {getattr(kind, '__name__', kind)}")
    return value


def _object(content: bytes | dict[str, Any]) -> dict[str, Any]:
    document = json.loads(content) if isinstance(content, bytes | bytearray) else content
    if not isinstance(document, dict):
        raise ValueError("expected an object")
    return document


def _record_answer(value: Any) -> RecordAnswer:
    result = _object(value)
    status = _field(result, "status", str)
    if status not in _STATUSES:
        raise ValueError(f"status: {status[:40]!r}")
    params = _field(result, "params", dict, optional=True)
    if params is not None and not all(isinstance(v, str) for v in params.values()):
        raise ValueError("params: text values expected")
    return RecordAnswer(
        _field(result, "id", str),
        _field(result, "kind", str, optional=True),
        _field(result, "revision", int, optional=True),
        status,
        _field(result, "hub_revision", int, optional=True),
        _field(result, "code", str, optional=True),
        _field(result, "message", str, optional=True),
        params,
    )


def read_push_answer(content: bytes) -> PushAnswer:
    document = _object(content)
    confirmed = _field(document, "confirmed", dict, optional=True)
    if confirmed is not None:
        confirmed = ConfirmedNumbers(
            _field(confirmed, "count", int),
            _field(confirmed, "hash", str),
            _field(confirmed, "accepted", int),
            _field(confirmed, "duplicate", int),
        )
    return PushAnswer(
        _field(document, "batch_id", str),
        _field(document, "epoch", str),
        bool(_field(document, "replayed", bool, optional=True)),
        [_record_answer(result) for result in _field(document, "results", list)],
        confirmed,
        _field(document, "protocol_revision", int, optional=True),
    )


def read_numbers(content: bytes | dict[str, Any]) -> HubNumbers:
    document = _object(content)
    kinds: dict[str, KindNumbers] = {}
    for kind, summary in _field(document, "kinds", dict).items():
        summary = _object(summary)
        kinds[kind] = KindNumbers(_field(summary, "count", int), _field(summary, "hash", str))
    return HubNumbers(_field(document, "epoch", str), kinds, _field(document, "api_version", str, optional=True))


def read_pull_page(content: bytes) -> PullPage:
    document = _object(content)
    changes = _field(document, "changes", list)
    if changes:  # the records to apply, typed as the ORM writes them
        from clinic_tui.sync.wire import PullResponse

        typed = PullResponse.model_validate_json(content).changes
    else:
        typed = []
    numbers = _field(document, "reconcile", dict, optional=True)
    return PullPage(
        typed,
        _field(document, "next_cursor", str),
        _field(document, "has_more", bool),
        _field(document, "epoch", str),
        None if numbers is None else read_numbers(numbers),
        _field(document, "protocol_revision", int, optional=True),
    )
