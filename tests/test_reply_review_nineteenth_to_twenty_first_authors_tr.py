"""The Turkish shapes blind batches 47, 49 and 51's paraphrased first looks (a nineteenth, twentieth
and twenty-first author) showed the review missing or false-flagging: rules .24, in new words (not
the batches' lines, which no one here has read, nor batch 48's training lines), judged by the rules
alone (a scorer that flags nothing stands in).
"""
# ruff: noqa: RUF001, RUF003  (Turkish letters are the subject here)

from __future__ import annotations

import pytest

from tests.review_rules import rule_kinds

FLAGGED_BY_RULES = [
    (
        "Gece ikide gelen misafire odanın tutulmaması son derece doğal, bir dahakine önceden haber verirsiniz artık.",
        "blame",
    ),
    ("Ders ücretleri mayısta duyuruldu; bültenimize bakmayan velilerin şimdi itiraz etmesi yersiz.", "blame"),
    ("Yasak alan haritada açıkça işaretli, bence bir göz muayenesi iyi olur 👓", "aggressive"),
    (
        "Tüm sürücüler kurallar konusunda bilgilendirildi; kurala uymayanlardan şirketimiz sorumlu tutulamaz.",
        "defensive",
    ),
    ("Tüm sürücüler kurallar konusunda bilgilendirildi, herkes uyarılmıştı.", "blame"),
    ("Maalesef mouse'un yere düştüğü çok belli, garanti dışı kalıyor.", "blame"),
    ("Belli ki saat suya sokulmuş ve ıslanmış, servis bunu karşılamaz.", "blame"),
    ("Forumdan ikinci el kart alanlar kendi dertleriyle kendileri uğraşsın.", "blame"),
    ("Bazı müşteriler her şeyi beleşe istiyor, olmayınca da yorumlarda mızmızlanıyor.", "aggressive"),
    ("Siz kim oluyorsunuz da bize nasıl çalışacağımızı söylüyorsunuz?", "aggressive"),
    ("Beğenmiyorsanız gidip kendi restoranınızı açın.", "aggressive"),
    ("Aidatlarımız cebinize ağır geliyorsa mahallede onlarca ucuz salon bulabilirsiniz.", "dismissive"),
    ("Kusura bakmayın ama hissiyatınız rakamları değiştirmiyor.", "dismissive"),
    ("Mesajınız için teşekkürler ama gereğinden fazla tepki gösteriyorsunuz 🙂", "dismissive"),
    ("öyle bir garanti hiç vermedik. yorumlamadan önce bir okuyun lütfen", "blame"),
    ("Teknisyenlerimiz her zaman görev başında; arıza sitenizin eski tesisatından kaynaklıdır.", "defensive"),
    ("Kurumumuz aleyhine grup kuran velilerin kaydını sonlandırma hakkımız saklıdır.", "threat"),
    ("Terminal içinde izinsiz kayıt alan yolcular hakkında gereği yapılacaktır.", "threat"),
    ("Bu eşsiz teknik değerlendirmeniz için minnettarız, tasarımcılarımız hâlâ kendine gelemedi 💅", "sarcasm"),
    ("Paketi mi iptal edeceksiniz? Eyvah, titriyoruz şu an", "sarcasm"),
    ("Gül Hanım, oğlunuzun 3-D sınıfındaki kaydı için 4.500 TL ödenmemiş aidat var.", "private_data"),
    ("Okan Bey, kayıtlı cep numaranız 0542 ile başlıyor, bu hattan dönüş yapacağız.", "private_data"),
]


@pytest.mark.parametrize(("text", "kind"), FLAGGED_BY_RULES)
def test_blind_batches_47_to_51s_missed_turkish_shapes_are_flagged_by_the_rules(text: str, kind: str) -> None:
    assert kind in rule_kinds(text, "tr")


FINE = [
    "Taklit analiz belgesiyle ilgili savcılığa suç duyurusunda bulunduk. "
    "Bu adım, belgeyi paylaşan hiçbir tüketiciye yönelik değildir.",
    "Yetkisiz satıcılarla ilgili şikayetleri emniyete ilettik; hukuki süreç nedeniyle ayrıntı veremiyoruz.",
    "Ürünümüzü taklit eden sayfayla takipçilerimizle bir ilgisi yok, sayfayı bildirdik.",
    "Yok artık, sipariş notunuza resim mi çizdiniz 😂 Çok teşekkür ederiz!",
    "Teşekkürler; gaz kaçakları bizim sorumluluğumuzda değil, dağıtım şirketinin; ALO 187'yi arayabilirsiniz.",
    "Kulaklığınız düşmüş olsa bile garanti kapsamında yenisini gönderiyoruz.",
    "Darbe izi görülüyor; yine de ücretsiz onarıyoruz, kargo kodu DM'de.",
    "Duyuruyu okumayan üyelerimiz için tüm bilgileri tekrar SMS ile gönderdik.",
    "Bazı kullanıcılarımız giriş yapamıyor, ekibimiz çalışıyor.",
    "Ücretler size ağır geliyorsa burs ve taksit seçeneklerimiz var, DM'den konuşalım.",
    "Bütçeniz yetmiyorsa şehirde pek çok şubemizde indirimli paketler mevcut, size uygun olanı bulalım.",
    "Ekiplerimiz 7/24 sahada; kesinti eski hattan kaynaklı, özür dileriz, akşam elektrik gelecek.",
    "Üyeliğinizi iptal etme hakkınız bulunmaktadır, süreci birlikte başlatalım.",
    "Kaba davranan personelimiz hakkında gereği yapılacaktır, özür dileriz.",
    "Başvuranlar hakkında gerekli inceleme yapılacak ve sonuç bildirilecektir.",
    "Deprem anında hepimiz çok korktuk; ekiplerimiz bölgede, ihtiyaçlarınızı yazın.",
    "Servisimiz 0850 ile başlayan numaradan sizi arayacak.",
    "Kırılmanın nedeni henüz belli değil, servisimiz inceleyecek.",
]


@pytest.mark.parametrize("text", FINE)
def test_blind_batches_47_to_51s_fine_turkish_shapes_are_not_flagged_by_the_rules(text: str) -> None:
    assert rule_kinds(text, "tr") == set()


def test_a_polite_opening_before_a_dismissal_is_not_an_apology() -> None:
    # ("kusura bakmayın ama …" opens a dismissal; "kusura bakmayın, …" still apologises)
    assert "dismissive" in rule_kinds("Kusura bakmayın ama duygularınız olguları değiştirmiyor.", "tr")
    assert rule_kinds("Kusura bakmayın, ürün yanlış gitmiş; yenisi yarın kargoda.", "tr") == set()


def test_legal_action_against_the_reader_is_still_a_threat() -> None:
    assert "threat" in rule_kinds("Hakaret içeren yorumlar hakkında suç duyurusunda bulunacağız.", "tr")
