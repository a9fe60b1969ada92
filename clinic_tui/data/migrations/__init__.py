"""Alembic migrations of the clinic's local database (run through clinic_tui.data.migrate)."""
