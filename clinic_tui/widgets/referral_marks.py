"""How a referral's urgency looks wherever a referral is listed: 急诊 is the green channel (绿色通道)."""

from __future__ import annotations

from rich.text import Text

from clinic_tui.i18n import _

GREEN_CHANNEL_STYLE = "bold white on dark_green"  # readable on a 16-colour console too


def green_channel_mark() -> Text:
    """The mark every emergency referral carries: 绿色通道 on green."""
    return Text(_("Green channel"), style=GREEN_CHANNEL_STYLE)


def urgency_cell(urgency: str | None, short: bool = False) -> Text:
    """The urgency in a table's cell; ``short`` for a narrow column ("Green" for the green channel
    in English; the Chinese 绿色通道 is as short)."""
    from clinic_tui.domain.referral import URGENCY_LABELS, Urgency

    if urgency == Urgency.EMERGENCY:
        return Text(_("Green"), style=GREEN_CHANNEL_STYLE) if short else green_channel_mark()
    if urgency == Urgency.URGENT:
        return Text(_(URGENCY_LABELS[Urgency.URGENT]), style="bold")
    return Text("")
