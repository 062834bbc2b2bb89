"""``legal.arrested_named``: someone arrested, bailed or under investigation who
is named or otherwise identified. Naming at charge is normal and stays quiet."""
from __future__ import annotations

import re

from workflow.messages.checks.deceased import DEATH
from workflow.messages.checks.findings import SERIOUS, Contacts, Context, Finding, finding
from workflow.messages.checks.identify import identifying
from workflow.messages.checks.text import STAGE, Post

# Wider than the arrest stage the other rules read: being questioned or interviewed about an offence,
# or held, also makes a named person someone under investigation.
UNDER_SUSPICION = re.compile(
    r"\b(?:questioned|quizzed|interviewed|being held|held by (?:police|officers)|taken into custody|"
    r"released without charge|no further action|helping (?:police|officers|detectives)|"
    r"(?:a|the|our) (?:main |prime )?suspect (?:is|was|has been)(?! (?:a|an|described|white|black|mixed|asian|"
    r"about|around|aged|thought|believed|still|wearing|in (?:his|her|their))\b)|under caution)\b", re.I)

# "Councillor Malcolm Heseltine, 63, who represents the Spennymoor ward, was arrested": a titled name, which
# the names leave out as an official speaking, is here the person arrested.
TITLED_ARRESTED = re.compile(
    r"\b(?:Councillor|Cllr|Dr|Doctor|Reverend|Rev|Father|Professor|Prof|Sir|Lord|Lady|Dame|Imam|Rabbi|Pastor|"
    r"Canon|Judge|Captain|Major|Colonel|Sergeant|Sgt|PC|PCSO|DC|DS|Inspector|Mr|Mrs|Ms|Miss)\.? "
    r"[A-Z][\w'’-]+(?: (?!(?:School|Academy|College|Church|Hospital|Road|Street|Primary|High|Centre)\b)"
    r"[A-Z][\w'’-]+){0,2}(?=(?:, \d{1,2},?)?(?:,? who [^.]{0,80}?,)? (?:was|has been|had been|"
    r"is being|were) (?:arrested|detained|questioned|interviewed under caution|bailed|released (?:on bail|"
    r"under investigation)))")
# "Huge thanks to Gurpreet, the driver ...": someone thanked, not the person arrested.
THANKED = re.compile(r"\b(?:thanks|thank you|grateful|praise|shout[- ]?out|well done)(?: (?:go(?:es)?|also))? to\s+$",
                     re.I)
CODE = "legal.arrested_named"
WHY = ("People who are arrested are not normally named before they are charged (College of Policing "
       "media relations guidance): they may never be charged, and naming them risks their privacy and "
       "a fair trial.")
ACTION = ("Remove the name and anything else that identifies them, or record the authorising officer "
          "and the exceptional reason for naming them.")
# Other ways of identifying someone arrested: their workplace, a photograph, their home.
IDENTIFIED = re.compile(
    r"\b(?:(?:photo|picture|image|pictured)(?=:)|the (?:home ?owner|occupier|occupant|tenant|householder|"
    r"landlord)|"
    r"who works (?:at|for|as)|employed (?:at|by|as)|(?:a|an|the) (?:off-duty |local |former |serving )?"
    r"(?:teacher|nurse|doctor|carer|coach|manager|owner|worker|employee|member of staff|paramedic|"
    r"firefighter|"
    r"police officer|soldier|councillor|social worker|care worker) (?:at|from|of|"
    r"with) (?:the )?(?-i:[A-Z])\w*|"
    r"owner of|works at|who (?:owns|runs|manages)|"
    r"(?:the|a) (?:landlord|landlady|licensee|owner|manager|head ?teacher|teacher|vicar|coach|director|boss|"
    r"proprietor|chairman|chair|captain|priest|imam|doctor|gp) (?:of|at) (?:the )?(?-i:[A-Z])[\w']+|"
    r"pictured|(?:see |"
    r"in the )?"
    r"(?:photo|picture|image) (?:of (?:him|her|the (?:man|woman|suspect))|above|below|attached)|his home on|"
    r"her home on|their home on|lives (?:at|on)|(?:here(?:'s| is)|see) (?:a |the )?(?:photo|picture|image)|"
    r"(?:photo|picture|image) of (?:the )?(?:man|woman|person|suspect|pair|youths?) (?:we|officers|police) "
    r"(?:have )?(?:arrested|detained)|(?:the )?(?:son|daughter|husband|wife|brother|sister|partner|"
    r"father|mother|dad|mum) of (?:the|a) (?:well-known |local )?\w+|"
    r"(?:his|her|their) (?:shop|business|pub|salon|garage|caf[eé]|restaurant|takeaway|studio|firm) (?:on|in|"
    r"at)|"
    r"(?:who|which) (?:he|she|they) (?:owns?|runs?|manages?)|well[- ]known (?:at|in|to|around|on)|"
    r"familiar (?:face )?to|(?:will|may|might|would) recogni[sz]e (?:him|her|them)|a regular (?:at|on|in)|"
    r"known to (?:many|everyone|parents|locals|customers|regulars)|(?<!returned to )(?<!reunited with )"
    r"(?:the|its) (?:licensee|landlord|landlady|"
    r"proprietor|owner|manager|head ?teacher|caretaker|vicar|priest|imam|director|chairman|treasurer|"
    r"secretary|coach|lollipop (?:man|lady)|postman|postwoman|headmaster|headmistress)\b(?! of (?:a|"
    r"an)\b))\b",
    re.I)

ROLE = re.compile(r"\b(?:teacher|nurse|doctor|carer|coach|manager|paramedic|firefighter|police officer|"
                  r"councillor|social worker|care worker|vicar|priest|imam|caretaker|headteacher|"
                  r"head teacher|"
                  r"lecturer|dentist|pharmacist|instructor|youth worker|scout leader)\b", re.I)
INSTITUTION = re.compile(r"\b(?:[A-Z][\w'’]+ ){1,4}(?:School|Academy|College|Hospital|Infirmary|Surgery|"
                         r"Practice|"
                         r"Council|Church|Club|Centre|Nursery|University)\b")


def check(post: Post, context: Context, contacts: Contacts) -> list[Finding]:
    """Names, addresses or identifying details in a sentence about an arrest, not a charge."""
    if context.charged:
        return []
    out: list[Finding] = []
    # With no charge or result anywhere, every name in the post may be the person arrested (a post
    # about one arrest is about one person); otherwise only a name in the arrest's own sentence is.
    settled = STAGE["charge"].search(post.text) or STAGE["concluded"].search(post.text)
    reach = 0 if settled else len(post.sentences)
    sentences = post.sentences
    windows: list[tuple[int, int]] = []
    for number, sentence in enumerate(sentences):
        if not (STAGE["arrest"].search(sentence.text) or UNDER_SUSPICION.search(sentence.text)) \
                or _charged_or_done(post, sentence):
            continue
        nearby = sentences[max(0, number - reach):number + reach + 1]
        low, high = nearby[0].start, nearby[-1].end
        item = post.item_of(sentence.start)
        if item is not None:  # in a digest, an arrest is one item's news, not the next item's
            low, high = max(low, item.start), min(high, item.end)
        if windows and low <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(high, windows[-1][1]))  # one pass over overlapping windows
        else:
            windows.append((low, high))
        for match in TITLED_ARRESTED.finditer(sentence.text):
            out.append(finding(CODE, SERIOUS, sentence.start + match.start(), sentence.start + match.end(),
                               post.text, f"“{match.group()}” is named as the person arrested", WHY, ACTION))
        role, place = ROLE.search(sentence.text), INSTITUTION.search(sentence.text)
        if role and place:
            out.append(finding(CODE, SERIOUS, sentence.start + role.start(), sentence.start + role.end(), post.text,
                               f"“{role.group()}” with “{place.group()}” may identify someone arrested", WHY, ACTION))
    for low, high in windows:
        for match in IDENTIFIED.finditer(post.text, low, high):
            out.append(finding(CODE, SERIOUS, match.start(), match.end(), post.text,
                               f"“{match.group()}” may identify someone arrested", WHY, ACTION))
        for name in post.people:
            if low <= name.start < high and not _the_victim(post, name.start) \
                    and not THANKED.search(post.text, max(0, name.start - 30), name.start):
                out.append(finding(CODE, SERIOUS, name.start, name.end, post.text,
                                   f"“{name.text}” is named in a sentence about an arrest", WHY, ACTION))
        for address in post.addresses():
            if low <= address.start < high:
                out.append(finding(CODE, SERIOUS, address.start, address.end, post.text,
                                   f"the address “{address.text}” identifies someone arrested", WHY, ACTION))
        for span, kind in identifying(post):
            if low <= span.start < high:
                out.append(finding(CODE, SERIOUS, span.start, span.end, post.text,
                                   f"“{span.text}” ({kind}) may identify someone arrested", WHY, ACTION))
    return out


def concerns(post: Post, context: Context) -> bool:
    """Whether the post speaks of someone arrested, on bail or under investigation, not yet charged."""
    return not context.charged and any(
        (STAGE["arrest"].search(s.text) or UNDER_SUSPICION.search(s.text)) and not _charged_or_done(post, s)
        for s in post.sentences)


# "He has been named as Ryan Gallacher", "the death of Paul Renshaw": the victim, not the person arrested.
VICTIM_BEFORE = re.compile(r"(?:named (?:\w+ ){0,2}as|identified as|(?:the )?victim,?|death of|murder of|killing "
                           r"of|tributes? to|paid to|family of)\s+$", re.I)


def _the_victim(post: Post, position: int) -> bool:
    """A name given as the victim's (or the dead person's), outside the sentence about the arrest."""
    sentence = post.sentence_of(position)
    if STAGE["arrest"].search(sentence.text) or UNDER_SUSPICION.search(sentence.text):
        return False
    if VICTIM_BEFORE.search(post.text[max(sentence.start, position - 40):position]):
        return True
    name = next(p for p in post.people if p.start == position)
    return bool(set(_tokens(name.text)) & _the_dead(post))


PRONOUN = re.compile(r"\s*(?:he|she|they|his|her|their)\b", re.I)


def _the_dead(post: Post) -> set[str]:
    """Words of the names given in a sentence about a death and not about an arrest ("Thomas Grainger,
    24, was found with stab wounds ... and died at the scene")."""
    out: set[str] = set()
    sentences = post.sentences
    for person in post.people:
        sentence = post.sentence_of(person.start)
        if STAGE["arrest"].search(sentence.text) or UNDER_SUSPICION.search(sentence.text):
            continue
        # "Peggy Hulme, 79, was crossing Newcastle Road when she was struck. She died on Wednesday."
        after = next((s for s in sentences if s.start >= sentence.end), None)
        told = sentence.text + (after.text if after and PRONOUN.match(after.text) else "")
        if DEATH.search(told):
            out.update(_tokens(person.text))
    return out


def _tokens(name: str) -> list[str]:
    return [re.sub(r"(?:'s|’s|')$", "", word.strip("'‘’\"“”")).lower() for word in name.split()
            if word.rstrip(".").lower() not in {"mr", "mrs", "ms", "miss", "dr"}]


def _charged_or_done(post: Post, sentence) -> bool:
    return bool(STAGE["charge"].search(sentence.text) or STAGE["concluded"].search(sentence.text))
