"""``privacy.suicide``: method or location detail in a death that may be a
suicide (Samaritans media guidelines)."""
from __future__ import annotations

import re

from workflow.messages.checks.findings import SERIOUS, WARNING, Context, Contacts, Finding, finding
from workflow.messages.checks.text import Post

CODE = "privacy.suicide"
WHY = ("Detail of how or where someone took, or tried to take, their own life can lead vulnerable people "
       "to copy it; the Samaritans' media guidelines ask for no method or location detail and for "
       "suicide not to be presented as inevitable or as a solution.")
ACTION = ("Remove the method and the precise location; say only that a person has died and that the death "
          "is not being treated as suspicious, and consider adding where to find support (Samaritans, 116 123).")
MAY_BE_SUICIDE = re.compile(r"\b(?:suicid\w*|took (?:his|her|their) own li(?:fe|ves)|tak(?:e|ing) (?:his|her|their) own "
                            r"li(?:fe|ves)|end(?:ed)? (?:his|her|their) li(?:fe|ves)|not (?:being )?(?:treated as )?"
                            r"suspicious|no (?:third[- ]party|suspicious circumstances)|non-suspicious|in crisis|"
                            r"concern for (?:the )?(?:welfare|safety) of (?:a|the) (?:man|woman|person)|"
                            r"threatening to jump|on the (?:edge|wrong side) of)\b", re.I)
METHOD = re.compile(r"\b(?:hang(?:ed|ing)|hung himself|hung herself|ligature|noose|overdose[d]?|"
                    r"(?:took|taken|taking|swallowed|swallowing) (?:an? )?(?:quantity of |large number of |number of )?"
                    r"(?:pills|tablets|paracetamol)|jump(?:ed|ing)? (?:from|off|in front of)|"
                    r"fell (?:from|off) (?:the |a )?(?:[A-Z]\w+ )?(?:bridge|viaduct|building|car park|cliffs?|"
                    r"tower|roof|balcony)|struck by a train|hit by a train|in front of a train|"
                    r"shot (?:himself|herself|themselves)|slit|cut (?:his|her|their) (?:wrists|throat)|"
                    r"poison(?:ed|ing)?|carbon monoxide|exhaust fumes|drowned|self-inflicted|asphyxia\w*|"
                    r"helium|gas canisters?)\b", re.I)
PLACE = re.compile(r"\b(?:(?:[A-Z][\w']+ )+(?:[Bb]ridge|[Vv]iaduct|Tower|Cliffs?|Car Park|Point|Reservoir|Quarry|Head)|"
                   r"multi-?storey car park|railway (?:line|bridge|crossing)|(?:the )?(?:top|edge) of (?:the|a) "
                   r"(?:bridge|building|car park|cliffs?)|level \d+ of)\b")


def check(post: Post, context: Context, contacts: Contacts) -> list[Finding]:
    """Method and place detail where a death or crisis may be a suicide."""
    text = post.text
    suicide = MAY_BE_SUICIDE.search(text)
    out: list[Finding] = []
    for match in METHOD.finditer(text):
        if suicide or re.search(r"\b(?:died|death|dead|body|found)\b", text, re.I):
            out.append(finding(CODE, SERIOUS, match.start(), match.end(), text,
                               f"“{match.group()}” describes how someone may have taken their life", WHY, ACTION))
    if suicide:
        for match in PLACE.finditer(text):
            out.append(finding(CODE, WARNING, match.start(), match.end(), text,
                               f"“{match.group()}” gives the place of a possible suicide", WHY, ACTION))
    return out
