"""The shapes blind batch 37's paraphrased first look (a fourteenth author) showed the review missing
or false-flagging: rules .21, in new words (not the batch's lines, which no one has read), judged by
the rules alone (a scorer that flags nothing stands in).
"""
# ruff: noqa: RUF001  (Turkish letters are the subject here)

from __future__ import annotations

import pytest

from ledger.domain.review.shouting import shouting_spans
from tests.review_rules import rule_kinds

FLAGGED_BY_RULES = [
    ("en", "No worries! Just pop your full name, birthdate and PIN in the replies 👍", "private_data"),
    ("en", "Hey, is that Mark Pearson from Penrith selling those tickets?", "private_data"),
    ("en", "Can you please stop tweeting about the blackout, thanks.", "dismissive"),
    ("en", "Glad it's working again! PS: it dropped out because you unplugged the box.", "blame"),
    ("en", "Amazed that a passenger is upset about a surge fare. Truly.", "sarcasm"),
    ("en", "If you wrote more politely we'd answer a lot faster.", "dismissive"),
    ("en", "Your mother self-discharged against medical advice on Tuesday.", "private_data"),
    ("en", "Further posts like this and legal action will be taken against you.", "threat"),
    ("tr", "Geç geldin, elbette iptal oldu.", "blame"),
    ("tr", "Yolcu hakları yalnızca sizin için geçerli değil.", "blame"),
    ("tr", "Bildirimi okumamak sizin sorumluluğunuz.", "blame"),
    ("tr", "Daha nazik yazarsanız daha çabuk dönüş yaparız 🙂", "dismissive"),
    ("tr", "Lutfen ariza hakkinda yazmayi birakin.", "dismissive"),
    ("tr", "Hasta yakınınız hekim uyarısına rağmen servisten ayrıldı.", "private_data"),
    ("tr", "Mehmet Demir, Üsküdar'dan siz misiniz?", "private_data"),
    ("tr", "Böyle devam ederse yasal yollara başvurmak zorunda kalacağız.", "threat"),
]


@pytest.mark.parametrize(("language", "text", "kind"), FLAGGED_BY_RULES)
def test_blind_batch_37s_missed_shapes_are_flagged_by_the_rules(language: str, text: str, kind: str) -> None:
    assert kind in rule_kinds(text, language)


FINE = [
    ("en", "We can't comment on legal proceedings brought against the club, but we're reviewing the match."),
    ("en", "You may wish to take legal action, and that's your right; we'll still help with your claim by DM."),
    ("en", "Please don't drop your PIN or birth date in the comments; DM us instead."),
    ("en", "Since you unplugged and replugged the modem and it still fails, we're sending a technician."),
    ("tr", "Yasal yollara başvurabilirsiniz, bu sizin hakkınız; biz de dosyanızı hazırlıyoruz."),
    ("tr", "Hukuki yola başvurma hakkınız saklı, anlıyoruz."),
    ("tr", "Duyuruyu görmemeniz sizin sorununuz değil, bilgilendirmeyi geç yaptık."),
    ("tr", "Geç kaldığınız için randevunuz kaydırıldı; yeni saati DM'den iletiyoruz."),
]


@pytest.mark.parametrize(("language", "text"), FINE)
def test_blind_batch_37s_fine_shapes_are_not_flagged_by_the_rules(language: str, text: str) -> None:
    assert rule_kinds(text, language) == set()


@pytest.mark.parametrize(
    "text",
    [
        "FOOD SAFETY ALERT: please return the 500g mince.",
        "OUTAGE UPDATE: crews are on site.",
        "WHAT A WIN!! Thank you, members.",
        "GRAND FINAL BOUND 🏆",
        "BACK ONLINE in Dunedin, sorry for the wait.",
        "ALL FIXED, thanks for your patience.",
        "TÜM HATLAR YENİDEN AKTİF, sabrınız için teşekkürler.",
        "KESİNTİ DUYURUSU: yarın 10:00-12:00.",
    ],
)
def test_labels_sport_cheers_and_services_back_in_capitals_are_not_shouting(text: str) -> None:
    assert shouting_spans(text, frozenset()) == []


def test_a_label_does_not_excuse_the_shouting_after_it() -> None:
    assert shouting_spans("UPDATE: STOP TAGGING US ABOUT THIS", frozenset()) != []
    assert shouting_spans("WHAT A JOKE!!! READ THE FAQ", frozenset()) != []
