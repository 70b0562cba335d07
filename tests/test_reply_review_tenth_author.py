"""The shapes the tenth to twelfth authors' replies (batches 33-35) and blind batch 36's paraphrased
first look showed the review missing or false-flagging: rules .20 and the cheer in capitals, in new
words (not the batches' lines), judged by the rules alone (a scorer that flags nothing stands in).
"""
# ruff: noqa: RUF001  (Turkish letters are the subject here)

from __future__ import annotations

import pytest

from ledger.domain.review.shouting import shouting_spans
from tests.review_rules import rule_kinds

FLAGGED_BY_RULES = [
    ("en", "We're terribly sorry. To be fair, if you'd set up alerts you would have seen it.", "blame"),
    ("en", "Apologies. Honestly, if you had only read the email none of this would have happened.", "blame"),
    ("en", "We accept no liability; we can't be held responsible when you ignore the signs.", "blame"),
    ("en", "Our servers are fine. Whatever is wrong, it's your router.", "blame"),
    ("en", "It's a slightly late bus, it won't kill you.", "dismissive"),
    ("en", "Parking rules are simple, as most residents seem to manage to follow.", "dismissive"),
    ("en", "Keep tagging us and you will be blocked if this continues.", "threat"),
    ("en", "Post your booking code, birth date and passport number here so we can check.", "private_data"),
    ("en", "Reply with your daughter's full name and school and we'll look into it.", "private_data"),
    ("en", "Send us the card number and CVV and we'll sort it.", "private_data"),
    ("tr", "Modemi kendiniz sıfırlamışsınız, sorun bundan.", "blame"),
    ("tr", "Ama açıkçası uygulamayı güncelleseydiniz bu olmazdı.", "blame"),
    ("tr", "Teknisyenimiz iki kez geldi, evde yoktunuz, kaydınızı kapatıyoruz.", "dismissive"),
    ("tr", "Cihaz garanti dışı, nokta.", "dismissive"),
    ("tr", "Konuyu daha fazla uzatmayın lütfen.", "dismissive"),
    ("tr", "Faturanızı ödemezseniz dosyanız avukatımıza gider.", "threat"),
    ("tr", "Rezervasyon kodunuzu, doğum tarihinizi ve pasaport bilgilerinizi buraya yazın.", "private_data"),
    ("tr", "cocugunuzun tam adini ve okulunu yazin, bakalim", "private_data"),
    ("tr", "Sayın müşterimiz, hesabınız 12.500 TL ekside görünüyor.", "private_data"),
]


@pytest.mark.parametrize(("language", "text", "kind"), FLAGGED_BY_RULES)
def test_the_tenth_to_twelfth_authors_shapes_are_flagged_by_the_rules(language: str, text: str, kind: str) -> None:
    assert kind in rule_kinds(text, language)


FINE = [
    ("en", "Please don't post your booking code or passport number here; DM us and we'll check."),
    ("en", "Our driver was not at fault, but we're sorry you were shaken and have opened a case for you."),
    ("en", "If your card has expired, you can update it in the app under Payments."),
    ("tr", "Lütfen kart numaranızı buraya yazmayın; DM'den yardımcı olalım."),
    ("tr", "Kaydınız çözüldüğü için kapatıldı; sorun sürerse yeniden açabilirsiniz."),
    ("tr", "Uygulamamız yeniden çalışıyor, sabrınız için teşekkür ederiz."),
]


@pytest.mark.parametrize(("language", "text"), FINE)
def test_the_tenth_to_twelfth_authors_fine_shapes_are_not_flagged_by_the_rules(language: str, text: str) -> None:
    assert rule_kinds(text, language) == set()


@pytest.mark.parametrize(
    "text",
    [
        "ROUTE 12 IS BACK!! Buses run from Monday.",
        "THANK YOU TO EVERY FUNDRAISER!!",
        "TEŞEKKÜRLER ELİF HANIM!!",
        "İYİ HABER: hat yeniden açıldı.",
    ],
)
def test_good_news_and_thanks_in_capitals_are_cheer(text: str) -> None:
    assert shouting_spans(text, frozenset()) == []


def test_mock_cheer_and_exasperation_still_shout() -> None:
    assert shouting_spans("THANKS A LOT!!! Great service.", frozenset()) != []
    assert shouting_spans("STEP BACK!!!", frozenset()) != []
    assert shouting_spans("WE'RE BACK?? Since when??", frozenset()) != []
