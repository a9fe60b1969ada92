"""The shape of a push answer (docs/protocol.md, "Push" and "Compact answers").

The stored answers of a batch are the same whichever shape is asked (``PushBatch.results``, one per
record): the per-record answer lists them all; the compact answer of protocol revision 3 counts and
hashes the records taken plainly and lists only the others. A replay renders the stored answers the
way the resend asks, so the same batch asked the same way always gets the same answer.
"""

from __future__ import annotations

from typing import Any

from clinic_hub.messages import message
from clinic_tui.sync.wire import ACCEPTED, COMPACT_PUSH, DUPLICATE, PROTOCOL_REVISION, confirmation_hash


def wants_compact(prefer: str | None) -> bool:
    """Whether a ``Prefer`` header asks for the compact answer (RFC 7240: a comma-separated list of
    preferences, names case-insensitive). Anything else, or nothing, gets the per-record answer."""
    if not prefer:
        return False
    return any(part.strip().lower() == COMPACT_PUSH for part in prefer.split(","))


def _plain(a: dict[str, Any]) -> bool:
    """An answer the compact form confirms by count and hash: accepted with nothing to say, or a
    duplicate of exactly the revision sent (the clinic drops both from its outbox alike)."""
    if a["code"] is not None or a["params"] or a["kind"] is None or a["revision"] is None or not a["id"]:
        return False
    if a["status"] == ACCEPTED:
        return a["hub_revision"] is None
    return a["status"] == DUPLICATE and a["hub_revision"] == a["revision"]


def _rendered(a: dict[str, Any], language: str) -> dict[str, Any]:
    """A RecordResult-shaped dict. Plain dicts: building and validating 500 models per batch would
    cost more than storing the batch."""
    result = {
        "id": a["id"],
        "kind": a["kind"],
        "revision": a["revision"],
        "status": a["status"],
        "hub_revision": a["hub_revision"],
        "code": a["code"],
        "message": message(a["code"], language, **a["params"]) if a["code"] else None,
    }
    if a["params"]:
        # The values of the code's sentence, so that a clinic shows it in its own doctor's
        # language later, not in the language it happened to push in (sync/rejections.py).
        result["params"] = a["params"]
    return result


def render(
    batch_id: str, epoch: str, replayed: bool, answers: list[dict[str, Any]], language: str, *, compact: bool
) -> dict[str, Any]:
    """The PushResponse as JSON-ready data, per record or compact."""
    answer: dict[str, Any] = {"batch_id": batch_id, "epoch": epoch, "replayed": replayed}
    if not compact:
        answer["results"] = [_rendered(a, language) for a in answers]
    else:
        plain = [a for a in answers if _plain(a)]
        accepted = sum(1 for a in plain if a["status"] == ACCEPTED)
        answer["confirmed"] = {
            "count": len(plain),
            "hash": confirmation_hash((a["kind"], a["id"], a["revision"]) for a in plain),
            "accepted": accepted,
            "duplicate": len(plain) - accepted,
        }
        answer["results"] = [_rendered(a, language) for a in answers if not _plain(a)]
    answer["protocol_revision"] = PROTOCOL_REVISION
    return answer
