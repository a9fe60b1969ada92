"""Deterministic generator of fictitious but realistic clinic data (see scripts/generate_demo.py)."""
