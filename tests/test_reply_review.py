"""Reply review, the pure engine: spans, each kind in both languages, tenant words, Turkish case
handling, language detection, X's weighted length and the advice kinds. No database needed."""
# ruff: noqa: RUF001

from __future__ import annotations

import re
import time

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twitter_text import parse_tweet

from ledger.domain.review import RULES_VERSION, Finding, Review, review
from ledger.domain.review.folding import en_lower, fold, tr_lower
from ledger.domain.review.language import detect
from ledger.domain.review.reviewer import SHIPPED
from ledger.domain.review.rule import PROBLEM_KINDS
from ledger.domain.review.scorer import Scorer, flag, language_model, threshold_for
from ledger.domain.review.xlength import weighted_length
from tests.review_rules import rule_kinds


def kinds(result: Review) -> set[str]:
    return {f.kind for f in result.findings if f.level == "problem"}


def test_every_finding_quotes_its_own_span() -> None:
    text = "SHUT UP, this is NOT our fault!!! You people clearly cannot read the manual."
    result = review(text, language="en", severity="sev1")
    assert result.verdict == "flagged"
    assert {"shouting", "aggressive", "defensive", "blame"} <= kinds(result)
    for finding in result.findings:
        assert finding.excerpt == text[finding.start : finding.end]
        assert finding.message
    you_people = next(f for f in result.findings if f.excerpt == "You people")
    assert (you_people.kind, you_people.start) == ("aggressive", text.index("You people"))
    assert "“You people”" in you_people.message


def test_spans_stay_right_after_turkish_capitals_before_them() -> None:
    # "İ" lower-cases to two code points in Python; the views must keep every offset.
    text = "İİİ İYİ GÜNLER İSTANBUL. Sizin hatanız, sakin olun."
    result = review(text, language="tr")
    blame = next(f for f in result.findings if f.kind == "blame")
    assert blame.excerpt == "Sizin hatanız"
    dismissive = next(f for f in result.findings if f.kind == "dismissive")
    assert dismissive.excerpt == "sakin olun"


EACH_KIND = [
    ("en", "You're being incredibly rude and entitled.", "aggressive"),
    ("en", "If you had read the email, you'd know the store closed early.", "blame"),
    ("en", "Calm down, it's a two-hour outage, not the end of the world.", "dismissive"),
    ("en", "This is not our problem. Contact your bank.", "defensive"),
    ("en", "Thanks for your patience, we know reading is hard.", "sarcasm"),
    ("en", "We have ALREADY refunded you. Check your account!!", "shouting"),
    ("en", "Delete this post or our legal team will be in touch.", "threat"),
    ("en", "Please reply with your full card number so we can find the payment.", "private_data"),
    ("tr", "Siz resmen cahilsiniz, ürünün ne işe yaradığını bile bilmiyorsunuz.", "aggressive"),
    ("tr", "Siz kullanmayı bilmiyorsunuz, sorun sizde.", "blame"),
    ("tr", "Abartmayın lütfen, kargonuz eninde sonunda gelecek.", "dismissive"),
    ("tr", "Bu bizim suçumuz değil, bankanızla görüşün.", "defensive"),
    ("tr", "Kılavuzu okumuş gibi yapmayın.", "sarcasm"),
    ("tr", "LÜTFEN SABİTLENMİŞ TWEETİMİZİ OKUYUN.", "shouting"),
    ("tr", "Bu paylaşımı silin, aksi halde dava açarız.", "threat"),
    ("tr", "Telefon numaranızı ve açık adresinizi yorumlara yazın.", "private_data"),
]


@pytest.mark.parametrize(("language", "text", "kind"), EACH_KIND)
def test_each_kind_in_both_languages(language: str, text: str, kind: str) -> None:
    result = review(text, language=language)
    assert result.verdict == "flagged"
    assert kind in kinds(result)


HARD_FINE = [
    ("en", "That is not correct: the update was released on Monday, here is the link: example.com/notes"),
    ("en", "We hear you that this felt 'a total scam' — we're sorry. DM us your order number and we'll fix it."),
    ("en", "We're sorry this terrible experience happened. Our team will call you within the hour."),
    ("en", "This isn't your fault at all. The refund is on its way."),
    ("en", "Please never share your password with anyone, including us."),
    ("tr", "Bu bilgi doğru değil: güncelleme pazartesi yayınlandı, bağlantı burada: ornek.com/surum"),
    ("tr", "Bunun “tam bir rezalet” olduğunu düşünmenizi anlıyoruz, özür dileriz. DM'den yazın, hemen bakalım."),
    ("tr", "Yaşadığınız bu korkunç deneyim için özür dileriz; ekibimiz bugün sizi arayacak."),
    ("tr", "Bu kesinlikle sizin hatanız değil, özür dileriz. İadeniz yapıldı."),
    ("tr", "Şifrenizi kimseyle paylaşmayın; biz de asla istemeyiz."),
]


@pytest.mark.parametrize(("language", "text"), HARD_FINE)
def test_hard_cases_that_are_fine(language: str, text: str) -> None:
    result = review(text, language=language)
    assert result.verdict == "ok", result.findings


HARD_FLAGGED = [
    ("en", "Wow, great job reading the manual 🙄", "sarcasm"),
    ("en", "As we've already explained several times, refunds take 14 days.", "dismissive"),
    ("en", "We understand, but this is really not a big deal.", "dismissive"),
    ("tr", "Bravo, sorunu kendiniz çözmüşsünüz 🙄", "sarcasm"),
    ("tr", "Daha önce de defalarca belirttiğimiz gibi iadeler 14 gün sürüyor.", "dismissive"),
    ("tr", "Anlıyoruz ama bu gerçekten o kadar da önemli bir şey değil.", "dismissive"),
]


@pytest.mark.parametrize(("language", "text", "kind"), HARD_FLAGGED)
def test_hard_cases_that_are_flagged(language: str, text: str, kind: str) -> None:
    assert kind in kinds(review(text, language=language))


def test_the_customers_quoted_words_are_not_the_brands() -> None:
    assert review("You wrote “you idiots”; we're sorry it came to that.", language="en").verdict == "ok"
    assert review("You idiots; we're sorry it came to that.", language="en").verdict == "flagged"


def test_tenant_terms_add_words_per_kind_with_turkish_suffixes() -> None:
    text = "Rakiplerimiz gibi yapmayacağız; iadeniz bugün yapılacak, DM'den takip edebilirsiniz."
    assert review(text, language="tr").verdict == "ok"
    result = review(text, language="tr", terms={"aggressive": ["rakip"]})
    term = next(f for f in result.findings if f.kind == "aggressive")
    assert term.excerpt == "Rakiplerimiz"
    english = review(
        "Unlike the cheapskates next door, we refund.", language="en", terms={"aggressive": ["cheapskate"]}
    )
    assert "aggressive" in kinds(english)


def test_tenant_terms_name_known_kinds_only() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        review("hello", language="en", terms={"rudeness": ["x"]})


def test_allowed_phrases_never_produce_a_finding() -> None:
    assert review("Calm down, we are on it.", language="en").verdict == "flagged"
    assert review("Calm down, we are on it.", language="en", allow=["calm down"]).verdict == "ok"
    # A brand written in capitals is allowed by name, case-insensitively.
    assert "shouting" in kinds(review("Visit IKEA today!!", language="en"))
    assert "shouting" in kinds(review("Visit IKEA and HEMA today.", language="en"))
    assert review("Visit IKEA and HEMA today.", language="en", allow=["ikea"]).verdict == "ok"
    assert review("Sakin olun, bakıyoruz.", language="tr", allow=["SAKİN OLUN"]).verdict == "ok"


def test_turkish_lower_casing_maps_dotted_and_dotless_i() -> None:
    assert tr_lower("İSTANBUL IŞIK") == "istanbul ışık"
    assert "İ".lower() != "i"  # why tr_lower exists: Python gives "i̇", two code points
    for text in ("İİİ", "IıİiŞş", "KIRMIZI İĞNE"):
        assert len(tr_lower(text)) == len(en_lower(text)) == len(fold(text, "tr")) == len(text)
    assert fold("SİZİN HATANIZ", "tr") == fold("sizin hataniz", "tr") == "sizin hataniz"


def test_shouting_counts_dotted_capital_i_and_ignores_acronyms() -> None:
    assert "shouting" in kinds(review("SİZİN İÇİN ÇALIŞIYORUZ", language="tr"))
    calm = review("Please DM us your order ID, we'll send an SMS and a USB cable ASAP.", language="en")
    assert "shouting" not in kinds(calm)
    assert "shouting" not in kinds(review("This is NOT what we want for you, sorry.", language="en"))
    assert "shouting" in kinds(review("This is NOT OUR problem.", language="en"))
    assert "shouting" not in kinds(review("Here's a new code: SORRY20", language="en"))


def test_profanity_keeps_turkish_letters_apart() -> None:
    # (the rules' cased matching is the subject: the learned scorer reads a bare pointer to the FAQ as curt)
    assert review("Sık sık sorulan sorular sayfamıza bakabilirsiniz.", language="tr", scorer=None).verdict == "ok"
    assert "aggressive" in kinds(review("Siktir git.", language="tr"))


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Sakin olun.", "tr"),
        ("Calm down.", "en"),
        ("Teşekkürler", "tr"),
        ("Abartmayin lutfen", "tr"),
        ("Ozur dileriz", "tr"),
        ("Nice try", "en"),
        ("Sorry!", "en"),
        ("", "en"),
        ("👍", "en"),
    ],
)
def test_language_detection_on_short_replies(text: str, language: str) -> None:
    assert detect(text) == language
    assert review(text).language == language


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="language"):
        review("hola", language="es")


def test_weighted_length_and_fits_on_x_public_only() -> None:
    long = "a" * 281
    assert (review(long, language="en").weighted_length, review(long, language="en").fits) == (281, False)
    assert review(long, language="en", visibility="private").fits is True
    assert review(long, language="en", channel="instagram").fits is True
    assert review(long, language="en", channel="instagram").weighted_length == 281
    # CJK and emoji weigh two, a URL weighs 23, as X counts them.
    assert (
        review("日本 👍🏽 https://example.com/a/very/long/path", language="en").weighted_length
        == 2 + 2 + 1 + 2 + 1 + 23
    )


# Pieces that exercise every branch: Turkish letters, CJK, © and ® (light alone, heavy as emoji),
# skin tones, joiners, keycaps, flags, combining accents, line endings and URLs.
_PIECES = (
    "a|b|c| |X|Y|.|,|:|/|-|ı|İ|ş|ğ|日|©|®|👍|🏽|\u200d|\ufe0f|\u20e3|🇹|🇷|é|e\u0301|\r\n|https://|example.com|1|#|—|“|™|‼"
    "|status.example.com/incidents/42|ornek.com.tr|ş.com|t.co/x|a.b|www.|.tr|?q=ı|@|Türkçe "
)
_ALPHABET = st.sampled_from(_PIECES.split("|"))


@settings(max_examples=300, deadline=None)
@given(st.lists(_ALPHABET, max_size=40).map("".join))
def test_fast_weighted_length_agrees_with_parse_tweet(text: str) -> None:
    assert weighted_length(text) == parse_tweet(text).weightedLength


def test_advice_kinds_follow_severity_and_visibility() -> None:
    sorry_only = "We're so sorry about this morning."
    assert {f.kind for f in review(sorry_only, language="en", severity="sev1").findings} == {"no_next_step"}
    next_only = "The app is back and a full report follows tomorrow."
    severe = review(next_only, language="en", severity="sev1")
    assert {f.kind for f in severe.findings} == {"no_empathy"}
    assert severe.verdict == "ok"  # advice never flags
    assert review(next_only, language="en", severity="sev3").findings == []
    assert review(next_only, language="en", severity="sev1", visibility="private").findings == []
    kind_reply = "We're sorry. The app is back and we'll post a full report tomorrow."
    assert review(kind_reply, language="en", severity="sev1").findings == []
    turkish = review("Uygulama yeniden açıldı, ayrıntılar yarın paylaşılacak.", language="tr", severity="sev2")
    assert {f.kind for f in turkish.findings} == {"no_empathy"}
    assert {f.kind for f in review("Çok üzgünüz.", language="tr", severity="sev2").findings} == {"no_next_step"}
    assert review("Özür dileriz, ekibimiz inceliyor.", language="tr", severity="sev2").findings == []


def test_without_the_scorer_a_reply_with_neither_acknowledgement_nor_next_step_reads_as_a_brush_off() -> None:
    for text, language in [("Okay, and? Prices go up.", "en"), ("Eee? Fiyatlar artar.", "tr")]:
        result = review(text, language=language, scorer=None)
        assert result.verdict == "flagged"
        (finding,) = [f for f in result.findings if f.level == "problem"]
        assert (finding.kind, finding.start, finding.end) == ("dismissive", 0, len(text))
    assert review("👍", language="en", scorer=None).verdict == "ok"
    allowed = review("Okay, and? Prices go up.", language="en", allow=["prices go up"], scorer=None)
    assert allowed.verdict == "ok"


def test_the_learned_scorer_judges_what_the_rules_miss_with_a_span_and_its_version() -> None:
    # Curt replies no rule (nor the brush-off) catches: a dismissal in plain words. (Until rules .16
    # these were "That is how it works." and "bu kadar.", which the rules now catch themselves; until
    # m3b9372d5 the English one was "Prices go up. Such is life.", which six words now judge against
    # the short replies' threshold, and the model lets pass.)
    for text, language in [(SUCH_IS_LIFE, "en"), ("Fiyatlar artar, hayat bu.", "tr")]:
        assert review(text, language=language, scorer=None).verdict == "ok"
        result = review(text, language=language)
        assert result.verdict == "flagged"
        (finding,) = [f for f in result.findings if f.level == "problem"]
        assert finding.kind in PROBLEM_KINDS and text[finding.start : finding.end] == finding.excerpt
        assert finding.excerpt.strip() and SHIPPED.version in finding.message
    assert (
        review("We're so sorry about today. A fix is live and refunds go out tonight.", language="en").verdict == "ok"
    )


SUCH_IS_LIFE = "Prices go up. Such is life. It happens to everyone, I am afraid."


def test_an_allowed_phrase_silences_the_learned_scorer_too() -> None:
    text = SUCH_IS_LIFE  # ("Okay, and? Prices go up." until m0c66f7b9 stopped flagging it)
    (finding,) = [f for f in review(text, language="en").findings if f.level == "problem"]
    again = review(text, language="en", allow=[finding.excerpt]).findings
    assert not [f for f in again if f.level == "problem" and f.start < finding.end and finding.start < f.end]
    # The allowed words count for nothing in the score, not only in the span.
    silent = review(text, language="en", allow=[text.rstrip(".")])
    assert [f for f in silent.findings if f.level == "problem"] == []


def test_private_data_counts_in_public_replies_only() -> None:
    ask = "Please post your phone number below so a courier can call you."
    assert "private_data" in kinds(review(ask, language="en"))
    assert "private_data" not in kinds(review(ask, language="en", visibility="private"))
    assert review("Could you DM us your phone number? We'll call you today.", language="en").verdict == "ok"
    exposed = review("We called you on 0532 123 45 67 but got no answer.", language="en")
    assert [f.excerpt for f in exposed.findings if f.kind == "private_data"] == ["0532 123 45 67"]
    assert review("Our call centre is on 0850 222 33 44.", language="en").verdict == "ok"
    assert review("Order 4539148803436468 is on its way.", language="en").verdict == "ok"  # fails the Luhn check
    assert "private_data" in kinds(review("Card 4539 1488 0343 6467 was refunded.", language="en"))
    assert "private_data" in kinds(review("TC kimlik 10000000146 kaydınız bulundu.", language="tr"))


def test_the_review_encodes_as_the_api_contract() -> None:
    result = review("Calm down.", language="en")
    body = msgspec.json.decode(msgspec.json.encode(result))
    assert set(body) == {"verdict", "language", "weighted_length", "fits", "findings"}
    assert set(body["findings"][0]) == {"kind", "level", "start", "end", "excerpt", "message"}
    assert isinstance(result.findings[0], Finding)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}\.\d+\+m[0-9a-f]{8}", RULES_VERSION)
    assert RULES_VERSION.endswith(SHIPPED.version)  # (auditors see which weights judged a reply)


def test_a_typical_reply_reviews_well_under_a_millisecond() -> None:
    text = (
        "We're really sorry about the delay with your order, Sam. Our warehouse team had a system outage this "
        "morning; your parcel ships today. DM us your order number and we'll send tracking details."
    )
    review(text)
    best = float("inf")
    for _ in range(5):
        # CPU time of this process: other work on a shared machine does not count against the review.
        started = time.process_time()
        for _ in range(200):
            review(text, severity="sev2")
        best = min(best, (time.process_time() - started) / 200)
    # ~0.4 ms on this 2-core machine; the bound leaves room for a slower CI box.
    assert best < 0.002


def test_an_experience_is_not_a_next_step_in_turkish() -> None:
    # "deneyin" (try) says what to do next; "deneyim" (experience) and "denetim" (inspection) do not.
    apology = review("Yaşadığınız olumsuz deneyim için özür dileriz.", language="tr")
    assert "no_next_step" in {f.kind for f in apology.findings}
    assert "no_next_step" not in {
        f.kind for f in review("Lütfen uygulamayı kapatıp tekrar deneyin.", language="tr").findings
    }


def test_being_told_you_made_our_day_is_warm_unless_it_answers_a_complaint() -> None:
    warm = "Günümüzü güzelleştirdiniz, bu güzel yorumunuz için çok teşekkür ederiz! 💙"
    assert rule_kinds(warm, "tr") == set()
    assert "sarcasm" in rule_kinds("Şikayetinizle günümüzü güzelleştirdiniz, ne diyelim.", "tr")


def test_a_short_reply_is_judged_against_the_short_replies_threshold() -> None:
    """Up to SHORT_WORDS words (numbers not counted) the shipped model's short threshold decides;
    beyond, its threshold: the same score flags a longer reply that it lets pass in a short one."""
    model = SHIPPED.languages["en"]
    assert model.short_threshold > model.threshold  # (a curt prior needs more words against it)
    short = ["we", "are", "on", "it", "0850", "222", "33", "44"]
    assert threshold_for(model, short) == threshold_for(model, [*short, "now"]) == model.short_threshold
    assert threshold_for(model, short + ["now"] * 5) == model.threshold
    between = (model.threshold + model.short_threshold) / 2
    lean = language_model(between, model.threshold, {"w words": 0.01}, model.short_threshold)
    scorer = Scorer(version="t", languages={"en": lean})
    assert flag(scorer, "en", "kind words") is None
    assert flag(scorer, "en", "thanks so much for the " + "kind " * 8 + "words") is not None
