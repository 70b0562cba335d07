"""The shapes blind batch 45's paraphrased first look (an eighteenth author) showed the review missing
or false-flagging: rules .23, in new words (not the batch's lines, which no one has read, nor batch
46's training lines), judged by the rules alone (a scorer that flags nothing stands in), and a few
fine ones by the shipped review.
"""
# ruff: noqa: RUF001  (Turkish letters are the subject here)

from __future__ import annotations

import pytest

from ledger.domain.review.reviewer import judge
from tests.review_rules import rule_kinds

FLAGGED_BY_RULES = [
    ("tr", "Eksper incelemesine göre kaza ihmalinizden kaynaklanıyor, dosya kapandı.", "blame"),
    ("tr", "Ekspertiz sonucu net: lastik bakımını ihmal etmişsiniz.", "blame"),
    ("tr", "Bir iade talebi daha geldi, bugün rekor 🎉", "sarcasm"),
    ("tr", "Şikayetlerde rekor kırdık bu hafta 🥳🥳", "sarcasm"),
    ("tr", "İçerikte alerjen yok, cildinizin tepkisi firmamızı ilgilendirmez.", "dismissive"),
    ("tr", "Otoparktaki güvenlik kayıtları elimizde 😉", "threat"),
    ("tr", "İsterseniz kayıtları herkese gösterebiliriz.", "threat"),
    ("tr", "Zeynep Hanım, hasar bedeli olarak depozitonuzdan 1.750 TL kesildi.", "private_data"),
    ("tr", "Kartınızın son dört hanesi 3390, iade oraya yapılacak.", "private_data"),
    ("tr", "@kerem_88 iade ettiğiniz paket boş ulaştı, bunu nasıl açıklayacaksınız?", "blame"),
    ("tr", "Teşekkürler 🙏 ama her saat yazmanız temsilcilerimizi yoruyor.", "dismissive"),
    ("en", "We do not comment on accidents. Our Halloween nights start Friday! #SpookySeason", "dismissive"),
    ("en", "A gentle reminder: the safety rules are posted at the queue; supervising kids is up to parents.", "blame"),
    ("en", "Hi Dana Reyes, claim ref 90311227 for your hip replacement has been closed.", "private_data"),
    ("en", "Leave your email and the last 4 of your card below and we'll look.", "private_data"),
    ("en", "Our engineers know far more about firmware than a reviewer with a phone camera.", "dismissive"),
]


@pytest.mark.parametrize(("language", "text", "kind"), FLAGGED_BY_RULES)
def test_blind_batch_45s_missed_shapes_are_flagged_by_the_rules(language: str, text: str, kind: str) -> None:
    assert kind in rule_kinds(text, language)


FINE = [
    ("tr", "Kimlik numaranızı ve poliçe bilginizi lütfen buraya yazmayın; DM'den güvenli bir form yolluyoruz."),
    ("tr", "Sözleşme numaranızı yorumlara yazmayınız, özelden ulaşıyoruz."),
    ("tr", "Mahkeme süreci devam ettiği için detay veremiyoruz; yasal haklarımız saklıdır."),
    ("tr", "Mahkemenin kararını bekliyoruz, kararı öğrenir öğrenmez paylaşacağız."),
    ("tr", "Dava açma hakkınız saklıdır; istediğiniz belgeleri size ileteceğiz."),
    ("tr", "Tüketici mahkemesine başvurmak en doğal hakkınız, gereken evrakı hazırlıyoruz."),
    ("tr", "Gönderinizi kaldırmanızı istemiyoruz; yalnızca fotoğraftaki plakayı kapatmanızı rica ederiz."),
    ("tr", "Anahtar teslimi aksamayacakmış gibi konuştuk, yanıldık; yeni takvim cuma günü sizde."),
    ("tr", "Her şey hazırmış gibi davrandık, değildi. Özür dileriz."),
    ("tr", "Kutuyu kediniz kapmış bile 😂 Ürünlerin de hoşunuza gitmesini dileriz."),
    ("tr", "Eksper raporunda ihmaliniz olmadığı yazıyor; ödemeniz bu hafta yapılacak."),
    ("tr", "Kargoda size boş kutu gitmiş, çok özür dileriz; yenisi yolda."),
    ("en", "We can't comment on the accident while the investigation runs; the ride stays closed."),
    ("en", "Friendly reminder: the park opens at 10 tomorrow. Thanks for your patience!"),
    ("en", "Please never post your claim number here; DM us and we'll help."),
    ("en", "Ha, the bag was a hit 😂 Give Milo a pat from us!"),
]


@pytest.mark.parametrize(("language", "text"), FINE)
def test_blind_batch_45s_fine_shapes_are_not_flagged_by_the_rules(language: str, text: str) -> None:
    assert rule_kinds(text, language) == set()


def test_the_brands_own_as_if_is_an_admission_but_the_readers_is_still_sarcasm() -> None:
    assert "sarcasm" not in rule_kinds("Sorun yokmuş gibi davrandık, yanıldık.", "tr")
    assert "sarcasm" in rule_kinds("Sanki ilk kez duyuyormuş gibi davranıyorsunuz.", "tr")


def test_the_brands_own_legal_step_is_still_a_threat() -> None:
    assert "threat" in rule_kinds("Paylaşımlarınız için dava açacağız.", "tr")
    assert "threat" in rule_kinds("Tweetinizi derhal silin.", "tr")


@pytest.mark.parametrize(
    "text",
    [
        "Dava açma hakkınız var; tüm belgeleri size göndereceğiz.",
        "Teslimler gecikmeyecekmiş gibi konuştuk, yanıldık. Yeni tarihleri yarın paylaşıyoruz.",
    ],
)
def test_the_shipped_review_reads_batch_45s_fine_shapes_as_fine(text: str) -> None:
    assert judge(text, language="tr").verdict == "ok"
