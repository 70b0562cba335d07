"""English patterns and lexicons, matched against the folded, quote-masked reply.

VADER's shipped lexicon widens one slot only: a strongly negative word said of the reader ("you are
pathetic"), less the words for how someone feels ("you are frustrated" is empathy, not an insult).
Everything else is a pattern written here, so each finding has a span and a reason.
"""

from __future__ import annotations

import re
from importlib import resources

from ledger.domain.review.rule import SARCASTIC_EMOJI, Rule, rule, words

YOU_ARE = r"\b(?:you(?:'re| are| were|re)|u r|ur|you(?:'ve| have) been|you sound|you seem|you look|you act)"
INTENSIFIER = r"(?:(?:so|such|really|very|truly|clearly|obviously|just|totally|completely|being|quite|a|an|the|most)\s+)*"

# Words for a feeling or a situation: said of the reader they acknowledge, they do not insult.
_FEELINGS = frozenset(
    """
    angry angrier angriest upset frustrated disappointed sad hurt furious irate livid fuming mad worried
    troubled stressed distraught devastated heartbroken miserable unhappy dissatisfied annoyed irritated
    pissed enraged incensed infuriated outraged agitated depressed suffering stuck helpless powerless scared
    terrified afraid frightened fearful panicked trapped hopeless sick disgusted ashamed concerned confused
    shattered offended insulted wronged right grieving grieved bereaved troubled affected stricken
    crestfallen dejected disheartened downhearted heavyhearted saddened sickened horrified petrified
    rejected betrayed neglected cheated robbed exploited harassed bullied insulted disrespected snubbed
    failed forced suspended banned fired arrested jailed imprisoned infected wasted screwed doomed
    """.split()
)

_CURATED_INSULTS = (
    "idiot", "idiots", "idiotic", "stupid", "dumb", "moron", "morons", "moronic", "imbecile", "fool", "fools",
    "foolish", "clueless", "ignorant", "pathetic", "ridiculous", "absurd", "childish", "immature", "rude",
    "entitled", "clown", "clowns", "loser", "losers", "troll", "trolls", "liar", "liars", "lying", "crazy",
    "insane", "delusional", "hysterical", "dramatic", "annoying", "useless", "hopeless case", "incompetent",
    "lazy", "brainless", "dense", "thick", "slow", "naive", "paranoid", "unhinged", "a joke", "embarrassing",
    "a karen", "karen", "a pain", "impossible", "unbelievable", "hilarious", "cute", "adorable", "funny",
)


def _insult_words() -> list[str]:
    """The curated insults plus VADER's strongly negative words (valence <= -2), feelings left out."""
    lexicon = resources.files("vaderSentiment").joinpath("vader_lexicon.txt").read_text(encoding="utf-8")
    vader = []
    for line in lexicon.splitlines():
        fields = line.split("\t")
        if len(fields) >= 2 and fields[0].isalpha() and float(fields[1]) <= -2.0 and fields[0] not in _FEELINGS:
            vader.append(fields[0])
    return sorted({*_CURATED_INSULTS, *vader}, key=len, reverse=True)


INSULT = "(?:" + "|".join(re.escape(w) for w in _insult_words()) + ")"
PROFANITY = words(
    r"f+u+c+k+\w*", r"fck\w*", r"fk", "wtf", "stfu", "gtfo", r"shit\w*", r"bullshit\w*", "bs", "crap", "crappy",
    "damn", "dammit", "goddamn", r"bastard\w*", r"asshole\w*", r"arse\w*", r"bitch\w*", "piss off",
    r"pissed off", "screw you", "screw off", "bloody hell", "bollocks", r"wanker\w*", r"twat\w*", "ffs", "jfc",
    r"douche\w*", r"jackass\w*", "dick", "dicks", "dickhead", "dumbass", "smartass", "smart ass", "hell no", "the hell", "the heck",
)

EMPATHY = re.compile(
    words(
        r"sorry", r"apolog\w*", r"regret\w*", r"understand\w*", r"hear you", r"we hear", r"frustrat\w*",
        r"inconvenien\w*", r"appreciate\w*", r"thank\w*", r"thx", r"ty", r"we know how", r"must (?:be|have been)",
        r"not (?:the experience|what (?:you|we))", r"feel\w*", r"concern\w*", r"disappoint\w*", r"upset\w*",
        r"we get it", r"totally get", r"fair point", r"you(?:'re| are) right", r"valid", r"empath\w*",
        r"our (?:fault|mistake|bad)", r"we (?:messed|got it wrong|dropped the ball|let you down)", r"that's on us",
        r"we owe you", r"unacceptable", r"shouldn't have happened", r"should not have happened", r"glad",
    )
)
NEXT_STEP = re.compile(
    words(
        r"dm\w*", r"direct message\w*", r"private message", r"message us", r"inbox", r"contact\w*", r"reach(?:ing)? out",
        r"reach us", r"call us", r"call our", r"email us", r"e-mail", r"visit", r"link", r"https?", r"www", r"check\w*",
        r"updat\w*", r"we(?:'ll| will) \w+", r"we(?:'re| are) (?:on it|looking|working|investigating|checking|fixing|rolling|monitoring|here|sending|refunding|replacing|restoring)", r"(?:team|engineers?|crew|colleagues?) (?:is|are|will|has|have)",
        r"investigat\w*", r"looking into", r"look into", r"working on", r"fix\w*", r"refund\w*", r"replac\w*",
        r"resolv\w*", r"status page", r"expect\w*", r"within", r"by (?:tomorrow|tonight|monday|tuesday|wednesday|"
        r"thursday|friday|saturday|sunday|\d)", r"next \w+", r"here(?:'s| is| are)", r"see (?:our|the|here|below|pinned)",
        r"try\w*", r"please (?:restart|update|reinstall|clear|log|sign|re)\w*",
        r"follow (?:us|the (?:link|steps|instructions|guide)|these|our (?:guide|steps|account))", r"stay tuned",
        r"back (?:up|online|to normal)", r"restored", r"live now", r"is live", r"rolling out", r"rolled out",
        r"help\w*", r"support", r"faq", r"guide", r"steps?", r"tap", r"go to", r"head to", r"open a", r"ticket",
        r"in touch", r"get back", r"shortly", r"asap", r"soon", r"today", r"tonight", r"tomorrow", r"monitor\w*",
    )
    + r"|@\w+|\b\d{1,2}(?::\d\d)?\s?(?:am|pm|utc|gmt|cet)\b"
)

# Someone moving the exchange to a private channel in the same sentence.
DIRECT_MESSAGE = re.compile(
    words(r"dm\w*", r"direct(?:ly)? messag\w*", r"private(?:ly)?(?: message\w*)?", r"inbox", r"secure form", r"by email")
)
NEGATION_BEFORE = re.compile(r"(?:\bnot|n't|\bnever|\bno|\bnor)\W+(?:\w+\W+){0,2}$")

_you = "you"
RULES: tuple[Rule, ...] = (
    # aggressive
    rule("aggressive", PROFANITY, "“{excerpt}” is profanity; a brand reply never swears at or near a customer."),
    rule("aggressive", words(r"you (?:people|guys are|lot)", r"people like you", r"customers like you", r"your kind",
                             r"you all (?:are|need)", r"y'all are"),
         "“{excerpt}” talks down to the customer; address them directly and respectfully."),
    rule("aggressive", YOU_ARE + r"\s+" + INTENSIFIER + r"(?P<hit>" + INSULT + r")\b",
         "“{excerpt}” calls the customer names; describe the problem, not the person."),
    rule("aggressive", r"\b(?:your|these|such|what an?|the|this|that|" + _you + r")\s+(?:" + INSULT + r")\s+(?:customers?|people|"
         r"person|users?|complaints?|comments?|tweets?|posts?|rants?|attitude|behaviou?r|question|whining|messages?)\b",
         "“{excerpt}” insults the customer or what they wrote; stay on the facts."),
    rule("aggressive", words(r"(?:shut|shut your) (?:up|mouth|it)", r"zip it", r"get lost", r"go away", r"get a life",
                             r"grow up", r"grow a (?:brain|pair)", r"learn to read", r"learn how to read", r"can(?:'t|not) you read",
                             r"can you (?:even|not) read", r"use your (?:brain|head|eyes)", r"take your business elsewhere",
                             r"go (?:somewhere|elsewhere) else", r"nobody (?:asked|cares)", r"no one (?:asked|cares)",
                             r"who cares", r"stop (?:whining|crying|complaining|moaning|spamming|being)",
                             r"quit (?:whining|crying|complaining|moaning)", r"cry (?:me a river|more|about it)", r"boo hoo",
                             r"how dare you", r"(?:that|this)(?:'s| is) (?:ridiculous|absurd|nonsense|rubbish|garbage|pathetic)",
                             r"what(?:'s| is) wrong with you", r"are you (?:serious|kidding|stupid|dumb|blind|crazy)",
                             r"don't be (?:silly|stupid|ridiculous|dramatic|childish|rude|an idiot|a baby)",
                             r"(?:you(?:'re| are)|stop) (?:lying|trolling)", r"(?:a|such a|total) (?:lie|lies)",
                             r"get (?:over yourself|a grip)", r"(?:nobody|no one) (?:forced|made|asked) you", r"(?:shop|go|take it|buy|look) elsewhere",
                             r"(?:keep|go on|go ahead and) (?:crying|whining|complaining|moaning)", r"unfollow us", r"don't (?:like it|like us),? (?:then )?(?:leave|go)"),
         "“{excerpt}” is hostile; a calm, factual sentence carries the message better."),
    # blame
    rule("blame", words(r"(?:it's|it is|its|that's|that is|this is|all) your (?:own )?fault", r"your (?:own )?(?:fault|mistake|"
                        r"error|problem)", r"user error", r"operator error", r"pebkac", r"(?:that's|this is|it's|that is) on you", r"(?:a|sounds like a|that's a) you problem",
                        r"(?:it's|they're|instructions are|it is|that's|everything is|it was) (?:literally|clearly|all) (?:on|in|written|printed|"
                        r"explained|spelled out)"),
         "“{excerpt}” blames the customer; own what is yours and help with the rest.", negatable=True),
    rule("blame", words(r"you (?:should|could)(?:'ve| have) (?:read|checked|known|updated|followed|looked|listened|called|asked|contacted|"
                        r"paid attention|been more careful|thought|noticed|seen|realised|realized)", r"if (?:only )?you(?:'d| had| would have) "
                        r"(?:read|checked|followed|updated|listened|bothered|paid attention|looked|done|taken)", r"if you (?:actually|"
                        r"bothered|had bothered|took the time|paid attention)", r"(?<!if )you (?:clearly |obviously |simply |just )?"
                        r"(?:didn't|did not|failed to|never|forgot to|neglected to|refused to|ignored|misread|misunderstood) "
                        r"(?:read|follow|check|update|understand|pay attention|bother|listen|look|install|configure|charge|"
                        r"restart|save|the)\w*", r"you (?:clearly|obviously|simply) (?:don't|can't|cannot|do not) \w+",
                        r"you (?:don't|can't|cannot|do not) (?:read|understand (?:simple|basic|how)|follow (?:simple|basic|the))"),
         "“{excerpt}” puts the fault on the customer; explain what to do instead of what they did wrong."),
    rule("blame", words(r"you(?:'re| are) (?:using|doing|holding|reading|installing) (?:it|this|that|them) (?:wrong|incorrectly)",
                        r"(?:using|doing) it wrong", r"you (?:caused|broke|damaged|messed up|screwed up|created) (?:this|it|that|"
                        r"the)", r"because (?:of )?you (?:didn't|did not|failed|ignored|chose|decided)",
                        r"(?:problem|issue|fault|error) (?:is|lies|was) (?:clearly |obviously |entirely |on |)?(?:on your (?:end|side)|"
                        r"with your|in your)", r"you (?:must|probably|obviously) (?:have |'ve )?(?:done|entered|typed|clicked|misread|"
                        r"deleted|changed|forgot)", r"read the (?:manual|faq|instructions|terms|fine print|t&cs|label)",
                        r"rtfm", r"(?:try|maybe|next time,?) (?:read|reading|check|checking|pay|paying) (?:the|more)",
                        r"you (?:people )?(?:never|always) (?:read|listen|check)", r"blame (?:yourself|your)"),
         "“{excerpt}” blames the person who complained; help them fix it instead.", negatable=True),
    # dismissive
    rule("dismissive", words(r"calm down", r"(?:just |please )?relax(?=[.!,]|\s*$)", r"(?:just |please )chill(?: out)?", r"chill out", r"take a (?:deep )?breath", r"settle down",
                             r"(?:you(?:'re| are) )?over ?react\w*", r"(?:you(?:'re| are) )?exaggerat\w*", r"(?:don't|do not) (?:be|get) "
                             r"(?:so )?(?:upset|angry|worked up|emotional|dramatic|mad|offended|hysterical|sensitive)",
                             r"no need to (?:be|get) (?:so )?(?:upset|angry|rude|dramatic|worked up|mad|aggressive|emotional)",
                             r"(?:not|no) (?:a |that |such a |that much of a )?big (?:deal|of a deal)", r"no biggie",
                             r"(?:just|only|merely) (?:a |one |an? )?(?:minor|small|tiny|little|slight|few) (?:issue|glitch|delay|"
                             r"inconvenience|thing|problem|hiccup|bug|minutes?|hours?|bit)", r"minor inconvenience",
                             r"first world problem\w*", r"get over it", r"move on", r"deal with it", r"live with it", r"these things happen",
                             r"(?:stuff|shit|sometimes it) happens", r"not the end of the world", r"you(?:'ll| will) (?:live|survive|be fine)",
                             r"(?:you(?:'re| are)|you seem to be) (?:the only|literally the only) (?:one|person|customer)",
                             r"(?:no ?one|nobody) else (?:is|has|seems|had|complained|reported)", r"everyone else (?:is|seems|has|can)",
                             r"(?:out of|blow\w*) (?:\w+ )?(?:out of )?proportion", r"making (?:a )?(?:big )?(?:fuss|scene|drama)",
                             r"(?:that's|that is) (?:just )?your opinion", r"if you say so", r"it is what it is",
                             r"sorry (?:that |if )?you (?:feel|felt|think|thought|see it|were offended|took)",
                             r"sorry if (?:you|anyone) (?:feel|felt|was|were|got) (?:offended|upset|hurt)", r"no need to panic",
                             r"wait (?:like|as|just like) everyone else", r"like everybody else", r"(?:we|i) don't have time for",
                             r"we have better things", r"not worth (?:our|the|my) time", r"too busy for", r"(?:just|simply) be patient",
                             r"you(?:'ll| will) (?:just )?have to wait", r"take it or leave it", r"not our concern",
                             r"(?:so|too|a bit|being|very|a little) (?:dramatic|theatrical)",
                             r"(?:complaining|ranting|tweeting|shouting|yelling|posting) (?:on|about|here|at us)\b[^.!?]{0,20}? (?:won't|will not|"
                             r"doesn't|does not|isn't going to) (?:get|make|help|change|speed)", r"(?:not sure )?what (?:did )?you expect(?:ed)?",
                             r"take it up with" r"drama queen", r"theatrics", r"(?:no need for|enough with|cut) the drama", r"(?:don't|do not|stop) (?:take it|taking it) (?:so )?personal\w*",
                             r"(?:it|this|that) (?:doesn't|does not) (?:really )?matter(?=[.!]|\s*$)", r"(?:^|[.!?]\s*)whatever(?=[.!,]|\s*$)"),
         "“{excerpt}” minimises the customer's concern or tells them how to feel; acknowledge it instead.",
         negatable=True),
    rule("dismissive", words(r"(?:this|so|that|all this|such) much (?:drama|fuss|noise)", r"worth (?:all )?(?:this|the|that|so much) "
                             r"(?:drama|fuss|outrage|noise|attention|energy)", r"(?:such|a) (?:fuss|drama) (?:over|about)"),
         "“{excerpt}” minimises the customer's concern; acknowledge it instead."),
    rule("dismissive", words(r"as (?:we(?:'ve| have)?|i(?:'ve| have)?) (?:already|previously|repeatedly) (?:said|stated|explained|"
                             r"mentioned|told|pointed out|answered|noted|clarified)", r"as (?:already|previously) (?:stated|said|explained|"
                             r"mentioned)", r"(?:told|explained|said|answered|mentioned|stated|repeated|replied|clarified)\w* (?:this |that |it |you |to you )?(?:\w+ )?(?:several|many|multiple|countless|numerous|three|two|so many|a dozen|a hundred|a million) times",
                             r"yet again,? as", r"for the (?:\w+th|hundredth|millionth|last|third|fifth) time",
                             r"per (?:my|our) (?:last|previous) (?:reply|message|tweet|post|email)", r"(?:again|already),? as (?:we|stated)",
                             r"(?:we(?:'ve| have)|i(?:'ve| have)) (?:already )?(?:explained|answered|told you|said) (?:this|that|it) "
                             r"(?:already|before|several|many|multiple|repeatedly|twice)",
                             r"how many times", r"(?:we(?:'ve| have)|i(?:'ve| have)) already (?:explained|answered|told|said|replied)"),
         "“{excerpt}” sounds impatient (passive aggression); answer as if for the first time."),
    # defensive
    rule("defensive", words(r"(?:not|n't|isn't|wasn't|never|in no way) (?:our|my|the company's) (?:fault|problem|responsibility|"
                            r"issue|concern|doing|mistake)", r"(?:we(?:'re| are)|we were) not (?:to blame|responsible|at fault|liable|"
                            r"accountable)", r"we (?:did|have done|'ve done|do) (?:nothing|not do anything) wrong", r"nothing to do with us",
                            r"not on us", r"(?:that|this|it) (?:never|didn't|did not) happen\w*", r"we (?:never|did not|didn't) "
                            r"(?:do|did) (?:that|anything)", r"(?:that's|that is|this is|it is|it's|you(?:'re| are) (?:spreading|telling)) (?:simply |just |completely |totally |"
                            r"utterly |an? (?:outright |blatant |complete )?)?(?:lies?|fake news|fabricat\w*|slander|nonsense|rubbish|garbage|made up)",
                            r"we (?:refuse|decline) to (?:apologi[sz]e|accept|take)", r"(?:no|nothing to) apologi[sz]e for",
                            r"we (?:won't|will not|don't) apologi[sz]e", r"we take no (?:responsibility|blame)",
                            r"(?:not|no) (?:our|my) (?:problem|job)", r"(?:not|nothing|isn't|is not|wasn't|was not) (?:related|linked|connected|due) to "
                            r"(?:our|us|anything we)", r"(?:isn't|is not|wasn't|was not|not) on our (?:side|end)",
                            r"(?:no|won't be|will not be|not be) (?:commenting|comment) further", r"no further comment", r"blame (?:the|your) (?:courier|carrier|bank|provider|isp|"
                            r"network|phone|device)", r"don't blame us", r"(?:stop|quit) blaming us"),
         "“{excerpt}” denies responsibility; acknowledge the concern first, then set out the facts."),
    rule("defensive", words(r"(?:there(?:'s| is| was)|we (?:see|found|have)) (?:absolutely |simply )?no (?:issue|problem|outage|"
                            r"bug|fault|error|evidence)", r"(?:our )?(?:app|service|system|systems|site|website|product|platform|network"
                            r"|servers?) (?:is|are|was|were) (?:working|running) (?:fine|perfectly|normally|as (?:intended|designed|"
                            r"expected))", r"works? (?:fine|perfectly|as (?:intended|designed|expected)) (?:for|on) (?:us|our|everyone|millions|most)",
                            r"(?:app|service|system|site|website|product|platform|network|server)s? (?:works?|worked|runs?|ran) (?:fine|"
                            r"perfectly|normally|flawlessly|as (?:intended|designed|expected))",
                            r"(?:everything|all) (?:is|was) (?:working )?(?:fine|normal|ok|okay) on our (?:end|side)",
                            r"we (?:fully |completely |firmly )?stand by (?:our|the|this|it|their|that|them)",
                            r"followed (?:the |our |all |standard |correct )?(?:procedure|policy|protocol|rules|process)\w*", r"(?:that's|that is|this is|it is|it's|this claim is|these claims are) "
                            r"(?:simply |just |completely |totally |utterly )?(?:false|untrue|not true|baseless|unfounded|misleading|incorrect)", r"our (?:policy|terms) (?:is|are) (?:clear|final)",
                            r"(?:we|i) (?:never|did not|didn't) (?:promise|say|said|guarantee)\w*", r"we followed (?:the|all|our) "
                            r"(?:rules|procedures|process)", r"by the book", r"within our rights"),
         "“{excerpt}” is a bare denial; without acknowledging the concern it reads as defensive.", weak=True),
    # sarcasm
    rule("sarcasm", SARCASTIC_EMOJI + r"|\b(?:smh|eye ?roll)\b|(?<!\w)/s\b",
         "“{excerpt}” reads as mocking; leave out eye-rolls and smirks."),
    rule("sarcasm", words(r"(?:wow|oh|well|gee|golly|bravo),? (?:great|good job|nice|brilliant|amazing|genius|impressive|"
                          r"what a|well done|wonderful)", r"(?:great|good|nice|brilliant|amazing|stellar) (?:job|work|one) "
                          r"(?:on |at )?(?:reading|using|following|figuring|trying|finding|noticing|breaking|clicking|pressing|typing)\w*",
                          r"nice try", r"congrat\w* on (?:finally|discovering|reading|figuring|noticing|finding|learning)",
                          r"(?:we|i) know (?:reading|thinking|math|spelling|technology|this|it|that)(?: stuff)? (?:is|can be|must be) "
                          r"(?:hard|difficult|tough|confusing)", r"(?:reading|thinking|listening|scrolling) is (?:hard|difficult|tough)",
                          r"must be nice", r"who (?:knew|would have thought|would've thought)",
                          r"what a (?:surprise|shock|concept|genius)", r"surprise,? surprise", r"shocking,? (?:i|we) know",
                          r"(?:sure|yeah|right|okay|ok),? (?:because|like that|jan|buddy|pal|champ|sweetie|honey|darling)",
                          r"genius(?! bar)", r"einstein", r"sherlock", r"captain obvious", r"rocket science", r"bless your (?:heart|soul)",
                          r"good luck with that", r"how (?:shocking|original|surprising|clever)", r"(?:sweetie|sweetheart|honey|"
                          r"darling|buddy|pal|champ|kiddo|hun)\b", r"thanks for (?:the|your) (?:patience|feedback|input|insight|"
                          r"concern|opinion|essay|novel|lecture)(?:,|\.|!)? (?:genius|einstein|sherlock|we know|as if|really|"
                          r"though|not|but we|but you|clearly|obviously)", r"(?:thanks|thank you),? captain",
                          r"(?:apparently|clearly|obviously) (?:some people|someone|somebody|you)", r"if (?:you )?(?:had )?(?:ever )?"
                          r"bothered to", r"you don't say", r"ah,? yes,? the", r"(?:^|[.!]\s*)(?:truly |how )?(?:fascinating|riveting|groundbreaking)(?=[.!]|$)",
                          r"thanks for the (?:essay|novel|lecture|life story|sermon|rant|speech|tedtalk|ted talk)", r"how will you survive", r"no (?:kidding|shit),? sherlock", r"tell us something we don't know",
                          r"(?:oh )?(?:how|so) (?:sad|tragic|terrible)(?:,| for you)", r"must be nice", r"(?:all|a whole) (?:two|five|"
                          r"ten|three) (?:minutes|seconds|hours)", r"the horror", r"cry harder", r"oh no,? (?:anyway|how terrible)",
                          r"we(?:'ll| will) alert the (?:media|press)", r"stop the presses", r"(?:world(?:'s)?|smallest) violin",
                          r"(?:you(?:'re| are)|what) a (?:real )?(?:gem|treasure|delight|ray of sunshine|peach)"),
         "“{excerpt}” is sarcastic; say plainly what you mean and what will happen next."),
    # threat
    rule("threat", words(r"legal (?:action|steps|proceedings|measures|consequences|team|department|counsel)", r"(?:take|taking|pursue|"
                         r"pursuing|seek|seeking) (?:legal|further) (?:action|steps|remedies)", r"(?:our|my) (?:lawyers?|attorneys?|"
                         r"solicitors?|legal (?:team|department|counsel))", r"(?:sue|suing) you", r"we(?:'ll| will| may| might| can|'d| could| won't hesitate to)(?: have to| not hesitate to)? (?:sue|report|ban|"
                         r"block|suspend|blacklist|press charges against|take (?:legal )?action against|pursue) (?:you|your|this)",
                         r"if you (?:\w+ ){0,6}?we(?:'ll| will| may| might| shall| have to) (?:ban|block|suspend|close|terminate|delete|"
                         r"cancel|report|sue|remove|take|restrict)", r"we(?:'ll| will| may)? (?:call|involve|get) the (?:police|authorities)",
                         r"see you in court", r"in court", r"defamat\w*", r"libel\w*", r"slander\w*", r"cease and desist",
                         r"(?:delete|remove|take down) (?:this|that|your|the) (?:tweet|post|review|comment|video|thread)s?(?:,)? "
                         r"(?:or|before|now|immediately|within)", r"or else", r"you(?:'ll| will) (?:regret|be sorry|pay for)",
                         r"watch (?:yourself|your (?:mouth|tone|step|back)|what you (?:say|post|write))", r"be careful what you",
                         r"we know (?:where|who) you", r"(?:face|suffer) (?:the )?consequences", r"there will be consequences",
                         r"report you to", r"(?:your|this) account (?:will|may|could) be (?:banned|blocked|suspended|closed|terminated|"
                         r"deleted)(?: if| unless| for (?:posting|spreading|this))", r"(?:banned|blocked|blacklisted) you", r"press charges",
                         r"last warning", r"final warning", r"you have been warned", r"don't (?:make us|test us|push (?:us|it))"),
         "“{excerpt}” threatens the customer; a public reply never threatens, even when the brand is right."),
    # private data: asking for it in public
    rule("private_data", r"\b(?:send|share|give|provide|tell|post|reply|comment|write|drop|confirm|need|include|type|enter|"
         r"verify|list|put|leave|ask\w* (?:you )?for)\w* (?:us |me |here |below |in the comments )?(?:with )?your (?:full |complete |"
         r"whole |long |16.digit |last \w+ digits of your |)(?P<hit>(?:credit |debit |bank )?card (?:number|details|info\w*|no)|"
         r"cvv\d?|cvc|security code|password|passcode|pin(?: code| number)?|one.time (?:code|password)|otp|verification code|sms code|"
         r"login (?:details|credentials)|credentials|social security(?: number)?|ssn|passport (?:number|details)|mother's maiden name|"
         r"online banking)\b",
         "“{excerpt}”: never ask for this, in public or in private; no one at the brand needs a password, PIN or full card "
         "number.", negatable=True),
    rule("private_data", r"\b(?:send|share|give|provide|tell|post|reply|comment|write|drop|confirm|include|type|list|put|"
         r"leave)\w* (?:us |me |here |below |in the comments |publicly )?(?:with )?your (?:full |complete |"
         r"home |)(?P<hit>(?:home |full |postal |billing |delivery )?address|phone(?: number)?|mobile(?: number)?|cell(?: number)?|"
         r"email(?: address)?|date of birth|dob|birthday|national id(?: number)?|id number|tc (?:kimlik|no)\w*|account number|iban|"
         r"sort code|policy number|full name)\b",
         "“{excerpt}” asks for personal data in public; ask them to send it by direct message instead.", dm_ok=True,
         negatable=True),
    rule("private_data", r"\bwhat(?:'s| is) your (?:full |home |)(?P<hit>(?:home |full |postal |delivery )?address|phone(?: number)?|"
         r"mobile(?: number)?|email(?: address)?|date of birth|account number|card number|password|pin)\b",
         "“{excerpt}” asks for personal data in public; ask them to send it by direct message instead.", dm_ok=True),
)
