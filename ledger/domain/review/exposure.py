"""Personal data posted in a public reply: card numbers, Turkish ID numbers, IBANs, personal phone
numbers and e-mail addresses, street addresses, a named person's whereabouts. Language-neutral;
validated where a checksum exists so an order number is not taken for a card.
"""
# ruff: noqa: RUF001, RUF003  (Turkish letters and typographic quotes are the subject here)

from __future__ import annotations

import re

_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_TC_KIMLIK = re.compile(r"(?<!\d)[1-9]\d{10}(?!\d)")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,4})?\b")
# Mobile numbers (Turkish 05xx, +90 5xx; international with a +) are a person's; 0850/444 and 1-800
# style numbers are call centres, a next step rather than a leak.
_PHONE = re.compile(
    r"(?<![\d+])(?:(?:\+|00)90[ -]?|0)?\(?5\d{2}\)?[ -]?\d{3}[ -]?\d{2}[ -]?\d{2}(?!\d)"
    # (+44 has its own branch below: a UK landline is a business's however it is written; rules .61)
    r"|(?<![\d+])\+(?!90|44)\d{1,3}[ -]?\(?\d{2,4}\)?[ -]?\d{3,4}[ -]?\d{3,4}(?!\d)"
    # or grouped in ones and twos as in France ("+33 6 12 48 90 37"): 9-14 digits after the + (rules .53)
    r"|(?<![\d+])\+(?!90|44)(?=(?:[ -]?\d){9,14}(?![\d-]))\d{1,3}(?:[ -]\d{1,2}){4,6}(?![\d-])"
    r"|(?<![\d+])\(?(?!800|888|877|866|855|844|833)[2-9]\d{2}\)?[ .-]\d{3}[ .-]\d{4}(?!\d)"
    # UK mobiles (07xxx xxx xxx) and +44 7xxx; landlines and 0800/0845 numbers are a business's.
    r"|(?<![\d+])(?:\+44 ?\(?0?\)? ?|0)7\d{3}[ -]?\d{3}[ -]?\d{3}(?!\d)"
    # Kenyan mobiles written as they are said (0722 481 903; rules .27)
    r"|(?<![\d+])0[17]\d{2} \d{3} \d{3}(?!\d)"
)
# A number the reply gives as the brand's own ("call us on", "our helpline is", "WhatsApp
# hattımız 0532 ...", "0532 ... numaralı destek hattımızdan") is a next step, not a leak, even a
# mobile: a brand's WhatsApp line is one (rules .61).
_OURS_BEFORE = re.compile(
    r"(?:\b(?:call|ring|text|phone|reach|contact|whatsapp|message)\s+us\s+(?:on|at|via)?"
    r"|\bour\s+(?:(?:customer|support|service|care|whatsapp|help|contact|main|office|freephone|sales|emergency"
    r"|press|24/7|complaints?)\s+){0,2}(?:line|number|helpline|hotline|desk|office|centre|center)\s*(?:is|on|at)?"
    r"|(?:hatt[ıi]m[ıi]z|numaram[ıi]z|merkezimiz|hizmetlerimiz)\s*(?:ise)?)\s*:?\s*$",
    re.IGNORECASE,
)
_OURS_AFTER = re.compile(
    r"\s*(?:'?[dt][ae]n\b)?\s*(?:numaral[ıi]\s+)?(?:(?:destek|whatsapp|müşteri|hizmet|iletişim|çağrı)\s+){0,2}"
    r"(?:hatt[ıi]m[ıi]z|numaram[ıi]z|merkezimiz)",
    re.IGNORECASE,
)


def _ours(text: str, start: int, end: int) -> bool:
    """Whether the reply gives the number at text[start:end] as the brand's own."""
    return bool(_OURS_BEFORE.search(text, max(0, start - 48), start) or _OURS_AFTER.match(text, end))


# A bare ten-digit Indian mobile (98450 12345, 9123456789) looks like an order number: a person's
# only where the reply says it is a number to call (rules .27).
_PHONE_SAID = re.compile(
    r"\b(?:number|ph|phone|mobile|tel|contact|whatsapp|call(?: him| her| them)?(?: on| at)?)\b\W{0,3}(?:is\s+)?"
    r"(?:\+91[ -]?)?[6-9]\d{4}[ -]?\d{5}(?!\d)",
    re.IGNORECASE,
)
# A card's or an account's last four digits told in public, with whose they are ("your Visa ending
# 4471", "1234 ile biten hesabınız", "son 4 hanesi 5521 olan kartınız": rules .27).
_CARD_ENDING = re.compile(
    r"\b(?:card|visa|mastercard|amex|account)\s+ending(?:\s+in)?\s+\d{4}\b"
    r"|\b\d{4}\s+ile\s+biten\s+(?:kart|hesa[pb])\w*"
    r"|\bson\s+(?:4|dört)\s+hanesi\s+\d{4}"
    r"|\bsonu\s+\d{4}\s+olan\s+(?:kart|hesa[pb])\w*",  # (rules .45)
    re.IGNORECASE,
)
# An identifier written out with its label, whatever its checksum: a national ID ("TC 12345678901",
# "ID 28874512"), a bank account with its sort code, a utility meter or subscriber number, a card's
# expiry date (rules .30). Order, ticket and case numbers are the brand's own, not a person's.
_LABELLED_ID = re.compile(
    r"\b(?:T\.?C\.?(?: kimlik)?|TCKN|[Kk]imlik(?: no| numaras[ıi])?|ID|[Pp]assport|[Pp]asaport|SSN|VKN|TIN|UTR"
    r"|[Vv]ergi(?: kimlik)? (?:no|numaras[ıi])|[Tt]ax (?:ID|id|number|reference)|[ÖöOo][ğg]renci|[Ss]tudent)"
    r"(?: (?:no|number|numaras[ıi]))?\s*[:#.]?\s*\d{7,}(?!\d)"
    r"|\b\d{2}-\d{2}-\d{2},?\s+(?:/\s+)?(?:(?:account|acct|a/c)(?: number| no\.?)?:?\s+)?\d{8}\b"
    r"|\b(?:[Mm]eter|[Aa]ccount|[Ss]ubscriber|[Aa]bone|[Ss]ayaç|[Hh]esap)\s+(?:number|no\.?|numaras[ıi]|numaranız)\s*[:#]?\s*\d{6,}(?!\d)"
    # an account number in groups after the word ("your account 40-1122-9087", "hesabınız 40 1122 9087")
    r"|\b(?:[Aa]ccount|[Hh]esab[ıi]n[ıi]z)\s+(?:number\s+|no\.?\s+)?#?\d{2,4}(?:[ -]\d{3,4}){2,}(?![\d-])"
    # an applicant's number, however it is grouped ("applicant number 2026-44817"; rules .53)
    r"|\b(?:[Aa]pplicant|[Aa]day|[Bb]aşvuran|[Bb]asvuran)\s+(?:number|no\.?|ID|numaras[ıi]|numaran[ıi]z)\s*[:#]?\s*"
    r"\d{4}[-/ ]?\d{4,}(?![\d-])"
    # a member number (rules .45)
    r"|\b(?:[Üü]ye|[Mm]ember(?:ship)?)\s+(?:no\.?|number|numaran[ıi]z|numaras[ıi])\s*[:#]?\s*\d{6,}(?!\d)"
    # an account number after the word alone, or before "numaralı hesabınız" (rules .40)
    r"|\b(?:[Aa]ccount|[Hh]esab[ıi]n[ıi]z)\s+#?(?:\d{6,}|(?!(?:19|20)\d\d-(?:19|20)\d\d)\d{4,5}-\d{4})(?![\d-])"
    r"|\b\d{6,}\s+numaral[ıi]\s+(?:hesab|hesap|kart|abonel|sayac|sayaç|poliçe|police|tesisat)\w*"
    # a travel pass or card number in groups with its owner's "your" ("your pass 4471-2290-118",
    # "4471 2290 118 numaralı kartınıza"; rules .56)
    r"|\b(?:[Yy]our|[Uu]r) (?:travel |bus |season |transit |monthly |student )?(?:pass|card)\s+"
    r"(?:number\s+|no\.?\s+)?#?\d{3,4}(?:[ -]\d{3,4}){2,}(?![\d-])"
    r"|\b\d{3,4}(?:[ -]\d{3,4}){2,}\s+numaral[ıi]\s+(?:kart|hesab|hesap|abonman|abonel)\w*"
    # an IBAN's first groups with its country ("TR12 0006 2000 ile başlayan hesabınız") and a date
    # of birth with its label (rules .41)
    r"|\bTR\d{2}(?: \d{4}){2,}(?= ile başlayan| ile baslayan)"
    r"|\b(?:[Dd]oğum tarihiniz|[Dd]ogum tarihiniz|[Dd]ate of birth|DOB|[Dd]ob)\s*(?:is\s+|:\s*)?"
    r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b"
    r"|\b(?:0[1-9]|1[0-2])/\d{2}\s+son kullanma"
    r"|\b(?:expiry|expires|exp\.?)(?: date)?\s*:?\s*(?:0[1-9]|1[0-2])/\d{2}\b",
)
_EMAIL = re.compile(
    r"\b[\w.+-]+@(?:gmail|googlemail|hotmail|outlook|live|msn|yahoo|icloud|me|aol|yandex|proton|protonmail|mail|gmx)"
    r"\.[a-z.]{2,6}\b",
    re.IGNORECASE,
)
_ADDRESS = re.compile(
    # (a street's name may start with a Turkish capital: "7 Çınar Street"; rules .69)
    r"\b\d{1,5}[a-zA-Z]? [A-ZÇĞİÖŞÜ][\w.]*(?: [A-ZÇĞİÖŞÜ][\w.]*)* (?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|"
    r"Boulevard|Blvd|Drive|Dr|Court|Ct|Close|Way|Place|Pl|Crescent|Cres|Grove|Mews|Tower|Towers)\b\.?"
    # French, Spanish and Italian streets, the number first ("14 Rue des Lilas"; rules .53)
    r"|\b\d{1,4}(?: ?(?:bis|ter))?,? "
    r"(?:Rue|Avenue|Boulevard|Bd|Chemin|Allée|Impasse|Quai|Calle|Carrer|Via|Viale|Piazza)"
    r" (?:(?:de la|de|du|des|d'|del|della|di) ?)?[A-Z][\w'-]+"
    r"|\b[\wçğıöşüÇĞİÖŞÜ]+ (?:Mah(?:allesi|\.)?|Mh\.)[ ,]+[^\n]{0,60}?(?:Sok(?:ağı|ak|\.)?|Sk\.|Cad(?:desi|\.)?|Cd\.|"
    r"Bulvarı|Blv\.)[^\n]{0,30}?(?:No|Numara)\s*[:.]?\s*\d+",
)

# An English street address is the brand's own where the reply says so before it ("our branch at 12
# High Street", "visit us at ...", "our Leeds store is at ..."): a next step, not a leak (rules .42, .46).
_BRAND_PLACE = re.compile(
    r"\bour (?:[\w-]+ ){0,2}?(?:shop|store|branch|office|depot|clinic|restaurant|cafe|café|site|hq|headquarters|"
    r"showroom|centre|center|warehouse|station|service desk|help desk|counter|outlet|pharmacy|surgery|hub|venue|"
    r"box office)s?"
    r"(?: (?:is|are))?(?: (?:now|located|based|open|still))? (?:at|on|in)\s*$"
    r"|\b(?:visit|find|see|meet) us (?:at|in)\s*$|\bwe(?:'re| are) (?:at|on)\s*$",
    re.IGNORECASE,
)

# A street and a door number without the neighbourhood ("Elma Sokak No 14") is a home only when the
# reply says it is the reader's: a shop's "Bağdat Caddesi No 120" is a next step, not a leak.
_TR_STREET = re.compile(
    r"\b[A-ZÇĞİÖŞÜ][\wçğıöşü]+ (?:Sok(?:ağı|ak|\.)?|Sk\.|Cad(?:desi|\.)?|Cd\.|Bulvarı|Blv\.)[ ,]*"
    r"(?:(?:No|Numara)\s*[:.]?\s*\d+|\d+/\d+\b)"  # (or the door and flat alone: "Caddesi 112/4", rules .46)
)
# (and a third person's "adresi", not the brand's "mağazamızın adresi": rules .58)
_YOURS = re.compile(
    r"\b(?:adres|ev|kap|tesisat)[ıi]n[ıi]z|(?<!n )\badresini?\b|oturduğunuz|oturdugunuz"
    r"|(?<!mizin )(?<!mızın )(?<!muzun )(?<!müzün )(?<!nın )(?<!nin )\badresi\b",
    re.IGNORECASE,
)
# A neighbourhood and a door number alone ("Kızılay Mah. 12/4") is a home when it is where a named
# person's parcel or courier goes ("Ayşe Hanım, ... adresine kurye çıktı"; rules .33), or where their
# subscription is ("... adresindeki aboneliğinizin"; .35).
_TR_DOOR = re.compile(r"\b[A-ZÇĞİÖŞÜ][\wçğıöşü]+ (?:Mah(?:allesi|\.)?|Mh\.)\s*(?:No\s*[:.]?\s*)?\d+(?:/\d+)?")
_SENT_TO = re.compile(r"['’](?:y?[ae]) (?:gönder|gonder|kargol|yolla|teslim|ilet|çıkar|cikar)")
_TO_THE_ADDRESS = re.compile(r"\badresine\b|\badresindeki \w+(?:[ıi]n[ıi]z|[uü]n[uü]z)")  # ("... aboneliğiniz")
# Or when it is a named person's and a flat's ("Mehmet Bey, ... Caddesi No:12 Daire 4"): a title
# after a name and a flat or floor number is a home written out in public (a shop has no flat).
_TITLED = re.compile(r"\b[A-ZÇĞİÖŞÜ][a-zçğıöşü]+ (?:Bey|Hanım|Hanim)\b")
# A street where a named person lives ("Moda Caddesi No: 14 Kadıköy'de oturan Burcu Hanım": rules .67)
_LIVES = re.compile(r"\b(?:oturan|ikamet eden|yaşayan|evinde|evine)\b|(?<=\d)'?[dt][ae] m[iı]s[iı]n(?:[iı]z)?\b")
_HOME = re.compile(r"\b(?:Daire|D(?=[.:])|Kat)\s*[:.]?\s*\d", re.IGNORECASE)  # ("D:7" too, since batch 28)

# Asking in public whether someone is a named person from a named place ("Is this the same Dan Moretti
# from Parramatta ...?", "Ahmet Yılmaz, Kartal'dan siz misiniz?"): a stranger's name tied to where
# they live (blind batch 37's paraphrase). Names are read in their capitals, so the original text.
_WHEREABOUTS = re.compile(
    r"\b(?:[Aa]re you|[Ii]s (?:this|that|it)|[Aa]ren't you)(?: the same| really| actually)?"
    r" [A-Z][a-z]+(?:[- ][A-Z][a-z'’]+){1,2} (?:from|in|of|living in|who lives in) [A-Z][a-z]+"
    r"|\b[A-ZÇĞİÖŞÜ][a-zçğıöşü]+ [A-ZÇĞİÖŞÜ][a-zçğıöşü]+,? [A-ZÇĞİÖŞÜ][a-zçğıöşü]+['’]"
    r"(?:dan|den|tan|ten|da|de|ta|te)(?:ki)? (?:siz|sen) m[ıi]"
)
_ASKED = ("re you ", "s this ", "s that ", "s it ", "n't you ", "siz m", "sen m")

# A third party named in public (blind batches 41 and 43's paraphrases): a name with an age and a
# town ("Kevin Doyle, 19, from Tallaght"), a name and a town beside an injury ("the woman who
# fainted, Margaret Kerr from Leith"), or a named employee being disciplined.
_NAME = r"[A-Z][a-z'’]+ [A-Z][a-z'’-]+"
# (the age between commas or brackets: "Bus Route 42 from Glasgow" is a timetable; the name in
# apposition, after a comma or "named": "Virgin Trains from London" beside an injury is no person)
_AGED_FROM = re.compile(rf"\b{_NAME}(?:, \d{{1,2}},| \(\d{{1,2}}\),?| aged \d{{1,2}},?) (?:from|of) [A-Z][a-z]+")
_NAMED_FROM = re.compile(rf"(?:, |\bnamed ){_NAME},? (?:from|of) [A-Z][a-z]+")
_HURT = ("injur", "hurt", "fainted", "collapsed", "hospital", "infirmary", "recovering", "treated", "crushed")
_PERSON = r"[A-ZÇĞİÖŞÜ][a-zçğıöşü'’]+ [A-ZÇĞİÖŞÜ][a-zçğıöşü'’-]+"  # (_NAME with Turkish letters)
# (the role may stand apart from the name: "The employee in the video, Kelly Brennan from our Leeds
# store, has been suspended"; and in Turkish, "Videodaki çalışanımız, ... Burcu Aydemir, görevden
# uzaklaştırıldı": rules .65)
_DISCIPLINED = re.compile(
    r"\b(?:[Mm]anager|[Ss]upervisor|[Cc]ook|[Cc]hef|[Ss]taff member|[Ee]mployee|[Cc]ashier|[Dd]river|[Cc]olleague"
    r"|[Ss]teward|[Aa]gent|[Ww]orker|[Cc]rew member)s?(?: (?:in|on|from|at) the (?:video|clip|footage|store|shop))?,?"
    r" [A-Z][a-z'’]+(?: [A-Z][a-z'’-]+)?\b[^.!?]{0,80}?"
    r"\b(?:suspended|sacked|disciplin\w+|(?:final|written|formal) warning)"
    r"|(?:[Çç]alışan|[Pp]ersonel|[Mm]üdür|[Şş]oför|[Kk]urye|[Gg]arson|[Kk]asiyer|[Ss]ürücü|[Tt]emsilci)\w*,?"
    rf"[^.!?]{{0,40}}?\b{_PERSON}\b(?!'?\w* (?:[Şş]ube|[Mm]ağaza))[^.!?]{{0,80}}?"
    r"(?:görevden (?:uzaklaştırıl|alın)|işten çıkarıl|uyarı cezası|disiplin|açığa alın)"
)
# A named passenger, guest or patient with their seat, room or bed ("Ayse Korkmaz (seat 14)",
# "Hakan Yıldız (koltuk 15)"; blind batch 335, rules .66).
_SEATED = re.compile(
    rf"\b{_PERSON} \((?:seat|koltuk|room|oda|bed|yatak|cabin|kabin)(?: no\.?)? ?\d+\w?\)"
    # or from their cabin, tent or room, or with their age, beside a hospital or a recovery ("Lily
    # Brennan from Cabin 4 is recovering", "Zeynep Arslan (9) ... Şehir Hastanesi'nde", "71 yaşındaki
    # Hasan Öztürk ... Devlet Hastanesi'nde"; blind batches 349 and 351, rules .68)
    rf"|\b{_PERSON} (?:from|in) (?:[Cc]abin|[Rr]oom|[Dd]orm|[Tt]ent|[Bb]unk|[Ww]ard) \d+"
    rf"|\b\d+ numaralı (?:çadır|oda|yatak|koltuk|kabin|ranza)\w* {_PERSON}"
    rf"|(?:\b{_PERSON} \(\d{{1,2}}\)|\b\d{{1,3}} yaşındaki {_PERSON})[^.!?]{{0,80}}?"
    r"(?:[Hh]ospital|[Hh]astane|[Ii]nfirmary|[Ii]ntensive care|ICU|A&E|[Ww]ard \d|[Ss]ervis|[Rr]ecover|[Ii]yileş)"
)
# (a cheap gate for _SEATED's cabins and rooms without a bracket: " in " is in nearly every reply)
_SEAT_WORD = re.compile(r" (?:[Cc]abin|[Rr]oom|[Dd]orm|[Tt]ent|[Bb]unk|[Ww]ard) \d")
# A person's e-mail address at their employer or school ("sarah.collins@hartwell-logistics.com",
# "burak.tas@ogr.uni.edu.tr"): a first and last name in the local part; a brand's own desks
# ("press.office@", "customer.care@") are not a person's (rules .65).
_NAMED_EMAIL = re.compile(r"\b([a-z]+)[._]([a-z]+)\d*@[a-z0-9-]+(?:\.[a-z0-9-]+)+\b", re.IGNORECASE)
_DESK_WORDS = frozenset(
    "support help info press media care customer customers service services office team complaints privacy dpo"
    " kvkk hr ik legal hukuk contact hello noreply no reply feedback claims sales desk destek iletisim bilgi basin"
    " musteri hizmetleri bize ulasin social community safety security trust".split()
)


# The person behind a complaint or a rumour named in public ("the student who started this rumor is
# Kayla Brooks"; blind batch 143, rules .36).
_NAMED_SOURCE = re.compile(
    r"\bthe (?:student|customer|passenger|parent|user|person|guest|member|girl|boy|man|woman|lady|guy|pupil|tenant)"
    rf" who [^.!?]{{0,60}}? (?:is|was) {_NAME}\b"
)


def _disciplined(text: str) -> bool:
    """A cheap gate for _DISCIPLINED (an `or` of `in`: a generator over a tuple cost 1 µs a reply)."""
    return (
        "suspended" in text
        or "disciplin" in text
        or "warning" in text
        or "sacked" in text
        or "görevden" in text
        or "işten" in text
        or "uyarı" in text
        or "açığa" in text
    )


# Cheap gates: most replies hold no long digit run and no "@", and the full patterns cost more.
_DIGIT_RUN = re.compile(r"\d[\d ()+.-]{5,}\d")
_ADDRESS_HINT = re.compile(r"\d")


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _tc_kimlik_valid(number: str) -> bool:
    """The Turkish national ID's two check digits."""
    d = [int(c) for c in number]
    tenth = ((d[0] + d[2] + d[4] + d[6] + d[8]) * 7 - (d[1] + d[3] + d[5] + d[7])) % 10
    return tenth == d[9] and sum(d[:10]) % 10 == d[10]


def exposures(text: str) -> list[tuple[int, int, str]]:
    """(start, end, what) for each piece of personal data written out in the text."""
    found: list[tuple[int, int, str]] = []
    if "@" in text:
        found.extend((*m.span(), "e-mail address") for m in _EMAIL.finditer(text))
        found.extend(
            (*m.span(), "e-mail address")
            for m in _NAMED_EMAIL.finditer(text)
            if not {m.group(1).lower(), m.group(2).lower()} & _DESK_WORDS and not _inside(m.span(), found)
        )
    if any(asked in text for asked in _ASKED):  # (a cheap gate: the pattern costs ~8 µs a reply)
        found.extend((*m.span(), "named person's whereabouts") for m in _WHEREABOUTS.finditer(text))
    if " who " in text:
        found.extend((*m.span(), "named person") for m in _NAMED_SOURCE.finditer(text))
    if "(" in text or "numaralı" in text or "yaşındaki" in text or _SEAT_WORD.search(text):
        found.extend((*m.span(), "named person's whereabouts") for m in _SEATED.finditer(text))
    if _disciplined(text):
        found.extend((*m.span(), "named person's discipline") for m in _DISCIPLINED.finditer(text))
    # (cheap gates first: a name in apposition needs a comma, and the patterns cost ~2 µs a reply)
    from_or_of = " from " in text or " of " in text
    if from_or_of and ", " in text and any(hurt in text for hurt in _HURT):
        found.extend((*m.span(), "named person's whereabouts") for m in _NAMED_FROM.finditer(text))
    if not _ADDRESS_HINT.search(text):
        return found
    if from_or_of and (", " in text or " (" in text or " aged " in text):
        found.extend((*m.span(), "named person's whereabouts") for m in _AGED_FROM.finditer(text))
    found.extend((*m.span(), "address") for m in _ADDRESS.finditer(text) if not _BRAND_PLACE.search(text, 0, m.start()))
    found.extend((*m.span(), "card's last digits") for m in _CARD_ENDING.finditer(text))
    found.extend((*m.span(), "personal identifier") for m in _LABELLED_ID.finditer(text))
    titled = _TITLED.search(text) is not None
    home = _YOURS.search(text) or (titled and (_HOME.search(text) or _TO_THE_ADDRESS.search(text)))
    # A street, a door and a flat together ("Çınar Sok. No:14 Daire 3") are a home whoever is named:
    # a shop or an office gives no flat (blind batch 287, rules .57).
    streets = list(_TR_STREET.finditer(text))
    home = home or any(
        _HOME.search(text, m.end(), m.end() + 12) or _LIVES.search(text, m.end(), m.end() + 30) for m in streets
    )
    # A street and door is a home where the reply says so, or where a parcel or a card is being sent
    # to it ("... Caddesi No:12'ye gönderiyoruz", .50).
    found.extend(
        (*m.span(), "address")
        for m in streets
        if (home or _SENT_TO.match(text, m.end())) and not _inside(m.span(), found)
    )
    if home:
        found.extend((*m.span(), "address") for m in _TR_DOOR.finditer(text) if not _inside(m.span(), found))
    if not _DIGIT_RUN.search(text):
        return found
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19 and _luhn(digits):
            found.append((*m.span(), "card number"))
    for m in _TC_KIMLIK.finditer(text):
        if _tc_kimlik_valid(m.group()):
            found.append((*m.span(), "national ID number"))
    found.extend((*m.span(), "IBAN") for m in _IBAN.finditer(text))
    found.extend((*m.span(), "phone number") for m in _PHONE.finditer(text) if not _ours(text, *m.span()))
    found.extend((*m.span(), "phone number") for m in _PHONE_SAID.finditer(text) if not _inside(m.span(), found))
    return found


def _inside(span: tuple[int, int], found: list[tuple[int, int, str]]) -> bool:
    return any(start <= span[0] and span[1] <= end for start, end, _ in found)
