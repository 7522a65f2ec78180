"""A fake OpenAI-compatible teacher on 127.0.0.1 for the extension's integration and
end-to-end runs: it answers every chat completion with grounded pairs built from the
passage in the prompt (tests/fakes/teacher_replies.py), after an optional delay.

    python editors/vscode/e2e/fake_teacher.py [--latency SECONDS]

Prints `READY <url>` once listening and runs until stdin is closed (so it never
outlives the process that started it) or it is killed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from tests.fakes.llm_server import FakeLLMServer  # noqa: E402
from tests.fakes.teacher_replies import passage_reply  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each reply")
    args = parser.parse_args()
    server = FakeLLMServer(default_reply=passage_reply, latency_s=args.latency).start()
    try:
        print(f"READY {server.url}", flush=True)
        sys.stdin.read()  # until the parent closes our stdin or exits
    finally:
        server.stop()


if __name__ == "__main__":
    main()
