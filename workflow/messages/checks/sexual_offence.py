"""``legal.sexual_offence_complainant``: anything that may identify the
complainant of a sexual offence, directly or by jigsaw."""
from __future__ import annotations

import re

from workflow.messages.checks.findings import SERIOUS, Contacts, Context, Finding, finding
from workflow.messages.checks.text import Post, Span

CODE = "legal.sexual_offence_complainant"
WHY = ("Complainants of sexual offences have anonymity for life (Sexual Offences (Amendment) Act 1992). "
       "Their name, and details that together could identify them (age with a street, their school or "
       "workplace, how they are related to the accused), must never be published.")
ACTION = ("Remove the detail. Describe the complainant only in general terms (for example “a woman in "
          "her twenties”) and the place only as widely as the appeal needs.")
SEXUAL = re.compile(r"\b(?:rape[sd]?|raping|sexual(?:ly)? (?:assault\w*|offences?|abuse\w*|touching|activity|"
                    r"exploitation|communication)|indecent(?:ly)? (?:assault\w*|exposure|images?)|"
                    r"expos(?:ed|ing) (?:himself|herself|themselves)|grooming|groomed|voyeurism|upskirting|"
                    r"sextortion|child sexual|incest|sex(?:ual)? attack\w*|sexually|indecen\w+|molest\w*|"
                    r"touched (?:her|him|them) inappropriately|inappropriate(?:ly)? touch\w*|grop\w+|"
                    r"assault by penetration|intimate (?:images?|photos?|pictures?)|revenge porn|voyeur\w*|"
                    r"flash(?:ed|ing|er))\b", re.I)
RELATION = re.compile(
    r"\b(?:his|her|their|the (?:man's|woman's|defendant's|suspect's|accused's))\s+(?:own\s+)?"
    r"(?:(?:\d+-year-old|\d+ ?(?:yo|y/o)|young|teenage|elderly|former|late|then|16|17|next-door|[a-z]+)\s+)?"
    r"(?:step-?)?(?:daughter|son|niece|nephew|granddaughter|grandson|sister|brother|cousin|wife|husband|"
    r"partner|ex-partner|ex-wife|ex-girlfriend|girlfriend|boyfriend|pupil|student|patient|client|employee|"
    r"colleague|neighbour|lodger|tenant|babysitter|foster child|child|children|mother|aunt|flatmate)s?\b|"
    r"\b(?:his|her|their) (?:own |former |then |regular |private |personal |family |local |"
    r"[\w-]+ )?(?:instructor|"
    r"teacher|tutor|coach|trainer|boss|manager|employer|landlord|landlady|doctor|gp|therapist|carer|priest|"
    r"cleaner|nanny|au pair|housekeeper|secretary|personal assistant|PA|apprentice|"
    r"vicar|"
    r"imam|stepfather|stepdad|step-father|step-dad|stepmother|uncle|grandfather|granddad|scout leader|"
    r"youth worker|"
    r"physio|physiotherapist|masseur|dentist|driver|taxi driver|lecturer|supervisor|friend|date|ex)\b", re.I)
PLACE_OF_LIFE = re.compile(
    r"\b(?:(?:a |the )?(?:pupil|student|year \d+ pupil) (?:at|of)|attends|goes to|(?:who )?(?:works?|worked) "
    r"(?:part-time |full-time |shifts |(?:the |a )?(?:night |late |early |day |weekend )?shifts? )?"
    r"(?:(?:behind the (?:counter|bar|till)|on the (?:tills?|checkouts?|desk|door)|shifts) )?(?:at|for)|"
    r"employed (?:at|by)|(?:victim|complainant|woman|girl)\b[^.]{0,60}?, an? (?:\w+ ){0,2}(?:at|in|for|from|"
    r"of) "
    r"(?:the |a )?\w+|where (?:she|he|they) (?:lives?|works?|studies|stud(?:y|ies)|goes to school)|"
    r"(?:he|she) (?:shared|lived|lodged|stayed) (?:a \w+ |the \w+ )?with|(?:lived|lives) with (?:him|her)|"
    r"(?:is|"
    r"was|as) an? (?:\w+ ){0,2}(?:at|in|for) (?:the |a |an )?\w+|(?:at|outside|near) (?:her|his|"
    r"their) (?:home|"
    r"school|workplace|flat|house)"
    r"(?: (?:on|in) [A-Z][\w']+(?: [A-Z][\w']+){0,4})?|lives (?:on|in|at) [A-Z][\w']+(?: [A-Z][\w']+){0,4}|"
    r"(?:[A-Z][\w']+ ){1,4}(?:Primary|High|Grammar|Academy|School|College|University)|"
    r"(?i:(?:in|at|outside|near|from|to|inside) (?:her|his|their) (?:own )?(?:home|flat|house|school|"
    r"workplace|office|"
    r"work|college|university|halls|bedroom|car|street|road|estate|caravan|hotel room|room))|"
    r"(?:above|below|next to|opposite|behind) the (?:[A-Z][\w'’-]+ ?){1,4}|"
    r"(?i:(?:the )?(?:victim|complainant|survivor), an? (?:[\w-]+ ){1,3}(?:who|at|in|for|from|of|with)\b)|"
    r"(?i:\b(?:a|an|the) (?:player|member|pupil|student|patient|client|customer|resident|parishioner|cadet|"
    r"scout|athlete|swimmer|gymnast|dancer|trainee|apprentice)s? (?:in|at|of|with|from) (?:his|her|their|"
    r"the)\b)|"
    r"(?i:(?:from|after|during|on|before) (?:her|his|their) (?:late |night |early |day )?shift at (?:the )?)"
    r"(?-i:[A-Z])[\w'’]+|(?i:who lives (?:in|on) the )(?-i:[A-Z])[\w'’]+(?i: area)|"
    r"(?i:(?:who|that) (?:runs|owns|manages|ran|owned|managed) (?:the |a |an )(?:[\w'’-]+ ){0,4}?(?:at|on|in) )"
    r"(?-i:[A-Z])[\w'’]+|"
    r"(?i:who (?:works?|worked|lives?|lived|studies|studied|volunteers?|volunteered) (?:[\w'’-]+ ){0,3}?there)|"
    r"where (?:they|she|he|both) (?:both )?(?:(?:has|have|had) )?(?:been )?(?:work|worked|working|live|lived|"
    r"living|stud(?:y|ied|ying)|trained?|training)|"
    r"(?i:(?:a|an|the) (?:female |male |young |teenage )?(?:[\w-]+ )?(?:assistant|worker|nurse|teacher|"
    r"cashier|barmaid|waitress|receptionist|cleaner|carer|volunteer|shop worker|member of staff|"
    r"attendant|librarian|hairdresser|beautician|therapist|midwife|paramedic|officer) (?:at|in) (?:the )?)"
    r"(?-i:[A-Z])[\w'’]+|"
    r"(?i:(?:woman|girl|man|boy|victim|teenager) (?:working|who works|who worked|employed) (?:on|at|in|behind) "
    r"(?:one of )?the )|"
    r"(?i:where the (?:victim|complainant|survivor|woman|girl|boy|teenager|man) (?:works|worked|lives|lived|"
    r"studies|studied|trains|volunteers|teaches))|"
    r"(?i:(?:while |when |as )?(?:she|he|they) (?:was |were )?(?:working|lives?|lived|living|works?|worked)"
    r"(?: (?:a|an|her|his|their) (?:late |night |early |day )?shift)? (?:in|at|on) the (?:[\w'’-]+ ){0,3}?"
    r"(?:on|in|at|off) )(?-i:[A-Z])[\w'’]+|"
    r"(?i:working (?:a |an |her |his |their |the )?(?:late |night |early |day )?shift (?:alone |on (?:her|his|their) "
    r"own )?at the (?:[\w'’-]+ ){0,3}?"
    r"(?:on|in|at|off) )(?-i:[A-Z])[\w'’]+|"
    r"(?i:(?:a|an|the|his|her|their) (?:female |male |young |teenage )?(?:colleague|co-worker|workmate|"
    r"classmate|neighbour|flatmate|housemate|family member|relative|team-?mate|patient|client|"
    r"tenant|lodger|employee|pupil|student|foster (?:child|daughter|son))s?)|"
    r"(?:at|in|outside) the (?:[A-Z][\w'’]+ ){1,3}(?i:(?:distribution |sorting )?(?:centre|depot|factory|"
    r"warehouse|office|store|shop|hotel|gym|club|surgery|practice|salon|pub|bar|restaurant|care home)))\b")
ADVICE = re.compile(r"\b(?:talk|speak|chat) (?:to|with)\s+$|\b(?:protect|keep|about)\s+$", re.I)
VICTIM = re.compile(r"\b(?:victim|complainant|survivor|woman|girl|teenager|boy|man|student|pupil|"
                    r"child)\b", re.I)
# Not "man": in these posts a man of a stated age from a town is far more often the accused.
BIRTHDAY = re.compile(r"\b(?:her|his|their) \d{1,2}(?:st|nd|rd|th) birthday\b", re.I)
HOME_TOWN = re.compile(r"\s+(?:woman|girl|boy|teenager|student|pupil)\s+from\s+[A-Z]")
# "A 39-year-old man from Llanelli has been charged": the age is the accused's, not the complainant's.
ACCUSED = re.compile(r"[\s-]*(?:man|woman|boy|girl|teenager|youth|male|female)\b[^.]{0,60}?\b(?:has|have|had|was|"
                     r"were|is|is being)\s+(?:been\s+)?(?:charged|arrested|remanded|sentenced|jailed|convicted|"
                     r"summonsed|bailed|detained|interviewed|questioned)\b", re.I)
STREET = re.compile(r"\b(?:[A-Z][\w']+ ){1,4}(?:Road|Street|Avenue|Lane|Close|Drive|Way|Crescent|Grove|Place|"
                    r"Terrace|Gardens|Court|Walk|Mews|Rise|Square)\b|"
                    # Welsh streets name their kind first: "Ffordd Cynan", "Heol y Nant".
                    r"\b(?:Heol|Ffordd|Stryd|Lôn|Rhodfa|Cwrt)(?: y| yr)?(?: [A-Z][\w']+){1,2}\b")


def concerns(post: Post, context: Context) -> bool:
    """Whether the post is about a sexual offence."""
    return context.sexual_offence is not False and bool(context.sexual_offence or SEXUAL.search(post.text))


def check(post: Post, context: Context, contacts: Contacts) -> list[Finding]:
    """Identifying details in a text about a sexual offence."""
    if context.sexual_offence is False or not (context.sexual_offence or SEXUAL.search(post.text)):
        return []
    out: list[Finding] = []
    scopes = post.scope(SEXUAL) if not context.sexual_offence else [Span(0, len(post.text), post.text)]

    def within(position: int) -> bool:
        return any(scope.start <= position < scope.end for scope in scopes)

    for pattern, found in ((RELATION, "says how the complainant is related to or knows the accused"),
                           (PLACE_OF_LIFE, "names a place in the complainant's daily life")):
        for match in pattern.finditer(post.text):
            if ADVICE.search(post.text, max(0, match.start() - 20), match.start()):
                continue  # "urging parents to talk to their children": advice, not a complainant
            if within(match.start()):
                out.append(_finding(post, match.start(), match.end(), found))
    for name in post.people:
        sentence = post.sentence_of(name.start)
        settled = post.has("charge", sentence) or post.has("concluded", sentence) or post.has("arrest", sentence)
        if within(name.start) and not settled:
            out.append(_finding(post, name.start, name.end, "names someone in a text about a sexual offence"))
    for address in post.addresses():
        if within(address.start):
            out.append(_finding(post, address.start, address.end, "gives a house address"))
    for match in BIRTHDAY.finditer(post.text):
        out.append(_finding(post, match.start(), match.end(), "gives the complainant's exact age"))
    named_ages = {name.end for name in post.people if post.age_after(name) is not None}
    exact = [(age, span) for age, span in post.ages() if span.start not in named_ages
             and within(span.start) and not ACCUSED.match(post.text, span.end)
             and VICTIM.search(post.text[max(0, span.start - 40):span.end + 30])]
    streets = list(STREET.finditer(post.text))
    strict = bool(context.sexual_offence)
    for _, span in exact:
        # "a 17-year-old girl from Tottington": an exact age with where the complainant is from.
        home = HOME_TOWN.match(post.text, span.end)
        if streets or strict or home:
            out.append(_finding(post, span.start, span.end,
                                "gives an exact age that, with the street, may identify the complainant"))
    return out


def _finding(post: Post, start: int, end: int, found: str) -> Finding:
    return finding(CODE, SERIOUS, start, end, post.text, f"“{post.text[start:end]}” {found}", WHY, ACTION)
