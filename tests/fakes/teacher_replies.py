"""A deterministic stand-in for a good teacher, for the fake LLM server.

It reads the requested pair count and the passage out of the prompt our pipeline
sends (`synth/prompts.py`) and answers with pairs built from the passage's own
sentences, so extraction answers are grounded and every section gets distinct pairs.
"""

from __future__ import annotations

import json
import re
from typing import Any

_COUNT_RE = re.compile(r"Write (\d+) ")
_PASSAGE_RE = re.compile(r"Passage:\n<<<\n(.*)\n>>>", re.DOTALL)
_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+")


def user_text(request: Any) -> str:
    """The user prompt of an OpenAI or Anthropic request body."""
    messages = request.get("messages", []) if isinstance(request, dict) else []
    for message in messages:
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                return "\n".join(part.get("text", "") for part in content if isinstance(part, dict))
            return str(content)
    return ""


def passage_pairs(request: Any) -> list[dict[str, str]]:
    text = user_text(request)
    count = int(m.group(1)) if (m := _COUNT_RE.search(text)) else 3
    passage = m2.group(1) if (m2 := _PASSAGE_RE.search(text)) else text
    lines = [ln for ln in passage.splitlines() if ln.strip() and not ln.lstrip().startswith(("#", "```"))]
    sentences = [s.strip() for s in _SENTENCE_RE.split(" ".join(lines)) if len(s.split()) >= 3] or [passage]
    expansion = "follow-up" in text
    pairs = []
    for i in range(count):
        sentence = sentences[i % len(sentences)]
        words = sentence.split()
        topic = " ".join(words[: max(1, min(6, len(words) - 2))])  # the answer always says more
        if expansion:
            pairs.append(
                {
                    "question": f"Why does it matter that {topic}…? (follow-up {i + 1})",
                    "answer": f"Because {sentence[0].lower()}{sentence[1:]}",
                }
            )
        else:
            pairs.append(
                {"question": f"What holds for “{topic}” (point {i + 1})?", "answer": sentence}
            )
    return pairs


def passage_reply(request: Any) -> str:
    return json.dumps(passage_pairs(request), ensure_ascii=False)
