"""Where the hub is and the clinic's token: checked before anything goes on the network.

The token is a password to the hospital's records of this clinic. It lives in a file only its
owner can read (0600, written so from the start), never in the config file nor in logs. Plain
http is accepted only to this machine (loopback) unless the config explicitly allows it.
"""

from __future__ import annotations

import ipaddress
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from clinic_tui.config import Settings, config_dir
from clinic_tui.i18n import _

TOKEN_ENV = "CLINIC_TUI_TOKEN"
TOKEN_FILE_NAME = "hub-token"


class SyncConfigError(Exception):
    """The sync settings cannot work; the message (translated) says which and how to fix it."""


@dataclass(frozen=True)
class Connection:
    hub_url: str
    token: str
    warnings: list[str] = field(default_factory=list)


def default_token_file() -> Path:
    return config_dir() / TOKEN_FILE_NAME


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_hub_url(url: str | None, allow_insecure_http: bool) -> list[str]:
    """Warnings for a usable URL; raises SyncConfigError for one that must not be used."""
    if not url:
        raise SyncConfigError(
            _(
                "No hub address is configured. Set hub_url in the config file, "
                "the CLINIC_TUI_HUB_URL variable, or give --hub."
            )
        )
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SyncConfigError(
            _("The hub address {url} is not a web address (it should look like https://hub.example.cn:8600).").format(
                url=url
            )
        )
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        if not allow_insecure_http:
            raise SyncConfigError(
                _(
                    "The hub address {url} uses plain http, which would send patient data "
                    "unencrypted. Use https, or set allow_insecure_http = true if the "
                    "hospital's network is trusted."
                ).format(url=url)
            )
        return [
            _("Warning: plain http to {host}: patient data crosses the network unencrypted.").format(
                host=parts.hostname
            )
        ]
    return []


def token_file_problem(path: Path) -> str | None:
    """Why the token file must not be used, or None. Group- or world-readable is refused."""
    if os.name == "nt":
        return None  # Windows: the file sits in the user's own profile, protected by its ACL
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        return _(
            "The token file {path} can be read by other users (mode {mode:o}). Protect it with "
            "'chmod 600 {path}' or write it again with 'clinic-tui sync set-token'."
        ).format(path=path, mode=mode)
    return None


def read_token(settings: Settings, override: str | None = None) -> str:
    """The clinic token: --token, else CLINIC_TUI_TOKEN, else the token file."""
    if override:
        return override.strip()
    if os.environ.get(TOKEN_ENV):
        return os.environ[TOKEN_ENV].strip()
    path = settings.token_file or default_token_file()
    if not path.exists():
        raise SyncConfigError(
            _(
                "No clinic token: the token file {path} is missing. Run "
                "'clinic-tui sync set-token' with the token the hospital gave you."
            ).format(path=path)
        )
    problem = token_file_problem(path)
    if problem:
        raise SyncConfigError(problem)
    token = path.read_text(encoding="utf-8").strip()
    if not token:
        raise SyncConfigError(_("The token file {path} is empty.").format(path=path))
    return token


def resolve(settings: Settings, token: str | None = None) -> Connection:
    warnings = check_hub_url(settings.hub_url, settings.allow_insecure_http)
    assert settings.hub_url  # check_hub_url refuses a missing one
    return Connection(settings.hub_url.rstrip("/"), read_token(settings, token), warnings)


def write_token_file(path: Path, token: str) -> None:
    """Write the token readable by its owner only; the file is never world-readable, even briefly."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    if partial.exists():
        partial.unlink()
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(token.strip() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(partial, 0o600)  # a umask cannot widen it, but be explicit
    partial.replace(path)
