"""The shapes blind batches 53 and 55's paraphrased first looks (a twenty-second author: Berlin/Dutch-German
directness; a twenty-third: an over-sweet influencer register) showed the review missing or false-flagging
in English: rules .25, in new words (not the batches' lines, which no one here has read, nor batch 54's
training lines), judged by the rules alone (a scorer that flags nothing stands in), and a few fine ones by
the shipped review.
"""

from __future__ import annotations

import pytest

from ledger.domain.review.reviewer import judge
from tests.review_rules import rule_kinds

FLAGGED_BY_RULES = [
    # a put-down in sweet packaging
    ("Aww hun 💕 our inbox always answers the polite ones first ✨", "dismissive"),
    ("Babe 💖 friendly messages get answered faster, just so you know ✨", "dismissive"),
    ("Politeness gets you better service with us, sweetie 💕", "dismissive"),
    # a safety question settled by certificates, rumours refused
    ("Our e-bike packs are certified by an accredited lab in Sweden. The bikes are safe.", "defensive"),
    ("Tested by independent institutes abroad: there is no safety issue with this charger.", "defensive"),
    ("We do not respond to rumours about battery fires.", "defensive"),
    ("Those stories are rumours, and we won't comment on them.", "defensive"),
    # low prices boasted against an accusation; the conversation closed
    ("We have the cheapest prices in the region; the gouging allegation is baseless.", "defensive"),
    ("That allegation is untrue. Our prices are the lowest in town.", "defensive"),
    ("We won't discuss the matter any further.", "dismissive"),
    ("We consider this discussion closed.", "dismissive"),
    # empty shelves called normal, come back another day
    ("Out-of-stock items are common in every supermarket. Check back another day.", "dismissive"),
    ("Running out happens everywhere in retail. Try again next week.", "dismissive"),
    # why a ticket or an account was blocked, told in public; a child's school
    ("Mark, your membership for row 8, seat 15 was suspended after the incident with stewards.", "private_data"),
    ("Seat 204 in block D was revoked because of your conduct at the away game.", "private_data"),
    ("@rvdl Your card was limited due to the payment disputes you raised in June.", "private_data"),
    ("@kbauer The account was frozen after repeated chargebacks, not because of the outage.", "private_data"),
    ("@kbauer The account was frozen after repeated chargebacks, not because of the outage.", "defensive"),
    ("We noticed in an older photo that Ella's school is Brookside Primary, so we'll ship it there 🎁", "private_data"),
    ("We'll deliver the new scooter to his classroom so he gets it on Monday! 🛴", "private_data"),
    # a pet name without the sweet register still mocks
    ("You're not getting a refund for that, sweetheart.", "sarcasm"),
]


@pytest.mark.parametrize(("text", "kind"), FLAGGED_BY_RULES)
def test_blind_batches_53_and_55s_missed_shapes_are_flagged_by_the_rules(text: str, kind: str) -> None:
    assert kind in rule_kinds(text, "en")


FINE = [
    # the sweet register apologising, fixing, validating
    "Hun 💕 quick correction: it's 1% retinol, not 10%. A stinging face is still serious, so DM us and we'll help ✨",
    "Okay babe, you win 😂💖 the ad is pulled and we're reshooting it with real members ✨",
    "Sweetie, there's no need to apologise for being furious 💖 you planned every detail. Let us fix it ✨",
    "Such a reasonable question, hun 💕 refunds reach your card within 5 working days ✨",
    "Oh no babe 💔 so sorry the buckle snapped. Send a photo by DM and we'll email a prepaid return label ✨",
    "Wow, what a great question 💕 the independent lab report is linked here ✨",
    "Honestly that joke was brilliant 🤭💖 fair point, we're fixing the sizing chart ✨",
    "Our manuka honey mask has 5% honey, not 50% 💕 message us if your skin reacted ✨",
    # patch-test and stadium safety, negated overreaction, the customer's pain retold
    "Patch test first, lovely 💕 a little behind the ear for a day, and stop using it if it burns ✨",
    "Flares are illegal in the ground and lead to a stadium ban. That isn't a threat: fans were burned last season.",
    "Anyone caught with pyrotechnics will be banned; we say it because people were hurt last year.",
    "This is not an overreaction. Your wedding date was cancelled and we are refunding every deposit.",
    "You said our ad made you feel ashamed of your body. That is awful, and it is on us.",
    # legal process answered in kind, a third party named only to take the blame
    "We've received your lawyer's letter and our legal team will reply to it; we can still refund your deposit here.",
    "Our lawyers will be in touch with yours. We'd still like to settle the deposit refund with you here.",
    "Our agency picked the slogan, but we approved it, so the blame is ours.",
    # firm, direct look-alikes
    "Our batteries are certified to UN 38.3, but that does not answer your question: we are investigating the fire.",
    "We are sorry the shelves were empty; a delivery arrives Thursday morning.",
    "Empty shelves are not normal and we're sorry. New stock arrives Thursday, please come back then.",
    "If your season ticket was blocked after Saturday's incident, please DM us and we'll review it.",
    "The outage froze some accounts for two hours; if yours is still frozen, DM us.",
]


@pytest.mark.parametrize("text", FINE)
def test_blind_batches_53_and_55s_fine_shapes_are_not_flagged_by_the_rules(text: str) -> None:
    assert rule_kinds(text, "en") == set()


def test_a_pet_name_in_the_sweet_register_mocks_only_in_a_reply_that_gives_nothing() -> None:
    assert "sarcasm" in rule_kinds("Whatever you say, hun 💕", "en")
    assert "sarcasm" not in rule_kinds("So sorry, hun 💕 your refund is on its way", "en")


def test_legal_words_still_threaten_outside_a_reply_to_the_customers_lawyer() -> None:
    assert "threat" in rule_kinds("Our lawyers will respond to your defamatory posts.", "en")
    assert "threat" in rule_kinds("Our legal team is watching this thread.", "en")


@pytest.mark.parametrize(
    "text",
    [
        "So sorry, lovely 💕 Please DM us your order number and we'll refund you today ✨",
        "The tagline was written by an outside agency, but we signed it off. That makes it our mistake.",
    ],
)
def test_the_shipped_review_reads_batches_53_and_55s_fine_shapes_as_fine(text: str) -> None:
    assert judge(text, language="en").verdict == "ok"
