"""Today's date, as the app sees it: the system's, unless ``CLINIC_TUI_TODAY`` pins it.

Pinning (``CLINIC_TUI_TODAY=2026-11-20``) is for screenshots, terminal tests and demonstrations on
the demo database, whose records are dated around the day it was generated. Every screen asks here
instead of calling ``date.today()`` so that one setting moves them all.
"""

from __future__ import annotations

import os
from datetime import date

TODAY_VARIABLE = "CLINIC_TUI_TODAY"


def today() -> date:
    pinned = os.environ.get(TODAY_VARIABLE)
    return date.fromisoformat(pinned) if pinned else date.today()
