"""X's weighted length: the fast check that spares most replies the parser must never be wrong."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.domain.rules import surely_fits_on_x, x_weighted_length

_URLISH = st.sampled_from(["a.co", "x.com/a", "https://t.co/x", "b.io", "example.com", ".", " ", "a", "Z", "9", "\n"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_URLISH, st.text(alphabet=st.characters(max_codepoint=127), max_size=30)), max_size=60))
def test_the_fast_check_never_lets_a_text_past_xs_limit(parts: list[str]):
    text = "".join(parts)
    if surely_fits_on_x(text):
        assert x_weighted_length(text) <= 280
    if not text.isascii():
        assert not surely_fits_on_x(text)


def test_the_fast_check_leaves_long_or_url_heavy_texts_to_the_parser():
    assert surely_fits_on_x("We are looking into it now.")
    assert not surely_fits_on_x("a.co " * 12)  # 60 characters, but 12 URLs count 23 each
    assert x_weighted_length("a.co " * 12) > 280
    assert not surely_fits_on_x("é")
