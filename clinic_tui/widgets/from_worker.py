"""Handing a thread worker's result to the screen that asked for it, if that screen is still there.

A screen reads its records in a thread (``@work(thread=True)``) and shows them on the UI thread.
Meanwhile the doctor may have closed it (F3 or Esc at once), or the app may be closing: the screen's
widgets are then gone, and showing the result on them would fail the whole app (``NoMatches``).
Every worker hands its result over through here, so a late result is simply dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.dom import DOMNode


def still_shown(node: DOMNode) -> bool:
    """True while ``node`` is in the app's DOM and not being taken out of it."""
    # Textual marks a node it is removing (_pruning) or closing (_closing) before it detaches it;
    # its own signals check the same two flags before they deliver to a node.
    return node.is_attached and not node._pruning and not node._closing


def show_from_worker(node: DOMNode, show: Callable[..., Any], *args: Any) -> None:
    """From a worker thread: run ``show(*args)`` on the UI thread, unless ``node`` has gone meanwhile."""

    def deliver() -> None:
        if still_shown(node):
            show(*args)

    node.app.call_from_thread(deliver)
