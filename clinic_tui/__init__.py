"""clinic-tui: offline-first terminal app for village clinics and township health centres."""

__version__ = "0.1.0"
