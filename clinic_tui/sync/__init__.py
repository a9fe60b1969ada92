"""Sync between a clinic and the lead hospital's hub (clinic-hub): all of it, on the clinic side.

``wire`` holds the JSON models both sides exchange (pydantic only: no I/O, no UI), shared by the
hub (``clinic_hub``) and the clinic's sync client. The protocol is described in ``docs/protocol.md``,
the clinic's side in ``docs/sync.md``, the invariants sync keeps in ``docs/architecture-sync.md``.

- ``engine``: one sync (push, pull, reconcile, receipt); ``pusher``: its push; ``client``: HTTP;
  ``credentials``: hub address and token; ``lock``: one sync at a time per database;
- ``outbox``: the outbox walk, a batch's wire records (``wire_json``), the hub's answers;
  ``state``: epoch, re-queueing, reconcile numbers, receipts and what the sync screen reads;
  ``apply``: applying a pulled page;
- ``texts``: problems and receipts in the doctor's language; ``status``: the worker's states and a
  sync's outcomes (``StrEnum``); ``scheduler`` and ``worker``: the app's background sync;
  ``command``: ``clinic-tui sync``.

The data layer (``clinic_tui.data``) never imports this package; this package imports the data
layer's models and sessions (import contracts in pyproject.toml).
"""
