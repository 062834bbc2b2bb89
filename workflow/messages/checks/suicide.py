"""``privacy.suicide``: method or location detail in a death that may be a
suicide (Samaritans media guidelines)."""
from __future__ import annotations

import re

from workflow.messages.checks.findings import SERIOUS, WARNING, Contacts, Context, Finding, finding
from workflow.messages.checks.text import Post

CODE = "privacy.suicide"
WHY = ("Detail of how or where someone took, or tried to take, their own life can lead vulnerable people "
       "to copy it; the Samaritans' media guidelines ask for no method or location detail and for "
       "suicide not to be presented as inevitable or as a solution.")
ACTION = ("Remove the method and the precise location; say only that a person has died and that the death "
          "is not being treated as suspicious, and consider adding where to find support (Samaritans, 116 123).")
MAY_BE_SUICIDE = re.compile(
    r"\b(?:suicid\w*|took (?:his|her|their) own li(?:fe|ves)|tak(?:e|ing) (?:his|her|their) own li(?:fe|ves)|"
    r"end(?:ed)? (?:his|her|their) li(?:fe|ves)|not (?:being )?(?:treated|believed|thought|considered|"
    r"regarded)?"
    r"(?: to be| as)? ?suspicious|not treating (?:the|his|her|their|this) death as suspicious|"
    r"no (?:third[- ]party|suspicious circumstances)|non-suspicious|in crisis|"
    r"concern for (?:the )?(?:welfare|safety) of (?:a|the) (?:man|woman|person)|"
    r"threatening to jump|on the (?:edge|wrong side) of|climb(?:ed|ing|s)? (?:over |onto |up )?"
    r"(?:the |a )?(?:barrier|railings?|parapet|safety rail|ledge)|(?:not|no(?:t)? (?:thought|believed)) (?:that )?"
    r"(?:anyone|anybody|any other person) else (?:was |is |had been )?involved|no(?: ?one|"
    r" other person) else "
    r"(?:was |is )?involved|no other person (?:was |is )?involved|unexplained)\b", re.I)
# Method words that point to a suicide wherever someone has died ...
METHOD = re.compile(r"\b(?:(?:own life|suicide) (?:with|by|using) (?:an? |the )?\w+|hanged|found hanging|"
                    r"hung (?:himself|herself|themselves)|ligature|noose|"
                    r"jump(?:ed|ing)? (?:from|off|in front of)|(?:walk|walked|walking|stepped|stepping) (?:off|onto) (?:the "
                    r"(?:end|edge) of )?(?:the )?(?:platform|track|tracks|line|railway)|into the path of|(?:stepped|walked|ran|lay down|threw (?:himself|"
                    r"herself|themselves)) (?:out )?in front of (?:a|an|the) (?:[\w-]+ ){0,3}?(?:train|service|"
                    r"tram|lorry|bus|vehicle)|shot (?:himself|herself|themselves)|"
                    r"cut (?:his|her|their) (?:wrists|throat)|self-inflicted|helium|gas canisters?|"
                    r"f[ae]ll(?:ing|en|s)? (?:from|off) (?:[\w'’-]+ ){0,6}?(?:bridge|viaduct|car park|"
                    r"cliffs?|"
                    r"multi-?storey|tower block|block of flats|balcony|rooftop|roof of)|"
                    r"(?:struck|hit|killed) by an? (?:[\w-]+ ){0,3}(?:train|tram)|stepped (?:down )?(?:onto|on to) the "
                    r"(?:track|tracks|line)|(?<!casualty )(?:on|onto) the (?:railway )?(?:tracks|line)|"
                    r"level crossing|lay (?:down )?(?:across|on) the (?:line|tracks?|railway)|climbed down (?:from|"
                    r"onto|off) (?:the end of )?(?:the )?platform|(?:entered|went into|walked into) the (?:water|river|sea|canal|"
                    r"reservoir)|"
                    r"(?:fell|fallen|falling|jumped) from (?:a )?height|(?:car |vehicle )?engine (?:still )?"
                    r"running|hose(?:pipe)? (?:fed|attached|running|leading|connected)|exhaust (?:pipe|fumes)|"
                    r"(?:empty|open|opened) (?:packets?|boxes|bottles?|blister packs?|containers?) of "
                    r"(?:\w+ ){0,3}(?:medication|pills|tablets|painkillers|paracetamol|drugs)|climb(?:ed|ing|s)? (?:(?:over|onto|"
                    r"through|up) )?(?:the |a )?(?:railings?|parapet|barriers?|fence|safety rail|ledge)|(?:person|fatality) on the "
                    r"(?:line|tracks|railway)|trespass(?:er)? (?:incident|on the (?:line|railway))|(?:took|"
                    r"taken|taking|swallowed|swallowing) (?:an? )?(?:large |excessive |"
                    r"quantity of |amount of |number of |lot of )+(?:\w+ ){0,3}(?:medication|pills|tablets|"
                    r"drugs|painkillers|paracetamol|medicines?)|"
                    r"(?:at|to) the (?:foot|bottom|base) of (?:the |a )?(?:[\w'’-]+ ){0,2}"
                    r"(?:cliffs?|quarry|car park|bridge|building|tower|flats))\b", re.I)
# ... and those that do only where the death may be a suicide (a drowning or an overdose may be an accident).
MAYBE_METHOD = re.compile(r"\b(?:hanging|overdose[d]?|(?:took|taken|taking|swallowed|swallowing) (?:an? )?"
                          r"(?:quantity of |large number of |number of )?(?:pills|tablets|paracetamol)|"
                          r"f[ae]ll(?:ing|en)? (?:from|off) (?:the |a )?(?:[A-Z]\w+ )?(?:bridge|footbridge|viaduct|"
                          r"building|"
                          r"car park|cliffs?|"
                          r"tower|roof|balcony|window|\w+ floor|block of flats)|struck by a train|"
                          r"hit by a train|"
                          r"in front of a train|slit|poison(?:ed|ing)?|carbon monoxide|exhaust fumes|drowned|"
                          r"asphyxia\w*|(?:suicide )?note)\b", re.I)
DIED = re.compile(r"\b(?:died|dies|death|dead|body|pronounced|hanged|passed away|lost (?:his|her|"
                  r"their) life|formal(?:ly)? identif\w+|(?:our )?thoughts are with|recovered (?:\w+ ){0,6}?from the (?:water|river|sea|"
                  r"canal|reservoir|lake|harbour))\b", re.I)
PLACE = re.compile(r"\b(?:(?:[A-Z][\w']+ ){1,4}(?:[Bb]ridge|[Vv]iaduct|Tower|Cliffs?|Car Park|Point|"
                   r"Reservoir|Quarry|"
                   r"Head)|"
                   r"multi-?storey car park|railway (?:line|bridge|crossing)|(?:the )?(?:top|"
                   r"edge) of (?:the|a) "
                   r"(?:bridge|building|car park|cliffs?)|level \d+ of|(?<!casualty )(?i:(?:on|from|off|under|below|above|"
                   r"near) the "
                   r"(?:\w+ )?(?:bridge|viaduct|footbridge|overpass|flyover|cliffs?|roof|railway|tracks|"
                   r"platform|"
                   r"carriageway|car park|multi-storey|tower block|quarry|weir|pier|harbour wall))|(?:in|"
                   r"from) the (?:river|canal|sea|reservoir|"
                   r"quarry|lake|docks?|estuary) (?:at|near|by|in|off) [A-Z][\w']+|(?:top|upper|highest|"
                   r"\w+th|\w+st) "
                   r"(?:level|floor|deck|storey) of|railway line|(?<!casualty on )the tracks|(?<=suicide )(?:at|on|in|"
                   r"near) [A-Z][\w']+(?: [A-Z][\w']+){0,4})")


WELFARE_ONLY = re.compile(r"concern for (?:the )?(?:welfare|safety) of (?:a|the) (?:man|woman|person)", re.I)
CLOSURE = re.compile(r"\b(?:re-?opened|reopens|closed|closure|diversions?|delays)\b", re.I)


def check(post: Post, context: Context, contacts: Contacts) -> list[Finding]:
    """Method and place detail where a death or crisis may be a suicide."""
    text = post.text
    suicide = MAY_BE_SUICIDE.search(text)
    out: list[Finding] = []
    methods = list(METHOD.finditer(text)) if DIED.search(text) or suicide else []
    methods += list(MAYBE_METHOD.finditer(text)) if suicide else []
    for match in methods:
        out.append(finding(CODE, SERIOUS, match.start(), match.end(), text,
                           f"“{match.group()}” describes how someone may have taken their life", WHY, ACTION))
    # "The bridge has reopened after it was closed due to concern for the welfare of a man": with no death
    # and no method, a closure notice must say which road or bridge; that is the travel news, not the crisis.
    closure = (not methods and not DIED.search(text) and WELFARE_ONLY.fullmatch(suicide.group()) is not None
               and CLOSURE.search(text)) if suicide else False
    if suicide and not closure:
        for match in PLACE.finditer(text):
            out.append(finding(CODE, WARNING, match.start(), match.end(), text,
                               f"“{match.group()}” gives the place of a possible suicide", WHY, ACTION))
    return out
