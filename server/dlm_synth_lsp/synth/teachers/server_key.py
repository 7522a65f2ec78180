"""Which key a `vllm-server:` URL gets: `$DLM_SYNTH_SERVER_API_KEY`, and only at the
host it is bound to.

The URL of a `vllm-server:` teacher may come from a workspace's settings (a folder
someone else wrote), so a key read from the environment must not follow it. Like
`gh` (`GH_HOST`) and pip (per-index credentials), the key names the endpoint it
belongs to: `$DLM_SYNTH_SERVER_API_KEY_HOST` holds one or more (comma-separated)
`host`, `host:port` or `scheme://host[:port]` entries, and the key is sent only to a
URL that matches one of them. A key without a binding is sent nowhere; the user is
told why (`KeyChoice.note`), in words that never contain the key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from .spec import without_userinfo

KEY_ENV = "DLM_SYNTH_SERVER_API_KEY"
HOST_ENV = "DLM_SYNTH_SERVER_API_KEY_HOST"
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class KeyChoice:
    """`key`: what to send ("" for none); `withheld`: the key that was set but is not
    for this URL (still redacted from anything shown); `note`: why, for the user."""

    key: str
    withheld: str = ""
    note: str = ""


def _port(parts: SplitResult) -> int | None:
    try:
        return parts.port if parts.port is not None else _DEFAULT_PORTS.get(parts.scheme)
    except ValueError:  # a port that is not a number
        return None


def _matches(entry: str, url: SplitResult) -> bool:
    entry = entry.strip()
    if not entry:
        return False
    bound = urlsplit(entry if "://" in entry else "//" + entry)
    if not bound.hostname or bound.hostname != url.hostname:
        return False
    if bound.scheme and bound.scheme != url.scheme:
        return False
    try:
        explicit = bound.port
    except ValueError:
        return False
    if explicit is None and not bound.scheme:
        return True  # a bare host: any port
    return _port(bound) == _port(url)


def choose_key(base_url: str) -> KeyChoice:
    """The key for requests to `base_url` (a `vllm-server:` base URL)."""
    key = os.environ.get(KEY_ENV, "").strip()
    if not key:
        return KeyChoice("")
    url = urlsplit(base_url)
    where = f"{url.hostname}:{_port(url)}" if _port(url) is not None else str(url.hostname)
    hosts = os.environ.get(HOST_ENV, "")
    if any(_matches(entry, url) for entry in hosts.split(",")):
        return KeyChoice(key)
    if not hosts.strip():
        note = f"${KEY_ENV} is not sent to {where}: set ${HOST_ENV} to the host it belongs to (e.g. {where})"
    else:
        note = (
            f"${KEY_ENV} is not sent to {where}: it belongs to ${HOST_ENV}={without_userinfo(hosts.strip())}"
        )
    return KeyChoice("", withheld=key, note=note)
