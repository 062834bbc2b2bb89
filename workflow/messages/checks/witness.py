"""``legal.witness`` and ``legal.reporting_restriction``: a witness identified,
and a case under (or said to be under) a reporting restriction."""
from __future__ import annotations

import re

from workflow.messages.checks.findings import SERIOUS, WARNING, Contacts, Context, Finding, finding
from workflow.messages.checks.identify import identifying
from workflow.messages.checks.text import Post

WITNESS = "legal.witness"
RESTRICTION = "legal.reporting_restriction"
WITNESS_WHY = ("Naming or locating a witness can expose them to intimidation and may discourage them or "
               "others from giving evidence; what a witness saw is for the court "
               "(College of Policing media relations guidance).")
WITNESS_ACTION = ("Remove the witness's name, address and workplace; a general appeal (“anyone who saw…”) "
                  "is enough.")
RESTRICTION_WHY = ("A court order restricts what may be reported about this case; publishing details it "
                   "covers is a contempt of court, whoever publishes them.")
RESTRICTION_ACTION = ("Check the exact terms of the order with the officer in the case or the CPS and publish "
                      "only what it allows.")
WITNESS_WORDS = re.compile(r"\b(?:witness(?:es|ed|ing)?|gave (?:us|police|officers|detectives) (?:a )?"
                           r"(?:statement|evidence|details|information)|eye-?witness(?:es)?|saw|spotted|noticed|"
                           r"(?<!court )(?<!jury )(?<!judge )(?<!magistrates )heard|"
                           r"(?:called|rang|phoned|dialled) (?:us|"
                           r"police|999)|who (?:filmed|called 999|"
                           r"raised the alarm|alerted)|gave (?:a statement|evidence)|passer-?by|bystander|"
                           r"have come forward|who (?:tried to help|intervened|gave chase|chased)|(?:her|his|"
                           r"their) account|(?:her|his|their) statement|who (?:found|discovered|dialled 999|"
                           r"came to the aid of|stopped to help|called (?:us|police))|came forward|"
                           r"testified|gave evidence|give evidence|giving evidence|stopped to help|"
                           r"for stepping in|stepped in|intervened|watched|"
                           r"(?:has |have |had )?given (?:us |police |officers |detectives )?(?:a )?(?:full )?"
                           r"(?:statement|evidence|account)|"
                           r"dash-?cam footage (?:from|sent by|provided by)|(?:first|one) on the scene|"
                           r"filmed|"
                           r"helped (?:police|officers|us) (?:to )?identify|pointed (?:out|officers)|"
                           r"described|provided (?:us |police |officers |detectives )?(?:with )?(?:a )?(?:detailed |full )?"
                           r"(?:statement|account|evidence)|stayed with (?:the (?:injured|victim|man|woman)|him|her)|(?:driver|conductor|passenger) of "
                           r"the (?:number )?\d+ bus|(?:got|had) a (?:\w+ ){0,2}look at|(?:hit|pressed|raised|sounded) the (?:panic )?alarm|"
                           r"(?:saw|seen) (?:the whole thing|everything|it all)|"
                           r"took (?:a )?(?:photos?|pictures?|video)|caught (?:it|the) on|told (?:us|"
                           r"officers|police) "
                           r"what (?:she|he|they) saw|(?:who|that) (?:was|were) with (?:him|her|"
                           r"them) (?:at the time|when))\b",
                           re.I)
TOLD = re.compile(r"\b(?:alerted|told|informed|contacted|called|flagged down|waved down)\s+$", re.I)
GENERIC = re.compile(r"\b(?:anyone|anybody|any witnesses|everyone|those who|people who|if you)\b", re.I)
WORKPLACE = re.compile(r"\b(?:(?:barman|barmaid|landlord|landlady|licensee|manager|doorman|bouncer|cashier|"
                       r"shopkeeper|receptionist|security guard) who (?:was|is|were) (?:working|on duty|serving|on "
                       r"shift)|who works (?:(?:on the tills?|behind the (?:bar|counter)) )?(?:at|in)|works at|worker at|member of staff at|employee at|"
                       r"lives (?:at|on|in)|at number \d+|(?:in|from|at) the (?:flat|house|home|shop|bungalow) "
                       r"(?:above|opposite|next to|behind|below|beside) the|(?:his|her|their) (?:home|flat|house|shop) (?:on|"
                       r"in|"
                       r"above|opposite|next to)|"
    r"(?:from|at|above|opposite|next to) the (?-i:[A-Z][\w']+(?: [A-Z][\w']+){0,4}) on (?-i:[A-Z])[\w']+|"
    r"(?:shopkeeper|shop owner|owner|manager|assistant|cashier|staff|landlord|landlady|security guard|"
    r"doorman|bouncer|barman|barmaid|driver|postman|postwoman|cleaner|caretaker|receptionist|neighbour|"
    r"lads|lasses|guys|girls|team|crew|workers|staff|folks|mechanics?|builders?|owners?) "
    r"(?:at|from|of|in) (?:the )?(?-i:[A-Z])[\w'’]+|(?:who )?lives? (?:next door|opposite|across the road)|"
    r"(?:his|her|their) (?:neighbour|colleague|boss|workmate)s?|"
    r"(?:the )?(?:school|shop|pub|club|station|store|bar|garage|church)(?:'s|’s) (?:lollipop (?:lady|man)|"
    r"caretaker|receptionist|manager|landlord|landlady|owner|cleaner|security guard|doorman|barman|barmaid))\b",
                       re.I)
ORDER = re.compile(r"\b(?:reporting restrictions?|section (?:4\(2\)|11|39|45a?|46|49)(?: order)?|"
                   r"contempt of court act|lifelong anonymity|anonymity for life|"
                   r"anonymity order|postponement order|postponed (?:the )?reporting|reporting (?:has been|was|is) "
                   r"postponed|(?:must|cannot|can ?not|may not) be (?:named|"
                   r"identified|reported) (?:by order of|under|because of (?:a|an) (?:court )?order)|"
                   r"lifetime anonymity order|court order (?:prevents|prohibits|bans|restricts)|"
                   r"prevents? the publication|reporting (?:of|on) (?:this|the) (?:case|trial) is restricted|"
                   r"restricted by the court|restrictions? on (?:what (?:can|may) be )?report\w*|"
                   r"nothing (?:that could identify|identifying) (?:him|her|them|the \w+) (?:may|can|must)|"
                   r"(?:subject to|under|because of|breach of) (?:a|an|the) (?:\w+ )?(?:court )?order|"
                   r"(?:remains?|stays?|still|kept) (?:under|subject to) (?:an? |the )?(?:\w+ )?order|"
                   r"(?:court|judge|magistrates?|youth court|coroner) (?:has |have )?(?:made|imposed|granted|"
                   r"issued|placed) (?:a|an) (?:\w+ )?(?:order|restriction|ban)|order protecting|"
                   r"protect(?:ing|s)? (?:his|her|their) (?:identity|anonymity)|anonymity (?:order|"
                   r"direction)|"
                   r"granted (?:(?:the|a|an|his|her|their) \w+ )?anonymity|nothing (?:beyond|more than|else)\b[^.]{0,60}\b(?:may|can|could) be "
                   r"(?:published|reported|said)|(?:can't|cannot|can not|unable to) (?:say|share|"
                   r"report) (?:any ?"
                   r"more|anything (?:more|further|else)) (?:about|on) (?:the|this) (?:case|teenager|trial|"
                   r"boy|girl|"
                   r"defendant|man|woman)|legal restrictions?|(?:reporting|publicity) ban|"
                   r"prohibit\w* (?:the )?"
                   r"publication|(?:judge|court|magistrates?) (?:has |have )?(?:prohibited|banned|barred|"
                   r"forbidden|"
                   r"ordered that|directed that)(?! (?:he|she|they|the (?:man|woman|defendant)) (?:must )?(?:serve|"
                   r"pay|be (?:jailed|detained|banned|disqualified|remanded)))|(?:must|may) not be (?:published|reported|"
                   r"identified))\b", re.I)
# "Reporting restrictions ... were lifted by the judge": no longer a restriction.
LIFTED = re.compile(r"\b(?<!partly )(?<!partially )(?:lift(?:ed|s|ing)?|removed|discharged|"
                    r"no longer (?:in place|applies?|apply))\b(?! in part)", re.I)
# "... lifted and the teenage defendant can now be named": the verifier checks what may now be said.
NOW_NAMED = re.compile(r"\bcan (?:now )?be (?:named|identified|reported)\b", re.I)
# "Victims of sexual offences have lifelong anonymity": the law for everyone, not an order in this case.
THE_LAW = re.compile(r"\b(?:victims?|complainants?|survivors?)(?: (?:of|in) [\w ]{0,30}?)? (?:have|has|"
                     r"(?:is|are) (?:both |all )?entitled to|get|are given|receive|are granted) "
                     r"(?:automatic |the right to )?$", re.I)
ANONYMOUS_OK = re.compile(r"\bcannot be (?:named|identified) for legal reasons\b", re.I)


def concerns_witness(post: Post, context: Context) -> bool:
    """Whether the post speaks of a particular witness, not only appeals to anyone who saw something."""
    return not post.is_missing_appeal and any(
        WITNESS_WORDS.search(s.text) and not GENERIC.search(s.text) for s in post.sentences)


def check_witness(post: Post, context: Context, contacts: Contacts) -> list[Finding]:
    """Names, addresses or workplaces in a sentence about a witness."""
    if post.is_missing_appeal:
        return []
    out: list[Finding] = []
    for sentence in post.sentences:
        if not WITNESS_WORDS.search(sentence.text):
            continue
        generic = bool(GENERIC.search(sentence.text))
        for name in post.people:
            # "Call Karen if you saw it": a first name in a general appeal is whom to call, not a witness.
            if sentence.start <= name.start < sentence.end and not (generic and " " not in name.text):
                out.append(finding(WITNESS, SERIOUS, name.start, name.end, post.text,
                                   f"“{name.text}” may identify a witness", WITNESS_WHY, WITNESS_ACTION))
        if generic:
            continue
        for span, kind in identifying(post):
            if sentence.start <= span.start < sentence.end and kind != "a picture":
                out.append(finding(WITNESS, SERIOUS, span.start, span.end, post.text,
                                   f"“{span.text}” ({kind}) may identify a witness",
                                   WITNESS_WHY, WITNESS_ACTION))
        for match in WORKPLACE.finditer(sentence.text):
            if TOLD.search(sentence.text, 0, match.start()):
                continue  # "the passenger who alerted staff at Reading station": whom they told
            start = sentence.start + match.start()
            out.append(finding(WITNESS, SERIOUS, start, sentence.start + match.end(), post.text,
                               f"“{match.group()}” may locate a witness", WITNESS_WHY, WITNESS_ACTION))
        for address in post.addresses():
            if sentence.start <= address.start < sentence.end:
                out.append(finding(WITNESS, SERIOUS, address.start, address.end, post.text,
                                   f"“{address.text}” may locate a witness", WITNESS_WHY, WITNESS_ACTION))
    return out


def concerns_restriction(post: Post, context: Context) -> bool:
    """Whether a restriction may be at stake that the rule has not read: none recorded as not applying,
    and no order the text speaks of (one it speaks of, the rule has already weighed: lifted, or "cannot
    be named for legal reasons")."""
    return context.reporting_restriction is not False and not ORDER.search(post.text)


def check_restriction(post: Post, context: Context, contacts: Contacts) -> list[Finding]:
    """A reporting restriction recorded on the case, or mentioned in the text."""
    if context.reporting_restriction:
        end = len(post.text.rstrip())
        return [finding(RESTRICTION, SERIOUS, 0, end, post.text,
                        "this case is recorded as being under a reporting restriction",
                        RESTRICTION_WHY, RESTRICTION_ACTION)]
    if context.reporting_restriction is False:
        return []
    return [finding(RESTRICTION, WARNING, m.start(), m.end(), post.text,
                    f"“{m.group()}”: the text speaks of a reporting restriction", RESTRICTION_WHY, RESTRICTION_ACTION)
            for m in ORDER.finditer(post.text) if not ANONYMOUS_OK.search(post.text[m.start():m.end()])
            and not THE_LAW.search(post.text[max(0, m.start() - 60):m.start()])
            and not (LIFTED.search(post.text[max(0, m.start() - 30):m.end() + 40])
                     and not NOW_NAMED.search(post.text[m.end():m.end() + 120]))]
