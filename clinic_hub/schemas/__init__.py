"""Pydantic models of the hub's own endpoints (the desk, the indicators), apart from the SQL.

The sync protocol's models are shared with the clinic app and live in ``clinic_tui.sync.wire``.
"""
