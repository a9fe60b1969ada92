"""clinic-hub: the lead hospital's sync server and referral desk."""

__version__ = "0.1.0"
