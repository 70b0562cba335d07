"""Shouting: words in capitals and runs of `!`/`?`, in any language.

Read from the original text (case matters here), with quotations masked. `str.isupper` treats
"İ", "Ş", "Ğ" as capitals, so Turkish shouting ("SİZİN HATANIZ") counts like English.
"""
# ruff: noqa: RUF001, RUF002  (Turkish letters and typographic quotes are the subject here)

from __future__ import annotations

import re
from collections.abc import Iterator

_PUNCTUATION_RUN = re.compile(r"[!?！？]{2,}")
_QUESTIONED = re.compile(r"[?？]")

# Capitalised by convention, not raised voices. Tenants add their brand names with `allow`.
ACRONYMS = frozenset(
    """
    DM DMS PM AM OK ID IDS SMS MMS USB URL URLS FAQ FAQS ASAP ETA HTTP HTTPS WWW GDPR KVKK CEO CTO CFO COO PR HR IT VAR
    AI API APIS APP VPN WIFI PDF IOS NFC SIM PIN PINS OTP CVV CVC IMEI LTE ISP UPS DHL USPS USA UK EU TV BBC CNN
    UTC GMT CET EST PST QR TL TRY USD EUR GBP ATM IBAN EFT POS BTK TRT SGK PTT THY AVM TC TCKN SSS BDDK SPK EPDK
    NATO UEFA FIFA NASA COVID HTML JSON CSS SQL AWS RAM CPU GPU SSD HDD LED LCD OLED HD UHD FHD GPS VAT KDV ÖTV
    OTV MB GB TB KB SEO CRM ERP B2B B2C CV PS XL XS XXL MR MRS MS DR PHD MBA NHS IRS FBI CIA RSVP FYI TBD TBA
    AB ABD İBB IBB BIM ŞOK A101 SIMS WHO UN UNICEF OECD IMF EFT HGS OGS TCDD İETT IETT MHRS ÖSYM OSYM YKS KPSS
    İSKİ ISKI İZSU IZSU ASKİ ASKI İGDAŞ IGDAS BEDAŞ BEDAS AYEDAŞ AYEDAS TEDAŞ TEDAS BOTAŞ BOTAS TÜİK TUIK TÜBİTAK
    TUBITAK MEB YÖK AFAD EGM TOKİ TOKI İŞKUR ISKUR TBMM TFF BTK SHGM DHMİ DHMI ÖTV MTV SGK
    FAA TSA DVLA HMRC DMV FEMA EPA FDA CDC GP ATC NTSB TFL RSPCA ISO PCI DSS SLA KYC AML VIP NYC UAE CSV XML
    GG QA PT ET CT MT PDT EDT CST MST ACH SSN RR XP MMR DLC FPS NPC PVP PVE MVP AFK
    BTC ETH USDT USDC TX NFT FUD HODL DEX CEX SSO CLI YAML TRC ERC NMI PNR AEST AEDT NZST NZDT SOS WP
    NIN BVN NUBAN PPS PPSN NINO SIN TIN NI UPI NEFT IMPS RTGS NACH
    ALO İSU ISU EDAŞ EDAS BUSKİ BUSKI DESKİ DESKI MASKİ MASKI KASKİ KASKI
    """.split()
)
# Capitals that cheer, thank, greet or warn for someone's safety are not a raised voice at the reader
# (batches 30-32: "THANK YOU to every crew member", "DO NOT touch fallen powerlines", "ÇOK
# TEŞEKKÜRLER!", "BAYRAMINIZ KUTLU OLSUN!"). Matched on the original case, so "thank you" in
# lower case is not the point and "DO NOT tag us" (no hazard after it) still shouts. The pattern is
# read in parts: each names one kind of cheer, and `_CHEER` joins them.

# Thanks, congratulations and greetings in English ("A BIG THANK YOU", "HAPPY NEW YEAR", "WE DID IT").
_THANKS = (
    r"(?:A |A BIG |BIG |HUGE )?THANK YOU|(?:MANY |HUGE )?THANKS|CONGRAT(?:S|ULATIONS)|WELL DONE|WELCOME(?: BACK)?"
    r"|HAPPY(?: NEW YEAR| HOLIDAYS| BIRTHDAY| FRIDAY| \w+DAY)?|MERRY CHRISTMAS|WE DID IT|GO TEAM|CHAMPIONS?"
)
# The hazards (in lower case, right after it) that make "DO NOT", "DON'T" or "NEVER" a safety warning.
_HAZARDS = (
    "touch|drink|enter|swim|drive|approach|use|open|eat|run|install|click|pay|share"
    "|give|go|cross|park|light|leave|reply"
)
# Safety warnings: a prohibition before a hazard ("DO NOT touch fallen powerlines"), or an order to keep safe.
# Blind batches 47-51's paraphrase: a water notice may write the physical hazard in capitals too when
# lower case follows ("DO NOT DRINK the tap water", "DO NOT USE tap water"), or order it boiled;
# "DO NOT REPLY", "DO NOT USE OUR APP" and a whole sentence in capitals still shout.
_PHYSICAL = "TOUCH|DRINK|ENTER|SWIM|DRIVE|APPROACH|USE|EAT|CROSS|LIGHT|BATHE|PADDLE"
_WARNINGS = (
    rf"(?:DO NOT|DON'T|NEVER)(?= (?:{_HAZARDS}|(?:{_PHYSICAL})(?= [a-z])))"
    r"|STAY (?:AWAY|CLEAR|INSIDE|SAFE|BACK)|EVACUATE|BOIL (?:ALL |YOUR )?(?:TAP |DRINKING )?WATER"
)
# Thanks, congratulations and greetings in Turkish ("ÇOK TEŞEKKÜRLER", "BAYRAMINIZ KUTLU OLSUN", "GEÇMİŞ OLSUN").
_TURKISH = (
    r"(?:ÇOK |SONSUZ )?TEŞEKKÜR(?:LER| EDERİZ)|TEBRİKLER|KUTLU OLSUN|(?:İYİ )?BAYRAM\w*|YENİ YILINIZ"
    r"|HOŞ ?GELDİN\w*|GEÇMİŞ OLSUN|ŞAMPİYON\w*|İYİ Kİ VARSINIZ|NİCE YILLARA"
)
# Good news announced as such (batches 33-35: "LET'S GOOO", "GOOD NEWS", "İYİ HABER:", "MÜJDE").
_GOOD_NEWS = r"LET'?S GO+|(?:GOOD|GREAT) NEWS|İYİ HABER\w*|MÜJDE"
# Up to three capitalised words naming what came back ("ROUTE 7 ...", "ISINMA MERKEZLERİMİZ ...").
_WHAT = r"(?:[A-ZÇĞİÖŞÜ0-9'’]+ ){0,3}"
# Something back in service (batches 33-35 and blind batch 36's paraphrase: "WE'RE BACK!!!",
# "KAMPANYA BAŞLADI"); a bare "BACK" is not news ("STEP BACK"), so it needs "IS", "WE'RE" and the like.
_RETURNED = (
    r"(?:(?:IS|ARE|WE'RE|WE ARE|IT'S) (?:BACK|LIVE|OPEN)|RESTORED|REOPEN(?:ED|S)|RETURNS"
    r"|AÇIK|AÇILDI|BAŞLADI|YAYINDA|GERİ DÖNDÜ|GERİ GELDİ"
    # (blind batch 37's paraphrase: "BACK ONLINE", "ALL FIXED", "TÜM HATLAR YENİDEN AKTİF", "SULAR GELDİ")
    r"|BACK ONLINE|ONLINE AGAIN|UP AND RUNNING|FIXED|SORTED|RESOLVED"
    r"|(?:YENİDEN |TEKRAR )?(?:AKTİF|VERİLİYOR|ÇALIŞIYOR|DEVREDE)"
    r"|GELDİ|ÇÖZÜLDÜ|GİDERİLDİ|DÜZELDİ|NORMALE DÖNDÜ|SONA ERDİ"
    # (blind batch 41's paraphrase: "SERVICE HAS RESUMED", "TRAINS ARE RUNNING AGAIN": _WHAT reads "HAS", "ARE")
    r"|RESUME[DS]|RUNNING AGAIN)"
)
# Sport's cheers (blind batch 37's paraphrase: a grand final, a win): "GRAND FINAL BOUND", "WHAT A GAME".
_SPORT = (
    r"GRAND FINAL(?: BOUND| WINNERS| HERE WE COME)?|WINNERS|PREMIERS|BACK TO BACK"
    r"|WHAT A (?:WIN|GAME|MATCH|SEASON|RESULT|FINAL|COMEBACK|NIGHT|EFFORT|GOAL|TRY)"
    # (blind batch 41's paraphrase: a goal cheered with the club's or city's name in capitals after it)
    r"|GET IN|GO+A*L+|COME ON"
)
# Safety warnings against fraud, in capitals (blind batch 39's paraphrase: "WE WILL NEVER ASK FOR YOUR
# PIN OR OTP", "DO NOT SHARE YOUR OTP WITH ANYONE", "BEWARE OF FAKE CALLS", "ŞİFRENİZİ KİMSEYLE
# PAYLAŞMAYIN"): a refusal or prohibition that names, within a few capitalised words, a credential or
# a scam. "NEVER ASK US AGAIN" names none, so it still shouts.
_CREDENTIAL = (
    r"PINS?|OTPS?|PASSWORDS?|PASSCODES?|CVV|CARD|DETAILS|CODES?|LINKS?|APPS?"
    r"|ŞİFRE\w*|PAROLA\w*|KART\w*|KOD\w*|BİLGİ\w*"
)
_FRAUD = (
    rf"(?:(?:WE|[A-Z]+) (?:WILL )?NEVER (?:ASK|CALL|TEXT|MESSAGE|EMAIL|REQUEST)|(?:DO NOT|DON'T|NEVER) (?:SHARE|GIVE"
    rf"|TELL|SEND|DISCLOSE|CLICK|INSTALL|ENTER|TYPE|REVEAL))(?=(?:,? [A-Z'’-]+){{0,5}} (?:{_CREDENTIAL})\b)"
    r"|BEWARE OF (?:FAKE|FRAUD|SCAM|PHISHING)\w*|(?:SCAM|FRAUD) ALERT"
    r"|(?:[A-ZÇĞİÖŞÜ]+ ){0,3}(?:ŞİFRE|PAROLA|KART|KOD|BİLGİ)\w*(?: [A-ZÇĞİÖŞÜ]+){0,3}"
    r" (?:PAYLAŞMAYIN|VERMEYİN|İSTEMEYİZ|İSTEMEZ|SORMAYIZ|SORMAZ)\w*"
    r"|DOLANDIRICILARA DİKKAT"
)
_FRAUD_ON = r"(?:,? [A-Z'’-]{2,}){0,4}"
# A cheer goes on in up to six capitalised words to whom it is for ("THANK YOU TO ALL OUR FUNDRAISERS",
# "TEŞEKKÜRLER AYŞE HANIM"); lower case after it ("THANK YOU for nothing") ends it, and mock thanks
# ("FOR NOTHING", "A LOT") or "HAPPY NOW" never continue it.
_FOR_WHOM = r"(?:,? (?!FOR NOTHING|A LOT\b|NOW\b)[A-ZÇĞİÖŞÜ'’]{2,}){0,6}"
# A cheer: one of the kinds above, whole words, then whom it is for.
_CHEER = re.compile(rf"\b(?:{_THANKS}|{_WARNINGS}|{_TURKISH}|{_GOOD_NEWS}|{_SPORT}|{_WHAT}{_RETURNED}){_FOR_WHOM}\b")
# A fraud warning, read apart and only when one of its leading words is there: most replies with a
# capital have none, and trying its classes at every word made the cheers cost a sixth more.
_FRAUD_WARNING = re.compile(rf"\b(?:{_FRAUD}){_FRAUD_ON}{_FOR_WHOM}\b")
_FRAUD_LEADS = re.compile("NEVER|DO NOT|DON'T|BEWARE|ALERT|ŞİFRE|PAROLA|KART|KOD|BİLGİ|DİKKAT")

# Two capitals in a row (an apostrophe between allowed): only a word that holds them can be a word in
# capitals, and looking at every word of the reply was the costliest part of this module. Latin,
# Latin-1, Latin Extended-A (İ, Ş, Ğ; its lower-case letters too, which only lets more words through
# to the checks below), Greek, Cyrillic.
_CAPS = "A-ZÀ-ÖØ-ÞĀ-žΑ-ΩА-Я"
_CAPITAL_PAIR = re.compile(rf"[{_CAPS}]['’]?[{_CAPS}]")
_WORD = re.compile(r"\w+(?:['’]\w+)?")

# A label: up to four capitalised words opening a line, then a colon.
# A sign or emoji may stand before it ("⚠️ SAFETY: ...", "📢 DUYURU: ...").
_LABEL = re.compile(rf"[^\S\n]*(?:[^\w\s]+[^\S\n]*)?(?:[{_CAPS}0-9'’&/-]+[^\S\n]+){{0,3}}[{_CAPS}0-9'’&/-]+:")

SHORT_CAPS_TOLERATED = 1  # one short capitalised word ("NOT", "ÇOK") is emphasis; two or more is shouting
# One capitalised word of any length in a reply with no run of "!"/"?" is emphasis ("we will NEVER
# call you", "ASLA şifre istemez"), a cheer ("GOOOL!") or an acronym no list holds: batches 27 and
# 28 had fine replies flagged for exactly that, and no problematic reply was caught by it alone.
LONE_CAPS_TOLERATED = 1


def shouting_spans(cased_masked: str, allowed: frozenset[str]) -> list[tuple[int, int, str]]:
    """(start, end, reason) for capitalised words and runs of `!`/`?`."""
    found: list[tuple[int, int, str]] = []
    short: list[tuple[int, int]] = []
    cheers: list[tuple[int, int]] | None = None  # read only once a capitalised word is found
    for match in _capitalised_words(cased_masked):
        word = match.group()
        if cheers is None:
            cheers = _cheers(cased_masked)
        if any(start <= match.start() and match.end() <= end for start, end in cheers):
            continue
        # Promo codes and model names ("SORRY20", "A320") are not words said aloud, nor is a part of
        # a hyphenated code or name ("0700-CARE-NG", "SHY-YOLCU", rules .30).
        if not word.isupper() or any(c.isdigit() for c in word) or _hyphenated(cased_masked, *match.span()):
            continue
        letters = [c for c in word if c.isalpha()]
        if len(letters) < 2:
            continue
        if word.upper() in ACRONYMS or word.split("'")[0].split("’")[0] in ACRONYMS or word.casefold() in allowed:
            continue
        if _is_label(cased_masked, *match.span()):
            continue
        if len(letters) >= 4:
            found.append((*match.span(), "caps"))
        else:
            short.append(match.span())
    runs = [(*m.span(), "punctuation") for m in _PUNCTUATION_RUN.finditer(cased_masked)]
    if runs:
        runs = _beyond_cheers(cased_masked, runs, cheers)
    if not runs and len(found) + len(short) <= LONE_CAPS_TOLERATED:
        return []
    if len(short) > SHORT_CAPS_TOLERATED:
        found.extend((start, end, "caps") for start, end in short)
    found.extend(runs)
    return merge_adjacent(found, cased_masked)


def _beyond_cheers(
    text: str, runs: list[tuple[int, int, str]], cheers: list[tuple[int, int]] | None
) -> list[tuple[int, int, str]]:
    """The runs of marks that are not a cheer's own: "!!!" right after a cheer in capitals
    ("ŞAMPİYON!!!", "WE'RE BACK 🎉!!!") is its volume, not exasperation; "??" still is, and so is
    "!!!" after words in lower case ("THANK YOU for nothing!!!")."""
    if cheers is None:
        cheers = _cheers(text)
    ends = [end for _, end in cheers]
    return [
        run
        for run in runs
        if _QUESTIONED.search(text, run[0], run[1])
        or not any(end <= run[0] and not any(c.isalnum() for c in text[end : run[0]]) for end in ends)
    ]


def _cheers(text: str) -> list[tuple[int, int]]:
    """The spans of cheers, safety and fraud warnings in capitals."""
    spans = [m.span() for m in _CHEER.finditer(text)]
    if _FRAUD_LEADS.search(text):
        spans += [m.span() for m in _FRAUD_WARNING.finditer(text)]
    return spans


def _is_label(text: str, start: int, end: int) -> bool:
    """A capitalised word that opens the reply or a line and ends in a colon ("URGENT: do not drink
    the tap water", "ACİL: binayı boşaltın") labels what follows, as a notice does; so do up to four
    such words ("PRODUCT RECALL:", "KESİNTİ BİLGİLENDİRMESİ:", blind batch 37's paraphrase). The
    text after the label is read for shouting like any other."""
    label = _LABEL.match(text, text.rfind("\n", 0, start) + 1)
    return label is not None and end < label.end()


def _hyphenated(text: str, start: int, end: int) -> bool:
    """Whether the word is joined by a hyphen to another part of two letters or digits or more
    (not a prefix's one letter: "E-POSTAYI" is a word said aloud)."""
    return (start > 2 and text[start - 1] == "-" and text[start - 2].isalnum() and text[start - 3].isalnum()) or (
        end + 2 < len(text) and text[end] == "-" and text[end + 1].isalnum() and text[end + 2].isalnum()
    )


def _capitalised_words(text: str) -> Iterator[re.Match[str]]:
    """The words (as `_WORD` reads them) that hold two capitals in a row, each once."""
    end = 0
    for pair in _CAPITAL_PAIR.finditer(text):
        if pair.start() < end:
            continue
        start = pair.start()
        while start > end and (text[start - 1].isalnum() or text[start - 1] in "_'’"):
            start -= 1  # (back to where the word begins; an apostrophe there is not a word's)
        word = _WORD.search(text, start)
        if word:
            end = word.end()
            yield word


def merge_adjacent(spans: list[tuple[int, int, str]], text: str) -> list[tuple[int, int, str]]:
    """One finding for "SHUT UP NOW" rather than three: spans joined when only spaces lie between."""
    merged: list[tuple[int, int, str]] = []
    for start, end, reason in sorted(spans):
        if merged and merged[-1][2] == reason and not text[merged[-1][1] : start].strip(" ,"):
            merged[-1] = (merged[-1][0], end, reason)
        else:
            merged.append((start, end, reason))
    return merged
