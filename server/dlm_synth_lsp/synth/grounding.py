"""Grounding check: is a synthesized pair supported by the prose it was generated from?

Upstream's only quality filter is the sway judge (spec 5.7), which needs a trained
adapter, so it cannot run at cold start, and `dedup-only` accepts anything that parses.
A small teacher asked to *extract* facts from a paragraph still invents things: a figure
that is not in the text, an answer about something else. This check needs no model and
runs in microseconds, so it can run on every pair, in the editor, before anything is
written.

How it works:

- Text is split into tokens (casefolded letters/digits runs; numbers such as `3.11`,
  `1,000` or `-5` are one token), English stopwords and one-letter words are dropped, and
  each word is reduced by a light suffix stemmer (plurals, -ing, -ed, final -e, y/i), so
  "multiplies", "multiplied" and "multiply" compare equal. Number words up to twenty
  ("two") count as their digits.
- **extraction** (the answer should restate the prose): `score` is the fraction of the
  answer's distinct content terms that occur in the source; the pair passes when
  `score >= threshold` (default 0.6) *and* every number in the answer occurs in the source
  (a hallucinated figure is the classic failure, and one wrong number in an otherwise
  well-supported answer would not move a fraction). The default 0.6 separates the
  hand-made good/bad examples in `tests/synth/test_grounding.py`: faithful extractions and
  paraphrases score 0.9–1.0 (the misses are connective words a teacher adds), answers that
  bring in outside facts score 0.0–0.4; 0.6 sits in the gap, leaving room for a paraphrase
  with a few words of its own.
- **expansion** (the answer goes beyond the prose by design): only topical relevance is
  required. The question and answer together must share at least
  `min(2, terms in the source)` content terms with the source, and `score` (the fraction
  of their distinct terms found in the source) must be `>= threshold` (default 0.1; the
  relevant expansions in the tests score 0.2–0.4, off-topic ones 0). Numbers are not
  checked: an expansion may legitimately cite figures the prose lacks.

- **extraction with a quote** (the teacher copied the sentence its answer comes from, as
  the extraction prompt asks): the quote must be found in the source (whitespace, case and
  quotation marks aside, `QUOTE_FOUND` similarity), and the answer is held to the quote
  instead of the whole source, with the same threshold and number rule. A misreading that
  stitches a figure or a name from another sentence into the answer is then missing from
  the quote even though it is in the passage (bench/README.md, "Quote first").

Limits (why this is a filter for the obviously bad, not a judge): it is lexical, so an
answer that negates the source ("DGEMM does *not* multiply matrices") passes, and a correct
paraphrase with synonyms ("product" for "multiplication") loses support; it knows English
only (other languages have no stopwords here, so every word counts as a content word, which
still works for an extraction from a same-language source); numbers are compared as
written after removing thousands separators, so "0.5" vs "50%" or "1e3" vs "1000" do not
match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz

from ..document.memo import Lru

Strategy = Literal["extraction", "expansion"]

#: the yes−no margin a pair needs from the model check (`local/check.py`); None: no
#: check. Chosen on the labelled pairs of one run and confirmed on another run labelled by
#: other people (bench/README.md, "The model check"): on expansion pairs, where the
#: lexical checks catch almost nothing, 1.3 rejects about half the unsupported answers
#: and raises the good share of what is accepted by about ten points; on extraction pairs
#: it gains one or two points for a forward pass per pair, so they are not checked.
SUPPORT_MARGIN: dict[Strategy, float | None] = {"extraction": None, "expansion": 1.3}
DEFAULT_EXTRACTION_THRESHOLD = 0.6
DEFAULT_EXPANSION_THRESHOLD = 0.1
EXPANSION_MIN_SHARED = 2
_MAX_LISTED = 8
#: rapidfuzz partial_ratio a quote needs against the source (after `_plain`): a copied
#: sentence scores 100, a copy with a word changed or added 89–98 (the lowest of 413
#: quotes the bundled model wrote for the quality corpus: 89, "The .ratio() method
#: returns…" for ".ratio() returns…"); invented sentences about the subject of
#: tests/synth/test_grounding.py's passage scored 47–69
QUOTE_FOUND = 85
#: beyond this many characters of source, only an exact (normalised) copy counts as found:
#: partial_ratio is quadratic in the worst case and a section may be megabytes
_FUZZY_QUOTE_LIMIT = 20_000
_QUOTE_MARKS = str.maketrans({c: "'" for c in '"“”‘’`´'})

# numbers first ("3.11", "1,000", "-5"), then runs of letters/digits ("dgemm", "x86", "sha256")
_TOKEN_RE = re.compile(r"(?<![\w.])-?\d+(?:[.,]\d+)*|[^\W_]+")
_THOUSANDS_RE = re.compile(r"-?\d{1,3}(?:,\d{3})+")
_NUMBER_RE = re.compile(r"-?\d+(?:[.,]\d+)*")

_NUMBER_WORD_TEXT = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
)
_NUMBER_WORDS = {word: str(value) for value, word in enumerate(_NUMBER_WORD_TEXT.split())}

_STOPWORD_TEXT = """
    a about above after again against all also am an and any are aren as at be because been
    before being below between both but by can cannot could did didn do does doesn doing don
    down during each either etc even ever every few for from further had has hasn have having
    he her here hers herself him himself his how however i if in into is isn it its itself
    just let like may me might more most much must my myself neither no nor not now of off
    often on once only or other others ought our ours ourselves out over own per rather
    really same shall she should so some such than that the their theirs them themselves then
    there these they this those though through thus to too under until up upon us used using
    very via was wasn we were weren what when where whether which while who whom whose why will
    with within without would yes yet you your yours yourself yourselves
    one ones s t ll re ve d m e g ie eg vs
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


# plurals the suffix rules get wrong, common in technical prose
_IRREGULAR = {
    "matrices": "matrix",
    "indices": "index",
    "vertices": "vertex",
    "appendices": "appendix",
    "analyses": "analysis",
    "criteria": "criterion",
    "phenomena": "phenomenon",
    "children": "child",
    "people": "person",
}


# -- form: pairs that are useless whatever their facts (measured in bench/quality) -------

#: a question that only makes sense next to the passage ("the two standards mentioned in
#: the passage", "what is the purpose of this library?")
_PASSAGE_BOUND = re.compile(
    r"\b(?:the|this|that)\s+(?:passage|text|paragraph|excerpt|snippet|article)\b"
    r"|\b(?:mentioned|described|discussed|listed|shown)\s+above\b"
    r"|^(?:what|which|how|why|when|where|who)\b[^?]*\b(?:these|those)\s+(?!are\b|is\b)\w+"
    r"|\b(?:this|the)\s+(?:library|module|standard|specification|functionality)\s*\??\s*$",
    re.IGNORECASE,
)
#: an answer about the passage rather than the subject ("not specified in the passage")
_ABOUT_THE_TEXT = re.compile(
    r"\b(?:the|this)\s+(?:passage|text|excerpt)\b|\bnot\s+(?:specified|mentioned|stated|given)\b"
    r"|\bmentioned\s+(?:in|above)\b",
    re.IGNORECASE,
)
#: the author's own voice copied from the prose ("I use them in a few applications :-)")
_FIRST_PERSON = re.compile(r"(?:^|\W)(?:I|I'm|I've|I'd|my)\b|:-\)|;-\)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(`'\"])|\n+")
#: answers made of this many passage sentences copy the passage instead of answering
COPIED_SENTENCES = 3
_SAME_SENTENCE = 90  # rapidfuzz ratio


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if len(s.strip()) > 15]


def _copied_sentences(answer: str, source: str) -> int:
    source_sentences = _sentences(source)
    return sum(
        1
        for sentence in _sentences(answer)
        if any(fuzz.ratio(sentence, other) >= _SAME_SENTENCE for other in source_sentences)
    )


def form_problem(question: str, answer: str, source: str) -> str | None:
    """Why the pair is useless as training data whatever its facts, or None."""
    if match := _PASSAGE_BOUND.search(question.strip()):
        return f"the question only makes sense next to the passage (“{match.group(0).strip()}”)"
    if match := _ABOUT_THE_TEXT.search(answer):
        return f"the answer talks about the passage instead of answering (“{match.group(0)}”)"
    if _FIRST_PERSON.search(answer):
        return "the answer repeats the author's first-person remark"
    copied = _copied_sentences(answer, source)
    if copied >= COPIED_SENTENCES:
        return f"the answer copies {copied} sentences of the passage instead of answering"
    said, asked = _terms(answer, number_words=True), _terms(question, number_words=True)
    if not (set(said.words) - set(asked.words)) and not (set(said.numbers) - set(asked.numbers)):
        return "the answer only repeats the question"
    return None


@dataclass(frozen=True, slots=True)
class GroundingVerdict:
    """`ok`: the pair passes. `score`: support (extraction) or relevance (expansion) in 0..1.
    `reason`: why it failed (None when ok). `unsupported`: answer terms/numbers (extraction)
    or question/answer terms (expansion) not found in the source, as written, in order of
    first appearance."""

    ok: bool
    score: float
    reason: str | None
    unsupported: tuple[str, ...]


def _stem(word: str) -> str:
    """A deliberately crude, symmetric stemmer: both sides go through it, so it only has to
    map common inflections of one word to the same string, not produce real stems."""
    if len(word) <= 3 or not word.isalpha():
        return word
    word = _IRREGULAR.get(word, word)
    if word.endswith(("ies", "ied")) and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith(("sses", "shes", "ches", "xes", "zes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    elif word.endswith("ing") and len(word) > 5:
        word = word[:-3]
    elif word.endswith("ed") and len(word) > 4:
        word = word[:-2]
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz" and word[-1].isalpha():
        word = word[:-1]  # running -> runn -> run
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]  # compute / computed / computing -> comput
    if word.endswith("y") and len(word) > 3:
        word = word[:-1] + "i"  # multiply / multiplies / multiplied -> multipli
    return word


@dataclass(frozen=True, slots=True)
class _Terms:
    words: dict[str, str]  # stem -> first surface form, in order of appearance
    numbers: dict[str, str]  # normalised number -> first surface form


def _number(token: str) -> str:
    if _THOUSANDS_RE.fullmatch(token):
        token = token.replace(",", "")
    return token.lstrip("-")


def _terms(text: str, *, number_words: bool) -> _Terms:
    words: dict[str, str] = {}
    numbers: dict[str, str] = {}
    for token in _TOKEN_RE.findall(text.casefold()):
        if _NUMBER_RE.fullmatch(token):
            numbers.setdefault(_number(token), token)
            continue
        if number_words and token in _NUMBER_WORDS and token != "one":
            numbers.setdefault(_NUMBER_WORDS[token], token)
            continue
        if len(token) < 2 or token in _STOPWORDS:
            continue
        words.setdefault(_stem(token), token)
    return _Terms(words, numbers)


#: every pair of a section is checked against the same prose: its terms are kept by
#: the prose text, bounded by how much text that is (a section may be megabytes)
_SOURCES: Lru[str, _Terms] = Lru(64, 8 * 1024 * 1024, lambda source, _: len(source))


def _source_terms(source: str) -> _Terms:
    return _SOURCES.get(source, lambda: _terms_of_source(source))


def _terms_of_source(source: str) -> _Terms:
    terms = _terms(source, number_words=False)
    numbers = dict(terms.numbers)
    for token in _TOKEN_RE.findall(source.casefold()):
        if token in _NUMBER_WORDS:  # "two" in the prose supports "2" in the answer
            numbers.setdefault(_NUMBER_WORDS[token], token)
    return _Terms(terms.words, numbers)


def _listed(items: Iterable[str]) -> str:
    items = list(items)
    shown = ", ".join(items[:_MAX_LISTED])
    return shown + (f", … (+{len(items) - _MAX_LISTED})" if len(items) > _MAX_LISTED else "")


def check_grounding(
    question: str,
    answer: str,
    source: str,
    strategy: Strategy,
    *,
    threshold: float | None = None,
    quote: str | None = None,
) -> GroundingVerdict:
    """Check one pair against the prose it was generated from (see the module docstring).

    `threshold` overrides the strategy's default (0.6 support for extraction, 0.1
    relevance for expansion) and must be in 0..1. `quote`: the source sentence the teacher
    says an extraction answer comes from (ignored for expansion).
    """
    if strategy not in ("extraction", "expansion"):
        raise ValueError(f"unknown strategy {strategy!r}")
    if threshold is None:
        threshold = DEFAULT_EXTRACTION_THRESHOLD if strategy == "extraction" else DEFAULT_EXPANSION_THRESHOLD
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be in [0, 1], got {threshold}")
    problem = None if not answer.strip() else form_problem(question, answer, source)
    if problem is not None:
        return GroundingVerdict(False, 0.0, problem, ())
    if strategy == "extraction":
        if quote is not None and quote.strip():
            if not quote_found(quote, source):
                return GroundingVerdict(False, 0.0, "the quoted sentence is not in the source", ())
            return _check_extraction(answer, _quoted_terms(quote, source), threshold, "its quoted sentence")
        return _check_extraction(answer, _source_terms(source), threshold, "the source")
    src = _source_terms(source)
    return _check_expansion(question, answer, src, threshold)


def _plain(text: str) -> str:
    return " ".join(text.translate(_QUOTE_MARKS).casefold().split())


def quote_found(quote: str, source: str) -> bool:
    """Whether `quote` is a copy of a stretch of `source` (see `QUOTE_FOUND`)."""
    said, text = _plain(quote), _plain(source)
    if said in text:
        return True
    if len(text) > _FUZZY_QUOTE_LIMIT:
        return False
    return fuzz.partial_ratio(said, text) >= QUOTE_FOUND


def _quoted_terms(quote: str, source: str) -> _Terms:
    """The quote's terms that the source has too: a quote is found by similarity, so a
    figure or a word the teacher changed while copying must not support the answer.
    Quotes are not kept in the sources' cache: each is used once, and keeping them would
    evict the prose every pair of a section is checked against."""
    said, src = _terms_of_source(quote), _source_terms(source)
    return _Terms(
        {stem: word for stem, word in said.words.items() if stem in src.words},
        {number: text for number, text in said.numbers.items() if number in src.numbers},
    )


def _check_extraction(answer: str, src: _Terms, threshold: float, where: str) -> GroundingVerdict:
    ans = _terms(answer, number_words=True)
    if not ans.words and not ans.numbers:
        if answer.strip():  # "Yes." - nothing to verify, nothing contradicted
            return GroundingVerdict(True, 1.0, None, ())
        return GroundingVerdict(False, 0.0, "the answer is empty", ())
    missing_numbers = [surface for num, surface in ans.numbers.items() if num not in src.numbers]
    missing_words = [surface for stem, surface in ans.words.items() if stem not in src.words]
    score = 1.0 - len(missing_words) / len(ans.words) if ans.words else 1.0
    unsupported = tuple(missing_numbers + missing_words)
    if missing_numbers:
        if len(missing_numbers) == 1:
            reason = f"number {missing_numbers[0]} does not appear in {where}"
        else:
            reason = f"numbers {_listed(missing_numbers)} do not appear in {where}"
        return GroundingVerdict(False, score, reason, unsupported)
    if score < threshold:
        reason = (
            f"answer terms not in {where}: {_listed(missing_words)} (support {score:.0%} < {threshold:.0%})"
        )
        return GroundingVerdict(False, score, reason, unsupported)
    return GroundingVerdict(True, score, None, unsupported)


def _check_expansion(question: str, answer: str, src: _Terms, threshold: float) -> GroundingVerdict:
    pair = _terms(question + "\n" + answer, number_words=False)
    if not pair.words:
        return GroundingVerdict(False, 0.0, "the question and answer have no content words", ())
    shared = [stem for stem in pair.words if stem in src.words]
    unsupported = tuple(surface for stem, surface in pair.words.items() if stem not in src.words)
    score = len(shared) / len(pair.words)
    need = min(EXPANSION_MIN_SHARED, len(src.words))
    if need == 0:
        return GroundingVerdict(False, 0.0, "the source has no content words", unsupported)
    if len(shared) < need:
        found = f" (only: {_listed(pair.words[s] for s in shared)})" if shared else ""
        reason = f"off topic: shares {len(shared)} of the {need} required terms with the source{found}"
        return GroundingVerdict(False, score, reason, unsupported)
    if score < threshold:
        reason = f"off topic: {score:.0%} of the pair's terms are in the source (< {threshold:.0%})"
        return GroundingVerdict(False, score, reason, unsupported)
    return GroundingVerdict(True, score, None, unsupported)
