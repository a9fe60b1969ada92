"""Sync between a clinic and the lead hospital's hub (clinic-hub).

``wire`` holds the JSON models both sides exchange (pydantic only: no I/O, no UI), shared by the
hub (``clinic_hub``) and the clinic's sync client. The protocol is described in ``docs/protocol.md``.
"""
