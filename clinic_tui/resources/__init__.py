"""Data files shipped with clinic-tui, read through importlib.resources."""
