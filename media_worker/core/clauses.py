"""Split streaming LLM text into clauses for the TTS.

The first clause of a reply goes out as soon as it is complete: at a sentence
end, or at a comma, semicolon or colon once it holds enough words. Later text
goes out a sentence at a time. A boundary needs the whitespace after the
punctuation, so "3.5" and "e.g. this" never split, and single-letter
initials ("J. Smith") do not end a sentence.

The split is lossless: ``"".join(clauses) == "".join(pushed text)``. The
whitespace after a boundary stays at the end of its clause, so a TTS that
concatenates continuation text still hears the spaces.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

SENTENCE_END = frozenset(".?!…")
SOFT_BREAK = frozenset(",;:")
CLOSERS = frozenset("\"')]\u00bb\u201d\u2019")  # straight and curly closing quotes, brackets
ABBREVIATIONS = frozenset(
    {"e.g", "i.e", "mr", "mrs", "ms", "dr", "st", "jr", "sr", "vs", "approx", "a.m", "p.m", "u.s", "nr"}
)
MAX_CLAUSE_CHARS = 240
"""A sentence longer than this is cut at its last soft break (or space) so the TTS is not starved."""


@dataclass(frozen=True, slots=True)
class ClauseSplitter:
    """Pending text of one LLM response; a value, advanced by :func:`push` and :func:`flush`."""

    buffer: str = ""
    emitted_any: bool = False
    first_clause_min_words: int = 4


def push(splitter: ClauseSplitter, text: str) -> tuple[ClauseSplitter, tuple[str, ...]]:
    """Add streamed text; return the clauses now complete, in order."""
    buffer = splitter.buffer + text
    emitted_any = splitter.emitted_any
    clauses: list[str] = []
    while True:
        cut = _boundary(buffer, first=not emitted_any, min_words=splitter.first_clause_min_words)
        if cut is None:
            break
        clauses.append(buffer[:cut])
        buffer = buffer[cut:]
        emitted_any = True
    return replace(splitter, buffer=buffer, emitted_any=emitted_any), tuple(clauses)


def flush(splitter: ClauseSplitter) -> tuple[ClauseSplitter, tuple[str, ...]]:
    """The stream ended: return whatever text is left as the last clause."""
    if not splitter.buffer:
        return splitter, ()
    return replace(splitter, buffer="", emitted_any=True), (splitter.buffer,)


def _boundary(buffer: str, *, first: bool, min_words: int) -> int | None:
    """Index just past the first clause boundary (punctuation, closers, one whitespace), if any."""
    last_soft: int | None = None
    for i, ch in enumerate(buffer):
        if ch == "\n":
            return i + 1
        if ch not in SENTENCE_END and ch not in SOFT_BREAK:
            continue
        j = i + 1
        while j < len(buffer) and buffer[j] in CLOSERS:
            j += 1
        if j >= len(buffer) or not buffer[j].isspace():
            continue
        if ch in SENTENCE_END:
            if ch == "." and _is_abbreviation(buffer, i):
                continue
            return j + 1
        last_soft = j + 1
        if first and len(buffer[:i].split()) >= min_words:
            return j + 1
    if len(buffer) > MAX_CLAUSE_CHARS:
        if last_soft is not None:
            return last_soft
        space = buffer.rfind(" ", 0, MAX_CLAUSE_CHARS)
        if space > 0:
            return space + 1
    return None


def _is_abbreviation(buffer: str, dot: int) -> bool:
    start = dot
    while start > 0 and not buffer[start - 1].isspace():
        start -= 1
    word = buffer[start:dot].lstrip("\"'([\u201c\u2018").lower()
    if len(word) == 1 and word.isalpha():
        return True  # an initial such as "J."
    return word in ABBREVIATIONS
