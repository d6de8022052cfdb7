"""Clause splitting of streamed LLM text for early TTS."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from media_worker.core.clauses import MAX_CLAUSE_CHARS, ClauseSplitter, flush, push


def split(*chunks: str, min_words: int = 4) -> list[str]:
    splitter = ClauseSplitter(first_clause_min_words=min_words)
    out: list[str] = []
    for chunk in chunks:
        splitter, ready = push(splitter, chunk)
        out += ready
    _, rest = flush(splitter)
    return out + list(rest)


def test_first_sentence_is_released_before_the_stream_ends() -> None:
    # given a reply streaming token by token
    splitter = ClauseSplitter()
    splitter, ready = push(splitter, "Sure")
    assert ready == ()
    splitter, ready = push(splitter, "! Let me")
    # then the first sentence is ready as soon as the space after "!" arrives
    assert ready == ("Sure! ",)
    assert splitter.buffer == "Let me"


def test_first_clause_may_end_at_a_comma_once_long_enough() -> None:
    # given a first clause of four words ending in a comma
    _, ready = push(ClauseSplitter(first_clause_min_words=4), "Okay so for tomorrow, we have")
    # then it goes out at the comma
    assert ready == ("Okay so for tomorrow, ",)


def test_short_comma_clause_is_not_released() -> None:
    _, ready = push(ClauseSplitter(first_clause_min_words=4), "Well, I think")
    assert ready == ()


def test_later_text_splits_on_sentences_not_commas() -> None:
    # given the first clause already released
    assert split("Sure, I can help with that. After that, we can talk, and more. Bye") == [
        "Sure, I can help with that. ",
        "After that, we can talk, and more. ",
        "Bye",
    ]


def test_decimals_and_abbreviations_do_not_split() -> None:
    # when text holds a decimal, "e.g." and an initial
    clauses = split("It costs 3.5 dollars, e.g. for Mr. J. Smith today. Next one.", min_words=6)
    # then only real sentence ends split it
    assert clauses == ["It costs 3.5 dollars, e.g. for Mr. J. Smith today. ", "Next one."]


def test_punctuation_at_the_end_of_a_chunk_waits_for_the_next_character() -> None:
    # given "3." at the end of a chunk (it could become "3.5")
    splitter, ready = push(ClauseSplitter(), "That is 3.")
    assert ready == ()
    _, ready = push(splitter, "5 miles. Ok")
    assert ready == ("That is 3.5 miles. ",)


def test_question_mark_inside_quotes_splits_after_the_quote() -> None:
    assert split('He said "really?" Then left.') == ['He said "really?" ', "Then left."]


def test_overlong_sentence_is_cut_at_a_soft_break() -> None:
    # given a single sentence far longer than the limit
    long = "word " * 40 + "and, " + "more " * 20 + "end."
    clauses = split(long)
    # then it is cut before the end (so TTS is not starved) and nothing is lost
    assert len(clauses) > 1
    assert all(len(c) <= MAX_CLAUSE_CHARS + 5 for c in clauses[:-1])
    assert "".join(clauses) == long


def test_flush_of_empty_splitter_returns_nothing() -> None:
    assert flush(ClauseSplitter()) == (ClauseSplitter(), ())


text_pieces = st.lists(
    st.text(alphabet=st.sampled_from(list("abc 123.,;:!?\"'\n")), max_size=30),
    max_size=12,
)


@given(text_pieces, st.integers(min_value=1, max_value=6))
def test_splitting_never_loses_or_reorders_text(chunks: list[str], min_words: int) -> None:
    # whatever the chunking, the clauses concatenate back to exactly the input
    assert "".join(split(*chunks, min_words=min_words)) == "".join(chunks)


@given(st.text(alphabet=st.sampled_from(list("ab .,?")), max_size=60), st.integers(1, 59))
def test_chunk_boundaries_do_not_change_the_split(text: str, cut: int) -> None:
    # the same text streamed in two pieces or one gives the same clauses
    assert split(text[:cut], text[cut:]) == split(text)
