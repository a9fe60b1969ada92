"""Where clinic-tui keeps its files, and the settings in force.

Settings come from, in rising priority: defaults, the TOML file in the user config directory, and
``CLINIC_TUI_*`` environment variables (then command-line flags, applied by the CLI). Nothing is
read or created at import time: call ``load_settings()``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

APP_NAME = "clinic-tui"
DEMO_DATABASE_NAME = "demo.db"
# The demo database ships inside the package (a link to the repository's local.db.example, copied into
# the wheel), so an installed app finds it as a checkout does.
EXAMPLE_DATABASE = Path(__file__).resolve().parent / "resources" / "local.db.example"
# The PINs of the demo database's staff (scripts/demo/build.py hashes these; the others have none).
# Fictitious people on a fictitious clinic: the sign-in screen shows them on the demo copy only.
DEMO_STAFF_PINS = {"李建国": "1234", "赵敏": "2468"}


def config_dir() -> Path:
    if override := os.environ.get("CLINIC_TUI_CONFIG_DIR"):
        return Path(override)
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    if override := os.environ.get("CLINIC_TUI_DATA_DIR"):
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def config_file() -> Path:
    return config_dir() / "config.toml"


@dataclass(frozen=True)
class Settings:
    database: Path | None = None  # None: a demo copy of local.db.example in the data directory
    language: str = "zh"
    time_zone: str = "Asia/Shanghai"  # every time shown (stored times are UTC): clinic_tui/clock.py
    idle_lock_minutes: int = 10
    backup_keep_days: int = 7
    hub_url: str | None = None
    token_file: Path | None = None
    ca_bundle: Path | None = None
    proxy: str | None = None
    auto_sync: bool = False
    batch_size: int = 500  # records per push batch (the hub takes up to 500), halved on a 413 or a timeout
    allow_insecure_http: bool = False  # plain http to a non-loopback hub (warned)
    sources: dict[str, str] = field(default_factory=dict, compare=False)  # setting -> where from

    @property
    def is_demo(self) -> bool:
        return self.database is None

    def database_path(self) -> Path:
        return self.database or data_dir() / DEMO_DATABASE_NAME

    def backup_dir(self) -> Path:
        return self.database_path().parent / "backups"


# What the app reloads from disk while it runs (ClinicApp.reload_settings): the rest is fixed per session.
SYNC_SETTINGS = ("hub_url", "token_file", "ca_bundle", "proxy", "auto_sync", "batch_size", "allow_insecure_http")

_ENV = {
    "database": "CLINIC_TUI_DB",
    "language": "CLINIC_TUI_LANG",
    "time_zone": "CLINIC_TUI_TIME_ZONE",
    "idle_lock_minutes": "CLINIC_TUI_IDLE_LOCK_MINUTES",
    "hub_url": "CLINIC_TUI_HUB_URL",
    "token_file": "CLINIC_TUI_TOKEN_FILE",
    "ca_bundle": "CLINIC_TUI_CA_BUNDLE",
    "proxy": "CLINIC_TUI_PROXY",
    "auto_sync": "CLINIC_TUI_AUTO_SYNC",
    "batch_size": "CLINIC_TUI_BATCH_SIZE",
    "allow_insecure_http": "CLINIC_TUI_ALLOW_INSECURE_HTTP",
}


class SettingsError(ValueError):
    """A setting that cannot be used; the message names the setting and where it came from."""


def _coerce(name: str, raw: object, source: str) -> object:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    try:
        if "Path" in str(kind):
            return Path(str(raw)).expanduser() if raw not in (None, "") else None
        if "bool" in str(kind):
            if isinstance(raw, bool):
                return raw
            if str(raw).lower() in {"1", "true", "yes", "on"}:
                return True
            if str(raw).lower() in {"0", "false", "no", "off"}:
                return False
            raise ValueError(raw)
        if "int" in str(kind):
            return int(raw)  # type: ignore[call-overload]  # TOML gives an int, the environment a str
        return str(raw) if raw is not None else None
    except ValueError as exc:
        raise SettingsError(f"{name} = {raw!r} ({source}) is not a valid {kind}") from exc


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    env: Mapping[str, str] = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    path = config_file()
    if path.exists():
        import tomllib  # only when there is a file to read (a sync or a start without one skips it)

        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path}: {exc}") from exc
        flat = {**document.get("app", {}), **{k: v for k, v in document.items() if not isinstance(v, dict)}}
        flat.update(document.get("sync", {}))
        known = {f.name for f in fields(Settings)} - {"sources"}
        for name, raw in flat.items():
            if name not in known:
                raise SettingsError(f"{path}: unknown setting {name!r}")
            values[name] = _coerce(name, raw, str(path))
            sources[name] = str(path)
    for name, variable in _ENV.items():
        if variable in env:
            values[name] = _coerce(name, env[variable], variable)
            sources[name] = variable
    settings = replace(Settings(), **values, sources=sources)
    from clinic_tui.i18n import LANGUAGES

    if settings.language not in LANGUAGES:
        raise SettingsError(f"language = {settings.language!r}: choose one of {', '.join(LANGUAGES)}")
    from clinic_tui.clock import zone_named

    try:
        zone_named(settings.time_zone)
    except ValueError as exc:
        where = sources.get("time_zone", "default")
        raise SettingsError(
            f"time_zone = {settings.time_zone!r} ({where}): not a time zone, e.g. Asia/Shanghai"
        ) from exc
    return settings
