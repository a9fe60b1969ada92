"""Plain words for the ways the database can be unusable, shown instead of a traceback."""

from __future__ import annotations

from clinic_tui.i18n import N_, _

_DATABASE_PROBLEMS = {
    "locked": N_(
        "The database {path} is in use by another program (is clinic-tui already open?). Close it and try again."
    ),
    "read_only": N_(
        "The database {path} cannot be written: check the file's permissions, or copy it to a folder you can write."
    ),
    "corrupt": N_(
        "The database {path} is damaged. It was left as it is: do not delete it. Restore the "
        "newest good backup with 'clinic-tui db restore' (see docs/bad-day.md), or ask for help."
    ),
    "too_new": N_(
        "The database {path} was written by a newer version of clinic-tui. Install that version (or newer) to open it."
    ),
    "not_a_database": N_(
        "The file {path} is not a clinic-tui database. It was left as it is. Check the "
        "database setting (--db, or 'clinic-tui config')."
    ),
    "missing": N_("The file {path} is missing."),
    "empty": N_(
        "The database file {path} is empty (0 bytes), perhaps emptied by a failed copy. It was "
        "left as it is. Restore the newest good backup with 'clinic-tui db restore' (see "
        "docs/bad-day.md); to start a new clinic instead, move the file away first."
    ),
    "truncated": N_(
        "The database {path} is shorter than its own header says ({detail}): the end was cut "
        "off, perhaps by a failed copy or a full disk. It was left as it is. Restore the newest "
        "good backup with 'clinic-tui db restore' (see docs/bad-day.md)."
    ),
    "foreign": N_(
        "The file {path} is an SQLite database but not a clinic-tui one. It was left as it is. "
        "Check the database setting (--db, or 'clinic-tui config')."
    ),
    "exists": N_(
        "Another program created {path} while clinic-tui was creating it; nothing was changed. Start clinic-tui again."
    ),
}


def describe_database_error(error) -> str:
    """The message for a ``clinic_tui.data.db.DatabaseError`` in the current language."""
    template = _DATABASE_PROBLEMS.get(error.kind, N_("The database {path} cannot be opened: {detail}"))
    return _(template).format(path=error.path, detail=error.detail)


def describe_rejected_backup(path) -> str:
    """What the doctor is told when today's backup failed its check."""
    return _(
        "Today's backup failed its check and was put aside ({path}); the earlier backups are kept. "
        "The database itself may be damaged: finish what you are doing, quit clinic-tui and run "
        "'clinic-tui db check'. If it reports problems, restore the newest good backup with "
        "'clinic-tui db restore' (see docs/bad-day.md) or call for help."
    ).format(path=path)
