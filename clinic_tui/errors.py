"""Plain words for the ways the database can be unusable, shown instead of a traceback."""

from __future__ import annotations

from clinic_tui.i18n import N_, _

_DATABASE_PROBLEMS = {
    "locked": N_("The database {path} is in use by another program (is clinic-tui already open?). "
                 "Close it and try again."),
    "read_only": N_("The database {path} cannot be written: check the file's permissions, or copy it to "
                    "a folder you can write."),
    "corrupt": N_("The database {path} is damaged. Restore yesterday's backup from the backups folder "
                  "next to it, or ask for help; do not delete it."),
    "too_new": N_("The database {path} was written by a newer version of clinic-tui. Install that "
                  "version (or newer) to open it."),
    "not_a_database": N_("The file {path} is not a clinic-tui database."),
    "missing": N_("The file {path} is missing."),
}


def describe_database_error(error) -> str:
    """The message for a ``clinic_tui.data.db.DatabaseError`` in the current language."""
    template = _DATABASE_PROBLEMS.get(error.kind, N_("The database {path} cannot be opened: {detail}"))
    return _(template).format(path=error.path, detail=error.detail)
