"""Problems found in a document: every one of them, each with a stable code.

Upstream stops at the first error; an editor needs all of them, at the exact range,
with a code a quick fix or a CI filter can key on. Severity follows one rule:
`error` means upstream's parser would refuse the document; `warning` means upstream
accepts it but it will misbehave later (train-time grammar failures, stale
provenance); `info` flags lines that look structural but are not, and provenance that
only needs confirming (pairs that follow prose edited after they were made).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .text import Span


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Code(StrEnum):
    """Stable problem codes. Never renumber; add new ones at the end of a group."""

    # file (DLM000)
    ENCODING = "DLM000"
    # frontmatter (DLM00x)
    FRONTMATTER_OPEN = "DLM001"
    FRONTMATTER_CLOSE = "DLM002"
    YAML_SYNTAX = "DLM003"
    FRONTMATTER_NOT_MAPPING = "DLM004"
    SCHEMA_UNKNOWN_KEY = "DLM005"
    SCHEMA_MISSING_KEY = "DLM006"
    SCHEMA_INVALID_VALUE = "DLM007"
    SCHEMA_CROSS_FIELD = "DLM008"
    VERSION = "DLM009"
    # fences (DLM01x)
    UNKNOWN_FENCE = "DLM010"
    FENCE_NEEDS_ATTRIBUTES = "DLM011"
    INVALID_ADAPTER = "DLM012"
    ATTRIBUTE_FENCE = "DLM013"
    UNTERMINATED_CODE = "DLM014"
    FENCE_LIKE_CONTENT = "DLM015"
    # markers (DLM02x)
    SYNTH_MARKER = "DLM020"
    MINED_MARKER = "DLM021"
    MARKER_AS_CONTENT = "DLM022"
    # section bodies (DLM03x), found upstream only at train time
    INSTRUCTION_GRAMMAR = "DLM030"
    PREFERENCE_GRAMMAR = "DLM031"
    # provenance (DLM04x)
    STALE_PROVENANCE = "DLM040"
    SOURCE_EDITED = "DLM041"
    # frontmatter that loads but trains wrongly (DLM05x)
    DUPLICATE_KEY = "DLM050"
    UNKNOWN_BASE_MODEL = "DLM051"
    # the parser itself (DLM09x)
    PARSE_FAILED = "DLM090"


SEVERITY: dict[Code, Severity] = {
    **{code: Severity.ERROR for code in Code},
    Code.FENCE_LIKE_CONTENT: Severity.INFO,
    Code.MARKER_AS_CONTENT: Severity.WARNING,
    Code.INSTRUCTION_GRAMMAR: Severity.WARNING,
    Code.PREFERENCE_GRAMMAR: Severity.WARNING,
    Code.STALE_PROVENANCE: Severity.WARNING,
    Code.DUPLICATE_KEY: Severity.WARNING,
    Code.UNKNOWN_BASE_MODEL: Severity.WARNING,
    Code.SOURCE_EDITED: Severity.INFO,
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding. `span` is 0-based in the normalised text, columns in code points.

    `data` carries machine-readable details for quick fixes (e.g. the suggested
    fence, or the stale source id) so no consumer ever parses `message`.
    """

    code: Code
    span: Span
    message: str
    data: tuple[tuple[str, str], ...] = ()

    @property
    def severity(self) -> Severity:
        return SEVERITY[self.code]

    def shifted(self, delta: int) -> Problem:
        if delta == 0:
            return self
        return Problem(self.code, self.span.shifted(delta), self.message, self.data)

    def get(self, key: str) -> str | None:
        return dict(self.data).get(key)
