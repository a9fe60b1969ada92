"""The hub's HTTP routes, one router per endpoint family (FastAPI's "Bigger Applications" layout).

- ``sync``: push, pull, reconcile for clinics (clinic tokens; docs/protocol.md)
- ``desk``: the referral desk's JSON API (desk and admin staff)
- ``remote``: the remote consultation and reading desk's JSON API (desk, doctor, admin staff)
- ``lab``: the lab desk's JSON API: receive, reject, results (desk, doctor, admin staff)
- ``indicators``: monthly indicators (viewer, desk, admin staff)
- ``health``: liveness and the epoch, no token

Routers only translate HTTP: they take the engine and the caller from ``clinic_hub.dependencies``
and call the services (``push``, ``pull``, ``desk``, ``indicators``), whose request and response
models are in ``clinic_hub.schemas``. A web desk (HTML pages) goes here as its own router beside
the JSON ones, reusing the same dependencies and services.
"""
