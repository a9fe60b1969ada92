"""The web desk (/desk/): server-rendered pages for the lead hospital's referral office, its
department doctors and administrators (issue 17). See docs/hub.md, "Web desk".

``router`` is mounted by ``clinic_hub.app.create_app`` beside the JSON routers: the pages of
``pages.py`` and of the modules beside it (``pools.py``: the slot and bed pools). ``install`` adds
the desk's own answers for "not signed in" and "not allowed" (HTML pages, not the API's JSON).
"""

from fastapi import APIRouter

from clinic_hub.web import pages, pools
from clinic_hub.web.pages import install

router = APIRouter()
router.include_router(pages.router)
router.include_router(pools.router)

__all__ = ["install", "router"]
