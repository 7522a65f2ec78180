"""Builds `bench/quality/corpus/*.dlm` from documentation already on a Debian machine.

The quality benchmark needs prose this project did not write, so every section is a
verbatim excerpt: a Python 3.11 standard-library docstring, a man page rendered by
`man`, a Debian package README or a package's PyPI description. The only changes are
layout: hard-wrapped lines are joined into one line per paragraph, runs of spaces inside
a paragraph become one space, indented examples and ``>>>`` sessions go into ``` fences,
and a source heading becomes a markdown heading (docstrings get the name of the object
they document as their heading, since the docstring itself rarely names it). Nothing is
reworded or dropped inside an excerpt.

    .venv/bin/python bench/quality/make_corpus.py [--check]

`--check` rebuilds in memory and exits 1 if a committed file differs (man-page rendering
depends on the installed groff, so expect differences on other machines; the committed
files are the corpus). Licences and exact sources: `corpus/SOURCES.md`.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"
SITE = Path("/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages")
MIN_WORDS, MAX_WORDS = 60, 250


@dataclass(frozen=True)
class Excerpt:
    """`source` is `py:<dotted object>`, `man:<page>` or `file:<path>`; the excerpt runs
    from the first occurrence of `start` up to (not including) `end` (None: to the end)."""

    source: str
    start: str
    end: str | None
    heading: str | None = None
    keep_lines: bool = False


@dataclass(frozen=True)
class Doc:
    name: str
    title: str
    dlm_id: str
    excerpts: list[Excerpt] = field(default_factory=list)


def _py(dotted: str) -> str:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        doc = obj if isinstance(obj, str) else obj.__doc__
        if doc is None:
            raise SystemExit(f"{dotted} has no docstring")
        return inspect.cleandoc(doc)
    raise SystemExit(f"cannot import {dotted}")


def _man(page: str) -> str:
    env = dict(os.environ, MANWIDTH="2000", LANG="C.UTF-8", MAN_KEEP_FORMATTING="")
    out = subprocess.run(
        ["man", "-P", "cat", page], env=env, capture_output=True, text=True, check=True
    ).stdout
    return "\n".join(line.rstrip() for line in out.splitlines())


def _file(path: str) -> str:
    text = Path(path).read_text(encoding="utf-8")
    if path.endswith("METADATA"):  # the long description follows the first blank line
        text = text.split("\n\n", 1)[1]
    return text


def source_text(source: str) -> str:
    kind, _, ref = source.partition(":")
    return {"py": _py, "man": _man, "file": _file}[kind](ref)


_LIST_ITEM = re.compile(r"^\s*(?:[-*○•]|\d+\.)\s")
_RST_UNDERLINE = re.compile(r"^([-=+~^])\1{2,}$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _paragraphs(text: str) -> list[list[str]]:
    paras: list[list[str]] = [[]]
    for line in text.strip("\n").splitlines():
        if line.strip():
            paras[-1].append(line.rstrip())
        elif paras[-1]:
            paras.append([])
    return [p for p in paras if p]


def _join(lines: list[str], keep_lines: bool) -> str:
    if keep_lines:
        return "\n".join(" ".join(line.split()) for line in lines)
    return " ".join(" ".join(lines).split())


def _fence(lines: list[str]) -> str:
    width = min(_indent(line) for line in lines if line)
    return "```\n" + "\n".join(line[width:] for line in lines) + "\n```"


def reflow_docstring(text: str, keep_lines: bool = False) -> str:
    """A doctest paragraph is code; inside other paragraphs indented lines are code and the
    rest is joined."""
    out: list[str] = []
    pending: list[str] = []  # consecutive all-indented paragraphs form one block
    for para in _paragraphs(text):
        if all(_indent(line) > 0 for line in para):
            pending += [*([""] if pending else []), *para]
            continue
        if pending:
            out.append(_fence(pending))
            pending = []
        if para[0].lstrip().startswith(">>>"):
            out.append(_fence(para))
            continue
        # a definition list ("'mode' -- the mode argument ...") keeps its lines
        keep = keep_lines or sum(" -- " in line for line in para) >= 3
        run: list[str] = []
        code = False
        for line in [*para, None]:
            is_code = line is not None and _indent(line) > 0
            if line is None or (run and is_code != code):
                out.append(_fence(run) if code else _join(run, keep))
                run = []
            if line is not None:
                run.append(line)
                code = is_code
    if pending:
        out.append(_fence(pending))
    return "\n\n".join(out)


def reflow_man(text: str, keep_lines: bool = False) -> str:
    """`man` at MANWIDTH=2000 puts a paragraph on one line; the indentation says what it is:
    0 a section heading, 3 a subsection heading, 7 body text, deeper an example (or, right
    after a bulleted item, that item's description)."""
    out: list[str] = []
    code: list[str] = []
    after_bullet = False
    for para in _paragraphs(text):
        for line in para:
            indent = _indent(line)
            if indent > 7 and not (after_bullet and indent == 11):
                code.append(line)
                continue
            if code:
                out.append(_fence(code))
                code = []
            if indent < 7:
                out.append("# " + " ".join(line.split()))
            else:
                out.append(_join([line], keep_lines))
                after_bullet = bool(_LIST_ITEM.match(line)) or (after_bullet and indent == 11)
        if code:
            code.append("")  # a blank line inside one example stays in it
    if code:
        while not code[-1]:
            code.pop()
        out.append(_fence(code))
    return "\n\n".join(out)


def reflow_text(text: str, keep_lines: bool = False) -> str:
    """Plain-text / reStructuredText files: underlined titles become headings, paragraphs and
    list items (with their indented continuation lines) are joined."""
    out: list[str] = []
    for para in _paragraphs(text):
        if len(para) >= 2 and _RST_UNDERLINE.match(para[1].strip()):
            out.append("# " + para[0].strip())
            para = para[2:]
        if not para:
            continue
        if _LIST_ITEM.match(para[0]):
            items: list[list[str]] = []
            for line in para:
                if _LIST_ITEM.match(line) or not items:
                    items.append([line])
                else:
                    items[-1].append(line)
            out.append("\n".join(_join(item, False) for item in items))
        else:
            out.append(_join(para, keep_lines))
    return "\n\n".join(out)


def excerpt_text(ex: Excerpt) -> str:
    text = source_text(ex.source)
    start = text.find(ex.start)
    if start < 0:
        raise SystemExit(f"{ex.source}: start {ex.start!r} not found")
    end = len(text) if ex.end is None else text.find(ex.end, start + len(ex.start))
    if end < 0:
        raise SystemExit(f"{ex.source}: end {ex.end!r} not found")
    # start at the beginning of the line so man-page indentation is kept
    start = text.rfind("\n", 0, start) + 1
    reflow = {"py": reflow_docstring, "man": reflow_man, "file": reflow_text}[ex.source.split(":")[0]]
    body = reflow(text[start:end], ex.keep_lines)
    if ex.heading:
        body = f"# {ex.heading}\n\n{body}"
    return body


def render(doc: Doc) -> str:
    head = (
        "---\n"
        f"# {doc.title}\n"
        "# Verbatim excerpts (layout only); sources and licences: SOURCES.md\n"
        f"dlm_id: {doc.dlm_id}\n"
        "dlm_version: 15\n"
        "base_model: smollm2-135m\n"
        "---\n\n"
    )
    return head + "\n\n::prose::\n\n".join(excerpt_text(ex) for ex in doc.excerpts) + "\n"


def words(text: str) -> int:
    return len(re.findall(r"\S+", text.replace("```", "")))


def _ex_py(
    obj: str,
    start: str | None = None,
    end: str | None = None,
    heading: str | None = None,
    keep_lines: bool = False,
) -> Excerpt:
    text = _py(obj)
    return Excerpt(f"py:{obj}", start or text.split("\n", 1)[0], end, heading or obj, keep_lines)


def documents() -> list[Doc]:
    idna = str(SITE / "idna-3.13.dist-info" / "METADATA")
    cacerts = "/usr/share/doc/ca-certificates/README.Debian"
    return [
        Doc(
            "heapq-about",
            "heapq: François Pinard's explanation of heaps (CPython 3.11)",
            "01KQ9C0RP50000000000000001",
            [
                Excerpt("py:heapq.__about__", "Heaps are arrays", "If this heap invariant", "Heap queues"),
                Excerpt("py:heapq.__about__", "If this heap invariant", "Various structures", "Heap queues"),
                Excerpt("py:heapq.__about__", "Various structures", "Moreover, if you output", "Heap queues"),
                Excerpt(
                    "py:heapq.__about__", "Moreover, if you output", "--------------------", "Heap queues"
                ),
            ],
        ),
        Doc(
            "python-timeit",
            "timeit: module and Timer docstrings (CPython 3.11)",
            "01KQ9C0RP50000000000000002",
            [
                _ex_py("timeit.__doc__", "Tool for measuring", "A multi-line statement", "timeit"),
                _ex_py("timeit.__doc__", "A multi-line statement", "Classes:", "timeit"),
                _ex_py("timeit.Timer"),
                _ex_py("timeit.Timer.repeat"),
            ],
        ),
        Doc(
            "python-difflib",
            "difflib: SequenceMatcher and get_close_matches (CPython 3.11)",
            "01KQ9C0RP50000000000000003",
            [
                _ex_py("difflib.SequenceMatcher", "SequenceMatcher is a flexible", "SequenceMatcher tries"),
                _ex_py("difflib.SequenceMatcher", "SequenceMatcher tries", "Example, comparing"),
                _ex_py("difflib.SequenceMatcher", "Example, comparing", "If you're only interested"),
                _ex_py("difflib.SequenceMatcher.__init__", heading="difflib.SequenceMatcher"),
                _ex_py("difflib.get_close_matches", end=">>> import keyword"),
            ],
        ),
        Doc(
            "python-threading-queue",
            "threading and queue: blocking calls (CPython 3.11)",
            "01KQ9C0RP50000000000000004",
            [
                _ex_py("threading.Condition.wait"),
                _ex_py("threading.Event.wait"),
                _ex_py("queue.Queue.get"),
                _ex_py("queue.Queue.put"),
                _ex_py("threading.Thread.__init__", heading="threading.Thread"),
            ],
        ),
        Doc(
            "python-tempfile",
            "tempfile: module, mkstemp and NamedTemporaryFile (CPython 3.11)",
            "01KQ9C0RP50000000000000005",
            [
                _ex_py("tempfile.__doc__", heading="tempfile"),
                _ex_py("tempfile.mkstemp"),
                _ex_py("tempfile.NamedTemporaryFile"),
            ],
        ),
        Doc(
            "python-functools",
            "functools: reduce and lru_cache (CPython 3.11)",
            "01KQ9C0RP50000000000000006",
            [
                _ex_py("functools.reduce"),
                _ex_py("functools.lru_cache", end="See:"),
            ],
        ),
        Doc(
            "bzip2",
            "bzip2(1) manual page, bzip2 1.0.8 (Debian 12)",
            "01KQ9C0RP50000000000000007",
            [
                Excerpt("man:bzip2", "bzip2 compresses files using", "bunzip2 (or bzip2 -d)", "bzip2"),
                Excerpt("man:bzip2", "Compression is always performed", "OPTIONS", "bzip2"),
                Excerpt("man:bzip2", "MEMORY MANAGEMENT\n", "For files compressed with"),
                Excerpt("man:bzip2", "For files compressed with", "Here is a table", "MEMORY MANAGEMENT"),
                Excerpt("man:bzip2", "RECOVERING DATA FROM DAMAGED FILES\n", "PERFORMANCE NOTES"),
            ],
        ),
        Doc(
            "xz",
            "xz(1) manual page, XZ Utils 5.4 (Debian 12)",
            "01KQ9C0RP50000000000000008",
            [
                Excerpt("man:xz", "   Memory usage", "The memory usage limiter can be"),
                Excerpt(
                    "man:xz",
                    "The memory usage limiter can be",
                    "   Concatenation and padding",
                    "Memory usage",
                ),
                Excerpt("man:xz", "   Concatenation and padding", "OPTIONS"),
            ],
        ),
        Doc(
            "git-bisect",
            "git-bisect(1) manual page, Git 2.39 (Debian 12)",
            "01KQ9C0RP50000000000000009",
            [
                Excerpt(
                    "man:git-bisect",
                    "This command uses a binary search",
                    "   Basic bisect commands",
                    "git bisect",
                ),
                Excerpt("man:git-bisect", "   Basic bisect commands", "Keep repeating the process"),
                Excerpt("man:git-bisect", "Keep repeating the process", "   Alternate terms", "git bisect"),
                Excerpt("man:git-bisect", "   Alternate terms", 'To use "old" and "new"'),
            ],
        ),
        Doc(
            "jq",
            "jq(1) manual page, jq 1.6 (Debian 12)",
            "01KQ9C0RP5000000000000000A",
            [
                Excerpt("man:jq", "jq can transform JSON in various ways", "FILTERS", "jq"),
                Excerpt("man:jq", "FILTERS\n", "But that's getting ahead"),
                Excerpt("man:jq", "   Object Identifier-Index: .foo, .foo.bar", "           jq '.foo'"),
                Excerpt(
                    "man:jq",
                    "       ○   --slurp/-s:",
                    "       ○   --compact-output",
                    "INVOKING JQ",
                    keep_lines=True,
                ),
            ],
        ),
        Doc(
            "idna",
            "idna 3.13 package description (PyPI METADATA)",
            "01KQ9C0RP5000000000000000B",
            [
                Excerpt(
                    f"file:{idna}",
                    "Support for `Internationalized",
                    "Basic functions are",
                    "Internationalized Domain Names in Applications (IDNA)",
                ),
                Excerpt(
                    f"file:{idna}",
                    "Compatibility Mapping (UTS #46)",
                    ".. code-block:: pycon\n\n    >>> import idna\n    >>> idna.encode('Königsgäßchen')",
                ),
                Excerpt(f"file:{idna}", "Exceptions\n----", "Building and Diagnostics"),
                Excerpt(f"file:{idna}", "Building and Diagnostics", "Additional Notes"),
            ],
        ),
        Doc(
            "ca-certificates",
            "ca-certificates README.Debian (Debian 12)",
            "01KQ9C0RP5000000000000000C",
            [
                Excerpt(f"file:{cacerts}", "The Debian Package ca-certificates", "The configuration file"),
                Excerpt(f"file:{cacerts}", "The configuration file", "How to install local"),
                Excerpt(f"file:{cacerts}", "How to install local", "How certificates will be accepted"),
            ],
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    bad = 0
    total_sections = total_words = 0
    for doc in documents():
        text = render(doc)
        path = CORPUS / f"{doc.name}.dlm"
        for i, part in enumerate(text.split("---\n", 2)[2].split("::prose::")):
            n = words(part)
            total_sections += 1
            total_words += n
            flag = "" if MIN_WORDS <= n <= MAX_WORDS else f"  (outside {MIN_WORDS}-{MAX_WORDS})"
            print(f"{doc.name} [{i}] {n} words{flag}")
            bad += bool(flag)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                print(f"{path} differs", file=sys.stderr)
                bad += 1
        else:
            CORPUS.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    print(f"{total_sections} sections, {total_words} words")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
