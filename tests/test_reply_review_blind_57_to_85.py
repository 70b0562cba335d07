"""Rules .27-.29: shapes the blind batches 57-85 showed once they became training data, in new words (not
the batches' lines), judged by the rules alone: public asks for a list of identifiers, a card's
last digits or a phone number told in public, a PIN or password asked for even by direct message,
and warm or owning replies the rules had flagged.
"""
# ruff: noqa: RUF001  (Turkish letters are the subject here)

from __future__ import annotations

import pytest

from ledger.domain.review.reviewer import judge
from tests.review_rules import SILENT, rule_kinds

PRIVATE_DATA = [
    ("en", "Kindly share your PAN card and date of birth in reply so we can complete the KYC."),
    ("en", "Post your booking code and contact number in the comments and our team will ring you."),
    ("en", "Can you reply here with your flat's unit number and the last four of your SSN?"),
    ("en", "The caller who complained is on 0733 912 440 if you want to sort it out with him."),
    ("en", "Our rider's mobile: 9988776655, please call him for the handover."),
    ("en", "We can see the Mastercard ending in 9034 was charged at 11:02, so the order did go through."),
    ("tr", "Rezervasyon kodunuzu ve telefon numaranızı bu gönderinin altına yazın, geri dönelim."),
    ("tr", "Hesabınızı doğrulamak için kimlik numaranızı ve doğum tarihinizi yorum olarak paylaşın."),
    ("tr", "DM yerine buraya yazın lütfen: kart numarası ve son kullanma tarihi yeterli."),
    ("tr", "Zeynep Hanım, 7781 ile biten kartınızdan iki kez çekim yapılmış görünüyor."),
    ("tr", "DM'den değil, buradan yazın lütfen telefon numaranızı."),
]

FINE = [
    ("en", "We will never ask you to post your PIN or password here, or anywhere else."),
    ("en", "Beware of fake pages asking you to share your card details in the comments."),
    ("en", "Please DM us your booking code and contact number and we'll ring you back."),
    ("en", "You guys are the best, thanks for cheering the crew on tonight!"),
    ("en", "Y'all are stuck in Denver tonight and we're sorry; hotel vouchers are at gate B4."),
    ("en", "We're sorry for the rude reply our colleague sent; it was wrong and we've spoken to him."),
    ("en", "This is the third time you've had to chase us, which is not good enough. A manager will call today."),
    ("tr", "Şifrenizi ve kart bilgilerinizi kimseyle paylaşmayınız; bunları asla yorumlarda istemeyiz."),
    ("tr", "Telefon numaranızı ve adresinizi DM'den iletirseniz kuryeyi hemen yönlendirelim."),
    ("tr", "İkinci kez yazmak zorunda kaldığınız için özür dileriz, iadeniz bugün yapılacak."),
    ("tr", "Bu kadar sinirlenmenizi gayet iyi anlıyoruz; biz de aynısını hissederdik."),
    ("tr", "Müşteri ilişkileri uzmanımız yarın sabah sizi arayacak."),
    ("tr", "Videoya yansıyan olay için özür dileriz; ilgili personel görevden uzaklaştırıldı."),
    ("en", "Can you DM us your postcode so we can check coverage? Please don't post your account number here."),
    ("tr", "Tatbikat sırasında lütfen sakin olun ve görevlilerin talimatlarına uyun."),
    ("tr", "Çok teşekkürler, bu güzel yorum günümüzü güzelleştirdi."),
]


@pytest.mark.parametrize(("language", "text"), PRIVATE_DATA)
def test_personal_data_asked_for_or_told_in_public_is_flagged(language: str, text: str) -> None:
    assert "private_data" in rule_kinds(text, language)


@pytest.mark.parametrize(("language", "text"), FINE)
def test_warnings_direct_messages_and_owning_replies_are_not_flagged_by_the_rules(language: str, text: str) -> None:
    assert rule_kinds(text, language) == set()


def test_thanks_for_a_one_star_review_that_made_our_day_is_still_sarcasm() -> None:
    assert "sarcasm" in rule_kinds("Tek yıldızlı yorumunuz için teşekkürler, günümüzü güzelleştirdiniz.", "tr")


@pytest.mark.parametrize(
    ("language", "text", "asks"),
    [
        ("en", "Please DM us your PIN so we can unlock the card.", True),
        ("en", "Message us the one-time code you just got and we'll finish the refund.", True),
        ("en", "Never share your PIN or one-time code with anyone, including us.", False),
        ("en", "Please DM us your order number.", False),
        ("tr", "Şifrenizi özelden iletir misiniz, hesabı açalım.", True),
        ("tr", "SMS ile gelen kodu kimseyle paylaşmayınız.", False),
        ("tr", "Şifrenizi sıfırlayarak tekrar giriş yapabilirsiniz.", False),
    ],
)
def test_a_pin_or_a_password_is_never_asked_for_even_by_direct_message(language: str, text: str, asks: bool) -> None:
    found = judge(text, language=language, visibility="private", scorer=SILENT).findings
    assert ("private_data" in {f.kind for f in found if f.level == "problem"}) is asks
