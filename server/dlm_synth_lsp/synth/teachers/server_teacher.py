"""The `vllm-server:<url>` teacher (spec 5.6): any OpenAI-compatible server (vLLM,
SGLang, llama.cpp's llama-server, Ollama, LM Studio).

It speaks the same chat-completions API as `openai:` (`chat.py` builds the requests
and reads the replies for both) but over httpx2 (`http_client.py`) rather than the
SDK, whose import alone costs more than a local server takes to answer.

Credentials are a deliberate departure from reusing `$OPENAI_API_KEY`: the URL can
point anywhere (a colleague's box, a tunnel, a workspace's settings), and sending the
user's real OpenAI key there would leak it. We send `$DLM_SYNTH_SERVER_API_KEY` only
to the host `$DLM_SYNTH_SERVER_API_KEY_HOST` binds it to (`server_key.py`), and
otherwise a placeholder, which OpenAI-compatible servers without auth ignore.
Upstream sends no auth header at all, so the placeholder changes nothing for them.
Credentials inside the URL (`http://user:pass@host`) are used for the request only:
the teacher's name, which is shown and written into markers, leaves them out.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

from ..cancel import CancelToken
from ..concurrency import BATCHING_SERVER, UNKNOWN_SERVER, Budget
from ..errors import TeacherUnavailableError
from .base import Completion, Prompt, SamplingParams, Teacher, TeacherOptions
from .chat import ChatTeacher
from .http_client import HTTP_ERRORS, JsonClient
from .remote import RetryPolicy, SdkErrors, call_with_retries, endpoint_of
from .server_key import HOST_ENV, KEY_ENV, choose_key
from .spec import server_base_url, without_userinfo

_PLACEHOLDER_KEY = "sk-no-key"
#: the model name used when a server lists none (upstream's choice)
DEFAULT_SERVER_MODEL = "dlm-synth"
#: how long the llama.cpp slot query may take before the cautious default is used
_PROPS_TIMEOUT_S = 5.0


class ServerTeacher(ChatTeacher):
    """`vllm-server:<url>`: the served model is discovered once from
    `GET {base}/models` because users name the server, not the model."""

    _kind = "vllm-server"
    _key_hint = f"${KEY_ENV} (sent only to the host in ${HOST_ENV})"

    def __init__(self, url: str, options: TeacherOptions, *, policy: RetryPolicy | None = None) -> None:
        super().__init__(options, policy)
        self._url = url.strip()
        self._base = server_base_url(url)
        self._client: JsonClient | None = None
        self._model: str | None = None
        self._served: set[str] = set()
        self._budget = UNKNOWN_SERVER
        self._lock = asyncio.Lock()

    @property
    def name(self) -> str:
        return f"vllm-server:{without_userinfo(self._url)}"

    @property
    def base_url(self) -> str:
        return self._base

    @property
    def model(self) -> str:
        if self._model is None:
            raise RuntimeError(f"{self.name}: the served model is known only after prepare()")
        return self._model

    @property
    def budget(self) -> Budget:
        """By what the server says it is (known after prepare): vLLM and SGLang batch
        continuously; llama.cpp serves its `total_slots` at once and queues the rest;
        anything else starts low and grows."""
        return self._budget.capped(self._options.concurrency)

    def connect(self) -> JsonClient:
        assert self._client is not None, "prepare() creates the client"
        return self._client

    def _base_url(self) -> object:
        return self.connect().base_url

    def _errors(self) -> SdkErrors:
        return HTTP_ERRORS

    async def _post_chat(self, body: dict[str, Any]) -> object:
        return await self.connect().post("chat/completions", body)

    async def prepare(self, cancel: CancelToken) -> None:
        if self._model is not None:
            return
        async with self._lock:
            if self._model is not None:
                return
            choice = choose_key(self._base)
            url = urlsplit(self._base)
            self._secrets = (choice.key, choice.withheld, url.username or "", url.password or "")
            if choice.note:
                self._key_hint = choice.note
                if self._options.notice is not None:
                    self._options.notice(choice.note)
            # as many connections as calls may be in flight: the user's ceiling, else
            # the largest any server kind starts with
            pool = self._options.concurrency or BATCHING_SERVER.ceiling
            client = self._client or JsonClient(
                self._base, api_key=choice.key or _PLACEHOLDER_KEY, options=self._options, pool=pool
            )
            self._client = client

            async def list_models() -> object:
                return await client.get("models")

            def unavailable(reason: str) -> Exception:
                return TeacherUnavailableError(
                    f"vllm-server teacher could not query models from {without_userinfo(self._base)}: "
                    f"{reason} — is the server running?"
                )

            # A server that is not up should fail fast; one that is busy (429/5xx)
            # gets the usual retries.
            page = await call_with_retries(
                list_models,
                name=self.name,
                options=self._options,
                cancel=cancel,
                errors=HTTP_ERRORS,
                key_hint=self._key_hint,
                secrets=self._secrets,
                policy=self._policy,
                fail=unavailable,
                retry_connection_errors=False,
                endpoint=endpoint_of(client.base_url),
            )
            models = _listed(page.value)
            first = models[0] if models else None
            self._served = {_field_str(m, "id") for m in models}
            self._budget = await self._server_budget(client, _field_str(first, "owned_by"))
            self._model = self.model_for(
                self._options.dlm_id, _field_str(first, "id") or DEFAULT_SERVER_MODEL
            )

    def model_for(self, dlm_id: str | None, default: str | None = None) -> str:
        """The document's own adapter when the server serves one under its `dlm_id`
        (vLLM: `--lora-modules <dlm_id>=<adapter dir>`), else the server's first model."""
        if dlm_id and dlm_id in self._served:
            return dlm_id
        return default if default is not None else self.model

    def for_document(self, dlm_id: str | None) -> Teacher:
        """This teacher for one document of a corpus: the same connection, budget and
        name, asking the document's adapter when the server serves it."""
        return _DocumentView(self, dlm_id)

    async def _server_budget(self, client: JsonClient, owner: str) -> Budget:
        """The starting budget for this server, from the `owned_by` its model listing
        carries (vLLM "vllm", SGLang "sglang", llama.cpp "llamacpp"; OpenAI's own API
        says "openai"/"system", which tells nothing) and, for llama.cpp, the slot
        count its `/props` reports. Any failure leaves the cautious default."""
        if owner in ("vllm", "sglang"):
            return BATCHING_SERVER
        if owner != "llamacpp":
            return UNKNOWN_SERVER
        root = self._base[: -len("/v1")] if self._base.endswith("/v1") else self._base
        try:
            props = await asyncio.wait_for(client.get(f"{root}/props"), _PROPS_TIMEOUT_S)
        except Exception:  # an older llama.cpp, a proxy in front: the default is safe
            return Budget(1, 16)
        slots = props.get("total_slots") if isinstance(props, dict) else None
        if isinstance(slots, int) and not isinstance(slots, bool) and slots >= 1:
            return Budget(slots, slots, adaptive=False)
        return Budget(1, 16)

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()


def _listed(page: object) -> list[object]:
    data = page.get("data") if isinstance(page, dict) else None
    return list(data) if isinstance(data, list) else []


class _DocumentView:
    """`ServerTeacher.for_document`: shares the teacher's client and budget; only the
    model it asks differs (known once the teacher is prepared)."""

    def __init__(self, teacher: ServerTeacher, dlm_id: str | None) -> None:
        self._teacher = teacher
        self._dlm_id = dlm_id

    @property
    def name(self) -> str:
        return self._teacher.name

    @property
    def model(self) -> str:
        return self._teacher.model_for(self._dlm_id)

    @property
    def budget(self) -> Budget:
        return self._teacher.budget

    @property
    def max_in_flight(self) -> int:
        return self._teacher.max_in_flight

    async def prepare(self, cancel: CancelToken) -> None:
        await self._teacher.prepare(cancel)

    async def complete(self, prompt: Prompt, params: SamplingParams, cancel: CancelToken) -> Completion:
        return await self._teacher.complete_with(self.model, prompt, params, cancel)

    async def aclose(self) -> None:
        return None  # the connection is the shared teacher's


def _field_str(item: object, key: str) -> str:
    value = item.get(key) if isinstance(item, dict) else None
    return value.strip() if isinstance(value, str) else ""
