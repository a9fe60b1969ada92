"""The data layer: SQLModel tables, the SQLite connection, migrations and the services screens call.

Nothing here imports Textual; screens never open a session themselves.
"""
