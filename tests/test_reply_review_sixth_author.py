"""The shapes a sixth author's replies (batch 28) and blind batch 27's aggregate report showed the
review missing or false-flagging: rules .18 and the form checks, in new words (not the batches'
lines), judged by the rules alone (a scorer that flags nothing stands in) and, for the fine ones,
by the review as shipped.
"""
# ruff: noqa: RUF001  (Turkish letters and typographic quotes are the subject here)

from __future__ import annotations

import pytest

from ledger.domain.review import review
from ledger.domain.review.shouting import shouting_spans
from tests.review_rules import rule_kinds

FLAGGED_BY_RULES = [
    ("en", "@player_one your IP address is 10.4.22.81, so the ban stands.", "private_data"),
    ("en", "Hi Tom, your current balance is £3.10, which is why the transfer failed.", "private_data"),
    ("en", "Your account has been flagged for unusual activity and will be closed on Friday.", "private_data"),
    ("en", "Just pop a photo of your passport in the replies and we'll sort it.", "private_data"),
    ("en", "Could you drop your bank details below so finance can pay you back?", "private_data"),
    ("en", "Love the energy! Honestly though, it's not that deep.", "dismissive"),
    ("en", "The FAQ (which is really very clear) covers this already.", "dismissive"),
    ("en", "Happy to chat, but the way you speak to our staff says a lot about you.", "dismissive"),
    ("en", "Next time, email us instead of publicly bashing the team.", "dismissive"),
    ("en", "Your complaint has been filed and scheduled to be promptly ignored.", "sarcasm"),
    ("en", "Sorry the app froze. We've booked you some trauma counselling.", "sarcasm"),
    ("en", "Sorry about the wait, but you opted to travel on the busiest day of the year.", "blame"),
    ("en", "We've done our bit. The ball is in your court now.", "blame"),
    ("tr", "Mağazalara kötü yorum yazan kullanıcıları not ediyoruz.", "threat"),
    ("tr", "Kimlerin ne paylaştığını gayet iyi görüyoruz.", "threat"),
    ("tr", "Hesabınız da takibimizde, bilginiz olsun.", "threat"),
    ("tr", "Kapıyı açmayan sizsiniz, kurye beklemiş.", "blame"),
    ("tr", "Biraz sabırlı olmayı deneyin lütfen.", "blame"),
    ("tr", "Duyurularımızı takip etmemeniz şirketimizin sorumluluğunda değildir.", "defensive"),
    ("tr", "Sanki bu kesintiden bir tek siz etkilendiniz.", "dismissive"),
    ("tr", "Sabırsızlığınız süreci hızlandırmayacaktır.", "dismissive"),
    ("tr", "Ehliyet fotoğrafını buraya atarsan hemen bakarız.", "private_data"),
    ("tr", "IBAN numaranizi yorumlara yazin, iadeyi yapalim.", "private_data"),
    ("tr", "Sizin üyelik numaranız 55-A-901, dün de giriş yapmamışsınız.", "private_data"),
]


@pytest.mark.parametrize(("language", "text", "kind"), FLAGGED_BY_RULES)
def test_the_sixth_authors_shapes_are_flagged_by_the_rules(language: str, text: str, kind: str) -> None:
    assert kind in rule_kinds(text, language)


FINE = [
    ("en", "Please never post your passport or bank details here; DM us instead."),
    ("en", "Our legal team has confirmed the listing is not our product, and it has been reported."),
    ("en", "Since you chose to pay by card, the refund goes back to that card."),
    ("tr", "Lütfen IBAN numaranızı buraya yazmayın; DM'den alalım."),
    ("tr", "Kurumumuz yasal haklarını saklı tutar; sorularınız için destek hattımız açık."),
    ("tr", "Hukuki süreç devam ettiği için şu an yorum yapamıyoruz, anlayışınız için teşekkürler."),
]


@pytest.mark.parametrize(("language", "text"), FINE)
def test_the_sixth_authors_fine_shapes_are_not_flagged_by_the_rules(language: str, text: str) -> None:
    assert rule_kinds(text, language) == set()


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Reminder: our staff will NEVER ask for your one-time code."),
        ("tr", "Hatırlatma: ekibimiz sizden ASLA tek kullanımlık kod istemez."),
        ("en", "haha fair enough, that level IS tough. We're adding a checkpoint in the next patch."),
        ("tr", "Haklısın kardeşim, hakem kararı bizi de üzdü; takım Cumartesi sahada olacak."),
    ],
)
def test_emphasis_agreement_and_warmth_are_neither_shouting_nor_sarcasm(language: str, text: str) -> None:
    found = {f.kind for f in review(text, language=language).findings if f.level == "problem"}
    assert not found & {"shouting", "sarcasm"}, found


def test_one_capitalised_word_is_emphasis_but_two_or_a_run_of_marks_is_shouting() -> None:
    assert shouting_spans("We will NEVER call you.", frozenset()) == []
    assert shouting_spans("We will NEVER EVER call you.", frozenset()) != []
    assert shouting_spans("We will NEVER call you!!", frozenset()) != []
    assert "sarcasm" in rule_kinds("lol no, the servers are fine", "en")
    assert "sarcasm" in rule_kinds("Bilet bitti kardeşim, geç kaldın", "tr")
