"""Failure modes for the secrets tests (issue 14): a fake server that echoes the key
it was sent in every error body, each way a remote teacher can fail, and a scan of
every place a key could end up.

Each mode scripts the fake server for a run of three concurrent calls (three prose
sections, one pair each); where the run goes on after a failure, one call succeeds,
so the document, the staged plan and the reply cache get written too."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tests.fakes.llm_server import Behaviour, FakeLLMServer, Hang, Reply, Status

KEY = "sk-LEAKCHECK-0123456789abcdef"
#: the password of a `vllm-server:http://user:pass@host` URL (item 3)
URL_PASSWORD = "urlpass-LEAKCHECK-42"
SECRETS = (KEY, URL_PASSWORD)
MODES = ("401", "403", "429", "5xx", "timeout", "cancel", "refused")

DOC = (
    "---\ndlm_id: 01KPQ9X1000000000000000009\nbase_model: smollm2-135m\n---\n"
    "# Caches\n\nA cache keeps recently used lines close to the core.\n\n"
    "::prose::\n# Tiles\n\nTiling splits a loop so each tile fits in the cache.\n\n"
    "::prose::\n# Vectors\n\nVector units apply one operation to many lanes at once.\n"
)
FIRST = "A cache keeps recently used lines close to the core."
ONE_PAIR = json.dumps([{"question": "What does a cache keep close?", "answer": "Recently used lines."}])


def echo(code: int, secrets: tuple[str, ...], retry_after: bool = False) -> Status:
    """An error whose body repeats the credentials it got, as some servers and proxies do."""
    message = "; ".join(f"Incorrect API key provided: {secret}" for secret in secrets)
    headers = {"Retry-After": "0"} if retry_after else {}
    return Status(
        code, body={"error": {"message": message, "type": "invalid_request_error"}}, headers=headers
    )


def script(mode: str, secrets: tuple[str, ...]) -> list[Behaviour]:
    """What the fake server answers, in the order requests arrive; error bodies echo
    `secrets` (what the teacher sent)."""
    if mode in ("401", "403"):
        return [echo(int(mode), secrets)] * 3
    if mode in ("429", "5xx"):
        status = 429 if mode == "429" else 503
        return [Reply(ONE_PAIR), *[echo(status, secrets, retry_after=True)] * 10]
    if mode == "timeout":
        # every first attempt times out, every retry is refused with an echo
        return [Hang(), Hang(), Hang(), *[echo(401, secrets)] * 3]
    return []


def sent(teacher: str) -> tuple[str, ...]:
    """The credentials `teacher` sends in these tests: the key, and for `vllm-server:`
    also the password in its URL."""
    return (KEY, URL_PASSWORD) if teacher == "vllm-server" else (KEY,)


def prepare(server: FakeLLMServer, mode: str, teacher: str) -> None:
    server.script(*script(mode, sent(teacher)))
    if mode == "cancel":
        # the first section's call is answered, the others hang until cancelled
        server.respond = lambda request: Reply(ONE_PAIR) if FIRST in json.dumps(request.json) else Hang()


def cancel_when_ready(server: FakeLLMServer, since: int = 0) -> bool:
    """For the cancel mode: the run's three calls (requests after the first `since`
    generation requests) arrived and the first one was answered."""

    def ready(fake: FakeLLMServer) -> bool:
        calls = fake.generation_requests()[since:]
        return len(calls) >= 3 and any(r.answered for r in calls)

    return server.wait_for(ready, timeout=60.0)


@dataclass
class Leak:
    where: str
    secret: str


def scan_text(where: str, text: str | bytes) -> list[Leak]:
    data = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return [Leak(where, secret) for secret in SECRETS if secret in data]


def scan_files(roots: Iterable[Path]) -> tuple[list[Leak], int]:
    """Leaks in every file under `roots`, and how many files were read."""
    leaks: list[Leak] = []
    count = 0
    for root in roots:
        if root.is_file():
            files = [root]
        elif root.exists():
            files = [p for p in root.rglob("*") if p.is_file()]
        else:
            files = []
        for path in files:
            count += 1
            leaks += scan_text(str(path), path.read_bytes())
    return leaks, count


def teacher_env(teacher: str, base: str) -> dict[str, str]:
    """The credentials and endpoint `teacher` reads from the environment, pointed at the
    fake server `base`."""
    if teacher == "openai":
        return {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": base + "/v1"}
    if teacher == "anthropic":
        return {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": base}
    return {"DLM_SYNTH_SERVER_API_KEY": KEY, "DLM_SYNTH_SERVER_API_KEY_HOST": "127.0.0.1"}


def selector(teacher: str, base: str) -> str:
    """The teacher selector for `teacher` at `base` (vllm-server: with a password in its URL)."""
    if teacher == "openai":
        return "openai:gpt-leakcheck"
    if teacher == "anthropic":
        return "anthropic:claude-leakcheck"
    return "vllm-server:" + base.replace("http://", f"http://leakcheck:{URL_PASSWORD}@")
