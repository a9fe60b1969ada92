#!/usr/bin/env python3
"""Compile clinic_tui/locale/zh_CN/LC_MESSAGES/clinic_tui.po into the .mo file the app reads.

    make catalogs

`--check` compiles in memory and fails when the committed .mo says something else than the .po
(compared message by message, so a new Babel release that writes other header bytes changes nothing).
`--extract` lists message ids used in the code that the catalogue does not translate yet.
"""

from __future__ import annotations

import argparse
import gettext
import io
import sys
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG_DIR = ROOT / "clinic_tui" / "locale" / "zh_CN" / "LC_MESSAGES"
PO_FILE, MO_FILE = CATALOG_DIR / "clinic_tui.po", CATALOG_DIR / "clinic_tui.mo"
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


PARTS_DIR = ROOT / "clinic_tui" / "locale" / "parts"  # work in progress, merged into PO_FILE


def load_catalog():
    with PO_FILE.open("rb") as handle:
        catalog = read_po(handle, locale="zh_CN", domain="clinic_tui")
    for part in sorted(PARTS_DIR.glob("*.po")):
        with part.open("rb") as handle:
            for message in read_po(handle, locale="zh_CN"):
                if message.id and message.id not in catalog:
                    catalog[message.id] = message
    return catalog


def compiled_bytes() -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, load_catalog(), use_fuzzy=False)
    return buffer.getvalue()


def messages_in(mo_bytes: bytes) -> dict:
    """What a compiled catalogue means: every message id (plural forms as (id, n)) and its translation.

    The header (message id "") is left out: it names the tool and its version, which say nothing
    about the translations, and would make the check fail whenever Babel publishes a release.
    """
    catalogue = gettext.GNUTranslations(io.BytesIO(mo_bytes))._catalog  # type: ignore[attr-defined]
    return {key: value for key, value in catalogue.items() if key != ""}


def is_up_to_date() -> bool:
    """The committed .mo says the same as the .po would compile to (compared by meaning, not bytes)."""
    return MO_FILE.exists() and messages_in(MO_FILE.read_bytes()) == messages_in(compiled_bytes())


def translated_ids(catalog) -> set[str]:
    """Every message id with a (non-fuzzy) translation; a plural message counts for both its ids."""
    done = set()
    for message in catalog:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.id and not message.fuzzy and all(strings):
            done.update(message.id if isinstance(message.id, tuple) else (message.id,))
    return done


def used_message_ids() -> dict[str, list[str]]:
    """Every string the code marks for translation, with where it is used."""
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        ROOT / "clinic_tui", method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        for msgid in message if isinstance(message, tuple) else (message,):
            if msgid:
                found.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--extract", action="store_true")
    args = parser.parse_args()
    if args.extract:
        done = translated_ids(load_catalog())
        missing = {m: w for m, w in used_message_ids().items() if m not in done}
        for msgid, where in sorted(missing.items()):
            print(f"{where[0]}: {msgid}")
        return 1 if missing else 0
    if args.check:
        if not is_up_to_date():
            print(f"{MO_FILE} is stale: run `make catalogs`", file=sys.stderr)
            return 1
        return 0
    MO_FILE.write_bytes(compiled_bytes())
    print(f"wrote {MO_FILE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
