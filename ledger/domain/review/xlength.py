"""X's weighted length of a reply, as `twitter_text.parse_tweet(text).weightedLength` counts it.

`parse_tweet` spends about 1.2 ms on a 150-character reply, most of it in its emoji regex. Most
replies hold no multi-code-point emoji and no character whose weight emoji parsing changes; for
those the count is one per light code point and two per other code point, which this module
computes in microseconds, and each URL weighs 23 (found by twitter-text's own URL extraction,
~60 µs, only when something looks like a domain). Anything else goes to `parse_tweet` itself.
tests/test_reply_review.py checks the two agree on generated text.
"""

from __future__ import annotations

import re
import unicodedata

from twitter_text import parse_tweet
from twitter_text.extract_urls import extract_urls_with_indices

# Code points X weighs 1 (twitter-text v3 config ranges); every other code point weighs 2.
_HEAVY = re.compile(r"[^\u0000-\u10ff\u2000-\u200d\u2010-\u201f\u2032-\u2037]")
# What can change the simple count, besides URLs: line endings (normalised) and emoji parsing: ©
# and ® (light alone, 2 as emoji), variation selector, keycap, zero-width joiner, skin tones,
# regional indicators (flags) and tag characters (subdivision flags) join code points into one.
_NEEDS_PARSER = re.compile(
    r"[\r\u00a9\u00ae\ufe0f\u20e3\u200d\U0001f3fb-\U0001f3ff\U0001f1e6-\U0001f1ff\U000e0020-\U000e007f]"
)
# Where twitter-text could find a URL (which weighs 23 whatever its length): a scheme or a dot
# between a letter or digit and a letter.
_MAYBE_URL = re.compile(r"://|[^\W_]\.[^\W\d_]")
URL_WEIGHT = 23
X_WEIGHTED_LIMIT = 280  # what a public reply on X may weigh


def weighted_length(text: str) -> int:
    """X's weighted length: 280 is the limit for a post."""
    if _NEEDS_PARSER.search(text) or not unicodedata.is_normalized("NFC", text):
        return int(parse_tweet(text).weightedLength)
    light = text.isascii()
    length = len(text) if light else len(text) + len(_HEAVY.findall(text))
    if not _MAYBE_URL.search(text):
        return length
    # twitter-text's URL extraction alone (its emoji pass, 20 times slower, has nothing to join here).
    for url in extract_urls_with_indices(text):
        start, end = url["indices"]
        inside = text[start:end]
        length += URL_WEIGHT - len(inside) - (0 if light else len(_HEAVY.findall(inside)))
    return length
