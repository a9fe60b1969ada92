"""The web desk (/desk/): server-rendered pages for the lead hospital's referral office, its
department doctors and administrators (issue 17), and its remote consultation and reading rooms
(issue 18), and its lab (issue 18, tests at the lead hospital). See docs/hub.md, "Web desk".

``routers`` are mounted by ``clinic_hub.app.create_app`` beside the JSON routers: ``pages``
(sign-in, the queue), ``referrals`` (one referral and its answers), ``indicators`` (the month's
indicators and exports), ``pools`` (the slot and bed pools), ``remote`` (the remote
reading rooms), ``lab`` (the lab's queue and results), ``exams`` (the examination bookings),
``admin``, ``admin_staff`` and ``admin_directory`` (the administrator's pages: clinics and the
audit log; staff; departments and the directory) and ``password`` (everyone's own password).
``install`` adds the desk's own answers for "not signed in", "not allowed" and "too large" (HTML
pages, not the API's JSON).
"""

from clinic_hub.web import (
    admin,
    admin_directory,
    admin_staff,
    exams,
    indicators,
    lab,
    lab_import,
    pages,
    password,
    pools,
    referrals,
    remote,
)
from clinic_hub.web.common import install

routers = (
    pages.router,
    referrals.router,
    indicators.router,
    pools.router,
    remote.router,
    lab.router,
    lab_import.router,
    exams.router,
    admin.router,
    admin_staff.router,
    admin_directory.router,
    password.router,
)

__all__ = ["install", "routers"]
