"""Generation with a model inside this process, shared by the `hf:` and `self`
teachers (`teachers.py`), which differ only in which model they load.

Generation blocks for seconds to minutes, so it runs in a worker thread. Two things
upstream lacks matter in an editor: a cancel that stops *mid-generation* (checked
after every token by a StoppingCriteria, not between calls) and a time bound for slow
CPU models that fails clearly instead of hanging the job.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ..cancel import CancelToken
from ..errors import SynthCancelled, TeacherInvocationError, TeacherUnavailableError
from ..teachers.base import Completion, Prompt, SamplingParams, Usage
from .models import LoadedModel, ModelUser
from .resolve import ModelSource


def render_prompt(tokenizer: Any, prompt: Prompt) -> tuple[str, bool]:
    """The text the model sees, and whether a chat template produced it.

    With a template: system + user turns, or one user turn holding the flattened
    prompt when the template rejects a system role (Gemma) or either part is empty.
    Without one (or if the template refuses even that): the flattened prompt as raw
    text, upstream's layout."""
    if not getattr(tokenizer, "chat_template", None):
        return prompt.flattened(), False
    system, user = prompt.system.strip(), prompt.user.strip()
    attempts: list[list[dict[str, str]]] = []
    if system and user:
        attempts.append([{"role": "system", "content": system}, {"role": "user", "content": user}])
    attempts.append([{"role": "user", "content": prompt.flattened()}])
    for messages in attempts:
        try:
            rendered = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        except Exception:  # jinja raise_exception(...) for a role the template refuses
            continue
        if isinstance(rendered, str):
            return rendered, True
    return prompt.flattened(), False


def encode_prompt(tokenizer: Any, prompt: Prompt) -> list[int]:
    """Token ids for `prompt`. A rendered template already carries its own BOS and
    turn markers, so the tokenizer must not add special tokens a second time."""
    text, templated = render_prompt(tokenizer, prompt)
    ids = tokenizer(text, add_special_tokens=not templated)["input_ids"]
    return [int(i) for i in ids]


def _stopping_criteria(transformers: Any, torch: Any, cancel: CancelToken, deadline: float) -> Any:
    """A StoppingCriteria that ends generation after the current token once the
    token is cancelled or the deadline passes, remembering which happened."""

    class _Stop(transformers.StoppingCriteria):  # type: ignore[misc]
        def __init__(self) -> None:
            self.cancelled = False
            self.timed_out = False

        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            if cancel.cancelled:
                self.cancelled = True
            elif time.monotonic() >= deadline:
                self.timed_out = True
            stop = self.cancelled or self.timed_out
            return torch.full((input_ids.shape[0],), stop, dtype=torch.bool, device=input_ids.device)

    return _Stop()


class LocalTeacher(ModelUser):
    """Generation shared by the in-process teachers. Subclasses say which model to
    load (`_locate`) and what they are called; loading, prompting, sampling,
    cancellation and timeouts live here once."""

    max_in_flight = 1
    _who = "local teacher"
    _unavailable = TeacherUnavailableError

    @property
    def name(self) -> str:
        raise NotImplementedError

    @property
    def model(self) -> str:
        raise NotImplementedError

    def _locate(self) -> tuple[ModelSource, Path | None]:
        """The base and adapter to load; raises TeacherUnavailableError."""
        raise NotImplementedError

    async def prepare(self, cancel: CancelToken) -> None:
        if self._loaded is not None:
            return
        cancel.raise_if_cancelled()
        source, adapter = self._locate()
        await self._load(source, adapter, who=self._who, loading=f"loading {self.model}…", cancel=cancel)

    async def complete(self, prompt: Prompt, params: SamplingParams, cancel: CancelToken) -> Completion:
        return await self._in_thread(cancel, self._generate, prompt, params, cancel)

    def _generate(
        self, loaded: LoadedModel, prompt: Prompt, params: SamplingParams, cancel: CancelToken
    ) -> Completion:
        try:
            return self._generate_locked(loaded, prompt, params, cancel)
        except (SynthCancelled, TeacherInvocationError):
            raise
        except Exception as exc:  # tokenizer or model failure: this call fails, not the server
            raise TeacherInvocationError(f"{self.name}: generation failed: {exc}") from exc

    def _generate_locked(
        self, loaded: LoadedModel, prompt: Prompt, params: SamplingParams, cancel: CancelToken
    ) -> Completion:
        import torch
        import transformers

        tokenizer = loaded.tokenizer
        ids = encode_prompt(tokenizer, prompt)
        input_ids = torch.tensor([ids], dtype=torch.long, device=loaded.device)
        kwargs: dict[str, Any] = {"max_new_tokens": params.max_new_tokens, "num_beams": 1}
        if params.temperature == 0:
            kwargs["do_sample"] = False
        else:
            kwargs.update(do_sample=True, temperature=params.temperature)
            if params.top_p is not None:
                kwargs["top_p"] = params.top_p
        if params.seed is not None:
            torch.manual_seed(params.seed)
            if torch.cuda.is_available():
                torch.cuda.manual_seed_all(params.seed)
        timeout = self._options.timeout_s
        stop = _stopping_criteria(transformers, torch, cancel, time.monotonic() + timeout)
        with torch.inference_mode():
            output = loaded.model.generate(
                input_ids=input_ids,
                attention_mask=torch.ones_like(input_ids),
                pad_token_id=tokenizer.pad_token_id,
                stopping_criteria=transformers.StoppingCriteriaList([stop]),
                **kwargs,
            )
        if stop.cancelled:
            raise SynthCancelled()
        if stop.timed_out:
            raise TeacherInvocationError(
                f"{self.name}: generation timed out after {timeout:g} s "
                "(raise the timeout for slow local models)"
            )
        new_tokens = output[0, len(ids) :]
        text = str(tokenizer.decode(new_tokens, skip_special_tokens=True)).strip()
        usage = Usage(input_tokens=len(ids), output_tokens=int(new_tokens.shape[0]), requests=1)
        return Completion(text=text, usage=usage)
