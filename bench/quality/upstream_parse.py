"""Runs in `.venv-oracle`: upstream's own reply parser over recorded raw replies.

stdin: a JSON list of reply texts; stdout: a JSON list of {"ok", "pairs", "error"}, one per
reply, where `pairs` is every item upstream's `json_list` parser returns (before its cut to
the first n) and `error` is its ValueError text. The teacher's text reaches that parser
stripped (spec 5.4), so it is stripped here too.
"""

from __future__ import annotations

import json
import sys

from dlm.synth.run import _parse_generated_pairs


def main() -> None:
    out = []
    for text in json.load(sys.stdin):
        try:
            pairs = _parse_generated_pairs(text.strip(), parser="json_list")
        except ValueError as exc:
            out.append({"ok": False, "pairs": [], "error": str(exc)})
        else:
            out.append({"ok": True, "pairs": [[p.question, p.answer] for p in pairs], "error": None})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
