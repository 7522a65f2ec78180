"""Fixtures for remote-teacher tests: a fake LLM server per test, options with small
timeouts, and an environment without the developer's real keys or base URLs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from dlm_synth_lsp.synth.teachers.anthropic_teacher import AnthropicTeacher
from dlm_synth_lsp.synth.teachers.base import Teacher, TeacherOptions
from dlm_synth_lsp.synth.teachers.chat import ChatTeacher
from dlm_synth_lsp.synth.teachers.openai_teacher import OpenAITeacher
from dlm_synth_lsp.synth.teachers.remote import RetryPolicy
from dlm_synth_lsp.synth.teachers.server_teacher import ServerTeacher

from tests.fakes.llm_server import FakeLLMServer, fake_llm_server

#: backoff short enough that a test with several retries takes milliseconds
FAST = RetryPolicy(base_s=0.01, cap_s=0.05, max_retry_after_s=5.0)
#: the two chat-completions teachers: the official SDK, and httpx2 straight to the server
CHAT_KINDS = ("openai", "vllm-server")
REMOTE_KINDS = ("openai", "anthropic", "vllm-server")

_ENV = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_BASE_URL",
    "ANTHROPIC_PROFILE",
    "DLM_SYNTH_SERVER_API_KEY",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    # no on-disk anthropic profile may leak into a test
    monkeypatch.setenv("ANTHROPIC_CONFIG_DIR", str(tmp_path / "anthropic-config"))


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with fake_llm_server() as fake:
        yield fake


class Notices(list[str]):
    def __call__(self, message: str) -> None:
        self.append(message)


@pytest.fixture
def notices() -> Notices:
    return Notices()


@pytest.fixture
def make_options(notices: Notices) -> Callable[..., TeacherOptions]:
    base = TeacherOptions(timeout_s=3.0, connect_timeout_s=1.0, max_retries=2, concurrency=3, notice=notices)

    def make(**changes: Any) -> TeacherOptions:
        return replace(base, **changes)

    return make


def assert_no_secret(exc: BaseException, *secrets: str) -> None:
    text = str(exc) + repr(exc.args)
    for secret in secrets:
        assert secret not in text, f"secret leaked into {text!r}"


def chat_teacher(
    kind: str, server: FakeLLMServer, make_options: Callable[..., TeacherOptions], **changes: Any
) -> ChatTeacher:
    """`openai:gpt-test` (needs $OPENAI_API_KEY) or `vllm-server:` at `server`."""
    if kind == "openai":
        options = make_options(openai_base_url=server.openai_base_url, **changes)
        return OpenAITeacher("gpt-test", options, policy=FAST)
    return ServerTeacher(server.url, make_options(**changes), policy=FAST)


def remote_teacher(
    kind: str, server: FakeLLMServer, make_options: Callable[..., TeacherOptions], **changes: Any
) -> Teacher:
    """`chat_teacher`, or `anthropic:claude-test` (needs $ANTHROPIC_API_KEY) at `server`."""
    if kind == "anthropic":
        options = make_options(anthropic_base_url=server.anthropic_base_url, **changes)
        return AnthropicTeacher("claude-test", options, policy=FAST)
    return chat_teacher(kind, server, make_options, **changes)
