"""The shapes blind batches 47, 49 and 51's paraphrased first looks (a nineteenth, twentieth and
twenty-first author) showed the English review missing or false-flagging: rules .25, in new words
(not the batches' lines, which no one has read, nor batch 48's training lines), judged by the rules
alone (a scorer that flags nothing stands in).
"""

from __future__ import annotations

import pytest

from tests.review_rules import rule_kinds

FLAGGED_BY_RULES = [
    # an administrative threat: the contract people signed, and what it lets the organisation end
    ("Tenants organising that petition are reminded the tenancy agreement allows us to terminate it early.", "threat"),
    (
        "Parents in the Facebook group campaigning against the fees should note the terms: places may be withdrawn.",
        "threat",
    ),
    # a veiled threat about a leak
    ("Those minutes were confidential and we know precisely who forwarded them.", "threat"),
    ("We're well aware who circulated the internal memo.", "threat"),
    # debt enforcement announced in public
    ("Mrs Okoro, your arrears have now been referred to our enforcement agents.", "threat"),
    ("Mrs Okoro, your arrears have now been referred to our enforcement agents.", "private_data"),
    ("Your overdue bill has gone to a collection agency, as you'd know if you opened your post.", "threat"),
    # contempt for a group, not "you"
    ("Some customers expect free upgrades forever and then rant on TikTok when it ends.", "aggressive"),
    ("Certain fans will moan about anything to get a free shirt.", "aggressive"),
    # insult by superlative
    ("Genuinely the daftest question we've had all week, Tom.", "aggressive"),
    ("That's easily the most laughable review on our page, and there are plenty.", "aggressive"),
    # polite condescension
    ("Sorry you're finding it confusing, the timetable is honestly really simple.", "dismissive"),
    ("The letter is fairly self-explanatory; ask a family member to read it to you.", "aggressive"),
    # friendly opening, then blame for the hour chosen
    ("Totally hear you, but you ordered during the Saturday rush, so a slower delivery is the trade-off.", "blame"),
    # shrugs behind a legal limit or a permit
    ("the sugar is under the legal limit, dunno what else y'all want", "defensive"),
    ("We're sorry you're concerned, though the release was within the limits of our licence.", "defensive"),
    # ratings against one person's illness
    ("Thousands of guests rate us five stars; one unwell visitor doesn't reflect our standards.", "defensive"),
    # a flat denial that tells the public to stop talking
    ("No pollution occurred. The scum is a natural algae. Stop circulating scare stories.", "defensive"),
    # the wait declared acceptable
    ("We do not regard a four-hour hold time as excessive given the storm.", "dismissive"),
    # mock agreement
    ("Right, and the baristas should just work for free too 😂", "sarcasm"),
    ("Yes we banned your song cos we hate your taste in music", "sarcasm"),
    ("the whole office deliberately lost your parcel, you got us. Obviously.", "sarcasm"),
    # data asked for or shown in public
    ("Type your username here and your password and we'll take a look.", "private_data"),
    ("Comment your reservation number and your date of birth so we can find you.", "private_data"),
    ("Sam from 9 Mill Lane, your weekly 1am pizza order is legendary 😂", "private_data"),
    ("Here's what you sent our driver last night, for context: a copy of the texts you sent him.", "private_data"),
]


@pytest.mark.parametrize(("text", "kind"), FLAGGED_BY_RULES)
def test_blind_batches_47_to_51s_missed_shapes_are_flagged_by_the_rules(text: str, kind: str) -> None:
    assert kind in rule_kinds(text, "en")


FINE = [
    # safety notices in capitals
    "URGENT: Residents of CF10 DO NOT DRINK the tap water. Bottled water at the civic centre. We are sorry.",
    "Residents of LS6: DO NOT USE tap water for drinking or cooking until Friday. Sorry for the disruption.",
    "BOIL YOUR TAP WATER until further notice in NR3; we will update you at 6pm. Sorry for this.",
    # full admissions
    "You're entitled to be furious. We'd be the same in your shoes.",
    "We won't argue with any of that. Let us make it right: DM us your booking.",
    "You were dead right about the refund form. Thanks for telling us, it's fixed.",
    "We shouldn't have brushed off the first reports. We're sorry.",
    # firm corrections and terms
    "The video shows another brand's carton, not ours. We're not cross with anyone who shared it.",
    "Under our terms you can cancel your membership at any time, no fee.",
    "We'd remind everyone the contract lets you end it with 30 days' notice.",
    "Riders must be 18; accounts found to belong to under-18s are closed.",
    # the organisation's own fault, and quotes
    "Ordering at peak time shouldn't mean cold food. That's our fault, and we're adding drivers.",
    "A parent called us 'arrogant and absent'. It's fair criticism and we have to win their trust back.",
    # privacy cautions and our own addresses
    "Never share your password or PIN with anyone, including us.",
    "Please don't comment your booking reference or date of birth; DM us instead.",
    "Your account has not been passed to debt collectors; that letter was a mistake.",
    # warm humour and good news
    "Someone hire this person, that roast of our rivals is better than ours 😂",
    "Ha, fair point about the mascot 😂 the price rise deserved that meme.",
    "Good news: the beach at Saltcove got an excellent rating. Plenty still to fix elsewhere.",
    # the organisation's own record, admitted
    "We have thousands of good reviews, but one guest falling ill is one too many. We're investigating.",
    "Sewage did reach the river on Sunday, and we're sorry. Daily test results are here.",
    "Some people have asked if the app is free: it is.",
    "We know who was affected by the leak and we are contacting each of them today.",
]


@pytest.mark.parametrize("text", FINE)
def test_blind_batches_47_to_51s_fine_shapes_are_not_flagged_by_the_rules(text: str) -> None:
    assert rule_kinds(text, "en") == set()


def test_a_denial_spoken_as_an_order_still_shouts() -> None:
    assert "shouting" in rule_kinds("DO NOT USE OUR APP IF YOU DON'T LIKE IT.", "en")
    assert "shouting" in rule_kinds("DON'T TAG US IN YOUR RANTS.", "en")
    assert "shouting" in rule_kinds("DO NOT DRINK THE WATER AND STOP MESSAGING US.", "en")


def test_a_negated_request_for_a_password_is_a_caution() -> None:
    assert rule_kinds("Never post your email and your password here, not even for us.", "en") == set()
    assert "private_data" in rule_kinds("Post your email and your password here.", "en")
