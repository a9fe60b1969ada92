"""Search: pinyin keys for people's names and the diagnosis catalogue.

The modules here are pure (no UI, no database) and cheap to import: pypinyin and the data files
are loaded the first time they are needed, never at import time.
"""
