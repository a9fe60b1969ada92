"""The web desk (/desk/): server-rendered pages for the lead hospital's referral office, its
department doctors and administrators (issue 17), and its remote consultation and reading rooms
(issue 18). See docs/hub.md, "Web desk".

``router`` is mounted by ``clinic_hub.app.create_app`` beside the JSON routers; ``install`` adds the
desk's own answers for "not signed in" and "not allowed" (HTML pages, not the API's JSON).
"""

from fastapi import APIRouter

from clinic_hub.web import pages, remote
from clinic_hub.web.pages import install

router = APIRouter()
router.include_router(pages.router)
router.include_router(remote.router)

__all__ = ["install", "router"]
