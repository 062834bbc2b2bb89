"""Details other than a name that point to one person: a job at a named place,
"the man who lives there", "number 27", a family tie, a photograph. Rules
that protect someone (arrested, dead, a child, a witness) flag these near the
case as they flag a name."""
from __future__ import annotations

import re

from workflow.messages.checks.text import Post, Span

ROLES = (r"apprentice|trainee|player|soldier|serviceman|servicewoman|officer cadet|teacher|"
         r"teaching assistant|classroom assistant|"
         r"nurse|doctor|gp|carer|coach|manager|landlord|"
         r"landlady|"
         r"licensee|owner|proprietor|head ?teacher|caretaker|vicar|priest|imam|rabbi|instructor|lecturer|"
         r"dentist|pharmacist|receptionist|chef|cleaner|postman|postwoman|shopkeeper|barber|hairdresser|"
         r"mechanic|scaffolder|builder|plumber|electrician|security guard|doorman|bouncer|volunteer|"
         r"member of staff|employee|worker|councillor|soldier|firefighter|paramedic|director|boss|chairman|"
         r"captain|player|scout leader|youth worker|social worker|care worker|childminder|bus driver|"
         r"taxi driver|lorry driver|delivery driver|porter|steward|warden|governor")
KINDS = [
    ("a job at a named place", re.compile(
        rf"\b(?:{ROLES})s? (?:(?:based|stationed|working|employed|serving) )?"
        r"(?:at|of|from|for|with|in) (?:the )?"
        r"(?-i:[A-Z])[\w'’]+(?: (?-i:[A-Z])[\w'’]+){0,4}|"
        rf"\b(?:{ROLES})s? (?:based|stationed|working|employed) (?:at|in) (?:the |a )?(?:[\w'’-]+ ){{0,3}}?"
        r"(?:on|in|at|off) (?-i:[A-Z])[\w'’]+|"
        r"\bwho (?:works|worked|is working|was working|had worked|has worked) (?:part-time |full-time )?(?:at|for|in) "
        r"(?:the |his |her |their |a )(?:[\w'’-]+ ){1,4}?(?:on|in|at) (?-i:[A-Z])[\w'’]+|"
        r"\bwho (?:works|worked|is working|was working|had worked|has worked) (?:(?:shifts|nights) )?(?:at|for) "
        r"(?:the )?(?-i:[A-Z])[\w'’]+(?: (?-i:[A-Z])[\w'’]+){0,3}",
        re.IGNORECASE)),
    ("a part in a local group", re.compile(
        r"\bwho (?:volunteers?|volunteered|helps? out|helped out|coaches|coached|captains|captained|plays|played|"
        r"rides|rode|runs|ran|cycles|cycled|swims|swam|trains|trained|walks|walked|is a (?:\w+ )?member of|"
        r"sings|sang|serves|served) (?:the [\w-]+ )?(?:with|at|for|in) (?:the |a |his |her |their )?"
        r"(?:local |village |town )?"
        r"(?:[\w'’-]+ ){0,3}?(?:team|club|group|rescue|brigade|choir|church|chapel|mosque|temple|gurdwara|"
        r"society|band|lifeboat|crew|squad|XI|XV|FC|RFC|CC)(?: team| crew| club| group)?\b", re.IGNORECASE)),
    ("a named business", re.compile(
        r"\b(?-i:[A-Z])[\w'’&-]+(?: (?-i:[A-Z])[\w'’&-]+){0,4} (?:Ltd|Limited|plc|PLC|LLP)\b")),
    ("where they live", re.compile(
        r"\b(?:who|which) (?:lives?|lived|is living|was living) (?:there|alone|next door|opposite|above|"
        r"(?:at|on|in) (?:number \d+|(?-i:[A-Z])[\w'’]+))|\b(?:at|lived at|lives at) number \d+\b|"
        r"\b(?:his|her|their) (?:home|flat|house|address|bungalow) (?:(?:on|at) (?-i:[A-Z])[\w'’]+|"
        r"in (?:(?-i:[A-Z])[\w'’]+ ){1,3}(?-i:Road|Street|Avenue|Lane|Close|Drive|Way|Court|Gardens|"
        r"Crescent|Grove|Terrace|Place)\b)|"
        r"\blives? with (?:his|her|their) \w+(?: (?:on|in|at) (?:the )?(?-i:[A-Z])[\w'’]+)?|"
        r"\bon the (?-i:[A-Z])[\w'’]+ (?:estate|site|park)\b(?! (?:was|were|had been|has been) (?:broken into|"
        r"burgled|targeted|attacked|damaged|raided))|"
        r"\b(?:his|her|their) (?:mum|mam|mother|dad|father|nan|nana|gran|grandma|grandad|parents|"
        r"girlfriend|boyfriend|partner|mate|brother|sister|aunt|auntie|uncle)(?:'s|’s|s'|s’) "
        r"(?:place|house|home|flat|address|caravan)\b(?: (?:on|in|at) (?-i:[A-Z])[\w'’]+)?",
        re.IGNORECASE)),
    ("a family tie", re.compile(
        r"\b(?:son|daughter|wife|husband|brother|sister|partner|nephew|niece|grandson|granddaughter|father|"
        r"mother|dad|mum|widow) of (?:the|a|an|local|"
        r"well-known) (?:[\w-]+ ){0,2}(?:[\w'’]+)|"
        r"\bwhose (?:mum|mother|dad|father|brother|sister|nan|gran|grandad|grandfather|grandmother|uncle|"
        r"aunt|auntie|wife|husband|partner|son|daughter|family) (?:runs|owns|works|worked|ran|owned|is|was)\b"
        r"(?: (?:at|in|on|the|a) (?:[\w'’]+ ){0,3}(?:on|in|at) (?-i:[A-Z])[\w'’]+)?", re.IGNORECASE)),
    ("one of a known family", re.compile(
        r"\b(?:one|eldest|youngest|oldest|middle one|another) of the (?-i:[A-Z])[\w'’]+ (?:boys|girls|"
        r"brothers|sisters|family|lads|kids|twins|clan)\b", re.IGNORECASE)),
    ("what people know them as", re.compile(
        r"\b(?:(?:many|most|some|lots|plenty) of you (?:will |may |might )?(?:know|recognise|have met)|"
        r"you (?:will|may|might) (?:know|recognise) (?:him|her|them)|you (?:all )?know who (?:he|she|they|it|this|that) (?:is|was|are|were)|"
        r"(?:know|known) (?:him|her|them) as (?:the|that)|known (?:locally |to (?:friends|everyone|many|"
        r"locals) )?as ['‘\"“](?=\w)|everyone (?:round here |here |locally )?knows "
        r"(?:him|her|them|who))\b", re.IGNORECASE)),
    ("a picture", re.compile(
        r"\b(?<!full )(?<!fuller )(?<!clear )(?<!clearer )(?<!bigger )(?<!complete )(?<!accurate )(?<!better )"
        r"(?:(?:attached|above|below|this|these|our) )?(?:cctv |ring doorbell )?(?:image|photo(?:graph)?|"
        r"picture|pic|still|footage|video)s?\b(?= (?:of|above|below|shows?|has|we|attached))"
        r"(?! of (?:the )?(?:events|what|how|why|where|when)\b)"
        r"(?! of (?:the |these |some )?(?:recovered|stolen|seized|lost|found|property|items)\b)(?<!indecent images)"
        r"(?<!indecent image)(?<!indecent photographs)|\bpictured\b|"
        r"\b(?:the|a) (?:man|woman|person|people|men|women|youths?|lads|boys?|girls?) in (?:the|this|our) "
        r"(?:attached )?(?:cctv )?(?:image|photo|picture|pic|footage|video)s?\b", re.IGNORECASE)),
    ("a street", re.compile(
        r"\b(?:from|at|of) the [a-z]+(?: [a-z]+)? on [a-z]+ (?:st|street|road|rd|lane|ave|avenue)\b")),
]


def identifying(post: Post) -> list[tuple[Span, str]]:
    """Each detail in the post that may identify someone, with what kind it is."""
    cached = getattr(post, "_identifying", None)
    if cached is None:
        cached = [(Span(m.start(), m.end(), m.group()), kind) for kind, pattern in KINDS
                  for m in pattern.finditer(post.text)]
        post._identifying = cached
    return cached
