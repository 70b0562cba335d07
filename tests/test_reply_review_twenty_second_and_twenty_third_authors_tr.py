"""The Turkish shapes blind batches 53 and 55's paraphrased first looks (a twenty-second author: German
desks of Turkish brands, Turkish with German and English loan-words; a twenty-third: Instagram shop
owners with pet names and emoji) showed the review missing or false-flagging: rules .25, in new words
(not the batches' lines, which no one here has read, nor batch 54's training lines), judged by the
rules alone (a scorer that flags nothing stands in).
"""
# ruff: noqa: RUF001  (Turkish letters are the subject here)

from __future__ import annotations

import pytest

from tests.review_rules import rule_kinds

FLAGGED_BY_RULES = [
    # a denial, then the reader accused of spreading false information
    ("Hizmet bedelimiz hiçbir zaman saklanmadı; lütfen asılsız bilgiler yaymaktan vazgeçin.", "defensive"),
    ("Ek ücret diye bir şey yok, yanıltıcı paylaşımınızı silmenizi rica ediyoruz.", "defensive"),
    ("Takipçileri yanıltmayın, kesintiler sözleşmede açıkça yazıyor.", "defensive"),
    # procedure followed, no apology
    ("Güvenlik görevlimiz talimata uygun davrandı, özür dilememizi gerektiren hiçbir durum yok.", "defensive"),
    ("Şoförümüz kurallara uydu; bu nedenle özür dilemiyoruz.", "defensive"),
    ("Ekibimiz her şeyi kurallara göre yaptı, özrü gerektiren bir durum oluşmadı.", "defensive"),
    ("İftira atmaktan vazgeçin, komisyon her zaman açıktı.", "defensive"),
    # mock enthusiasm with an absurd fix
    ("Muhteşem bir fikir! Belki de bundan sonra kahvaltıyı siz hazırlarsınız, kuyruk da biter 👍", "sarcasm"),
    ("Bu fikrinize bayıldık, kendiniz kaptan olursunuz, rötar da kalmaz 👍", "sarcasm"),
    ("Süper öneri! O zaman herkes kendi valizini uçağa kendisi yüklesin 👍", "sarcasm"),
    # a health incident noted, then cheer
    ("Çocuğunuzun havuzda yaralanması kayıtlara geçti, teşekkürler. İyi eğlenceler 🎉", "dismissive"),
    ("Restoranda yaşadığınız zehirlenme bildirimi alınmıştır. Harika bir tatil dileriz ☀️", "dismissive"),
    # late but good anyway, be thankful
    ("Şekerim paket biraz gecikti ama yine de ürünler kusursuz, şükretmelisin 🙏", "dismissive"),
    ("Kuzum sipariş geç geldi evet, ama sonuçta pasta enfesti, şükretmeyi bilmek lazım.", "dismissive"),
    # a right withheld over the customer's attitude
    ("Güzelim bu tavırla yazınca iade kodu gönderemem, kusura bakma 💁‍♀️", "aggressive"),
    ("Üslubunuz yüzünden değişim talebinizi kabul etmiyorum.", "aggressive"),
    ("Bana böyle yazan birine indirim kodu vermem 😌", "aggressive"),
    ("Canım tavrını hiç beğenmedim 💁‍♀️", "aggressive"),
    # mock thanks
    ("Ücretsiz akıl dersleriniz için çok sağ olun 😍", "sarcasm"),
    ("Bu muhteşem (!) yorum için minnettarız.", "sarcasm"),
    ("Sizi gönüllü kalite kontrol uzmanımız ilan ediyoruz 🥰", "sarcasm"),
    # disclosed to win the argument
    (
        "Can Bey, 2 Mayıs'taki 300 € tutarındaki gönderim alıcı Selin Arslan hesabına yatırıldı, dekont ektedir.",
        "private_data",
    ),
    (
        "@tuna.b teknik bir sorun yok; banka kartınız iki kere reddedildi, bu yüzden üyeliğiniz durduruldu.",
        "private_data",
    ),
    ("@irem_s kullanılmış kazağın fotoğrafını adresiniz görünecek biçimde hikayemize koyduk.", "private_data"),
    ("@ayse_t kartınızın bakiyesi yetersiz olduğu için ödeme geçmedi, hesabınız donduruldu.", "private_data"),
    ("Hiç utanmadan kullanılmış ürün için para iadesi talep ediyorsunuz.", "aggressive"),
]


@pytest.mark.parametrize(("text", "kind"), FLAGGED_BY_RULES)
def test_blind_batches_53_and_55s_missed_turkish_shapes_are_flagged_by_the_rules(text: str, kind: str) -> None:
    assert kind in rule_kinds(text, "tr")


FINE = [
    # pet names and emoji around accountable replies
    "Canım içerik bilgisi her ürün sayfasında var 🌸 argan ve jojoba yağı kullanıyoruz; "
    "argana hassasiyetin varsa bunu kullanma lütfen.",
    "Tatlım yorumun sert ama adil 💛 bundan sonra her pakete kullanım kartı ekliyoruz.",
    "Evet evet, çok haklısınız 🙈 kurabiyelere yanlış isim yazmışız, telafi kutusu yolda.",
    "Tamam tamam, hata bizde 😅 yeni kutu yarın kargoda.",
    "Küfürlü mesajları gizliyoruz ama eleştiri asla silmeyiz hayatım, yorumun hâlâ yayında.",
    "Mesajlara tek tek yanıt veriyorum, sabır lütfen 🙏 dün akşamki kargo sorununa da bakacağım.",
    "Kremlerimizde paraben yok, saklayacak bir şeyimiz yok; sertifika profilimizde sabitli.",
    "Canım yorumunu silmedim, silmem de; eleştiri başımızın üstüne 🌸",
    "Tatlım dün gece teslimatta aksama oldu, hepsini tek tek arıyorum 🙏",
    "Kuzum bu kolye gümüş değil çelik, açıklamada da öyle yazıyor; yine de istersen değiştiririm 💛",
    "Canım ağzına sağlık, çok mutlu oldum 😍",
    "@derya.k DM'den devam edelim, kimsenin kişisel bilgisini burada paylaşmayız.",
    # firm corrections, admissions, safety, quoted words, humour
    "Transfer ücretleri gönderimden önce ekranda gösteriliyor; "
    "yine de bir karışıklık varsa dekontu DM'den birlikte inceleyelim.",
    "Kabin memurumuzun tavrını yanlış bulduk, özür dileriz; kendisiyle görüşüldü.",
    "Zehirlenme haberine çok üzüldük, geçmiş olsun. Otel doktorumuz bugün sizi arayacak.",
    "Bu harika fikir için teşekkürler 👍 ekibimizle paylaştık, yaz sezonunda deneyeceğiz.",
    "Sabunları kuru yerde saklayın ve gözle temasından kaçının lütfen.",
    "'Bir daha gelmem' demişsiniz, haklısınız; telafi etmek isteriz, DM'den yazar mısınız?",
    "Kediniz kurdeleyi kapmış 😂 Afiyet olsun ikinize de!",
    "Kartınız reddedildiyse güvenliğiniz için detayları burada konuşmayalım, DM'den yazın.",
    "Kartınızın limiti yetersiz görünüyorsa bankanızla görüşebilirsiniz.",
    "Harika fikir, size çok teşekkür ederiz 👍",
    "Süper fikir, ekibimize ilettik 👍",
    "Özür dileriz, sistemde bir hata yok ama siparişinizi kontrol ediyoruz.",
    "Özür dilemenize gerek yok, hata bizdeydi.",
]


@pytest.mark.parametrize("text", FINE)
def test_blind_batches_53_and_55s_fine_turkish_shapes_are_not_flagged_by_the_rules(text: str) -> None:
    assert rule_kinds(text, "tr") == set()


def test_a_doubled_yes_before_an_admission_agrees_but_alone_still_mocks() -> None:
    assert "sarcasm" not in rule_kinds("Evet evet, haklısınız, hatayı düzeltiyoruz.", "tr")
    assert "sarcasm" in rule_kinds("Evet evet, kesin öyledir.", "tr")


def test_the_exasperated_how_many_times_is_not_a_commitment() -> None:
    assert "dismissive" in rule_kinds(
        "Size kaç kere anlatacağım, ücret belli. Anlamıyorsanız yapacak bir şey yok.", "tr"
    )
