"""``legal.deceased_unconfirmed``: a dead person named or identifiable before the
family is told and the formal identification has taken place."""
from __future__ import annotations

import re

from workflow.messages.checks.findings import SERIOUS, WARNING, Contacts, Context, Finding, finding
from workflow.messages.checks.identify import identifying
from workflow.messages.checks.text import STAGE, Post

CODE = "legal.deceased_unconfirmed"
WHY = ("A person who has died is named only once their next of kin have been told and, usually, once "
       "formal identification has taken place; a family must never learn of a death from a post "
       "(College of Policing media relations guidance).")
ACTION = ("Remove the name and identifying details until the incident records that the family has been "
          "informed and the formal identification is done, or confirm both with the senior officer.")
DEATH = re.compile(r"\b(?:died|dies|has died|drowned|death|dead|deceased|body|bodies|fatal(?:ly)?|killed|"
                   r"passed away|lost (?:his|her|their) li(?:fe|ves)|pronounced dead|sadly died|"
                   r"tributes?|rip|rest in peace|tragic(?:ally)?|pulled from the (?:water|river|sea|canal)|"
                   r"loss of (?:his|her|their) life|lost (?:his|her|their) "
                   r"(?:fight|battle)|killed instantly|no longer with us|life was lost|"
                   r"lives were lost|murder (?:investigation|inquiry|enquiry) (?:has been |was )?launched|"
                   r"devastated to confirm|sadly,? (?:the|a) (?:\w+ ){0,2}?(?:found|recovered|discovered)|"
                   r"formal identification (?:has not|hasn't|has yet|is yet|is still|will|is awaited)|"
                   r"(?:yet|still) to be formally identified|not (?:yet )?(?:been )?formally identified)\b", re.I)
NAMED = re.compile(r"\b(?:(?:rip|r\.i\.p\.?|rest in peace|in memory of|remembering|tributes? (?:to|for)) "
                   r"(?:to )?(?:(?:our|my|the|dear|lovely|friend|mate|pal|big|little|young) )*[a-z]\w+|"
                   r"(?:believed|understood|thought) to be the (?:[\w'’]+ ){0,3}?(?:manager|owner|tenant|landlord|"
                   r"landlady|licensee|resident|occupant|occupier|headteacher|teacher|vicar|priest|shopkeeper|"
                   r"caretaker|farmer)\b|"
                   r"(?:named (?:\w+ ){0,3}as|identified as|believed to be|understood to be|thought to be)"
                   r"(?=\s+(?:local |\d+-year-old )*(?-i:[A-Z])))", re.I)
FAMILY_TOLD = re.compile(r"\b(?:(?:his|her|their|the) (?:family|families|next of kin|loved ones)"
                         r"(?: \w+){0,3} (?:ha(?:s|ve) been|were|was|are|is being) (?:informed|told|notified|"
                         r"made aware|supported|updated)|(?:family|families) (?:ha(?:s|ve) )?paid tribute|"
                         r"tribute (?:from|by) (?:his|her|their) family|in a tribute,? (?:his|her|"
                         r"their) family|"
                         r"(?:his|her|their) family said|famil(?:y|ies)\b[^.]{0,120}\b(?:paid tribute|"
                         r"(?:released|issued|shared) (?:a|this|the following) tribute|asked for privacy|"
                         r"(?:are|is|continues?|continue to be|being) (?:being )?supported|"
                         r"have been (?:informed|told))|"
                         # A relative quoted, or an anniversary: the family know.
                         r"(?:his|her|their|(?-i:[A-Z])\w+(?:'s|’s)) (?:mum|mother|dad|father|family|sister|brother|"
                         r"wife|husband|partner|son|daughter|parents)(?: (?-i:[A-Z])\w+)?,? (?:said|says|added|told us)|"
                         r"\w+ years? ago (?:today|tonight|this week|this month)|"
                         # Time since, a death long past, a family kept updated: identified, the family told.
                         r"(?:a|one|two|three|four|six|\d+) (?:weeks?|months?|years?) (?:since|on from)|"
                         r"(?:died|killed|murdered|lost (?:his|her|their) li(?:fe|ves))\b[^.]{0,40}? in (?:19|20)\d\d|"
                         r"memorial (?:day|service)|keeping (?:his|her|their|(?-i:[A-Z])[\w-]+(?:'s|’s)) family "
                         r"(?:updated|informed))\b", re.I)
# "The trial of X, accused of causing the death of Y", "charges in connection with the death of Y": a death
# already before a court, where the dead person has long been identified and the family told.
COURT = re.compile(r"\b(?:(?:the|a|his|her|their) trial|(?:the )?jury|"
                   r"charges? (?:in connection with|over|relating to)|"
                   r"accused of (?:causing|the murder|murder|manslaughter|killing)|"
                   r"denies (?:the )?(?:murder|manslaughter|causing|killing))\b", re.I)
INQUEST = re.compile(r"\binquests?\b", re.I)
FORMAL = re.compile(r"\bformal(?:ly)? identif\w+\b", re.I)
# "Formal identification has not yet taken place": the opposite of done.
PENDING = re.compile(r"\b(?:formal identification (?:has not|hasn't|has yet|is yet|is still|will|is awaited)|"
                     r"(?:yet|still) to be formally identified|not (?:yet )?(?:been )?formally identified)\b", re.I)


def concerns(post: Post, context: Context) -> bool:
    """Whether the post speaks of a death not yet settled by the family being told and the
    identification done (as the text or the recorded context says)."""
    if context.death is False or not (context.death or DEATH.search(post.text)):
        return False
    if STAGE["concluded"].search(post.text):
        return False
    told, identified = settled(post, context)
    return not (told and identified)


def settled(post: Post, context: Context) -> tuple[bool, bool]:
    """Whether the family has been told and the identification done, as the recorded context says or,
    where it is silent, the text (an inquest is opened only once both are)."""
    told = (context.family_informed if context.family_informed is not None
            else bool(INQUEST.search(post.text) or FAMILY_TOLD.search(post.text)))
    identified = (context.formally_identified if context.formally_identified is not None
                  else bool(FORMAL.search(post.text)) and not PENDING.search(post.text) or told)
    return told, identified


def check(post: Post, context: Context, contacts: Contacts) -> list[Finding]:
    """Names near a death, unless the family has been told and identification is done."""
    if context.death is False or not (context.death or DEATH.search(post.text)):
        return []
    if STAGE["concluded"].search(post.text) or post.is_missing_appeal and not DEATH.search(post.text):
        return []
    told, identified = settled(post, context)
    if told and identified:
        return []
    out: list[Finding] = []
    severity = SERIOUS if context.family_informed is False or not told else WARNING
    for name in post.people:
        sentence = post.sentence_of(name.start)
        window = post.text[max(sentence.start - 200, 0):min(sentence.end + 200, len(post.text))]
        if DEATH.search(window) and not post.has("charge", sentence) and not COURT.search(sentence.text):
            out.append(finding(CODE, severity, name.start, name.end, post.text,
                               f"“{name.text}” may name someone who has died", WHY, ACTION))
    for span, kind in identifying(post):
        window = post.text[max(span.start - 200, 0):span.end + 200]
        if DEATH.search(window):
            out.append(finding(CODE, severity, span.start, span.end, post.text,
                               f"“{span.text}” ({kind}) may identify someone who has died", WHY, ACTION))
    for match in NAMED.finditer(post.text):
        if not any(f.start >= match.end() and f.start - match.end() < 3 for f in out):
            out.append(finding(CODE, severity, match.start(), match.end(), post.text,
                               f"“{match.group()}” identifies someone who has died", WHY, ACTION))
    return out
