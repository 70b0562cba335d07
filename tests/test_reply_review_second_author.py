"""The shapes a second author's replies (batch 23) showed the review missing or false-flagging:
rules .16 and the form checks, judged by the rules alone (`scorer=None` would add the brush-off, so
a scorer that flags nothing stands in) and, for the fine ones, by the review as shipped.
"""
# ruff: noqa: RUF001  (Turkish letters and typographic quotes are the subject here)

from __future__ import annotations

import pytest

from ledger.domain.review import review
from ledger.domain.review.exposure import exposures
from ledger.domain.review.shouting import shouting_spans
from tests.review_rules import rule_kinds

FLAGGED_BY_RULES = [
    ("tr", "Kliniğimiz tüm denetimlerden geçmiştir. Bu konuda ek bir açıklama yapılmayacaktır.", "dismissive"),
    ("tr", "Yolcunun aktardıkları gerçeği yansıtmamaktadır.", "defensive"),
    ("tr", "Görüşünüz için teşekkürler, kararımız kesindir. İyi akşamlar 🙂", "dismissive"),
    ("tr", "Bekleyen başka hastalarımız da var.", "dismissive"),
    ("tr", "Boş yapmayın, paket kapınıza bırakılmış.", "aggressive"),
    ("tr", "Başvuru tarihini kaçıran asıl sizsiniz.", "blame"),
    ("tr", "Taksidi siz unuttunuz, faiz bu yüzden işledi.", "blame"),
    ("tr", "Özür dileriz ama şarj talimatına uysaydınız pil şişmezdi.", "blame"),
    ("tr", "Yanlış olan tek şey sizin tarifeyi okuma biçiminiz.", "aggressive"),
    ("tr", "Bu uyarı genelde kendiliğinden düzeliyor.", "dismissive"),
    ("tr", "Nerede oturduğunuzu gayet iyi biliyoruz, yazdıklarınıza dikkat edin.", "threat"),
    ("tr", "Sorunu anlıyoruz. Diğer misafirlerimiz sabırla bekledi.", "blame"),
    ("tr", "Yaşananlardan talimatlara uymayan sürücüler sorumludur.", "blame"),
    ("tr", "Canan Hanım'ın tahlil sonucunda kolesterol yüksek çıktı.", "private_data"),
    ("tr", "Okan Bey'in 7.250 TL borcu olduğu için hizmet durduruldu.", "private_data"),
    ("tr", "Okan Bey, Lale Sokak No:3 Daire 8 adresine kurye gönderildi.", "private_data"),
    ("en", "We're sorry, but had you updated the app you wouldn't have lost the data.", "blame"),
    ("en", "The only thing faulty here is your understanding of the warranty.", "aggressive"),
    ("en", "It usually fixes itself.", "dismissive"),
    ("en", "No further comments will be made on this matter.", "dismissive"),
    ("en", "Thanks, but our pricing will not change. Have a lovely day 😊", "dismissive"),
    ("en", "The customer's version of events is untrue.", "defensive"),
    ("en", "Other passengers waited patiently, so please be like them.", "blame"),
]


@pytest.mark.parametrize(("language", "text", "kind"), FLAGGED_BY_RULES)
def test_the_second_authors_problem_shapes_are_flagged_by_the_rules(language: str, text: str, kind: str) -> None:
    assert kind in rule_kinds(text, language)


FINE = [
    ("tr", "ACİL: Nehir taşkın seviyesinde, köprüye yaklaşmayın."),
    ("tr", "Bu paylaşım topluluk kurallarımıza aykırı olduğu için kaldırıldı; itiraz formundan başvurabilirsiniz."),
    ("tr", "Küfür içeren mesajlara yanıt vermeyeceğiz; sorununuzu anlatmak isterseniz buradayız."),
    ("tr", "‘Beceriksizsiniz’ dediniz; haklısınız, özür dileriz. Müdürümüz sizi arayacak."),
    ("tr", "Bu sizin hatanız değildi, sorun ödeme sağlayıcımızdaydı."),
    ("tr", "Ayşe Hanım, mağazamız Bağdat Caddesi No 120 adresinde hizmet veriyor."),
    ("en", "URGENT: Boil water before drinking in the east district until Friday."),
    ("en", "Had you been charged twice, the second payment would show as pending; DM us and we'll check."),
]


@pytest.mark.parametrize(("language", "text"), FINE)
def test_the_second_authors_fine_shapes_are_not_flagged_by_the_rules(language: str, text: str) -> None:
    assert rule_kinds(text, language) == set()


# What the form checks decide whatever the learned scorer reads: a label is not shouting, a quoted
# word reported with a verb of saying is not the brand's sarcasm.
@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("tr", "ACİL: Nehir taşkın seviyesinde, köprüye yaklaşmayın; AFAD ekipleri bölgede."),
        ("tr", "‘Beceriksizsiniz’ dediniz; haklısınız, özür dileriz. Müdürümüz sizi arayacak."),
        ("tr", '"Rezaletsiniz" yazmışsınız, çok üzgünüz; ekibimiz bugün sizinle iletişime geçecek.'),
        ("en", "URGENT: Boil water before drinking in the east district until Friday."),
    ],
)
def test_labels_and_reported_words_pass_the_shipped_review(language: str, text: str) -> None:
    result = review(text, language=language)
    assert result.verdict == "ok", result.findings


def test_a_capitalised_label_before_a_colon_is_not_shouting_but_what_follows_can_be() -> None:
    assert shouting_spans("URGENT: do not drink the water", frozenset()) == []
    assert shouting_spans("URGENT: DO NOT DRINK THE WATER", frozenset()) != []
    # (not at the start of a line; two capitalised words, as one alone is emphasis since batch 28)
    assert shouting_spans("We said URGENT: act NOW", frozenset()) != []


def test_a_street_is_a_persons_home_with_a_title_and_a_flat_number_only() -> None:
    assert exposures("Okan Bey, Lale Sokak No:3 Daire 8 adresine kurye gönderildi.")
    assert not exposures("Okan Bey, Lale Sokak No:3 adresindeki şubemiz açık.")
