"""The shapes blind batches 41 and 43's paraphrased first looks (a sixteenth and a seventeenth author)
showed the review missing or false-flagging: rules .23, in new words (not the batches' lines, which
no one has read, nor batch 44's), judged by the rules alone (a scorer that flags nothing stands in).
"""
# ruff: noqa: RUF001  (Turkish letters are the subject here)

from __future__ import annotations

import pytest

from ledger.domain.review.shouting import shouting_spans
from tests.review_rules import rule_kinds

FLAGGED_BY_RULES = [
    # batch 43: blame in Scots spelling, national IDs asked for in public, taunts, closure walls
    ("en", "If ye'd checked the website ye wouldnae be stood in that queue.", "blame"),
    ("en", "Had yous read the signs yous wouldnae have parked there.", "blame"),
    ("en", "Reply below with your BVN and the last four digits of your card.", "private_data"),
    ("en", "Just comment your SSN and we'll sort the refund.", "private_data"),
    ("en", "Oya comot if e no do you.", "dismissive"),
    ("en", "Go on then, cancel. We'll manage.", "dismissive"),
    ("en", "We regard the complaint as resolved; further emails on this topic will not be responded to.", "dismissive"),
    ("en", "Honestly, festivals are not for the faint-hearted.", "dismissive"),
    ("en", "If you can't handle a crowd, gigs might not be your thing.", "dismissive"),
    ("en", "The man who was treated for a head injury, Peter Quinn from Govan, has asked for privacy.", "private_data"),
    ("en", "Our supervisor Grace Okafor has been suspended after the video.", "private_data"),
    ("en", "So many keyboard lawyers in the comments today 👏", "sarcasm"),
    # batch 41: deflection after a polite opening, a named account holder, threats to the public
    ("en", "Sorry for the cancellations, but save your anger for the union.", "defensive"),
    ("en", "The troll account is Liam Walsh, 22, of Drogheda.", "private_data"),
    ("en", "Whoever harasses our agents next will be reported to the police.", "threat"),
    ("tr", "Bilgilendirme e-postası gönderildi; e-postaları okumamak sizin sorumluluğunuzda.", "blame"),
    ("tr", "Garanti belgesini bile doğru düzgün dolduramamışsınız.", "aggressive"),
    ("tr", "fis fotografini bile yukleyemediniz", "aggressive"),
    ("tr", "Gecikme son anda gelen yolculardan kaynaklandı, bir dahaki sefere erken gelin.", "blame"),
    ("tr", "Üzüldüğünüzü anlıyoruz ama kurallar herkes için geçerli.", "dismissive"),
    ("tr", "sahte hesabi acani bulduk yakinda ifsa edicez", "threat"),
]


@pytest.mark.parametrize(("language", "text", "kind"), FLAGGED_BY_RULES)
def test_blind_batches_41_and_43s_missed_shapes_are_flagged_by_the_rules(language: str, text: str, kind: str) -> None:
    assert kind in rule_kinds(text, language)


FINE = [
    ("en", "Aye, fair enough, sorry pal. Bottled water's at the school hall till 9."),
    ("en", "Please pass any videos to the police inquiry rather than sharing them here."),
    ("en", "If you were threatened at the gate, please tell the police; we'll give them our footage."),
    ("en", "Please never post your BVN or NIN anywhere; we will only ever ask in the app."),
    ("en", "Go on then, tell us what happened and we'll put it right."),
    ("en", "Your complaint is closed now the refund has landed; reply any time if it hasn't."),
    ("en", "No name will be shared: a fan was hurt and is being looked after."),
    ("en", "👏 for the volunteers who handed out water all night."),
    ("tr", "Giriş bilgilerinizi sadece resmi uygulamamıza girin; SMS'teki linklere tıklamayın."),
    ("tr", "Daha önce de belirttiğimiz gibi iadeniz cuma günü yatacak; yatmazsa ben bizzat takip edeceğim."),
    ("tr", "Yanlış anlaşılmasın, ücret alınmadı; bunu daha net anlatmalıydık, özür dileriz."),
    ("tr", "Şoförümüze yapılan saldırı polise bildirildi; yolculuğunuz için yeni bilet tanımladık."),
    ("tr", "Kaza görüntülerini lütfen buradan değil, polise iletin."),
    ("tr", "Kimseyi ifşa etmeyeceğiz; sahte hesabı platforma bildirdik."),
    ("tr", "Kuralların herkes için aynı olması, sizin yaşadığınızı haklı kılmıyor; ücreti iade ediyoruz."),
]


@pytest.mark.parametrize(("language", "text"), FINE)
def test_blind_batches_41_and_43s_fine_shapes_are_not_flagged_by_the_rules(language: str, text: str) -> None:
    assert rule_kinds(text, language) == set()


@pytest.mark.parametrize(
    "text",
    [
        "SERVICE HAS RESUMED on every line, thanks for bearing with us.",
        "TRAINS ARE RUNNING AGAIN from Cork and Limerick.",
        "GET IN! GALWAY score in the 90th minute.",
        "GOOOOL! KONYA öne geçti!",
        "Please never share your PPS or NIN numbers in public.",
    ],
)
def test_capitals_that_cheer_or_name_an_id_are_not_shouting(text: str) -> None:
    assert shouting_spans(text, frozenset()) == []


def test_capitals_at_the_reader_still_shout() -> None:
    assert shouting_spans("GET OUT AND STAY OUT, WE ARE DONE", frozenset()) != []
    assert shouting_spans("STOP TAGGING US ABOUT THE STRIKE", frozenset()) != []
