"""`vllm-server:<url>`: model discovery, URL shapes, which key is sent, and errors."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from dlm_synth_lsp.synth.backends import build_teacher
from dlm_synth_lsp.synth.cancel import CancelToken
from dlm_synth_lsp.synth.errors import TeacherInvocationError, TeacherUnavailableError
from dlm_synth_lsp.synth.teachers.base import Prompt, SamplingParams, TeacherOptions
from dlm_synth_lsp.synth.teachers.server_teacher import ServerTeacher

from tests.fakes.llm_server import FakeLLMServer, Reply, Status, unused_port
from tests.synth.remote.conftest import FAST, assert_no_secret

PROMPT = Prompt(system="sys", user="usr")
Options = Callable[..., TeacherOptions]
REAL_OPENAI_KEY = "sk-real-openai-key-do-not-leak"


def teacher_for(url: str, make_options: Options, **changes: Any) -> ServerTeacher:
    return ServerTeacher(url, make_options(**changes), policy=FAST)


@pytest.mark.parametrize("suffix", ["", "/", "/v1", "/v1/", "/v1/chat/completions", "/v1/chat/completions/"])
async def test_discovery_and_url_shapes(server: FakeLLMServer, make_options: Options, suffix: str) -> None:
    server.models = ["served-model", "other"]
    url = f"  {server.url}{suffix} "
    teacher = teacher_for(url, make_options)
    assert teacher.name == f"vllm-server:{server.url}{suffix}"
    assert teacher.base_url == server.openai_base_url
    await teacher.prepare(CancelToken())
    assert teacher.model == "served-model"
    completion = await teacher.complete(PROMPT, SamplingParams(top_p=0.5, seed=3), CancelToken())
    assert completion.text == "ok"
    models, chat = server.requests
    assert (models.method, models.path) == ("GET", "/v1/models")
    assert chat.path == "/v1/chat/completions"
    assert chat.json == {
        "model": "served-model",
        "messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "usr"}],
        "max_tokens": 512,
        "temperature": 0.0,
        "top_p": 0.5,
        "seed": 3,
    }
    await teacher.aclose()


@pytest.mark.parametrize(
    "listing", [{"object": "list", "data": []}, {"data": [{"id": "  "}]}, {"data": None}]
)
async def test_no_models_listed_uses_placeholder(
    server: FakeLLMServer, make_options: Options, listing: dict[str, Any]
) -> None:
    server.script(Reply(raw=listing), path="models")
    teacher = teacher_for(server.url, make_options)
    await teacher.prepare(CancelToken())
    assert teacher.model == "dlm-synth"
    await teacher.complete(PROMPT, SamplingParams(), CancelToken())
    assert server.requests[-1].json["model"] == "dlm-synth"


async def test_discovery_happens_once(server: FakeLLMServer, make_options: Options) -> None:
    teacher = teacher_for(server.url, make_options)
    await teacher.prepare(CancelToken())
    await teacher.prepare(CancelToken())
    for _ in range(3):
        await teacher.complete(PROMPT, SamplingParams(), CancelToken())
    assert [r.kind for r in server.requests].count("models") == 1


async def test_complete_discovers_when_not_prepared(server: FakeLLMServer, make_options: Options) -> None:
    teacher = teacher_for(server.url, make_options)
    with pytest.raises(RuntimeError, match="only after prepare"):
        _ = teacher.model
    await teacher.complete(PROMPT, SamplingParams(), CancelToken())
    assert teacher.model == "fake-model"


async def test_server_not_running_fails_fast(make_options: Options) -> None:
    port = unused_port()
    teacher = teacher_for(f"http://127.0.0.1:{port}", make_options, max_retries=4)
    started = time.monotonic()
    with pytest.raises(TeacherUnavailableError) as info:
        await teacher.prepare(CancelToken())
    assert time.monotonic() - started < 1.0
    assert str(info.value) == (
        f"vllm-server teacher could not query models from http://127.0.0.1:{port}/v1: "
        f"could not connect to 127.0.0.1:{port} — is the server running?"
    )


async def test_discovery_http_error(server: FakeLLMServer, make_options: Options) -> None:
    server.script(Status(404, body={"detail": "Not Found"}), path="models")
    with pytest.raises(
        TeacherUnavailableError, match=r"could not query models from .*: HTTP 404 Not Found: Not Found"
    ):
        await teacher_for(server.url, make_options).prepare(CancelToken())


async def test_discovery_retries_busy_server(server: FakeLLMServer, make_options: Options) -> None:
    server.script(Status(503), path="models")
    teacher = teacher_for(server.url, make_options)
    await teacher.prepare(CancelToken())
    assert teacher.model == "fake-model"


async def test_real_openai_key_is_not_sent(
    server: FakeLLMServer, make_options: Options, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", REAL_OPENAI_KEY)
    teacher = teacher_for(server.url, make_options)
    await teacher.complete(PROMPT, SamplingParams(), CancelToken())
    for request in server.requests:
        assert REAL_OPENAI_KEY not in str(request.headers)


async def test_server_key_from_its_own_variable_at_its_host(
    server: FakeLLMServer, make_options: Options, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DLM_SYNTH_SERVER_API_KEY", "server-secret-42")
    monkeypatch.setenv("DLM_SYNTH_SERVER_API_KEY_HOST", f"gpu.example.org, 127.0.0.1:{server.port}")
    teacher = teacher_for(server.url, make_options)
    await teacher.complete(PROMPT, SamplingParams(), CancelToken())
    assert {r.headers["authorization"] for r in server.requests} == {"Bearer server-secret-42"}


@pytest.mark.parametrize(
    ("bound", "note"),
    [
        (None, "set $DLM_SYNTH_SERVER_API_KEY_HOST to the host it belongs to (e.g. 127.0.0.1:{port})"),
        ("gpu.example.org", "it belongs to $DLM_SYNTH_SERVER_API_KEY_HOST=gpu.example.org"),
        ("127.0.0.1:1", "it belongs to $DLM_SYNTH_SERVER_API_KEY_HOST=127.0.0.1:1"),
        ("https://127.0.0.1:{port}", "it belongs to $DLM_SYNTH_SERVER_API_KEY_HOST=https://127.0.0.1:{port}"),
    ],
)
async def test_server_key_is_never_sent_to_another_host(
    server: FakeLLMServer,
    make_options: Options,
    monkeypatch: pytest.MonkeyPatch,
    notices: list[str],
    bound: str | None,
    note: str,
) -> None:
    """A `vllm-server:` URL may come from a workspace's settings: the key goes only
    where the user bound it (issue 14, item 4), and the user is told why not."""
    monkeypatch.setenv("DLM_SYNTH_SERVER_API_KEY", "server-secret-42")
    if bound is not None:
        monkeypatch.setenv("DLM_SYNTH_SERVER_API_KEY_HOST", bound.format(port=server.port))
    teacher = teacher_for(server.url, make_options)
    await teacher.complete(PROMPT, SamplingParams(), CancelToken())
    assert all("server-secret-42" not in str(r.headers) for r in server.requests)
    assert {r.headers["authorization"] for r in server.requests} == {"Bearer sk-no-key"}
    port = server.port
    assert notices == [
        f"$DLM_SYNTH_SERVER_API_KEY is not sent to 127.0.0.1:{port}: " + note.format(port=port)
    ]
    # the server rejects the placeholder: the message says where the key would go
    server.script(Status(401, body={"error": {"message": "needs a key"}}), path="models")
    with pytest.raises(TeacherUnavailableError) as info:
        await teacher_for(server.url, make_options).prepare(CancelToken())
    assert str(info.value).endswith("check " + notices[0])


async def test_rejected_key_names_the_variable(
    server: FakeLLMServer, make_options: Options, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DLM_SYNTH_SERVER_API_KEY", "server-secret-42")
    monkeypatch.setenv("DLM_SYNTH_SERVER_API_KEY_HOST", "127.0.0.1")
    server.script(Status(401, body={"error": {"message": "bad key server-secret-42"}}))
    teacher = teacher_for(server.url, make_options)
    with pytest.raises(TeacherUnavailableError) as info:
        await teacher.complete(PROMPT, SamplingParams(), CancelToken())
    assert str(info.value).endswith(
        "check $DLM_SYNTH_SERVER_API_KEY (sent only to the host in $DLM_SYNTH_SERVER_API_KEY_HOST)"
    )
    assert_no_secret(info.value, "server-secret-42")


async def test_credentials_in_the_url_are_used_but_never_shown(
    server: FakeLLMServer, make_options: Options
) -> None:
    """Issue 14, item 3: `http://user:pass@host` authenticates the request; the name
    (written into markers, progress and messages) and every error leave it out."""
    url = f"http://alice:url-pass-99@127.0.0.1:{server.port}/v1"
    teacher = teacher_for(url, make_options)
    assert teacher.name == f"vllm-server:{server.url}/v1"
    await teacher.complete(PROMPT, SamplingParams(), CancelToken())
    assert {r.headers["authorization"] for r in server.requests} == {"Basic YWxpY2U6dXJsLXBhc3MtOTk="}
    server.script(Status(400, body={"error": {"message": "user alice:url-pass-99 is not allowed"}}))
    with pytest.raises(TeacherInvocationError) as info:
        await teacher.complete(PROMPT, SamplingParams(), CancelToken())
    assert_no_secret(info.value, "url-pass-99")
    assert str(info.value).startswith(f"vllm-server:{server.url}/v1 request failed: HTTP 400")


async def test_error_texts_name_vllm_server(server: FakeLLMServer, make_options: Options) -> None:
    server.script(Reply(raw={"choices": []}))
    with pytest.raises(TeacherInvocationError, match=r"^vllm-server teacher response missing choices$"):
        await teacher_for(server.url, make_options).complete(PROMPT, SamplingParams(), CancelToken())


async def test_generation_failure_message(server: FakeLLMServer, make_options: Options) -> None:
    server.script(Status(500, body="boom"), Status(500, body="boom"))
    teacher = teacher_for(server.url + "/", make_options, max_retries=1)
    with pytest.raises(TeacherInvocationError) as info:
        await teacher.complete(PROMPT, SamplingParams(), CancelToken())
    assert str(info.value) == (
        f"vllm-server:{server.url}/ request failed: "
        "HTTP 500 Internal Server Error: boom (gave up after 2 attempts)"
    )


async def test_factory_builds_server_teacher(server: FakeLLMServer, make_options: Options) -> None:
    teacher = build_teacher(f"vllm-server: {server.url}/v1 ", make_options(concurrency=8))
    assert isinstance(teacher, ServerTeacher)
    assert teacher.name == f"vllm-server:{server.url}/v1"
    assert teacher.max_in_flight == 8
    await teacher.prepare(CancelToken())
    assert teacher.model == "fake-model"
    await teacher.aclose()


async def test_the_documents_own_adapter_is_asked_when_served(
    server: FakeLLMServer, make_options: Options
) -> None:
    """A job for one document (the language server's case): its dlm_id names a LoRA
    module the server serves, so that is the model asked."""
    server.models = ["org/base-model", "01KPQ9X1000000000000000099"]
    teacher = teacher_for(server.url, make_options, dlm_id="01KPQ9X1000000000000000099")
    await teacher.complete(PROMPT, SamplingParams(), CancelToken())
    assert teacher.model == "01KPQ9X1000000000000000099"
    assert server.generation_requests()[0].json["model"] == "01KPQ9X1000000000000000099"
    other = teacher_for(server.url, make_options, dlm_id="01KPQ9X1000000000000000098")
    await other.prepare(CancelToken())
    assert other.model == "org/base-model"
    await teacher.aclose()
    await other.aclose()


@pytest.mark.parametrize(
    ("owned_by", "props", "expected"),
    [
        ("vllm", None, (64, 256, True)),
        ("sglang", None, (64, 256, True)),
        ("llamacpp", {"total_slots": 3}, (3, 3, False)),
        ("llamacpp", None, (1, 16, True)),  # an older llama.cpp without /props
        ("library", None, (4, 64, True)),  # Ollama, LM Studio, TGI...: start low and grow
    ],
)
async def test_the_starting_budget_follows_what_the_server_says_it_is(
    server: FakeLLMServer, make_options: Options, owned_by: str, props: Any, expected: tuple[int, int, bool]
) -> None:
    server.owned_by = owned_by
    server.props = props
    teacher = teacher_for(server.url, make_options, concurrency=None)  # no --concurrency
    await teacher.prepare(CancelToken())
    budget = teacher.budget
    assert (budget.start, budget.ceiling, budget.adaptive) == expected
    capped = teacher_for(server.url, make_options, concurrency=2)
    await capped.prepare(CancelToken())
    assert capped.budget.ceiling == 2 and capped.budget.start <= 2
    await teacher.aclose()
    await capped.aclose()
