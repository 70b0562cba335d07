"""Turkish patterns and lexicons, matched against the folded view: Turkish lower-casing ("I" is "ı",
"İ" is "i"), then Turkish letters folded to ASCII, so "SİZİN HATANIZ", "sizin hatanız" and
"sizin hataniz" read alike. Stems end in `\\w*` to take Turkish suffixes ("abartmayın",
"abartıyorsunuz"); `cased` rules keep the letters (profanity: "sik" is not "sık").
"""

from __future__ import annotations

import re

from ledger.domain.review.rule import SARCASTIC_EMOJI, Rule, rule, words

_ASK = (
    r"(?:yaz(?:in|iniz|ar misiniz|abilir misiniz)|paylas(?:in|iniz|ir misiniz|abilir misiniz)|ilet(?:in|iniz|ir misiniz|"
    r"ebilir misiniz)|gonder(?:in|iniz|ir misiniz|ebilir misiniz)|belirt(?:in|iniz|ir misiniz|ebilir misiniz)|"
    r"bildir(?:in|iniz|ir misiniz|ebilir misiniz)|ver(?:in|iniz|ir misiniz|ebilir misiniz)|gir(?:in|iniz)|ekle(?:yin|yiniz)|"
    r"rica (?:ediyoruz|ederiz|edebilir miyiz)|ihtiyacimiz var|gerekiyor|gerekmektedir|alabilir miyiz|ogrenebilir miyiz)"
)

INSULT = (
    r"(?:salak|aptal|gerizekali|geri zekali|ahmak|dangalak|beyinsiz|cahil|ezik|serefsiz|haysiyetsiz|terbiyesiz|densiz|"
    r"yuzsuz|kafasiz|hodug?k|dingil|embesil|mankafa|andaval|angut|zavalli|edepsiz|hadsiz|gorgusuz|yalanci|sahtekar|"
    r"dolandirici|trol|psikopat|kendini bilmez|kaba|saygisiz|anlayissiz|takintili|ukala|cingene|odun)"
)

EMPATHY = re.compile(
    words(
        r"ozur\w*", r"uzgun\w*", r"uzul\w*", r"kusura bakma\w*", r"anliyor\w*", r"anlayis\w*", r"hakli\w*",
        r"magdur\w*", r"yasattig\w*", r"yasadiginiz\w*", r"rahatsizlik\w*", r"gecmis olsun", r"tesekkur\w*",
        r"sagolun", r"sag olun", r"sabr\w*", r"endise\w*", r"olumsuz deneyim\w*", r"affiniza", r"hayal kirikli\w*",
        r"can sikici", r"kabul edilemez", r"hatamiz\w*", r"sorumlulug\w* (?:ust|al|kabul)\w*", r"duygular\w*",
        r"anlasilir", r"dinliyoruz", r"sizi duyuyoruz", r"sesinizi duyduk", r"affedersiniz", r"uzucu", r"mahcub\w*",
    )
)
NEXT_STEP = re.compile(
    words(
        r"dm\w*", r"ozel mesaj\w*", r"ozelden", r"direkt mesaj\w*", r"iletisim\w*", r"ulas\w*", r"ara(?:yabilir|yin|yiniz|"
        r"yacag|yalim)\w*", r"cagri merkez\w*", r"musteri hizmet\w*", r"444", r"0 ?850", r"baglanti\w*", r"link\w*",
        r"https?", r"www", r"incele\w*", r"calisiyor\w*", r"calisma\w*", r"cozu\w*", r"coz(?:ece|ul|uy)\w*", r"duzel\w*",
        r"bilgilendir\w*", r"guncelle\w*", r"paylasacag\w*", r"donus\w*", r"iade\w*", r"degisim\w*", r"takip\w*",
        r"dene\w*", r"yardimci\w*", r"destek\w*", r"ekip\w*", r"en kisa surede", r"saat \d+", r"icinde", r"yarin",
        r"bugun", r"hemen", r"kontrol\w*", r"yonlendir\w*", r"sss", r"sikca sorulan", r"adim\w*", r"buradan",
        r"asagida\w*", r"ilgileniyor\w*", r"aktar\w*", r"telafi\w*", r"gonderece\w*", r"gonderdik", r"yenile\w*",
        r"ilet(?:ebilir|in|iniz|ir|ece)\w*", r"yaz(?:abilir|in|iniz|ar)\w*", r"geri (?:ode|yukle)\w*", r"tamamlan\w*",
    )
    + r"|@\w+"
)
DIRECT_MESSAGE = re.compile(
    words(r"dm\w*", r"ozel mesaj\w*", r"ozelden", r"direkt mesaj\w*", r"dogrudan mesaj\w*", r"mesaj kutu\w*", r"gizli")
)
NEGATION_AFTER = re.compile(r"\W*(?:\w+\W+)?(?:degil|hic de)")

RULES: tuple[Rule, ...] = (
    # aggressive
    rule("aggressive", r"(?<!\w)(?:amk|aq|a\.q|mk|siktir\w*|sikey\w*|sikim\w*|sikik\w*|orospu\w*|piç\w*|yavşak\w*|göt|götün|"
         r"götveren\w*|hassiktir|amına|ananı\w*|ananızı|ulan|lan|kahrolsun|bok|boktan|boku|gavat\w*|pezevenk\w*|"
         r"allah(?: ?)(?:belanı\w*|belanızı|kahretsin|müstahakını\w*))(?!\w)",
         "“{excerpt}” küfür; bir marka yanıtında küfür olmaz. (Profanity: never in a brand reply.)", cased=True),
    rule("aggressive", r"\b(?:siz(?:ler)?(?: de)?|sen(?: de)?) (?:cok |tam |resmen |gercekten |bir |tam bir |baya |iyice )*"
         r"(?P<hit>" + INSULT + r"(?:s[iu]n[iu]z|s[iu]n|lar|ler|lars[iu]n[iu]z|lers[iu]n[iu]z)?)\b"
         r"|\b(?P<hit2>" + INSULT + r"(?:s[iu]n[iu]z|s[iu]n|misiniz|mi siniz)\b)",
         "“{excerpt}” müşteriye hakaret ediyor; kişiyi değil sorunu anlatın. (Insults the customer.)"),
    rule("aggressive", words(r"kes sesini\w*", r"sesinizi kes\w*", r"ceneni\w* kapa\w*", r"kapa ceneni\w*", r"defol\w*",
                             r"sacmala\w*", r"sacma sapan", r"(?:bu|ne|tamamen|cok) sacma(?:lik)?", r"haddini\w* bil\w*",
                             r"haddiniz\w*", r"utanmiyor musunuz", r"utanin", r"ayip (?:ediyorsunuz|ettiniz|oluyor)",
                             r"akl\w* (?:yok|kullan\w*|basin\w*)", r"beyin\w* (?:yok|kullan\w*)", r"kafaniz\w* (?:calis|kullan)\w*",
                             r"ne anlarsiniz", r"anlamazsiniz", r"muhatap (?:almiyoruz|degilsiniz|olmayacagiz|almayacagiz)",
                             r"siz(?:ler)? gibi(?:ler)?\w*", r"sizin gibi (?:musteri|insan|kisi|tip)\w*", r"ne bicim (?:musteri|insan|"
                             r"kisi|bir insan)\w*", r"okuma(?:yi|sini)? (?:bil(?:mi|me)\w*|ogren\w*)", r"yalan (?:soyluyorsunuz|"
                             r"atiyorsunuz|soyluyorsun|soylemeyin)", r"iftira (?:atiyorsunuz|atiyorsun|atmayin)", r"cenenizi",
                             r"kimse sizi (?:zorlamiyor|tutmuyor|zorla\w*)", r"sizin gibiler\w*",
                             r"(?:hadsizlik|saygisizlik|terbiyesizlik|kabalik|edepsizlik) (?:yapmayin|etmeyin|ediyorsunuz|"
                             r"yapiyorsunuz)", r"begenmiyorsaniz (?:kullanmayin|gidin|baska)\w*",
                             r"isteyen (?:gider|gidebilir)", r"siz(?:de|e|i)? ne oluyor", r"bize ders vermeyin",
                             r"kendinize gelin", r"ne sandiniz", r"kim oldugunuzu saniyorsunuz", r"ciddi misiniz"),
         "“{excerpt}” düşmanca; sakin ve olgusal bir cümle mesajı daha iyi taşır. (Hostile wording.)"),
    # blame
    rule("blame", words(r"(?:sizin|senin|kendi|tamamen sizin|kendi) (?:yuzunuzden|yuzunden|hatan\w*|sucun\w*|kusurun\w*|"
                        r"ihmalin\w*|dikkatsizligin\w*|problemin\w*)", r"yuzunuzden", r"siz(?:ler)?(?:in)?\b[^.!?]{0,40}?\byuzunden",
                        r"(?:hata|sorun|problem|kusur|suc|sorumluluk)(?:lar)? (?:tamamen |sadece |yine |zaten |)(?:sizde|sizden|sizin|"
                        r"sizdeydi)", r"kullanici hata\w*", r"\w+m[ae]n[iu]z gerekirdi", r"\w+m[ae]l[iu]ydiniz",
                        r"(?:gormezden geldiginiz|dikkat etmediginiz|okumadiginiz|uymadiginiz|guncellemediginiz|"
                        r"kontrol etmediginiz|dinlemediginiz|yanlis girdiginiz) icin",
                        r"kullanmayi bil(?:mi|me)\w*", r"kullanmasini bil(?:mi|me)\w*", r"(?:yanlis|hatali) (?:\w+ )?"
                        r"(?:kullan|kur|tak|gir|yukle|yap|bas|sec)\w*(?:siniz|iniz|diniz|uz|dunuz)\b", r"hatayi siz\w*",
                        r"\w+?(?<!m[ae])s[ae]ydiniz", r"(?:kilavuz|talimat|aciklama|sozlesme|kosul|sart|kural|uyari|mesaj)\w* "
                        r"(?:dikkatlice )?(?:oku(?:madiniz|mamissiniz|saydiniz|sanız|sayd\w*)|okumadan|uymadiniz|uymamissiniz|"
                        r"uymadiginiz)\w*", r"(?:kilavuz|talimat|sss|aciklama)\w* oku(?:yun|yunuz|yabilirsiniz miydiniz)",
                        r"dikkat (?:etmediniz|etmemissiniz|etmiyorsunuz)",
                        r"(?:bir dahaki|bundan sonra|gelecek) (?:sefere|sefer|seferde)\b[^.!?]{0,50}?(?:bakin|okuyun|kontrol edin|"
                        r"dikkat edin|inceleyin|emin olun)\b", r"dikkatsiz(?:siniz|lik\w*)",
                        r"(?:siz|kendiniz) (?:bozdunuz|kirdiniz|hata yaptiniz|yanlis yaptiniz|sebep oldunuz|neden oldunuz)",
                        r"(?:sebep|neden) olan siz\w*", r"sucu? (?:kendinizde|kendinize|sizde)\w*",
                        r"(?:okumuyorsunuz|dinlemiyorsunuz|anlamiyorsunuz|bakmiyorsunuz)", r"hic (?:okumadiniz|bakmadiniz)",
                        r"siz(?:ler)? (?:hep|her zaman|hic)\b[^.!?]{0,20}?(?:yapiyorsunuz|okumuyorsunuz)"),
         "“{excerpt}” suçu şikâyet edene yüklüyor; ne yapması gerektiğini anlatın. (Blames the customer.)",
         negatable=True),
    # dismissive
    rule("dismissive", words(r"abart(?!miyor|madiniz|mis degil|isiz)\w*", r"bos yere", r"bosu bosuna", r"bosuna (?:telas|panik|"
                             r"sinir|kiz|endise|uzul|ugras|yaz|sikayet)\w*", r"sakin ol\w*", r"sakinles\w*", r"panik (?:yapma\w*|"
                             r"yapilacak|yapmaniza)", r"panige (?:gerek|mahal)\w*", r"telas\w* (?:gerek|mahal|etme\w*|yapma\w*)",
                             r"buyut(?:me|mey|uyorsunuz|tunuz)\w*", r"buyutulecek\w*", r"(?:olayi|konuyu|meseleyi|isi) buyut\w*",
                             r"(?:o kadar|cok) da (?:onemli|buyuk|ciddi|vahim|buyutulecek) (?:degil|bir (?:sey|sorun|durum) degil)",
                             r"onemli bir (?:sey|sorun|durum|mesele) (?:degil|yok)", r"onemsiz bir", r"(?:alt tarafi|topu topu)",
                             r"(?:sadece|yalnizca|ancak) (?:ufak|kucuk|minik|ufacik|birkac dakikalik) (?:bir )?(?:gecikme|aksaklik|"
                             r"hata|sorun|sey|pürüz|purus)\w*", r"dunyanin sonu degil", r"kiyamet (?:kopmadi|kopmuyor|koparmayin)",
                             r"bu kadar (?:tepki|sinir|ofke|kizmak|buyutmek|alinganlik|hassasiyet|abartmak|yaygara|gurultu)\w*",
                             r"(?:sinirlenmenize|kizmaniza|tepki gostermenize|bagirmaniza|abartmaniza|panik yapmaniza|uzulmenize|"
                             r"sinirlenecek|kizacak|tepki gosterecek|buyutecek|abartacak) (?:hic |bir |)?(?:gerek|sey|durum) "
                             r"(?:yok|yoktu)", r"(?:bir tek|sadece|yalnizca) siz(?:sin\w*|de|in|e)?\b[^.!?]{0,30}?(?:yasiyor|"
                             r"sikayet|sorun|yasadi)\w*", r"(?:baska|hic) kimse\w* (?:sikayet|sorun|boyle|bir sey)\w*",
                             r"herkes (?:memnun|sorunsuz|kullanabiliyor|yapabiliyor|bekliyor)\w*", r"bir tek siz(?:siniz|sin)\b",
                             r"(?:sikayet etmek|yazmak|bagirmak|tweet atmak|paylasim yapmak|yorum yazmak) (?:\w+ )?(?:hizlandirmaz|"
                             r"degistirmez|bir sey degistirmez|ise yaramaz)", r"olur (?:boyle|bu tur|oyle) seyler",
                             r"(?:boyle|bu tur|oyle) seyler (?:olur|olabilir)", r"hayatin olagan akisi", r"alinganli\w*", r"alingan\w*",
                             r"(?:drama|dram|tiyatro|sov|olay)\w* (?:yapma\w*|yapiyorsunuz|cikarma\w*)", r"umurumuzda degil",
                             r"kimin umurunda", r"ne yapalim", r"ne yapabiliriz ki", r"bekleyeceksiniz", r"beklemek zorundasiniz",
                             r"beklemekten baska", r"(?:alindiysaniz|kirildiysaniz|gucendiyseniz|oyle hissettiyseniz|oyle "
                             r"hissediyorsaniz|oyle dusunuyorsaniz|yanlis anladiysaniz)", r"bu sizin (?:fikriniz|gorusunuz)",
                             r"kafaniza takma\w*", r"takmayin", r"bu kadar (?:kucuk|ufak|basit) bir sey",
                             r"(?:bunu|bunlari|boyle seyleri) dert etme\w*"),
         "“{excerpt}” müşterinin kaygısını küçümsüyor ya da ona nasıl hissetmesi gerektiğini söylüyor; önce kabul edin. "
         "(Dismisses the concern.)", negatable=True),
    rule("dismissive", words(r"(?:zaten|daha once|onceden|defalarca|birkac kez|birkac kere|bircok kez|tekrar|yine|bir kez daha|"
                             r"az once|yukarida)(?: de)? (?:\w+ )?(?:belirttigimiz|soyledigimiz|acikladigimiz|yazdigimiz|"
                             r"ilettigimiz|bahsettigimiz) (?:uzere|gibi)", r"(?:defalarca|birkac kez|birkac kere|bircok kez|"
                             r"kac (?:kez|kere|defa)|tekrar tekrar|bir kez daha|yuzlerce kez|bin kere) (?:\w+ )?(?:belirt|soyle|"
                             r"acikla|yaz|ilet|hatirlat|tekrarla|cevap ver|yanitla)\w*", r"zaten (?:soyledik|belirttik|acikladik|"
                             r"yazdik|cevap verdik|yanitladik)", r"kac (?:kez|kere|defa) (?:soyleyecegiz|yazacagiz|"
                             r"aciklayacagiz|soyledik|soylememiz)\w*", r"(?:dediğimiz|dedigimiz) gibi"),
         "“{excerpt}” sabırsız ve iğneleyici (pasif agresif); ilk kez yanıtlıyormuş gibi yazın. (Passive aggression.)"),
    # defensive
    rule("defensive", words(r"(?:bizim|bizden kaynakli|bizimle ilgili|bizde|firmamizin|sirketimizin) (?:hicbir |herhangi bir |bir )?"
                            r"(?:hatamiz|sucumuz|sorunumuz|kusurumuz|sorumlulugumuz|hata|sorun|kusur|suc)\w* (?:yok|degil|"
                            r"bulunmuyor|bulunmamaktadir)", r"(?:bizden|bizimle|firmamizla|sirketimizle|markamizla|bizim"
                            r" tarafimizla) (?:\w+ )?(?:kaynaklanmiyor|kaynakli degil|ilgisi yok|alakasi yok|ilgili degil|ilgisi "
                            r"bulunmamaktadir|ilgisi olmayan)", r"(?:bizim|bizimle) (?:bir |hicbir |hic )?(?:ilgimiz|alakamiz|ilgisi|"
                            r"alakasi) (?:yok|bulunmamaktadir)", r"(?:hicbir|hic bir|herhangi bir) (?:hatamiz|kusurumuz|"
                            r"sorumlulugumuz|sucumuz) (?:yok|bulunmamaktadir|bulunmuyor)", r"sorumlu (?:degiliz|tutulamayiz|"
                            r"tutulamaz|olamayiz)", r"sorumluluk (?:kabul etmiyoruz|kabul edilmez|almiyoruz|kabul etmemekteyiz)",
                            r"(?:hata|yanlis bir sey|yanlis|kusur) (?:yapmadik|islemedik)", r"ozur dilemeyecegiz",
                            r"ozur dileyecek bir (?:sey|durum) yok", r"ozur dilememize gerek yok", r"(?:bizi|bizleri) sucla\w*",
                            r"(?:bu|bunlar|iddia\w*|soyledikleriniz|yazdiklariniz) (?:tamamen |kesinlikle |)?(?:yalan|iftira|"
                            r"uydurma|karalama)\w*", r"bizim (?:sorunumuz|problemimiz|isimiz) degil", r"bizi ilgilendirmiyor",
                            r"bizi baglamaz", r"bizim suc\w*",
                            r"\w+(?:imiz|umuz)(?:la|le) (?:hicbir |hic bir |bir )?(?:ilgisi|alakasi|baglantisi) (?:yok|"
                            r"bulunmamaktadir|bulunmuyor)", r"(?:sorun|hata|problem|kusur|ariza)\w* bizde (?:degil|yok)",
                            r"(?:daha fazla|baska) (?:yorum|aciklama) yapmayacagiz", r"ozur dilememizi gerektiren",
                            r"arkasindayiz"),
         "“{excerpt}” sorumluluğu reddediyor; önce kaygıyı kabul edin, sonra olguları anlatın. (Denies responsibility.)",
         ),
    rule("defensive", words(r"(?:sistem|uygulama|hizmet|servis|altyapi|sunucu|urun)\w* (?:\w+ )?(?:herhangi bir |hicbir |bir )?"
                            r"(?:sorun|problem|ariza|kesinti|hata|aksaklik) (?:yok|bulunmuyor|bulunmamaktadir|tespit edilmedi|"
                            r"tespit edilmemistir|yasanmadi|yasanmamaktadir|yasanmamistir)", r"(?:sorunsuz|normal|kusursuz|hatasiz) "
                            r"(?:bir sekilde )?(?:calisiyor|calismaktadir|isliyor|islemektedir|calisti|calismistir)", r"(?:iddia\w*|bilgi\w*|haber\w*|"
                            r"paylasim\w*) (?:tamamen |kesinlikle |)?(?:asilsiz|gercek disi|gercegi yansitmi\w*|dogru degil)\w*",
                            r"(?:bu|bunlar) (?:tamamen |kesinlikle |)(?:asilsiz|gercek disi|dogru degil)\w*",
                            r"politikamiz (?:net|bellidir|acik|bu)", r"kurallarimiz (?:bu|bellidir|net)",
                            r"sozlesme\w* (?:yaziyor|belirtilmis\w*|acik\w*)", r"(?:biz|bizler) (?:ne |boyle bir )?(?:soz|taahhut) "
                            r"(?:vermedik|vermemistik)", r"prosedure uygun"),
         "“{excerpt}” çıplak bir ret; kaygıyı kabul etmeden savunmacı okunuyor. (A bare denial reads as defensive.)",
         weak=True),
    # sarcasm
    rule("sarcasm", SARCASTIC_EMOJI, "“{excerpt}” alaycı okunuyor; göz devirme ve sırıtma emojilerini çıkarın. (Mocking emoji.)"),
    rule("sarcasm", r"\b(?P<hit>\w+m[iu]s(?:s[iu]n[iu]z|s[iu]n|lar)? gibi)\b(?! (?:gorun|gozuk|duruyor|hissed|hisset|gelebilir|gel))"
         r"(?<!olmamis gibi)(?<!olmus gibi)",
         "“{excerpt}” (-mış gibi) iğneleyici okunuyor; ne demek istediğinizi açıkça söyleyin. (Sarcastic 'as if'.)"),
    rule("sarcasm", words(r"bravo\w*", r"aferin\w*", r"tebrik(?:ler|ederiz)\w*,? (?:sonunda|nihayet|okumayi|bulmussunuz|"
                          r"kesfettiniz|ogrenmissiniz|fark etmissiniz)", r"(?:sonunda|nihayet) (?:okumussunuz|anlamissiniz|"
                          r"fark etmissiniz|bulmussunuz|ogrenmissiniz|akil ettiniz)", r"ne kadar da (?:zeki|akilli|basarili|"
                          r"yetenekli|dikkatli|becerikli)\w*", r"(?:cok|pek|gercekten|ne|maşallah|masallah) (?:zekisiniz|"
                          r"akillisiniz|uyaniksiniz|becerikli\w*|dikkatlisiniz)", r"masallah\w*", r"vay (?:vay|be|canina)",
                          r"hadi canim", r"yok artik", r"ne surpriz", r"ne sasirtici", r"kimin aklina gelirdi",
                          r"(?:okumak|okuma|anlamak|dusunmek|okumanin|anlamanin)\w* (?:zor|guc|bu kadar zor|zahmet)\w*",
                          r"dahi(?:siniz| misiniz)", r"deha\w*", r"(?:siz )?daha iyi bilirsiniz", r"(?:her seyi|cok) "
                          r"biliyorsunuz", r"uzman(?:sinizdir|siniz|imiz)", r"tabii (?:ki )?canim", r"(?:kralim|prensesim|"
                          r"efendimiz|tatlim|sekerim|kuzum|canim|guzelim|hayatim|birader|kardesim)",
                          r"sanki (?:\w+ ){0,2}(?:okumami|anlami|bilmiyor|gormemi|bakmami|kullanmami)\w*", r"guzel deneme",
                          r"(?:mektubunuz|romaniniz|destaniniz|makaleniz|kompozisyonunuz) icin tesekkur\w*", r"ohh? ne guzel",
                          r"(?:ne|cok) guzel,? (?:tebrikler|aferin|bravo)", r"sabriniz icin tesekkurler,? (?:biliyoruz|tabii|ama "
                          r"siz)", r"(?:kesfettiniz|buldunuz) (?:amerika|ameri\w*)", r"amerika\w*n[iı]? kesfet\w*",
                          r"ne buyuk (?:felaket|trajedi|dram)", r"felaket (?:ya|tabii)", r"tebrik ederiz,? \w+ "),
         "“{excerpt}” alaycı; ne demek istediğinizi ve sonra ne olacağını açıkça yazın. (Sarcasm.)"),
    # threat
    rule("threat", words(r"dava (?:ac\w*|ed\w*|sureci\w*|yoluna)", r"dava acar\w*", r"hukuki (?:islem|surec|yol|haklar|takip|"
                         r"adim|girisim)\w*", r"yasal (?:islem|yol|surec|haklar|takip|adim|girisim)\w*", r"avukat\w*",
                         r"hukuk (?:birim|departman|ekib|musavir|burosu|servis)\w*", r"suc duyuru\w*", r"mahkeme\w*",
                         r"savcilig\w*", r"tazminat (?:davasi|talep edecegiz|isteyecegiz|talebinde bulunacagiz)",
                         r"(?:hesabinizi|sizi|profilinizi|yorumlarinizi|uyeliginizi) (?:kapatacag|kapatiriz|askiya alacag|"
                         r"askiya aliriz|engelleyecegiz|engelleriz|sikayet edecegiz|sikayet ederiz|dava edecegiz|silecegiz|"
                         r"sileriz|iptal edecegiz|ifsa)\w*", r"pisman ol\w*", r"pisman edecegiz", r"sonuclarina katlan\w*",
                         r"sonuclari (?:olacak|agir)\w*", r"(?:tweetinizi|paylasiminizi|yorumunuzu|gonderinizi|icerigi|"
                         r"paylasimi|yaziyi|tweeti|videoyu) (?:derhal |hemen |)?(?:silin|kaldirin|silmezseniz|kaldirmazsaniz|"
                         r"silmenizi|kaldirmanizi)", r"aksi (?:halde|takdirde) (?:hukuki|yasal|dava|gerekli)\w*",
                         r"gerekli (?:yasal|hukuki) (?:islem|adim)\w*", r"son uyari\w*", r"sizi (?:polise|savciliga|"
                         r"yetkililere|emniyete|btk'?ya)", r"(?:polise|emniyete|savciliga) (?:bildirecegiz|sikayet edecegiz)",
                         r"hesab\w* (?:vereceksiniz|sorariz|soracagiz)", r"(?:karisma|ugrasma)(?:yin|yiniz) (?:bizimle|benimle)",
                         r"(?:bizimle|benimle) ugras\w*", r"kim oldugunuzu (?:biliyoruz|bulacagiz|ogrendik)",
                         r"(?:emniyete|polise|savciliga|yetkililere|jandarmaya) (?:ilettik|bildirdik|verdik|sikayet ettik|iletecegiz)", r"gorursunuz", r"goreceksiniz", r"uyariyoruz"),
         "“{excerpt}” kamuya açık bir tehdit; marka haklı olsa bile yanıt tehdit etmez. (Threatens the customer.)"),
    # private data
    rule("private_data", r"\b(?P<hit>(?:kredi |banka )?kart(?:iniz(?:in)?)? (?:numara|bilgi|no)\w*|kart no\w*|cvv\w*|cvc\w*|"
         r"guvenlik kod\w*|(?:internet bankaciligi |mobil bankacilik )?sifre\w*|parola\w*|tek kullanimlik (?:sifre|kod)\w*|"
         r"dogrulama kod\w*|onay kod\w*|sms kod\w*|pin(?: kod)?\w*|anne(?:nizin)? kizlik soyad\w*)[^.!?\n]{0,40}?\b"
         + _ASK + r"\b",
         "“{excerpt}”: şifre, PIN ya da kart numarası asla istenmez, ne açıkta ne özelde. (Never ask for this.)"),
    rule("private_data", r"\b(?P<hit>(?:(?:acik |ev |teslimat |fatura )?adres|telefon (?:numara|no)|"
         r"cep (?:telefon|numara|no)|(?:tc |t\.c\. )?kimlik (?:numara|no|bilgi)|tckn|tc no|tc kimlik|iban|hesap (?:numara|no)|"
         r"dogum tarih|e-?posta(?: adres)?|mail adres|ad(?:iniz)?,? soyad|isim soyisim)[\w']*?n[iu]z[\w']*)[^.!?\n]{0,40}?\b"
         + _ASK + r"\b",
         "“{excerpt}” kişisel veriyi herkese açık istiyor; DM ile iletmesini isteyin. (Ask for it by direct message.)",
         dm_ok=True),
)
