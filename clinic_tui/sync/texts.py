"""What a sync problem means, and the receipt, in the doctor's language."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from clinic_tui.i18n import N_, _, ngettext
from clinic_tui.sync.wire_rules import API_VERSION

if TYPE_CHECKING:
    from clinic_tui.sync.attachments import UploadCounts

PROBLEM_MESSAGES = {
    "dns": N_(
        "The hub's address {host} could not be found (DNS). Check the hub address and that this "
        "PC is connected to the network."
    ),
    "refused": N_(
        "Nobody answered at {url}: the hub is not running there, the connection was cut, or a firewall blocks it."
    ),
    "tls": N_(
        "The hub's certificate could not be verified ({detail}). Configure the hospital's CA "
        "certificate (ca_bundle) or check the hub address."
    ),
    "timeout": N_("The hub did not answer in time. The network may be too slow or down; try again later."),
    "damaged": N_(
        "The hub's answer arrived damaged several times (the connection corrupted it). Nothing was "
        "lost: what it was about is still waiting to be sent. Try again later."
    ),
    "auth": N_(
        "The hub does not accept this clinic's token: it is unknown or was revoked (401). Ask the "
        "hospital for a new token and run 'clinic-tui sync set-token'."
    ),
    "forbidden": N_(
        "This token is not a clinic token (403). Use the token the hospital made for this "
        "clinic with 'clinic-hub add-clinic'."
    ),
    "too_old": N_(
        "The hub at {url} does not speak this app's sync API (version {version}): it is too "
        "old or not a clinic-hub. Ask the hospital to upgrade it."
    ),
    "http": N_("The hub answered with an error: {detail}"),
    "protocol": N_("The hub's answer could not be understood ({detail})."),
}


def problem_message(problem: str, url: str, detail: str = "") -> str:
    template = PROBLEM_MESSAGES.get(problem, N_("Sync failed: {detail}"))
    return _(template).format(host=urlsplit(url).hostname or url, url=url, detail=detail or "-", version=API_VERSION)


KIND_LABELS = {
    "resident": N_("resident"),
    "visit": N_("visit"),
    "followup": N_("follow-up"),
    "referral": N_("referral"),
    "referral_event": N_("referral status change"),
    "contract": N_("contract"),
    "service_record": N_("service record"),
    "team": N_("team"),
    "task": N_("task"),
    "user": N_("staff member"),
    "service_package": N_("service package"),
    "remote_request": N_("remote request"),
    "lab_order": N_("lab order"),
    "exam_booking": N_("examination booking"),
}


def kind_label(kind: str) -> str:
    """A record kind as the doctor reads it ("resident" -> 居民档案)."""
    return _(KIND_LABELS[kind]) if kind in KIND_LABELS else kind


_RECEIPT_KINDS = (
    "visit",
    "referral",
    "contract",
    "followup",
    "resident",
    "service_record",
    "task",
    "referral_event",
    "remote_request",
    "lab_order",
    "exam_booking",
    "team",
    "user",
)
# (singular, plural) of each kind: English says "1 team", "2 teams" (ngettext); Chinese has one form.
COUNT_TEMPLATES = {
    "visit": (N_("{count} visit"), N_("{count} visits")),
    "referral": (N_("{count} referral"), N_("{count} referrals")),
    "contract": (N_("{count} contract"), N_("{count} contracts")),
    "followup": (N_("{count} follow-up"), N_("{count} follow-ups")),
    "resident": (N_("{count} resident record"), N_("{count} resident records")),
    "service_record": (N_("{count} service record"), N_("{count} service records")),
    "task": (N_("{count} task"), N_("{count} tasks")),
    "referral_event": (N_("{count} referral status change"), N_("{count} referral status changes")),
    "remote_request": (N_("{count} remote request"), N_("{count} remote requests")),
    "lab_order": (N_("{count} lab order"), N_("{count} lab orders")),
    "exam_booking": (N_("{count} examination booking"), N_("{count} examination bookings")),
    "team": (N_("{count} team"), N_("{count} teams")),
    "user": (N_("{count} staff record"), N_("{count} staff records")),
}


def counts_text(counts: dict[str, int]) -> str:
    ordered = [kind for kind in _RECEIPT_KINDS if counts.get(kind)] + sorted(
        kind for kind in counts if kind not in _RECEIPT_KINDS and counts[kind]
    )
    parts = [
        ngettext(*COUNT_TEMPLATES[kind], counts[kind]).format(count=counts[kind])
        if kind in COUNT_TEMPLATES
        else f"{counts[kind]} {kind}"
        for kind in ordered
    ]
    return _(", ").join(parts)


def receipt_text(
    today: dict[str, int], confirmed: dict[str, int], rejected: int, first_reason: str | None, mismatched: list[str]
) -> str:
    """E.g. "Today 37 visits, 2 referrals, 5 contracts are confirmed at the hospital; ..."."""
    lines = []
    if today:
        lines.append(_("Today {items} are confirmed at the hospital.").format(items=counts_text(today)))
    else:
        lines.append(_("Nothing changed today needed sending; the hospital's records of this clinic are up to date."))
    if confirmed:
        lines.append(_("In all the hospital holds {items} from this clinic.").format(items=counts_text(confirmed)))
    if rejected:
        lines.append(
            _("{count} not accepted by the hospital, needs attention: {reason}").format(
                count=rejected, reason=first_reason or "-"
            )
        )
    if mismatched:
        lines.append(
            _("The hospital's copy still differs for: {kinds}. The next sync sends them again.").format(
                kinds=_(", ").join(kind_label(kind) for kind in mismatched)
            )
        )
    return "\n".join(lines)


def attachment_text(uploads: UploadCounts | None) -> str:
    """What the receipt says of the files, when there were any."""
    if uploads is None or not (uploads.files_done or uploads.waiting or uploads.refused):
        return ""
    parts = []
    if uploads.files_done:
        parts.append(_("{count} attachment(s) received whole by the hospital").format(count=uploads.files_done))
    if uploads.waiting:
        parts.append(_("{count} attachment(s) still to send").format(count=uploads.waiting))
    if uploads.refused:
        parts.append(_("{count} attachment(s) refused by the hub (see the request)").format(count=uploads.refused))
    return "\n" + "; ".join(parts)
