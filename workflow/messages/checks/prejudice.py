"""``legal.prejudicial``: once proceedings are active (from arrest), wording that
presumes guilt, reports a confession, weighs the evidence or a witness, or
mentions previous convictions or bad character."""
from __future__ import annotations

import re

from workflow.messages.checks.findings import SERIOUS, Contacts, Context, Finding, finding
from workflow.messages.checks.text import Post

CODE = "legal.prejudicial"
ACTION = ("Keep to the facts: who was arrested or charged (as the guidance allows), with what, and when "
          "they appear in court. Take out anything the court will have to decide.")
_KINDS = [
    ("confession", "reports a confession or admission",
     r"confess(?:ed|ion)|made (?:full |partial )?admissions?|admitted (?:to )?(?:the |his |her |their )?"
     r"(?:attack|killing|stabbing|assault|robbery|burglary|murder|crime|offences? to officers)|"
     r"admitted (?:to )?(?:starting|setting|stabbing|hitting|killing|attacking|taking|stealing|causing|"
     r"punching|kicking|driving|dealing|selling|breaking|damaging|carrying|having|being)\b|"
     r"admitted (?:to (?:officers|police|detectives) )?(?:that )?(?:he|she|they) (?:had )?(?:started|did|"
     r"killed|"
     r"stabbed|attacked|took|set|caused|stole|hit)|"
     r"admitted (?:to (?:interviewing |arresting |the )?(?:officers|police|detectives|us) )?(?:at the scene |in interview |when (?:arrested|"
     r"questioned) )?(?:that|what|how|where|why) (?:he|she|they)\b|"
     r"after admitting (?:to )?(?:the |his |her |their |it|that)|admitt(?:ed|ing) (?:to )?(?:the |his |her |their )?"
     r"[\w-]+ (?:when|while|during|in) (?:interviewed|interview|questioned|questioning)|"
     r"told (?:officers|police|detectives|the arresting officers?)(?: at the scene| when (?:he|she|they) "
     r"(?:was|were) arrested| in interview)? (?:that )?(?:he|she|they)\b"),
    ("confession", "reports what a suspect told officers, which is for the court",
     r"(?:told|showed|led|took) (?:officers|police|detectives|us) (?:where|how|why|what|to the (?:spot|"
     r"place))|"
     r"(?:bragged|boasted) (?:about|that|to)|(?:has|have|had|he|she|they) admitted (?!to hospital)(?:to )?"
     r"(?:\w+ing|the|his|her|their|it|that|being|carrying|stealing|all|everything|them|both|each|several|"
     r"a number|the lot)\b"),
    ("evidence", "reports forensic or other evidence, which is for the court",
     r"(?:forensic\w*|dna|blood|fingerprints?|ballistic\w*|phone records|cell ?site|"
     r"test results?)\b[^.]{0,60}?"
     r"\b(?:belongs? to|match(?:es|ed)?|links?|linked|shows?|showed|proves?|proved|confirms?|confirmed|"
     r"places?)"),
    ("evidence", "reports what footage or evidence shows the accused doing, which is for the court",
     r"(?:cctv|footage|video|film|images?|camera|dash-?cam|bodycam|body-worn)\b[^.]{0,30}?\b(?:clearly |"
     r"plainly |quite clearly |definitely )?(?:shows?|showed|captures?|captured|proves?|caught)\b[^.]{0,20}?"
     r"\b(?:him|her|them|the (?:accused|defendant|suspect|man|woman)|(?-i:[A-Z])[\w'’]+) "
     r"(?:attacking|stabbing|hitting|punching|kicking|stealing|taking|driving|setting|throwing|"
     r"carrying|breaking|assaulting|robbing|smashing|running|fleeing|committing)\b"),
    ("evidence", "weighs the evidence or a witness, which is for the court",
     r"confident (?:of|that we will (?:get|secure)) (?:a )?(?:conviction|guilty verdict)|"
     r"(?:pick|picked|picking|singled) (?:him|her|them) out|identified (?:him|her|them) (?:as|from)|"
     r"(?:the )?scale of (?:his|her|their)|(?:his|her|their) "
     r"(?:dealing|offending|crimes|criminal (?:activity|enterprise|business))|"
     r"(?:was|were) (?:recovered|found|seized) (?:from|in|at) (?:his|her|their) (?:car|home|house|flat|van|"
     r"bedroom|pockets?|possession|address|phone)|dna (?:matched|links|linked|evidence)|fingerprints? "
     r"(?:matched|linked|on)|(?:cctv|footage|camera) (?:captured|caught|recorded|filmed) (?:him|her|them)|"
     r"we (?:know|are sure|are certain) (?:he|she|they)|(?:the )?(?:man|woman|person) who (?:did|carried out|"
     r"committed) (?:this|it)|(?:got|caught) (?:the|our) (?:culprit|offender|man|woman)"),
    ("guilt", "presumes the guilt of someone not yet convicted",
     r"(?:is|are|was|were) (?:now |finally )?off (?:our|the) streets|where (?:he|she|they) belongs?|"
     r"(?:the|a|this|his|her) (?:killer|murderer|gunman|gunmen|knifeman|shooter|rapist|paedophile|predator|culprit|offender|thug|coward|"
     r"monster|attacker|robber|burglar|thief|thieves|burglars|abuser|arsonist)s?|"
     r"(?:the |those )?(?:man|woman|person|people|men|youths?) responsible|"
     r"(?:a |this )?(?:dangerous(?: and violent)?|violent(?: and dangerous)?) (?:man|woman|individual|"
     r"offender|criminal|predator|thug)|"
     r"(?:man|woman|men|women|individual|offender|criminal|him|her|them|pair|gang) (?:is |are )?(?:finally |"
     r"now )?off (?:our|the) streets|(?:got|get|getting|have got|has got|received) the justice (?:they|she|he|"
     r"the victims?) (?:deserve|deserves|deserved)|"
     r"(?:carried out|committed|behind) (?:this|the|these) (?:horrific |vicious |cowardly |brutal )?"
     r"(?:attack|crime|offences?|murder|killing|robbery|assault)|"
     r"(?<!not )(?<!found )(?<!pleaded )(?<!pleading )(?<!pleads )(?<!plead )(?<!a )guilty(?! pleas?\b)|"
     r"(?:(?:this|these|the|a) (?:dangerous|violent|ruthless|cruel)|vile|evil|sick|depraved|despicable|"
     r"heartless|"
     r"callous|twisted|wicked) (?:individual|man|woman|"
     r"person|people|thugs?|criminals?|offenders?|predators?|monsters?|attack|crime)s?|preyed on|"
     r"terroris(?:ed|ing)|(?:rest|sleep|feel safe) (?:a (?:bit|little|lot) )?easy|(?:rest|sleep) (?:a (?:bit|"
     r"little|lot) )?easier|thorn in (?:the|this|our|their|its) (?:[\w'’]+ )?side|facing the music|"
     r"had it coming|got what (?:he|she|they) deserved?|"
     r"(?:him|her|them|(?:this|the|a|these) (?:man|woman|men|thugs?|offenders?|criminals?)) off (?:our|"
     r"the) streets|"
     r"justice (?:will be|has been|is) (?:served|done)|(?:he|she|they)(?:'s|'re| is| are| was| were) off "
     r"(?:our|the) streets|(?:clearly|obviously|undoubtedly|definitely) (?:guilty|responsible|to blame)|"
     r"(?:he|she|they) (?:was|were|is|are) (?:solely )?(?:responsible|to blame) for|"
     r"(?:has|have|had) (?:previously |already )?been (?:jailed|convicted|to prison|inside|in prison)|"
     r"(?:notorious|infamous) (?:for|in)|caught on (?:camera|cctv|video) (?:stealing|attacking|hitting|"
     r"punching|kicking|robbing|breaking|assaulting|stabbing|setting)|"
     r"(?:the|a) (?:man|woman|person|men|women|pair|driver|teenager|youths?) who (?:attacked|stabbed|killed|"
     r"murdered|robbed|"
     r"raped|sexually assaulted|assaulted|hit|punched|kicked|burgled|mugged|conned|scammed|defrauded|abused)|"
     r"(?:who|that)(?:'s| has| have) been (?:targeting|terrorising|preying on|plaguing)|"
     r"answer for what (?:he|she|they) did|what (?:he|she|they) did to|for (?:his|her|their) crimes|"
     r"had (?:the )?stolen|(?:was|were) driving at|had been drinking|was (?:drunk|over the limit)|"
     r"admitted (?:everything|it all|the (?:offence|crime|attack)s?|(?:his|her|their) (?:guilt|part))|"
     r"(?:more|other) victims of (?:this|the) (?:man|woman|person)|"
     r"(?:spent|used|blew) the (?:money|cash|proceeds|stolen \w+) (?:on|to)|"
     r"brought to justice|his victims?|her victims?|their victims?|got (?:our|the) (?:man|woman)"),
    ("deed", "states as fact what someone arrested or charged did",
     r"(?:won't|will not|wont) be (?:nicking|stealing|burgling|dealing|robbing|breaking into|pinching|"
     r"selling|targeting) (?:any ?more|anything|again)|"
     r"(?:he|she|they|the (?:man|woman|suspect|defendant|accused|pair|men|women)) (?:then |had |has )?"
     r"(?:stole|attacked|stabbed|killed|murdered|punched|kicked|robbed|assaulted|threatened|targeted|"
     r"broke into|set fire to|raped|abused|groomed|lured|preyed on|drove at|deliberately|knowingly)|"
     r"(?:he|she|they) (?:has|have|had) (?:conned|scammed|defrauded|duped|fleeced|ripped off|swindled)|"
     r"(?:the (?:trio|pair|duo|gang|group|men|women|three|four|brothers)|he|she|they) (?:has|have|had) been "
     r"(?:running|dealing|supplying|selling|operating|flooding|targeting|terrori[sz]ing|stealing|exploiting|"
     r"grooming|conning|scamming|defrauding)\b|"
     r"(?:the|a) (?:lad|man|woman|bloke|guy|lass|pair|gang|youths?|lads|men) (?:who|that)(?:'s| has| have| had|"
     r"’s) been (?:nicking|stealing|dealing|burgling|robbing|targeting|terrori[sz]ing|breaking into|"
     r"pinching|selling|causing)\b|finally (?:in custody|caught|behind bars|nabbed|locked up|off the streets)"),
    ("evidence", "weighs the evidence or a witness, which is for the court",
     r"(?:overwhelming|strong|clear|damning|conclusive|compelling|irrefutable) evidence|"
     r"(?:the )?evidence (?:shows|proves|confirms)|(?:which|this|that) (?:proves|confirms|shows) (?:he|she|"
     r"they|"
     r"his|her|their)\b|"
     r"evidence (?:against (?:him|her|them) )?(?:is|was) (?:overwhelming|strong|clear|damning|conclusive)|"
     r"caught (?:[\w'’]+ ){0,3}?(?:red[- ]handed|in the act|bang to rights|on (?:cctv|camera|video|film) "
     r"\w+ing)|bang to rights|(?:cctv|footage|"
     r"video) (?:clearly )?shows (?:him|"
     r"her|them|the (?:man|woman|suspect))|"
     r"no doubt|open[- ]and[- ]shut|(?:reliable|credible|key|star|vital|crucial) witness|"
     r"match(?:es|ed|ing)? (?:exactly |perfectly |closely )?the description|(?:was|were) picked out by|"
     r"(?:cctv|footage|video|dash-?cam|camera|bodycam)\b[^.]{0,20}?\b(?:shows?|showed|proves?|proved) (?:that )?"
     r"(?:he|she|they|the (?:man|woman|driver|suspect|defendant)) (?:was|were|had|did)\b|"
     r"evidence\b[^.]{0,30}?\b(?:is|was|are|were) (?:overwhelming|strong|compelling|damning|conclusive|clear|"
     r"watertight)|(?:completely|totally|entirely|very|highly) (?:credible|reliable|believable|truthful)|"
     r"confident (?:this|it|that|the case)(?: one| case)? (?:will|'ll|’ll) (?:end in|lead to|result in|secure|get)|"
     r"(?:rock-solid|watertight|cast-iron|bulletproof) (?:statement|evidence|case|witness)|"
     r"speaks? for (?:itself|themselves)|(?:will|'ll|’ll|would|could) be (?:crucial|vital|key|decisive) (?:at|in|to) "
     r"(?:the |his |her |their )?(?:trial|case|prosecution)|(?:has been|was|were|have been|proved|proven) (?:absolutely )?(?:crucial|"
     r"vital|key|instrumental|invaluable) (?:to|in) building (?:our|the) case|(?:is|was|are|were) (?:very |absolutely |quite |completely )?(?:clear|"
     r"certain|sure|adamant|positive) (?:that )?(?:the (?:man|woman|suspect|person|driver) (?:we|who)|he|she|"
     r"they) (?:\w+ )?(?:threw|hit|punched|started|attacked|was|did|stabbed|kicked|took|stole|drove)\b|we(?:'ve|’ve| have) (?:now )?(?:established|found out|confirmed|proved|"
     r"determined) that (?:he|she|they|the (?:arrested|accused|suspected|charged) \w+|the (?:man|woman|driver|"
     r"suspect))\b|(?:was|were) doing (?:well |nearly |almost |about |around )?(?:over |more than )?\d+ ?mph|"
     r"spent the (?:afternoon|evening|day|night|morning) drinking|(?:her|his|their|the (?:victim|complainant|witness)(?:'s|’s)?) "
     r"(?:account|evidence|testimony|statement)s? (?:was|were|is|are|has been|have been) (?:\w+ )?(?:powerful|"
     r"consistent|compelling|credible|honest|truthful|unshakeable|unwavering|clear|convincing)|"
     r"(?:cctv|footage|video|images?|film)\b[^.]{0,40}?\b(?:can (?:clearly )?be seen|is (?:clearly )?seen|"
     r"(?:clearly )?appears?) (?:\w+ )?(?:attacking|stabbing|hitting|punching|kicking|stealing|throwing|"
     r"striking|assaulting|robbing|smashing|setting|driving|carrying|breaking)\b|"
     r"witnesses (?:have )?(?:confirmed|"
     r"identified)"),
    ("character", "mentions previous convictions or bad character",
     r"previous convictions?|(?:long |a )?criminal (?:record|past|history)|"
     r"(?:well )?known to (?:the )?police|"
     r"previous(?:ly)? (?:for|been) (?:jailed|convicted|arrested)|history of (?:violence|offending|abuse)|"
     r"(?:has |with |had )(?:\w+ )?convictions? for|disqualified driver|already (?:banned|disqualified)|"
     r"prolific|already been (?:banned|disqualified|jailed|convicted|cautioned)|"
     r"(?:banned|disqualified|convicted|jailed) (?:twice|three times|(?:\w+ )?times before)|(?:been )?(?:through|before|up before) the courts? (?:for|before|many|several|again)|"
     r"no surprise to (?:us|our|the|anyone)|(?:regular|frequent|familiar) (?:face|visitor) (?:to|at|in) "
     r"(?:our|the) (?:custody|cells|courts?)|"
     r"serial (?:offender|burglar|thief|rapist|abuser|shoplifter|fraudster|stalker|conman|con man)|"
     r"out on licence|"
     r"(?:recently |only just |just )?released from (?:prison|jail|custody)|"
     r"serv(?:ed|ing) (?:a |his |her |their )?(?:\w+ )?(?:sentence|prison term|jail term|term) for|"
     r"(?:a )?similar (?:attack|offence|crime|assault|incident)s? (?:in|before|last|previously)|"
     r"(?:a )?(?:known|violent|dangerous|notorious) (?:criminal|offender|drug dealer|gang member|gang|"
     r"crime group)|"
     r"gang members?|(?:already|was|were) on bail for|breach(?:ed|ing)? (?:of )?(?:his|her|their) licence|"
     r"wanted (?:on warrant )?for other offences|on bail (?:at the time|for (?:another|a separate|other))|"
     r"banned from driving at the time|(?:has|had) form for|(?:a |this |that )?(?:yob|lout|scumbag|crook|scrote|"
     r"toe-?rag|low-?life|wrong '?un)s?|(?:did|done|doing|served) (?:time|a stretch|bird)|not (?:his|her|their) "
     r"first (?:rodeo|time|offence)|"
     r"(?:string|list|history|catalogue|(?<!with a )number|(?<!with a )series|record) of (?:[\w-]+ ){0,3}?(?:convictions|offences|"
     r"offending|"
     r"crimes?|violence|carrying (?:knives|weapons))|"
     r"convictions (?:for|including)|career criminal|(?:the same|similar) (?:type of |kind of |sort of )?"
     r"(?:offending|offences|crimes)(?= (?:in|before|last|previously|\w+ years))|(?:a |the )?known (?:dealer|thief|burglar|shoplifter|"
     r"fraudster|robber|face|troublemaker)|(?:been )?on our radar|(?:his|her|their) (?:drug |criminal |dealing )?"
     r"(?:operation|empire|enterprise|racket)\b|(?:lavish|luxury|luxurious) lifestyle|"
     r"(?:entirely |all )?(?:from|on|with) the proceeds of (?:his |her |their )?crimes?|(?:was|were|been) (?:jailed|convicted|imprisoned|sentenced|locked up) "
     r"(?:\w+ ){0,6}?(?:in (?:19|20)\d\d|last year|(?:\w+ )?years? (?:ago|earlier|before)|"
     r"before(?= *[.,;!]| now| this)|in the past)|the same (?:man|woman|person) "
     r"who (?:was|has been) (?:jailed|convicted|arrested|charged)"),
]
_KINDS.append(
    ("assertion", "adds a claim about the accused or the evidence beyond the bare facts of the case",
     r"previous(?:ly)?|already (?:on|wanted|banned|known|serving|subject)|suspended sentence|on licence|"
     r"recently released|(?:gang|ring) ?leader|ringleader|kingpin|mastermind|behind (?:a|the|this) (?:wave|"
     r"spate|"
     r"string|series|run)|(?:times|over) the (?:legal )?limit|(?:was|were) (?:drunk|high|intoxicated|"
     r"speeding)|"
     r"footage (?:shows|showed|leaves|captured|clearly)|(?:no|little) (?:room for )?doubt|beyond doubt|proof(?! of (?:ownership|purchase|identity|address|age|"
     r"insurance))|"
     r"remorse|laughed|smirk\w*|showed no|cold-blooded|calculated|premeditated|planned (?:the|it|this)|"
     r"deliberate(?:ly)?|motive|jealous\w*|revenge|reoffend\w*|(?:a )?danger to|menace|"
     r"confident (?:we|that|of)|(?:the )?right (?:man|woman|person|people|suspect)|"
     r"(?:had been|was|were|has been) (?:warned|told|cautioned|spoken to) (?:about|before|previously|over)|"
     r"(?:not|wasn't) the first time|repeat(?:ed)? offend\w*|for the (?:second|third|fourth|\w+th) time|"
     r"(?:punched|stabbed|attacked|hit|kicked|assaulted|robbed|raped|abused|threatened|targeted|killed|"
     r"beaten|conned|defrauded)(?: \w+)? by (?:him|her|them|the (?:man|woman|accused|defendant|suspect)|"
     r"(?-i:[A-Z])[\w'’]+)|we know (?:who|he|she|they)|no question|known to (?:our )?(?:officers|us)|"
     r"well[- ]known faces?|familiar faces? to|witnesses (?:describe|described|say|said|have told|told)|"
     r"(?:the )?(?:aggressor|instigator|ringleader)"))
KINDS = [(name, found, re.compile(rf"\b(?:{pattern})\b", re.I)) for name, found, pattern in _KINDS]
ACTIVE = re.compile(r"\b(?:arrest|arrested|under arrest|questioned|interviewed|on bail|bailed|"
                    r"released under investigation|in custody|"
                    r"charged|remanded|(?:due to|will) appear|appeared (?:at|before)|stand trial|"
                    r"awaiting trial|trial|court|confess\w*)\b", re.I)
# "a convicted fraudster": the accused's past, not this case's result.
CONCLUDED = re.compile(r"\b(?:sentenced|jailed|convicted(?! (?:fraudster|criminal|burglar|drug dealer|sex "
                       r"offender|killer|murderer|rapist|thief|paedophile|offender|conman|con man|robber|"
                       r"dealer|abuser|stalker|shoplifter))|found guilty|pleaded guilty|imprisoned|"
                       r"detention order|suspended sentence|community order|behind bars|locked up|pleading guilty|"
                       r"fined|disqualified from driving for|confiscation (?:order|hearing)|ordered to (?:repay|pay)|"
                       r"court of appeal|appeal judges|unduly lenient|(?:criminal behaviour|sexual harm prevention|"
                       r"restraining|compensation) order)\b", re.I)
PAST = re.compile(r"\b(?:already|previous(?:ly)?|earlier|before|still|while|serving|on a|"
                  r"under a|the same (?:man|woman|person) who)\b[^.]{0,30}$", re.I)
# "jailed in 2019", "convicted three years ago": an earlier case, not this one's result.
PAST_AFTER = re.compile(r"^\W*(?:\w+ ){0,6}?(?:in (?:19|20)\d\d|last year|(?:\w+ )?years? (?:ago|earlier|before)|"
                        r"before(?= *[.,;!]| now| this)|in the past)", re.I)
# "Foley will stand trial again in March": a result published while a trial is still to come.
FURTHER_TRIAL = re.compile(r"\b(?:(?:will|is due to|is set to|is expected to|are due to|face|faces|facing) "
                           r"(?:stand |face )?"
                           r"(?:trial again|a (?:second|further|separate|another|new) trial|(?:a )?retrial)|"
                           r"stand trial again|after (?:that|the|his|her|their) (?:second |further |other )?trial "
                           r"(?:has )?(?:concluded|finished|ended)|(?:until|before|after) (?:his|her|their|the|a) "
                           r"(?:second|further|next|other|separate|linked|later) trial|the next jury)\b", re.I)
ALLEGED = re.compile(r"\b(?:alleged(?:ly)?|accused of|suspected of|suspicion of|charged with|claims?|"
                     r"reports? that|believed)\b", re.I)
SUSPECTED = re.compile(r"\b(?:suspicion of|suspected of|alleged(?:ly)?)\s+(?:\w+\s+){0,6}$", re.I)
BECAUSE = re.compile(r"\b(?:after|because|when|since)\s+$", re.I)
CLAIMED = re.compile(r"\b(?:alleged(?:ly)?|accused of|suspected of|claims?|reports? that|believed)\b", re.I)
SEARCHING = re.compile(r"\b(?:find|trace|identify|catch|locate|bring|track down|hunt for|hunting|seeking|"
                       r"looking for|"
                       r"search for|other|second|third)\b[\w\s]{0,12}$", re.I)
WHY = {
    "deed": "What the accused did is what the court will decide; stating it as fact before a verdict "
            "presumes guilt and can prejudice a trial (College of Policing media relations guidance).",
    "confession": "A confession is for the court to hear and weigh; reporting it once proceedings are active "
                  "risks contempt of court and a fair trial (College of Policing media relations guidance).",
    "guilt": "Until a court convicts, everyone arrested or charged is presumed innocent; wording that "
             "assumes guilt can prejudice a trial and be a contempt of court.",
    "evidence": "Assessing evidence or a witness's reliability before trial is for the jury; published "
                "comment can prejudice proceedings.",
    "assertion": "Anything said about the accused beyond the charge, the court date and the bare facts "
                 "(their past, their state of mind, how strong the evidence is) is for the court to hear, "
                 "not the public; published now it can prejudice a trial (College of Policing media "
                 "relations guidance).",
    "character": "Previous convictions and bad character are kept from a jury unless the judge admits "
                 "them; publishing them while proceedings are active risks a fair trial.",
}


def check(post: Post, context: Context, contacts: Contacts) -> list[Finding]:
    """Prejudicial wording, when proceedings are (or may be) active."""
    further = FURTHER_TRIAL.search(post.text)
    if further and context.proceedings_active is not False and _concluded(post):
        return [finding(CODE, SERIOUS, further.start(), further.end(), post.text,
                        f"“{further.group()}”: a result is published while a trial is still to come",
                        "A jury at a later trial must not know of a conviction that the judge has not let them "
                        "hear; results are usually held back (often by a postponement order) until every "
                        "trial is over.", "Hold the result until the last trial has ended, or check with the "
                        "CPS whether a postponement order applies.")]
    if not _active(post, context):
        return []
    out: list[Finding] = []
    for kind, found, pattern in KINDS:
        for match in pattern.finditer(post.text):
            if kind == "deed" and _alleged(post, match.start()):
                continue  # "it is alleged that he ...": the charge, not a finding
            if kind == "assertion" and SUSPECTED.search(post.text[post.sentence_of(match.start()).start:
                                                                  match.start()]):
                continue  # "arrested on suspicion of driving over the limit": the suspicion itself
            if kind == "guilt" and SEARCHING.search(post.text[max(0, match.start() - 30):match.start()]):
                continue  # "to find those responsible": people not yet arrested
            out.append(finding(CODE, SERIOUS, match.start(), match.end(), post.text,
                               f"“{match.group()}” {found}", WHY[kind], ACTION))
    return out


def concerns(post: Post, context: Context) -> bool:
    """Whether proceedings are, or may be, active: only then can wording prejudice them."""
    return _active(post, context)


def _alleged(post: Post, position: int) -> bool:
    sentence = post.sentence_of(position)
    before = post.text[sentence.start:position]
    if BECAUSE.search(before):
        # "charged with ABH after he punched a man": the deed is given as the reason, as fact.
        return bool(CLAIMED.search(before))
    return bool(ALLEGED.search(before))


def _active(post: Post, context: Context) -> bool:
    if context.proceedings_active is False:
        return False
    if context.proceedings_active or context.arrest_made or context.charged:
        return True
    return bool(ACTIVE.search(post.text)) and not _concluded(post)


def _concluded(post: Post) -> bool:
    # "He was already on a suspended sentence": a past case, not this one's result.
    return any(not PAST.search(post.text[max(0, m.start() - 40):m.start()])
               and not PAST_AFTER.match(post.text[m.end():m.end() + 80])
               for m in CONCLUDED.finditer(post.text))
