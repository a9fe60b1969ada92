"""The exit codes of the ``clinic-tui`` shell commands (``clinic-tui sync`` has its own, in sync.engine).

Their own module, so ``cli`` and ``commands`` both read them without importing each other.
"""

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE = 0, 1, 2
