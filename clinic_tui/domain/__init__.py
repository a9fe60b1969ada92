"""Domain rules of Chinese primary care: pure Python, no UI, no database, no I/O.

Import-linter enforces that nothing here imports Textual, SQL or the network.
"""
