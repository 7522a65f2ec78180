"""Teacher selectors: `self`, `hf:<id|dir|file.gguf>`, `openai:<model>`,
`anthropic:<model>`, `vllm-server:<url>` (spec 5.6, same messages as upstream)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from ..errors import InvalidTeacherSpecError

Kind = Literal["self", "local", "hf", "openai", "anthropic", "vllm-server"]
_PREFIXED: tuple[Kind, ...] = ("hf", "openai", "anthropic", "vllm-server", "local")
#: the `user:password@` of a URL
_USERINFO = re.compile(r"(?<=://)[^/?#@\s]*@")


def without_userinfo(text: str) -> str:
    """`text` with the credentials of every URL in it removed
    (`http://user:pass@host/v1` → `http://host/v1`). A selector is shown to people
    and written into markers and staged plans; credentials in its URL are only for
    the request."""
    return _USERINFO.sub("", text)


@dataclass(frozen=True, slots=True)
class TeacherSpec:
    kind: Kind
    target: str  # "" for self

    def __str__(self) -> str:
        if not self.target:
            return self.kind
        return f"{self.kind}:{self.target}"


def parse_teacher_spec(raw: str) -> TeacherSpec:
    text = raw.strip()
    if not text:
        raise InvalidTeacherSpecError("teacher selector must not be empty")
    if text == "self":
        return TeacherSpec("self", "")
    if text == "local":
        return TeacherSpec("local", "")
    for kind in _PREFIXED:
        if text.startswith(kind + ":"):
            target = text[len(kind) + 1 :].strip()
            if not target:
                what = "a URL" if kind == "vllm-server" else "a model id"
                raise InvalidTeacherSpecError(f"{kind} teacher selector must include {what}")
            if kind == "vllm-server":
                server_base_url(target)
            return TeacherSpec(kind, target)
    raise InvalidTeacherSpecError(
        f"unknown teacher selector {without_userinfo(raw)!r}; expected 'self', 'local', "
        "'local:<model.gguf>', 'hf:<model>', 'openai:<model>', 'anthropic:<model>', or 'vllm-server:<url>'"
    )


def server_base_url(url: str) -> str:
    """The OpenAI-compatible base URL (ending in `/v1`) for a `vllm-server:` target.

    Accepts what people paste: `http://host:8000`, `…/v1`, `…/v1/chat/completions`
    or `…/chat/completions`, with or without a trailing slash."""
    base = url.strip().rstrip("/")
    for suffix in ("/chat/completions",):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidTeacherSpecError(
            f"vllm-server teacher URL must be http(s) with a host, got {without_userinfo(url)!r}"
        )
    return base if base.endswith("/v1") else base + "/v1"
