"""The shapes blind batch 39's paraphrased first look (a fifteenth author) showed the review missing
or false-flagging: rules .22, in new words (not the batch's lines, which no one has read), judged by
the rules alone (a scorer that flags nothing stands in).
"""
# ruff: noqa: RUF001  (Turkish letters are the subject here)

from __future__ import annotations

import pytest

from ledger.domain.review.shouting import shouting_spans
from tests.review_rules import rule_kinds

FLAGGED_BY_RULES = [
    ("en", "Thanks for your loyalty 💙 Your case is with us. Messaging us hourly won't speed it up.", "dismissive"),
    ("en", "Loved hearing from you! Chasing us on every post doesn't make the refund move faster.", "dismissive"),
    ("en", "Haha no stress, it happens to lots of first-time travellers 😄 the rules are on our site!", "dismissive"),
    ("en", "Common rookie mistake 😉 the boarding time is printed on the pass.", "dismissive"),
    ("tr", "Bizim tarafta bir aksaklık görünmüyor, bankanızı arayınız.", "defensive"),
    ("tr", "bizden kaynakli bi sorun yok kargo firmasiyla gorusun", "defensive"),
    ("tr", "Son tarihi kaçırdığınız için talebiniz reddedildi. Olumsuzluk için özür dileriz.", "blame"),
    ("tr", "Bu tarz yorumların devam etmesi halinde üyeliğiniz kısıtlanabilecektir.", "threat"),
    ("tr", "Aksi halde hesabınız askıya alınacaktır.", "threat"),
]


@pytest.mark.parametrize(("language", "text", "kind"), FLAGGED_BY_RULES)
def test_blind_batch_39s_missed_shapes_are_flagged_by_the_rules(language: str, text: str, kind: str) -> None:
    assert kind in rule_kinds(text, language)


FINE = [
    ("en", "Thanks for your kind words! We'll share them with the ground staff in Pune."),
    ("en", "Not everyone is comfortable with apps, so you can also call us on 1800-200-300."),
    ("tr", "Hukuk ekibimiz ilgili satıcı hakkında işlem başlattı; ücretiniz bugün iade edildi."),
    ("tr", "Sahte sayfa hakkında avukatlarımız suç duyurusunda bulundu, lütfen oraya kart bilgisi girmeyin."),
    ("tr", "Hesabınız kapatılmadı, hakkınızda yasal işlem de yok; yalnızca doğrulama bekleniyor."),
    ("tr", "Tutarı yarın hesabınızda göreceksiniz."),
    ("tr", "Sistemimizde sorun görünmüyor ama bankanızla birlikte bakalım, dekontu DM'den iletir misiniz?"),
    ("tr", "İşlem başarılı görünüyor; bankanızı aramanıza gerek yok, tutar bir saat içinde geçer."),
    ("tr", "İptal talep ettiğiniz için siparişiniz iptal edildi, iadeniz üç iş gününde hesabınızda."),
    ("tr", "Güvenliğiniz için kartınızı dondurduk; uygulamadan onay verdiğinizde hemen açılır."),
]


@pytest.mark.parametrize(("language", "text"), FINE)
def test_blind_batch_39s_fine_shapes_are_not_flagged_by_the_rules(language: str, text: str) -> None:
    assert rule_kinds(text, language) == set()


@pytest.mark.parametrize(
    "text",
    [
        "WE WILL NEVER ASK FOR YOUR UPI PIN OR OTP.",
        "NEVER SHARE YOUR CARD DETAILS, not even with our agents.",
        "BEWARE OF FAKE REFUND PAGES on social media.",
        "ŞİFRENİZİ VE SMS KODUNUZU KİMSEYLE PAYLAŞMAYIN.",
    ],
)
def test_fraud_warnings_in_capitals_are_not_shouting(text: str) -> None:
    assert shouting_spans(text, frozenset()) == []


def test_capitals_that_name_no_credential_still_shout() -> None:
    assert shouting_spans("NEVER ASK US AGAIN, WE ARE DONE.", frozenset()) != []
    assert shouting_spans("DO NOT TAG US EVERY DAY ABOUT THIS", frozenset()) != []
