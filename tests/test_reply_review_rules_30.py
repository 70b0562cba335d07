"""Rules .30 and .31: shapes the training batches held that the rules judged wrongly, in new words (not the
batches' lines), judged by the rules alone. Personal data written out with its label (a national ID
whatever its checksum, an account with its sort code, a meter number, a card's expiry), a one-time
code or a wallet's seed phrase asked for in public; and fine replies the rules had flagged: a
condolence, a denial of doubting the customer, "none of this was your fault", capitals inside a
hyphenated code, a notice's label after an emoji, a card number asked for by direct message. And
from batches 95-103: a sanction in Turkish's informal "sen" form, a fault sent elsewhere, a
conversation declared closed, "the world revolves around you", "spamlamayı bırakın"; a refusal to
pretend ("iyiymiş gibi yapmayacağız") and "saçma soru yok" are not flagged. And from batches
109-115 (.31): a correction that names the claim it corrects or gives its facts after a colon is not
a bare denial; a tax number with its label, "bizden değil", "konuyu kapanmış kabul ediyoruz",
"zahmetine girmemiş", "had customers ... there would have been no problem", criticism called unfair. And .32: an English
card number asked for by direct message is fine, as in Turkish (its CVV never is). And .33: the
address a named person's parcel goes to ("... Mah. 45/7 adresine"), an account number in groups, a
secret or personal data asked for as a question or without a verb, an identity document posted here.
And .35 (blind batches 117-123, once measured, then trained on): the unreal condition put on the
customer after the fact, a fault sent elsewhere "rather than us", a problem made routine in two words,
the reminder nobody "read", service weighed against a complaint, a new password written out; and not
flagged: an admission ("tamamen bizim suçumuz"), a promise ("üçüncü kez çekim yapılmayacak"), what the
customer was told quoted, "sorry you felt ..." owned in the next sentence, a warning about impersonators,
a reply referred to as "your last reply", a claim named by its clause and denied with facts. And .36
(blind batch 143): "Maybe start there.", a sanction on those who will not pay, offence taken at
the concern, a promotion in answer to a complaint, a mocking title, a child named with their room,
the person behind a rumour named in public; and an apology's discount is no promotion. And .37
(blind batch 151): "works perfectly when used as instructed", older customers sent to a relative;
"beklemek zorunda kalması" is no sarcasm, a first statement admitted wrong is no "as we said". And
.38 (blind batch 157): the public's misuse as the cause, a patient's diagnosis or ward told in
public, "nothing for us to apologise for", "keep your opinions to yourself", news called unfair,
"vakit bulmanıza sevindik", patients to be put out by security, "akıl vermeyin". And .39 (blind
batch 171): the fault put on the customers' own upkeep, "when it arrives" told as a shrug ("gelince
gelir"), a trade-up pitch in answer to a complaint, "every airline has delays" (without a "but"). And .40
(blind batches 173-177): the planner "you hired" blamed, "Actions have consequences.", a review to be
removed or else, a chargeback answered with a closed account, a password or PIN written out, the
customer's messages counted in mock thanks, "all-caps feedback", "yes, we did it on purpose",
criticism called overblown, data asked for "bu tweetin altına"; and not flagged: "until it never
happens again", "hard questions are natural", an order number. And .41 (training batches 180 and
182, plain everyday replies): the customer's messages counted in words in mock thanks, a password
"was reset to" one written out, a sort code and account number with a slash, a code or a date of
birth told in public, a bare "SSS sayfasına bakın."; and not flagged: "thanks for your patience, we
know this ...", a service "yeniden sorunsuz" working, "ikinci kez yazmak zorunda kaldığınız". And .42
(blind batch 181): experience set against the customer's knowledge, mock thanks for a "lesson", a
card's sixteen digits asked for under the post; and not flagged: the brand's own branch address,
"Maşallah sana" before help, "güveninizin sarsılması çok normal". And .43, a review of .39-.42: the
new shapes narrowed where they had caught ordinary replies (a choice "or we'll cancel and refund
you", "let you know when we know more", "İlacı almayı bırakın", a condolence, "bilerek yapmadık",
a shop's address after "our shop is now at"). And .45 (blind batches 199 and 201): the failure put
on what customers did not do, "we're not the bad guys", "cut us some slack", "but we warned
everyone", a member number written out; and not flagged: "Hadi bakalım" before an apology,
"aramak zorunda kalmamalıydınız". And .46 (blind batches 205-211): "Back off.", thanks asked for
("A little gratitude?"), mock thanks for capitals, a sanction of the back of the queue, a debt "sent to
collections", the unreal past with "keşke", "hak etmiyoruz", "Vay, ... ne harika bir fikir", a meter's
or subscriber's number asked for "buraya", a door and flat ("Caddesi 45/2") with "adresiniz"; and not
flagged: a shop's address after "our Manchester shop is at", "nothing wrong with your router", "??" in
sympathy. And .47 (blind batch 219): a record set against the judgement ("yargılanmasını kabul
etmiyoruz"), "suçlamadan önce ... unutmayın", a membership cancelled for who shared a video, "...
düşünmenize üzgünüz"; and not flagged: a buddy system, "diğer okullarımızda böyle bir olay
yaşanmadı; yine de ...", "... hissetmenize çok üzüldük, böyle olmamalıydı". And .48 (blind batches
223-227): mock thanks for a one- or two-star review, "sorry if anybody felt put out", balances set
against repair priority, a family member's medical letter, a flat in a tower, a canned thanks passed
to a department, a problem called normal, best practice claimed, "ilginç bir teori", rules "not heeded", a diagnosis
and a block and flat written out; and not flagged: a thanks with a next step, "'acil' olarak
işaretleyin", a suggestion thanked for and taken up. And .49 (blind batches 229-235): a PIN or a
student number written out, three details asked for "buraya" in one breath, the fault sent to an
agency or supplier "we no longer work with"; and not flagged: "we've logged your complaint", thanks
for calming the children, "sizinki de listede" in a list of those refunded. And .50 (blind batches
239-243): the customer "started it", "maybe ask your bank", "whenever", "everyone will forget about
it", a denial closed with "full stop" or "Nokta.", a laughing emoji after a promise, "bankanıza
sorun", sharers "tespit edilecek", "hesapları elimizde", "dramanızı başka yerde", a street and door a
card is sent to; and not flagged: a payment "returned to your card", VAR in capitals. And .51
(blind batches 245 and 251): a car to be reported stolen, details "passed to the police", "not
something we can be held accountable for", care stood by "100%", "the facts will prove us right",
"bir dahakine … olur mu?", "okusaydınız … çözerdik", "Sadece bir düşünce."; and not flagged: a
refund "ekstrenizde görürsünüz", "haber verseydik" owned, a promise stood by. And .52 (blind
batch 249): "Should have read ... before paying" without a subject, "why single us out?", "Geri
çekilin!", "burada işimizi yapıyoruz"; and not flagged: the brand's own "should have checked",
"rampadan geri çekilin" as a safety instruction, "Should've told you sooner, sorry". And .53
(blind batches 257 and 259): a French mobile in pairs, a street number first ("7 Rue Victor
Hugo"), an applicant number, the fault "with our payment provider, not with us", complaints
"directed to the manufacturer", "every studio has launch problems", "her havayolu ... gecikme
yaşar", "bize yüklenmeyin", "bir aksaklık olduysa özür dileriz", "bağırmanızla", "ne kolay!"; and
not flagged: a cloud provider named while owning the fault, "haklı olarak bize yükleniyorsunuz",
"her banka ... ama bu bir mazeret değil", "kurulum çok kolay:", the brand's own store on a rue.
And .54 (training batch 192 and blind batches 261-267): no response "to individual comments", "take a
good look in the mirror", rashes that "usually start at home", "tek tek ... yanıt vermeyeceğiz", a
right to suspend "saklıdır"; and not flagged: "if you already shared your code, freeze your card",
the team's applause, "kıdemli uzmanımız", a second time called "kabul edilebilir değil". And .55
(blind batch 271): "so that's outside our control", "delays happen! 🤣", "we're being very
generous", the share affected "oldukça düşük", a chargeback answered with a suspension, "cömert
davranarak"; and not flagged: "you don't need to calm down", snow "outside our control, but ...",
"sakinleşmeniz gerekmiyor", "üç kez tekrarlandığını yazdığınız için", "cömert bağışlarınız". And
.56 (blind batches 277-281): "blame the weather, not us", "wow, thanks for the update", staff to
"magic up", a card number in groups with its owner, "no defect has been identified", "Kidding,",
"how selfish of us to offer", "we know where you park", "sorry that's how you took it", "Vay be,
... teşekkürler", "yoktan var ederiz", "nerede oturduğunuzu biliyoruz", "uslu durun", a comment
"silmezseniz", details asked for "buraya" before the verb, "... getirirdi herhalde", "gelebilirseniz
tebrikler"; and not flagged: "şarja takmayın", "we know this was a terrible night", "açılır
herhalde diye düşünmeyin". And .57 (blind batch 287): redness that "happens with any strong
retinol", "the least you could do", "love how everyone suddenly ...", "anlayışla karşılarsınız
umarım", a street, door and flat after a first name; and not flagged: "stop using it right now", a
shop's own street and door. And .58 (blind batch 299): "the rest is on them", "tweetlerle değil
yolcularla ilgileniyoruz", a neighbour's "adresi" and street; and not flagged: "the next round is on
us", "mağazamızın adresi". And .59 (blind batch 303): "typical of the press", "before anybody piles on us",
a wife "taken to the General, ward 12", "görürler!", a daughter "4. servise yatırıldı"; and not
flagged: "sağ ol kardeşim", a son "seen by our first-aid team". And .60 (a review of the change): the
details asked for "buraya" before the verb are an alternative of the .27 ask, under its guard, so a
warning that fake accounts ask for them "buraya" is not flagged. And .61: a number the reply gives as
the brand's own ("call us on", "our WhatsApp line is", "... numaralı destek hattımızdan") is no leak,
nor a UK landline written with +44; a UK mobile with +44, and a customer's number they called from,
still are. And .62 (blind batches 311 and 313): "Thank them." after a fault put on the neighbours,
"free cardio", "we'll just magic up", "Not urgent.", "Re-read the notice.", the customer's wrong
details or late papers as the cause, "we can only work with the information you gave us", an account
after "#", "the X family, whose ...", "onlara teşekkür edebilirsiniz", "yanlış adres yazmasından
kaynaklandı", a post "gerçeğe aykırı" and asked to be removed; and not flagged: "have a great
workout", the comments "okumak zor" to read. And .63: "claims are unfounded" with the facts after a
colon is a correction (as "that is not true:" since .31); without them it is still flagged. And .64
(blind batch 317): a breach "caused by customers reusing" passwords, a voicemail "at 555-0192", an
injury as "a normal part of growing up", nothing "korkulacak bir şey yok" after a leak, "işin doğal
bir parçası", an address "adres olarak" in public; and not flagged: a single-quoted complaint with
an apostrophe inside, "biliyormuş gibi de yapmayacağız", a warm "haberiniz olsun 🙂", "okuması zor olsa da".
And .65 (blind batches 325, 327 and 331): the person recording "decided to" post it, a colleague
"was just kidding", "we will seek damages", the client's staff "okusaydı", "çalışanlarınızdan biri
... tıklaması", a tweet "profesyonellikten uzak", a complaint carried "yöneticinize"; and not
flagged: "we didn't do that research", "don't worry about overreacting", "hiç kimse böyle bir şey
yaşamamalı", "abartıyormuş gibi hissetmenize gerek yok", the breach reported "ilgili makamlara",
"bunu okumak zor ama"; a person's e-mail at their employer and a disciplined employee named apart
from their role are personal data, a press office's address and an unnamed employee are not. And
.66 (blind batches 335 and 339): a passenger named with their seat, a wife "in intensive care", "the
owners of unit 12", "stop asking about", "the least of your worries", "anyone can point a camera at
... and call it", "we won't ... because some people are nervous", "we will sue any customer", "was
the one who cut", "great video, but it skips the bit", accidents "her gün ... oluyor", "birileri
endişelendi diye", "4 numaralı koltuktaki bayan", "dikkatini dağıtan", "güzel video çekmişsiniz ...
eksik", "sildiğiniz kısım yok". And .67 (blind batches 341-347): a client who "came in ... and paid
£", a named person who "has epilepsy", "but he never told us", "believe everything they see",
"congratulations, you're famous", "thank you so much for ruining", "we know who posted it", a visit
"yaptırdı ve ... TL ödedi", a street where someone "oturan", "sosyal medyada okuduğu her şeye
inanan", "ünlü oldunuz", "berbat ettiğiniz için teşekkürler", "gerçek konulara geçelim", "suç
komşularda", "kimin paylaştığını biliyoruz"; and not flagged: "Doing it properly" opening a
sentence, "won't change anything about our responsibility", our earlier post quoted to correct it,
"cilt uzmanımız", "okuması zor bir yorum", "öyleymiş gibi anlatmayacağız", an earlier post called
"yanlıştı". And .68 (blind batches 349-355): a child named "from Cabin 2", a named person with their
age beside a hospital, "we must have missed the part", "wrap your kids in cotton wool", "a decision
within 28 working days", "thanks for the free publicity", "we'll post your photos", "delete the post
or", "have you tried our ... deal", "the reviews speak for themselves", a street asked after with
"'da mısınız", "45 iş günü içinde yanıt", "ücretsiz reklam için teşekkürler", "daha önce
belirtmiştik", "gerçekler ortada", "123456 numaralı kredi hesabınız"; and not flagged: "your
daughter was in one of the photos", a laugh with a heart, a refund "10 iş günü içinde", "we'll post
the number". And .69 (blind batch 363): an address on a street with a Turkish name, "it's always
easy to judge from the outside", "none of you could understand", "the residents knew the risks",
"Life goes on.", "things like this happen everywhere", "zahmet edip baksaydı", "sakinler ...
dinleseydi", "bu gibi kazalar her yerde olur". And .70 (blind batches 365-371): a plate and a passport number written
out, a postcode asked for "below", a door code, "Next caller, please.", "Known issue.", appeals that
"take 60 days", "this wasn't on us", "we don't owe anyone an explanation", "in due course",
"sıfır ayarında değildi", the responsibility "veliye aittir", "kapı kodu", "pasaport numaranız",
"uygun bir zamanda yanıtlanacaktır", "itiraz 60 gün sürer", "artık uğraşamıyorum"; and not flagged:
a clip shared "privately before posting", "once ... and again with the", our website quoted to
correct it, "buraya yazmayın; DM'den gönderin", "... gibi cevap verdim", "okumak zor oldu ama". And
.71 (a review of the change): near-copies folded into the older rules they repeated, so "suç sizin
değil" is read with the older rule's negation and not flagged.
"""
# ruff: noqa: RUF001, RUF002  (Turkish letters are the subject here)

from __future__ import annotations

import pytest

from tests.review_rules import rule_kinds

PRIVATE_DATA = [
    ("en", "We've looked at sort code 20-44-91 account 55102938 and the refund is on its way."),
    ("en", "The guest in room 12, ID 73319045, checked out at 6am according to our records."),
    ("en", "Hi Ama, your account number 88301274 shows two missed payments this year."),
    ("en", "Your Visa, expiry 11/28, was declined twice at the pump this morning."),
    ("en", "Reply with your recovery phrase and our support team will restore the wallet."),
    ("tr", "Hasta kaydında Ali Şen, TC 23456789012 olarak görünüyor, randevunuz onaylı."),
    ("tr", "Abone numarası 4410293385 olan hattınızda borç bulunuyor, ödemenizi bekliyoruz."),
    ("tr", "Sonu 1187 olan ve 03/29 son kullanma tarihli kartınızdan iade yapıldı."),
    ("tr", "Telefonunuza gelen 4 haneli kodu bu gönderinin altına yazarsanız hesabı açalım."),
    ("tr", "Mehmet Bey, Yıldız Mah. 45/7 adresine yarın sabah teslim edilecek."),
    ("tr", "Zeynep Hanım, Atatürk Cad. No 18 adresine kurye yola çıktı."),
    ("en", "Thanks Priya, your account 12-3344-5566 is unlocked again."),
    ("en", "What is your mobile banking PIN? We need it to unblock the card."),
    ("en", "Your full name, date of birth and postcode please."),
    ("en", "Please upload a scan of your passport below so we can confirm the booking."),
    ("tr", "Doğum tarihiniz ve açık adresiniz nedir?"),
    ("tr", "Kimliğinizin fotoğrafını bu gönderinin altına yükleyin lütfen."),
    ("en", "Hi Dev, your temporary password is Spring77 until you log in again."),
    ("tr", "Can Bey, yeni şifreniz: Yaz2025 olarak güncellendi."),
    ("tr", "Emre Bey, Papatya Sokak No:9 adresindeki aboneliğiniz yenilendi."),
    ("en", "Mrs Ruiz, your daughter Lola in dorm B12 has been moved to a quieter floor."),
    ("en", "Just so everyone knows, the customer who posted the video is Tom Reilly, a former employee."),
    ("en", "Your mother was admitted with a suspected heart attack and is comfortable on Ward 7."),
    ("tr", "Eşiniz zatürre tanısıyla yatırıldı, yoğun bakımda durumu stabil."),
    ("en", "Lucy, our driver tried you on +44 7700 900518 twice this morning."),
    ("tr", "Dün gece 0533 207 64 18 numarasından bizi on kez aradığınızı görüyoruz."),
    ("en", "The account belonged to Mark Hughes in your payroll team, mark.hughes@ridgeway-foods.co.uk."),
    ("tr", "Hesap Elif Tan'a ait: elif.tan@demirlojistik.com.tr."),
    ("en", "The driver in the video, Gary Holt from our Bristol depot, has been suspended."),
    ("tr", "Videodaki kuryemiz, Bornova şubemizden Emre Kaya, görevden uzaklaştırıldı."),
    ("en", "Update: Mark Owens (seat 22) has been discharged and is travelling home."),
    ("tr", "Bilgilendirme: Elif Şahin (koltuk 9) taburcu edildi."),
    ("en", "@dana_r your wife is in intensive care at the General and comfortable."),
    ("en", "The owners of unit 12 still owe the final instalment."),
    ("tr", "4 numaralı koltuktaki bayan, şoförle tartışan kişiydi."),
    ("en", "Megan came in on Friday for highlights and paid $240 in cash."),
    ("en", "To be clear, the runner has epilepsy and collapsed near the finish."),
    ("tr", "Zeynep Hanım cuma günü fön yaptırdı ve 650 TL ödedi."),
    ("tr", "Bağdat Caddesi No: 40'ta oturan Ali Bey'e ulaştık."),
    ("en", "Good news: Sophie Turner from Cabin 2 is back with her group."),
    ("en", "Ruby Clarke (8) is at the Royal Infirmary and doing well."),
    ("tr", "65 yaşındaki Ayten Kaya gece hastanede kaldı, durumu iyi."),
    ("tr", "Hâlâ Gül Sokak No: 12'de mısınız? Paketi getiriyoruz."),
    ("tr", "123456 numaralı kredi hesabınız güncel görünüyor."),
    ("en", "The family at 12 Ölçek Road was visited by officers twice."),
    ("en", "The van in the video is plate AB12 CDE, booked to a customer in Leeds."),
    ("en", "Please share your registration and postcode below so we can check."),
    ("en", "Her passport GB5521903 was returned by the embassy today."),
    ("en", "The flat's door code is 2291, see you Monday!"),
    ("tr", "Kapı kodu 5512, akşam görüşürüz."),
    ("tr", "Pasaport numaranız U4412093 sistemde kayıtlı."),
]

FINE = [
    ("en", "You have nothing to apologise for; the delay was ours and we are sorry."),
    ("tr", "Haklısınız, bekleme süreleri kabul edilemezdi; yarından itibaren ek ekip çalışıyor."),
    ("tr", "Babanızın gişede bir saat beklemek zorunda kalması kabul edilemez, özür dileriz."),
    ("tr", "Önceki mesajımızda kartların cuma geleceğini yazmıştık, yanlış bilgi verdik; özür dileriz."),
    ("en", "We can help older customers by phone or in branch, no family member needed."),
    ("en", "We're so sorry. By the way, every affected order gets a 20% discount as our apology."),
    ("tr", "Bu arada etkilenen tüm siparişlere özür olarak yüzde 20 indirim tanımladık."),
    ("tr", "Kusura bakmayın, bu gecikme tamamen bizim suçumuz; siparişiniz bugün yola çıkıyor."),
    ("tr", "Hatayı düzelttik, hiçbir karttan ikinci kez ödeme alınmayacak."),
    ("en", "Being told your booking was 'confirmed' and then turned away at the desk is unacceptable; we're sorry."),
    ("en", "We're sorry you felt ignored at the counter. That isn't acceptable, and the manager will call you today."),
    ("en", "A fake page is messaging people about refunds. That isn't us: we never ask for card details."),
    ("en", "We removed your last reply because it showed your phone number; please DM us instead."),
    ("tr", "Kartların kopyalandığı iddiası doğru değil. Sistemlerimizde bir ihlal yok, kartlarınız güvende."),
    ("en", "Please post your order ID here and we'll chase the courier."),
    ("en", "Your patience, please: the engineers are still on it."),
    ("tr", "Sipariş numaranız nedir? Hemen kontrol edelim."),
    ("tr", "Ahmet Bey, Bağdat Caddesi No 120 adresindeki mağazamızdan iadenizi alabilirsiniz."),
    ("tr", "Ayşe Hanım, Moda Mah. şubemiz yarın 10:00'da açılıyor, sizi bekleriz."),
    ("en", "We are so sorry for your loss, and for the reminder letter that should never have gone out."),
    ("en", "Please accept our condolences on your loss; we've closed the account and stopped all post."),
    ("en", "Not at all a daft question, Jo: the old voucher still works until the end of May."),
    ("en", "None of it was your fault; the delay was at our warehouse and we've refunded the postage."),
    ("en", "Our helpline is 0800-HELP-NOW, staffed all night while the outage lasts."),
    ("en", "📢 UPDATE: trains are running again on the north line; thank you for your patience."),
    ("tr", "Yalan söylediğinizi asla düşünmüyoruz; faturanın bir kopyası incelememiz için yeterli."),
    ("tr", "Tazminat hakkınızı SHY-YOLCU yönetmeliğine göre DM'den birlikte değerlendirelim."),
    ("tr", "Çekimi kontrol edebilmemiz için kart numarasını özelden iletir misiniz?"),
    ("tr", "Her şey yolundaymış gibi yapmayacağız; kesinti iki gün sürdü, özür dileriz."),
    ("tr", "Burada gereksiz soru yok Deniz Hanım: kartınız yurt dışında da geçerli."),
    ("tr", "Okulların kapanacağına ilişkin haberler doğru değildir; dersler pazartesi başlıyor."),
    ("tr", "Bu doğru değil: faturalar geçen aydan beri aynı, zam yapılmadı."),
    ("en", "It is not true that the depot is closing; it is moving to a bigger site next door."),
    ("en", "This is false: the recall covers the 2021 models only, listed on our site."),
    ("en", "Could you send us your card number by DM so we can trace the double charge?"),
    ("en", "Every airline has delays, but that is no excuse for how we handled yours."),
    ("en", "We will let you know when it is ready."),
    ("tr", "Parça gelince size hemen haber vereceğiz."),
    ("tr", "Gecikme bizim hatamız; kendi kayıtlarımızı gözden geçiriyoruz."),
    ("en", "We will keep working on it until it never happens again."),
    ("en", "Thank you for the detailed feedback, it has gone to the team."),
    ("en", "Your criticism is fair, and we accept it."),
    ("tr", "Bu kadar sert soruların sorulması çok doğal."),
    ("tr", "Evet, hata yaptık ve özür dileriz."),
    ("tr", "1234567 numaralı siparişiniz bugün kargoya verildi."),
    ("en", "Thanks for your patience, we know this wait has been long."),
    ("en", "Sorry, this is your third message today and we still have not answered. That is on us."),
    ("tr", "Bugünkü ikinci mesajınız için teşekkürler, geç yanıt için özür dileriz."),
    ("tr", "Kartlı ödemeler yeniden sorunsuz çalışıyor."),
    ("tr", "Aynı konu için ikinci kez yazmak zorunda kaldığınız için üzgünüz."),
    ("en", "Pop into our branch at 12 High Street and they will swap it for you."),
    ("tr", "Maşallah sana, fişini saklamışsın! Getir, hemen iade edelim."),
    ("tr", "Güveninizin sarsılması çok normal; bunu yeniden kazanmak bizim işimiz."),
    ("en", "You can pick a new date, or we'll cancel and refund you in full."),
    ("en", "DM us your order number and we'll cancel your order and refund you."),
    ("en", "Customers should check their own bank statements for unusual payments."),
    ("en", "We'll let you know when we know more."),
    ("en", "Of course we would never deliberately mislead anyone."),
    ("en", "This is your second message this morning. Thank you for your patience, and sorry."),
    ("en", "Again, this is on us"),
    ("en", "Please set your new password to 12 characters or more."),
    ("en", "If you raise a dispute, your card will be cancelled and a new one sent."),
    ("en", "Our shop is now at 3 Kings Road."),
    ("tr", "Telefonu şarj etmeyi bırakın."),
    ("tr", "İlacı almayı bırakın."),
    ("tr", "Ne büyük bir trajedi; ailesine başsağlığı diliyoruz."),
    ("tr", "Elbette bilerek yapmadık; bir hataydı, özür dileriz."),
    ("tr", "Bunun ne kadar üzücü olduğunu herkesten iyi biliyoruz."),
    ("tr", "Endişelenmeyin, tek kuruş ödemediniz."),
    ("tr", "Hesabınız 2024-2025 dönemi için yenilendi."),
    ("tr", "Mağazamızın adresini paylaşıyoruz: Bağdat Caddesi No 120."),
    ("tr", "Hadi bakalım, önce bir özür: bu hafta sizi çok beklettik."),
    ("tr", "İki kez aramak zorunda kalmamalıydınız; iadeniz yapıldı."),
    ("en", "Thank you for your third message about the refund; it is on its way today."),
    ("en", "Our Manchester shop is at 3 Deansgate Road, open from 9am tomorrow."),
    ("en", "We checked your line: it is the outage, nothing wrong with your router at all."),
    ("en", "Your flight and the hotel too?? We're so sorry, DM us and we'll sort the hotel."),
    ("en", "Every pupil now has a buddy-system partner and a wristband with our number."),
    ("tr", "Diğer okullarımızda böyle bir olay yaşanmadı; yine de tüm geziler askıya alındı."),
    ("tr", "Yardımsız bırakılmış gibi hissetmenize çok üzüldük, böyle olmamalıydı; sizi arayacağız."),
    ("tr", "Geri bildiriminiz için teşekkürler, ilgili birime iletildi; yarın size dönüş yapılacak."),
    ("tr", "Küçük çocuk varsa başvurunuzu 'acil' olarak işaretleyin, aynı gün geliyoruz."),
    ("tr", "'Ücretsiz kargo' öneriniz için teşekkürler, ekibe ilettik ve ocakta deneyeceğiz."),
    ("en", "Thanks, we've logged your complaint and a manager will call you by Friday."),
    ("tr", "Çocukları sakinleştirdiğiniz için size minnettarız, Ayşe Hanım."),
    ("tr", "Etkilenen siparişlerin listesini hazırladık; sizinki de listede, iadeniz yolda."),
    ("en", "Your payment was returned to your card this morning; allow two working days."),
    ("en", "The VAR recordings from Saturday are now on our website."),
    ("tr", "İade talimatı verildi; 3 iş günü içinde ekstrenizde görürsünüz."),
    ("tr", "Size daha önce haber verseydik bunları yaşamazdınız; özür dileriz."),
    ("en", "We stand by our promise: every affected customer gets a full refund."),
    ("en", "We should have checked the forecast before selling those tickets; that's on us."),
    ("tr", "Lütfen rampadan geri çekilin; görevliler yolcuları sırayla alıyor."),
    ("en", "Should've told you sooner, sorry: the 6pm sailing is cancelled."),
    ("en", "The outage started with our cloud provider; it is still our responsibility and we are sorry."),
    ("tr", "Haklı olarak bize yükleniyorsunuz; hata bizde."),
    ("tr", "Her banka zaman zaman sorun yaşar ama bu bir mazeret değil; özür dileriz."),
    ("tr", "Kurulum çok kolay: uygulamayı açıp giriş yapmanız yeterli."),
    ("tr", "Başvuru online yapılıyor, çok kolay."),
    ("en", "Our Paris store at 12 Rue de Rivoli is open until 9pm."),
    ("en", "If you already shared your code, freeze your card in the app and call us."),
    ("tr", "Minnoş'un fotoğrafını görünce ekibimiz alkışladı, çok sevindik! 🐾"),
    ("tr", "Kıdemli uzmanımız dosyanızı yarın öğlene kadar inceleyecek."),
    ("tr", "Bu hafta ikinci kez oldu ve bu kabul edilebilir değil; özür dileriz."),
    ("en", "We'll reply to each of you individually by Friday."),
    ("en", "You don't need to calm down before we help; we'll call you in ten minutes."),
    ("en", "Snow is outside our control, but getting you home isn't: a coach leaves at 6."),
    ("tr", "Yardım için sakinleşmeniz gerekmiyor; hemen arıyoruz."),
    ("tr", "Sorunun üç kez tekrarlandığını yazdığınız için teşekkürler; bu bizim hatamız ve düzeltiyoruz."),
    ("tr", "Cömert bağışlarınız için çok teşekkür ederiz."),
    ("tr", "Cihaz ısınıyorsa şarja takmayın, hemen değiştiriyoruz."),
    ("en", "We know this was a terrible night; a refund is on its way."),
    ("tr", "Yarın sabah açılır herhalde diye düşünmeyin; saat 9'da net bilgi vereceğiz."),
    ("en", "Please stop using it right now and send us a photo by DM."),
    ("tr", "Mağazamız Bağdat Caddesi No:120'de, 10-22 arası açık."),
    ("en", "The next round is on us, and so is the fix."),
    ("tr", "Mağazamızın adresi Bağdat Caddesi No:120, saat 22'ye kadar açığız."),
    ("tr", "Destek için sağ ol kardeşim, yarın stattayız."),
    ("en", "Your son is safe and was seen by our first-aid team; please DM us so we can call you."),
    ("tr", "Sahte hesaplar buraya kart numaranızı yazmanızı isteyebilir, dikkat edin."),
    ("en", "Our London office is open until 6pm on +44 20 7946 0321."),
    ("en", "Call us on 07700 900777 any time, the line is staffed all night."),
    ("en", "Our WhatsApp support line is 07700 900242 if DMs are easier."),
    ("tr", "0532 610 44 80 numaralı WhatsApp destek hattımızdan bize 7/24 yazabilirsiniz."),
    ("tr", "WhatsApp hattımız: 0532 610 44 80, fotoğrafları oradan da iletebilirsiniz."),
    ("en", "Thanks, classes are back tomorrow. Have a great workout!"),
    ("en", "Please thank them from us: the neighbours who carried the heaters up were wonderful."),
    ("tr", "Tüm mesajlarınızı okuduk; yazdıklarınızı okumak zor ama gerekliydi, özür dileriz."),
    ("en", "The allegations are false: the lab results from Monday and Tuesday are posted on our site."),
    ("en", "You said 'you people won't ever answer' and this week you were right; a manager will call you today."),
    ("tr", "Her şeyi bilmiyoruz, biliyormuş gibi de yapmayacağız; cuma günü güncelleme paylaşacağız."),
    ("tr", "Oğlunuz için yeni kitaplar ayırdık, haberiniz olsun 🙂"),
    ("tr", "Okuması zor olsa da yazdığınız için teşekkür ederiz; müdürümüze ilettik."),
    ("en", "We didn't do that research first, and we should have."),
    ("en", "If your eyes sting, see a doctor and don't worry about overreacting."),
    ("tr", "Hiç kimse böyle bir gece yaşamamalı; bunun sorumlusu biziz."),
    ("tr", "Öksürüğünüz varsa hekime görünün, abartıyormuş gibi hissetmenize gerek yok."),
    ("tr", "Ödeme yapılmadı ve saldırı ilgili makamlara bildirildi."),
    ("tr", "Bunu okumak zor ama haklısınız, düzelteceğiz."),
    ("en", "Journalists can write to press.office@ridgeway-foods.co.uk for our statement."),
    ("tr", "Personelimiz, Ankara Kızılay şubesinde görevden alındı; soruşturma sürüyor."),
    ("en", "Please keep asking us anything, we would rather answer twice than leave you guessing."),
    ("tr", "Her gün bu yolu kullanan yolcularımızın güvenliği için ek denetim başlattık."),
    ("en", "Kitchen shut until Monday. Doing it properly this time."),
    ("en", "Where it happened won't change anything about our responsibility."),
    ("en", "Our first statement said the app was 'stable'; it was not, and we are sorry."),
    ("tr", "Ben cilt uzmanımız Derya, yaşadıklarınız için çok üzgünüm."),
    ("tr", "Okuması zor bir yorum ama haklısınız."),
    ("tr", "Bu gecikme küçük bir sorun değildi ve öyleymiş gibi anlatmayacağız."),
    ("tr", "Dünkü paylaşımımızda sistemin çalıştığını yazmıştık, bu yanlıştı; özür dileriz."),
    ("en", "Thank you for telling us your daughter was in one of the photos; it's gone."),
    ("en", "Honestly the roasts in the comments are the best 😂❤️"),
    ("tr", "İadeniz 10 iş günü içinde hesabınıza geçer, gecikirse bize yazın."),
    ("en", "We'll post the number once the count is done on Wednesday."),
    ("tr", "Babanızın sözleşmeyi anlamakta zorlandığını yazdığınız için teşekkürler; gelip birlikte okuyalım."),
    ("en", "Thanks for sending us the video privately before posting it; we acted the same day."),
    ("en", "We let you down once with the delay and again with the refund. We're sorry."),
    ("en", "Our website said the deposit was 'refundable'; it was not, and we've fixed the page."),
    ("tr", "Lütfen kimlik numaranızı buraya yazmayın; DM'den gönderin."),
    ("tr", "Size bir suç işlemişsiniz gibi cevap verdim, özür dilerim."),
    ("tr", "Mesajınızı okumak zor oldu ama haklısınız."),
    ("tr", "Bu gecikmede suç sizin değil, bizim."),
]

KINDS = [
    ("tr", "Kampanyamızı kötülemeye devam edersen profilini engelleriz, bilgin olsun.", "threat"),
    ("tr", "Arıza bizim tarafımızdan kaynaklanmadı, internet sağlayıcınıza sorun.", "defensive"),
    ("tr", "Gerekli açıklamayı yaptık, bu tartışmayı burada kapatıyoruz.", "dismissive"),
    ("tr", "Tabii canım, dünya senin etrafında dönüyor zaten.", "sarcasm"),
    ("tr", "Yorumlarımızı etiketlemeyi bırakın, yanıt daha hızlı gelmeyecek.", "aggressive"),
    ("en", "The delay was caused by the port authority, not us.", "defensive"),
    ("en", "We did nothing wrong and will not be apologising.", "defensive"),
    ("en", "Sure, because the universe revolves around you.", "sarcasm"),
    ("en", "We have replied twice and consider this matter closed.", "dismissive"),
    ("tr", "Sorun kargo firmasından kaynaklanıyor, bizden değil.", "defensive"),
    ("tr", "Açıklamamızı yaptık, bu konuyu kapanmış sayıyoruz.", "dismissive"),
    ("tr", "Eleştirenler belli ki haberi okuma zahmetine bile girmemiş.", "aggressive"),
    ("tr", "Kurumumuza yönelik bu suçlamaları kabul etmiyoruz.", "defensive"),
    ("tr", "Kaydınızda vergi kimlik numarası 7012345678 görünüyor, iade yolda.", "private_data"),
    ("en", "Had passengers checked the app before leaving, none of this would have happened.", "blame"),
    ("en", "Complaints about our drivers are unfair and not accurate.", "defensive"),
    ("en", "Your tax reference 1234567890 shows the payment arrived on Monday.", "private_data"),
    ("en", "Your parcel would have arrived on time if you'd entered the right postcode.", "blame"),
    ("en", "The charge is your card issuer's; take it up with them, not us.", "defensive"),
    ("en", "Outages happen.", "dismissive"),
    ("en", "Calling it a scandal is a bit much.", "dismissive"),
    ("en", "Passengers were clearly told not to leave bags unattended.", "blame"),
    ("tr", "Veliler bilgilendirme e-postasını okumamış, süreç zaten duyurulmuştu.", "blame"),
    ("tr", "Müşteriler talimatı okusaydı bu arıza hiç yaşanmazdı.", "blame"),
    ("tr", "Bizi karalamaya devam ederseniz üyeliğinizi yeniden değerlendirmek zorunda kalırız.", "threat"),
    ("tr", "Gecikmeler olur.", "dismissive"),
    ("tr", "Bu iddialar tamamen imkânsız.", "defensive"),
    ("en", "Half the complaints come from people who never read the label. Perhaps start there.", "blame"),
    ("en", "Members who do not renew by Friday should know their locker cannot be guaranteed.", "threat"),
    ("en", "We do not appreciate the tone of these comments.", "defensive"),
    ("en", "Thanks for the feedback! By the way, our winter sale starts tomorrow.", "dismissive"),
    ("en", "Thanks, Dr Google, we'll pass that on to the actual inspectors.", "sarcasm"),
    ("tr", "Belki önce kendi kablolarınıza bakmak lazım.", "blame"),
    ("tr", "Aidatı ödemeyen üyelerin kayıtları gelecek dönem yenilenmeyecek.", "threat"),
    ("tr", "Yorumunuz için sağ olun! Bu arada yeni sezon indirimi başladı.", "dismissive"),
    ("tr", "Çok sağ olun Twitter uzmanı, biz de bunu düşünemedik.", "sarcasm"),
    ("en", "The card reader works fine when it is installed correctly.", "blame"),
    ("en", "Senior customers should ask a grandchild to set up the app for them.", "dismissive"),
    ("tr", "Herkes sırasını beklemek zorunda, istisna yok.", "dismissive"),
    ("en", "If customers stopped ordering at peak times, deliveries would be quicker.", "blame"),
    ("en", "The train left on time, so there is nothing for us to apologise for.", "defensive"),
    ("en", "Please keep your opinions to yourself until you have worked a night shift.", "aggressive"),
    ("tr", "Kurumumuz hakkındaki haberler tamamen haksız.", "defensive"),
    ("tr", "Uzun bir şikâyet yazacak zaman bulmanıza sevindik.", "sarcasm"),
    ("tr", "Bankoda bağıran müşteriler güvenlik tarafından dışarı çıkarılacaktır.", "threat"),
    ("tr", "Lütfen ekiplerimize akıl vermeyin.", "aggressive"),
    ("en", "Honestly, the refund will land when it lands.", "dismissive"),
    ("en", "Instead of waiting for the repair, how about trading in for the new model?", "dismissive"),
    ("en", "Posting about it online won't help, and complaining here isn't going to speed anything up.", "dismissive"),
    ("en", "Every airline has delays. We ran within the usual range that day.", "defensive"),
    ("en", "Customers should check their own router settings before blaming our network.", "blame"),
    ("en", "It's only happening in cars that skipped their scheduled servicing.", "blame"),
    ("tr", "Kargo çıkınca çıkar, beklemeniz gerekiyor.", "dismissive"),
    ("tr", "Şikâyet edeceğinize yeni model bir telefona geçin, kampanyamız var.", "dismissive"),
    ("tr", "Sürücülerin önce kendi bakım geçmişlerini kontrol etmesi gerekir.", "blame"),
    ("tr", "Bu arıza sadece güncellemesi yapılmayan telefonlarda görülüyor.", "blame"),
    ("en", "The caterer you booked failed to send the final numbers in time.", "blame"),
    ("en", "You were warned twice about the noise. Actions have consequences.", "aggressive"),
    ("en", "If the video is not taken down by Monday, we will involve our lawyers.", "threat"),
    ("en", "If you file a chargeback, your membership will be cancelled for good.", "threat"),
    ("en", "We have set your new PIN to 4471 for now.", "private_data"),
    ("en", "Thank you for your 9th message this morning, it helps a lot.", "sarcasm"),
    ("en", "Thanks for the lovely all-caps review.", "sarcasm"),
    ("en", "Sure, we broke it on purpose to annoy you.", "sarcasm"),
    ("en", "These complaints are simply overblown.", "defensive"),
    ("tr", "Lütfen bu tweetin altına ad soyad ve telefon numaranızı yazın.", "private_data"),
    ("tr", "Yalan haber yaymaya devam eden hesaplar engellenecektir.", "threat"),
    ("tr", "Bugünkü 6. mesajınız için teşekkürler.", "sarcasm"),
    ("tr", "Büyük harfli yorumunuz için çok teşekkürler.", "sarcasm"),
    ("tr", "Tabii, sırf sizi kızdırmak için bilerek kapattık.", "sarcasm"),
    ("tr", "Parolanızı Yaz2024! olarak güncelledik.", "private_data"),
    ("en", "Wow, thanks for the sixth email this morning.", "sarcasm"),
    ("en", "Your passcode has been changed to Sunny88, log in with that.", "private_data"),
    ("en", "Hi Tom, sort code 40-11-62 / 90817263 is the account we refunded.", "private_data"),
    ("tr", "Süper, bugünkü yedinci mesajın. Sağ ol.", "sarcasm"),
    ("tr", "Ali Bey, doğrulama kodunuz 882211.", "private_data"),
    ("tr", "Not edildi. SSS sayfasına bakınız.", "dismissive"),
    ("tr", "Merhaba Burak Yılmaz, randevunuz onaylandı, doğum tarihiniz 12.09.1975 olarak kayıtlı.", "private_data"),
    ("en", "We've been doing this for thirty years, we know food safety better than anyone online.", "defensive"),
    ("en", "Thanks so much for the chemistry lesson.", "sarcasm"),
    ("tr", "Otuz yıldır bu işi yapıyoruz, ne yaptığımızı biliriz.", "defensive"),
    ("tr", "Hukuk dersi için çok teşekkürler, ufkumuz açıldı.", "sarcasm"),
    ("tr", "Kartınızın üzerindeki 16 haneli numarayı buraya yazın, hemen bakalım.", "private_data"),
    ("tr", "SSS'ye bakın.", "dismissive"),
    ("en", "Hi Sam, our branch will post your new card to 14 Elm Street today.", "private_data"),
    ("en", "Honestly, we are not the villains in this story.", "defensive"),
    ("en", "We are doing our best, so cut us a little slack.", "defensive"),
    ("en", "Sorry for the trouble, but we must point out that we told everyone to update first.", "blame"),
    ("en", "Keep tweeting about it and we'll cancel your order.", "threat"),
    ("tr", "Hatlar, aboneler faturalarını zamanında ödemediği için kesildi.", "blame"),
    ("tr", "Gecikme için üzgünüz, ama herkesi önceden uyarmıştık.", "blame"),
    ("tr", "Kötü taraf biz değiliz.", "defensive"),
    ("tr", "Personelimize küfür etmeye devam edenlerin üyelikleri iptal edilecek.", "threat"),
    ("tr", "Selin Hanım, üye numaranız 44120987 olarak güncellendi.", "private_data"),
    ("en", "Back off, please. We have answered this twice.", "aggressive"),
    ("en", "Our engineers have not slept since Friday. Some appreciation would be nice?", "defensive"),
    ("en", "Thank you very much for all the lovely capitals.", "sarcasm"),
    ("en", "Comment below with your booking reference and postcode so we can check.", "private_data"),
    ("en", "Unpaid balances after Friday will be sent to collections.", "threat"),
    ("en", "Anyone who keeps tagging the CEO will be put at the end of the waiting list.", "threat"),
    ("tr", "Faturayı zamanında ödeseydiniz keşke, bunlar yaşanmazdı.", "blame"),
    ("tr", "Biz bu suçlamaları hak etmiyoruz, gece gündüz çalışıyoruz.", "defensive"),
    ("tr", "Vay canına, bütün hatları bir gecede yenilemek, ne harika bir fikir.", "sarcasm"),
    ("tr", "Lütfen buraya tesisat numaranızı ve adınızı yazın.", "private_data"),
    ("tr", "Ahmet Bey, Papatya Caddesi 45/2 adresinizdeki sayacı yarın değiştireceğiz.", "private_data"),
    ("tr", "Yirmi yıllık hizmetimizin tek bir gecikmeyle yargılanmasını kabul etmiyoruz.", "defensive"),
    ("tr", "Bizi suçlamadan önce personelimizin gece boyu çalıştığını lütfen unutmayın.", "defensive"),
    ("tr", "Videoyu paylaşan müşterinin üyeliği iptal edilecektir.", "threat"),
    ("tr", "Hizmetimizi yetersiz bulduğunuzu düşünmenize üzgünüz.", "dismissive"),
    ("en", "Thank you so much for the glowing two-star review.", "sarcasm"),
    ("en", "Sorry if anybody here felt put out.", "dismissive"),
    ("en", "Please note outstanding balances may affect your priority for repairs.", "threat"),
    ("en", "We have your son's hospital letter and will pass it to the site team.", "private_data"),
    ("en", "The engineer will visit 12A Harbour Tower on Monday, Ms Diaz.", "private_data"),
    ("tr", "Geri bildiriminiz için teşekkür ederiz. İlgili departmana iletilmiştir.", "dismissive"),
    ("tr", "Mağduriyet yaşayan varsa kusura bakmasın.", "dismissive"),
    ("tr", "Yaz aylarında kesinti yaşanması gayet normaldir.", "dismissive"),
    ("tr", "Sektörün en iyi standartlarını uyguluyoruz, sorun bizde değil.", "defensive"),
    ("tr", "Çok ilginç bir teori, paylaştığınız için sağ olun.", "sarcasm"),
    ("tr", "Kurallara uyulmadığı için bu sonuç doğdu.", "blame"),
    ("tr", "Oğlunuzun diyabet teşhisi dosyanıza eklendi, Zehra Hanım.", "private_data"),
    ("tr", "Teknisyenimiz yarın C Blok 8 numaralı dairenize gelecek.", "private_data"),
    ("tr", "Otoparktan çıkış için PIN kodunuz 5512, Selin Hanım.", "private_data"),
    ("en", "Student number 20231145: your result has been restored.", "private_data"),
    ("tr", "Buraya doğum tarihinizi, kimlik numaranızı ve kartınızın son 4 hanesini de yazın.", "private_data"),
    ("en", "That slogan was written by an agency we no longer work with.", "blame"),
    ("tr", "Ürünü artık çalışmadığımız eski bir tedarikçi üretmişti.", "blame"),
    ("en", "Honestly the passenger started it, the crew only reacted.", "blame"),
    ("en", "Maybe ask your bank why it bounced.", "blame"),
    ("en", "We'll get to it whenever we can.", "dismissive"),
    ("en", "Give it a week and everyone will forget about it.", "dismissive"),
    ("en", "That clip is doctored, full stop.", "defensive"),
    ("en", "Don't worry, we're on it 😂", "sarcasm"),
    ("tr", "Kesinti için bankanıza sorun.", "blame"),
    ("tr", "Bu videoyu yayan kullanıcılar tespit edilecek.", "threat"),
    ("tr", "Yorum yazanların hesapları elimizde.", "threat"),
    ("tr", "Dramanızı başka bir yerde sergileyin.", "aggressive"),
    ("tr", "Görüntüler montaj. Nokta.", "defensive"),
    ("tr", "Siparişinizle hemen ilgileniyoruz 🤣", "sarcasm"),
    ("tr", "Yedek kartı Çınar Sokak No:7'ye kargoluyoruz, Ayşe Hanım.", "private_data"),
    ("en", "Park it in the wrong bay once more and we will report the car as stolen.", "threat"),
    ("en", "Keep this up and your details will be passed to the police.", "threat"),
    ("en", "Delays caused by the airport are not something we can be held accountable for.", "defensive"),
    ("en", "We stand by our nurses 100% on this.", "defensive"),
    ("en", "Say what you like; the facts will prove us right.", "defensive"),
    ("tr", "Bir dahakine uçağı da biz kaldıralım, olur mu?", "sarcasm"),
    ("tr", "Kutuyu açmadan önce kılavuzu okusaydınız sorunu hemen çözerdik.", "blame"),
    ("tr", "Belki de talimatlara uymak gerekirdi. Sadece bir düşünce.", "blame"),
    ("en", "Should have read the small print before paying, honestly.", "blame"),
    ("en", "Half the city lost power, so why single us out?", "defensive"),
    ("tr", "Geri çekilin!", "aggressive"),
    ("tr", "Burada işimizi yapıyoruz, lütfen.", "aggressive"),
    ("en", "Call me back on +33 6 12 48 90 37 tonight, Mr Garnier.", "private_data"),
    ("en", "We will send it to 7 Rue Victor Hugo, Marseille, Ms Roux.", "private_data"),
    ("en", "@sam_p applicant number 2025-118204 was not affected.", "private_data"),
    ("en", "The fault lay with our payment provider, not with us.", "blame"),
    ("en", "Complaints should be directed to the manufacturer.", "blame"),
    ("en", "Every studio has launch problems.", "defensive"),
    ("tr", "Her havayolu şirketi yoğun günlerde gecikme yaşar, anlayışla karşılayın.", "defensive"),
    ("tr", "Lütfen bize yüklenmeyin, elimizden geleni yapıyoruz.", "defensive"),
    ("tr", "Bir aksaklık olduysa özür dileriz.", "dismissive"),
    ("tr", "Bağırmanızla kargo daha hızlı gelmiyor.", "dismissive"),
    ("tr", "Sunucuyu büyütelim o zaman, ne kolay!", "sarcasm"),
    ("en", "We will not respond to individual comments on this thread.", "dismissive"),
    ("en", "Maybe take a good look in the mirror first.", "aggressive"),
    ("en", "Rashes like this usually start at home, not in our salon.", "blame"),
    ("tr", "Tek tek şikayetlere yanıt vermeyeceğiz.", "dismissive"),
    ("tr", "Paylaşımlarınız sürerse üyeliğinizi askıya alma hakkımız saklıdır.", "threat"),
    ("en", "You left the parcel out in the rain, so that's outside our control.", "dismissive"),
    ("en", "Oops, delays happen! 🤣", "dismissive"),
    ("en", "We're being very generous here with a voucher.", "defensive"),
    ("tr", "Bu hatadan etkilenen kullanıcı oranı oldukça düşük.", "dismissive"),
    ("tr", "Harcama itirazı yapan müşterilerin üyeliği askıya alınır.", "threat"),
    ("tr", "Normalde iade yapmıyoruz ama cömert davranarak bir kupon tanımladık.", "defensive"),
    ("en", "Blame the weather, not us.", "blame"),
    ("en", "Wow, thanks for the update, we had no idea.", "sarcasm"),
    ("en", "Sure, we'll magic up some extra staff overnight.", "sarcasm"),
    ("en", "Your card 5521 3390 118 has been credited, Maria.", "private_data"),
    ("en", "No defect has been identified in the charger.", "defensive"),
    ("en", "Kidding, we'll look at it.", "sarcasm"),
    ("en", "How selfish of us to offer you a free room.", "sarcasm"),
    ("en", "We know where you park, so expect a clamp.", "threat"),
    ("en", "Sorry that's how you took it.", "dismissive"),
    ("tr", "Vay be, gecikmeyi haber verdiğiniz için teşekkürler.", "sarcasm"),
    ("tr", "Süper fikir, yarına kadar yoktan var ederiz otobüsleri.", "sarcasm"),
    ("tr", "Nerede oturduğunuzu biliyoruz.", "threat"),
    ("tr", "Uslu durun, yoksa hesabınız kapanır.", "threat"),
    ("tr", "Bu yorumu silmezseniz iadenizi yapamayız.", "threat"),
    ("tr", "Lütfen buraya adınızı ve telefon numaranızı yazın.", "private_data"),
    ("tr", "Trenimiz olsa zaten zamanında getirirdi herhalde.", "sarcasm"),
    ("tr", "Saat dokuzda gelebilirseniz tebrikler.", "sarcasm"),
    ("en", "Redness happens with any strong retinol, give it time.", "dismissive"),
    ("en", "We work nights for you, the least you could do is be patient.", "defensive"),
    ("en", "Love how everyone suddenly became a chemist this week 🙄", "sarcasm"),
    ("tr", "Açılmış ürünü geri alamıyoruz, anlayışla karşılarsınız umarım.", "dismissive"),
    ("tr", "Selam Burak, kargon Lale Sok. No:9 Daire 12 adresine çıktı.", "private_data"),
    ("en", "We told them twice to keep the gate shut; the rest is on them.", "blame"),
    ("tr", "Biz tweetlerle değil yolcularla ilgileniyoruz.", "dismissive"),
    ("tr", "Şikayetçi komşu Ali Demir, adresi Lale Sokak No:3, tutanağı imzaladı.", "private_data"),
    ("en", "Typical of the press to print the rumour first.", "aggressive"),
    ("en", "Before anybody piles on us: the plan was approved.", "defensive"),
    ("en", "Mr Grant, your wife was taken to the General, ward 12.", "private_data"),
    ("tr", "Bir daha o tribüne girsinler, görürler!", "threat"),
    ("tr", "Mehmet Bey, kızınızın dün akşam 4. servise yatırıldığını öğrendik.", "private_data"),
    ("en", "A tenant on the top floor jammed the door. Thank them.", "sarcasm"),
    ("en", "The lift is out, so enjoy the free cardio.", "sarcasm"),
    ("en", "Oh, we'll just magic up a new roof by Friday then.", "sarcasm"),
    ("en", "Not urgent. We'll look next month.", "dismissive"),
    ("en", "We said the 14th, not the 10th. Re-read the notice.", "defensive"),
    ("en", "The delay happened because the customer sent us the wrong meter reading.", "blame"),
    ("en", "We can only work with the information you gave us, and it was incomplete.", "blame"),
    ("en", "Hi Dana, the arrears on account #402719 have been cleared.", "private_data"),
    ("en", "For the record, it came from the Novak family, whose father was buried on Tuesday.", "private_data"),
    ("tr", "Kapıyı 5. kattakiler kırdı, onlara teşekkür edebilirsiniz.", "sarcasm"),
    ("tr", "Gecikme, müşterinin bize yanlış adres yazmasından kaynaklandı.", "blame"),
    ("tr", "Gönderinizdeki iddialar gerçeğe aykırıdır.", "defensive"),
    ("tr", "Yorumunuzu kaldırmanızı rica ediyoruz.", "defensive"),
    ("en", "The takeover was caused by customers reusing old passwords on our app.", "blame"),
    ("en", "Hi Ms Ortiz, we left a voicemail at 555-0192 about your daughter's fall.", "private_data"),
    ("en", "A bumped head is a normal part of growing up, but thanks for letting us know.", "dismissive"),
    ("tr", "Sadece e-postalar sızdı, korkulacak bir şey yok.", "dismissive"),
    ("tr", "Kargoda gecikme işin doğal bir parçası, anlayışınız için teşekkürler.", "dismissive"),
    ("tr", "@ali_k adres olarak Gül Mah. Lale Sok. 14/3 görünüyor, doğru mu?", "private_data"),
    ("en", "The woman recording decided to post a private conversation.", "blame"),
    ("en", "Our colleague was just kidding around with a regular.", "defensive"),
    ("en", "Anyone repeating these claims should know we will seek damages.", "threat"),
    ("tr", "Çalışanlarınız kılavuzu okusaydı sistem çökmezdi.", "blame"),
    ("tr", "Saldırı, çalışanlarınızdan birinin sahte faturadaki linke tıklamasıyla başladı.", "blame"),
    ("tr", "Müdürünüzün tweetleri profesyonellikten uzak.", "aggressive"),
    ("tr", "Bu yorumları yöneticinize taşıyacağız.", "threat"),
    ("en", "Please stop asking about refunds until Friday.", "dismissive"),
    ("en", "A late train is the least of your worries tonight.", "dismissive"),
    ("en", "Anyone can point a camera at a stain and call it a health hazard.", "dismissive"),
    ("en", "We won't close the ride just because some people are nervous.", "dismissive"),
    ("en", "We will sue any customer who posts the footage.", "threat"),
    ("en", "Your neighbour was the one who cut the pipe.", "blame"),
    ("en", "Great video, but it skips the bit where you dropped it.", "sarcasm"),
    ("tr", "Her gün bu yolda kazalar oluyor, yapacak bir şey yok.", "dismissive"),
    ("tr", "Birileri endişelendi diye asansörü kapatmayacağız.", "dismissive"),
    ("tr", "Kazadan önce şoförün dikkatini dağıtan yolcuydu.", "blame"),
    ("tr", "Güzel video çekmişsiniz, duvarı yıktığınız yer eksik ama.", "sarcasm"),
    ("tr", "Videoda kabloyu sildiğiniz kısım yok.", "sarcasm"),
    ("en", "He was warned about the slope, but he never told us he was struggling.", "blame"),
    ("en", "Some people believe everything they see on TikTok.", "sarcasm"),
    ("en", "Congratulations, you're famous now.", "sarcasm"),
    ("en", "Thank you so much for ruining our opening weekend.", "sarcasm"),
    ("en", "We know who posted it, and we will be in touch.", "threat"),
    ("tr", "Sosyal medyada okuduğu her şeye inananlar için tekrar açıklayalım.", "sarcasm"),
    ("tr", "Ünlü oldunuz, geçmiş olsun.", "sarcasm"),
    ("tr", "Açılışımızı berbat ettiğiniz için teşekkürler.", "sarcasm"),
    ("tr", "Bunları geçelim, gerçek konulara geçelim.", "dismissive"),
    ("tr", "Koku komşulardan geliyor, suç komşularda.", "blame"),
    ("tr", "Kimin paylaştığını biliyoruz.", "threat"),
    ("en", "We must have missed the part where the form said no nuts.", "sarcasm"),
    ("en", "We can't wrap your kids in cotton wool all week.", "sarcasm"),
    ("en", "You will receive a decision within 28 working days.", "dismissive"),
    ("en", "Thanks for the free publicity!", "sarcasm"),
    ("en", "Keep it up and we'll post your photos from the night.", "threat"),
    ("en", "Delete the post or we cancel your membership.", "threat"),
    ("en", "Sorry about the leak. Have you tried our new insulation deal?", "dismissive"),
    ("en", "The reviews speak for themselves.", "defensive"),
    ("tr", "Şikâyetinize 45 iş günü içinde yanıt verilecektir.", "dismissive"),
    ("tr", "Ücretsiz reklam için teşekkürler!", "sarcasm"),
    ("tr", "Bunu size daha önce belirtmiştik.", "defensive"),
    ("tr", "Yüzlerce mutlu müşterimiz var, gerçekler ortada.", "defensive"),
    ("en", "It's always easy to judge from the outside.", "defensive"),
    ("en", "Our crews worked in conditions none of you could understand.", "defensive"),
    ("en", "The residents knew the risks when they moved in.", "blame"),
    ("en", "Life goes on. The roads reopen tomorrow.", "dismissive"),
    ("en", "Things like this happen everywhere, sadly.", "dismissive"),
    ("tr", "Zahmet edip uyarılara baksaydınız evden çıkardınız.", "blame"),
    ("tr", "Sakinler uyarıları dinleseydi kimse mahsur kalmazdı.", "blame"),
    ("tr", "Bu gibi kazalar her yerde olur.", "dismissive"),
    ("en", "Noted. Next caller, please.", "dismissive"),
    ("en", "Known issue.", "dismissive"),
    ("en", "Appeals take 60 days, as per policy.", "dismissive"),
    ("en", "The supplier was late, so this wasn't on us.", "defensive"),
    ("en", "We don't owe anyone an explanation for a private chat.", "defensive"),
    ("en", "Your questions will be answered in due course.", "dismissive"),
    ("tr", "Araç geldiğinde zaten sıfır ayarında değildi.", "defensive"),
    ("tr", "Form eksikse sorumluluk veliye aittir.", "blame"),
    ("tr", "Sorularınız uygun bir zamanda yanıtlanacaktır.", "dismissive"),
    ("tr", "Kurallar gereği itiraz 60 gün sürer.", "dismissive"),
    ("tr", "Açıkçası artık uğraşamıyorum.", "dismissive"),
]

STILL_FLAGGED = [
    ("en", "Your loss.", "dismissive"),
    ("en", "Stop lying about our product.", "aggressive"),
    ("tr", "Yalan söylüyorsunuz, böyle bir şey olmadı.", "aggressive"),
    ("tr", "Kart numaranızı buraya yazar mısınız?", "private_data"),
    ("tr", "E-POSTAYI. OKUYUN. LÜTFEN.", "shouting"),
    ("tr", "Bilmiyormuş gibi yapmayın, her şey sözleşmede yazıyor.", "sarcasm"),
    ("tr", "Bu doğru değil.", "defensive"),
    ("en", "That is not true.", "defensive"),
    ("en", "Please post your card number below so we can trace the charge.", "private_data"),
    ("en", "Please DM us your card number and the CVV on the back.", "private_data"),
    ("en", "There is nothing wrong with your bill. It is correct.", "defensive"),
    ("en", "Why would anyone ask that?? It is in the FAQ.", "shouting"),
    ("en", "The allegations are false and we will say no more.", "defensive"),
]


@pytest.mark.parametrize(("language", "text"), PRIVATE_DATA)
def test_personal_data_labelled_or_asked_for_in_public_is_flagged(language: str, text: str) -> None:
    assert "private_data" in rule_kinds(text, language)


@pytest.mark.parametrize(("language", "text"), FINE)
def test_condolences_denials_codes_and_direct_messages_are_not_flagged_by_the_rules(language: str, text: str) -> None:
    assert rule_kinds(text, language) == set()


@pytest.mark.parametrize(("language", "text", "kind"), STILL_FLAGGED)
def test_the_shapes_next_to_them_are_still_flagged(language: str, text: str, kind: str) -> None:
    assert kind in rule_kinds(text, language)


@pytest.mark.parametrize(("language", "text", "kind"), KINDS)
def test_sanctions_faults_sent_elsewhere_closed_conversations_and_mockery_are_flagged(
    language: str, text: str, kind: str
) -> None:
    assert kind in rule_kinds(text, language)
