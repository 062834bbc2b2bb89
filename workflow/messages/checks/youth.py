"""``legal.youth``: a child or young person (under 18) identified as a suspect,
defendant, victim or witness. A missing-child appeal is the exception."""
from __future__ import annotations

import re

from workflow.messages.checks import deceased
from workflow.messages.checks.findings import SERIOUS, Contacts, Context, Finding, finding
from workflow.messages.checks.identify import identifying
from workflow.messages.checks.text import Post, Span

CODE = "legal.youth"
WHY = ("Children and young people under 18 involved in a case, as suspect, defendant, victim or witness, "
       "are not identified: youth courts bar it automatically and other courts usually order it "
       "(Children and Young Persons Act 1933 s.49, Youth Justice and Criminal Evidence Act 1999 s.45; "
       "College of Policing media relations guidance).")
ACTION = ("Remove the name, school, exact address and any photograph; describe them only as "
          "“a 15-year-old boy from <town>”. A missing-child appeal is the one exception.")
YOUNG = re.compile(r"\b(?:boy|girl|teenager|teen|schoolboy|schoolgirl|pupil|youth|youngster|juvenile|"
                   r"child|children|kids?|son|daughter|student|year \d+)s?\b", re.I)
SCHOOL = re.compile(r"\b(?:[A-Z][\w'’.]+ ){1,4}(?:Primary|High|Grammar|Academy|School|College|Infants|"
                    r"Juniors|(?i:nursery|pre-school|preschool))"
                    r"(?: School| Academy)?\b|\b(?:pupil|student)s? (?:at|of) (?:[A-Z][\w'’]+ ?){1,4}")
# "... is 16 and lives locally": an age stated on its own.
STATED_AGE = re.compile(r"\b(?:is|was|are|were|aged) (?:only |just )?(?:1[0-7]|[1-9])(?= and\b|[.,;]|$| when\b| at the "
                        r"time\b)")
PUPILS = re.compile(r"\b(?<!my )(?<!our )(?:boys?|girls?|pupils?|schoolboys?|schoolgirls?|schoolchildren|schoolkids|teens?|"
                    r"teenagers?|youngsters?|kids|children|lads|juveniles?|under-?(?:1[0-8])s?|"
                    r"year \d+ (?:pupils?|students?|boys?|girls?))\b", re.I)
CASE = re.compile(r"\b(?<!anti-)(?:arrest\w*|detained|charged|suspect\w*|victim|assault\w*|attack\w*|robb\w+|stabb\w*|"
                  r"theft|stole\w*|damage\w*|disorder|antisocial|anti-social|threat\w*|knife|fight\w*|"
                  r"injur\w+|"
                  r"smash\w*|vandal\w*|bull(?:y|ied|ying)|witness\w*|offence\w*|crime|hit by|collision|"
                  r"crash|died|"
                  r"killed|death|bitten|mauled|punch\w*|kick\w*|hurt|harm\w*|abuse\w*|exploit\w*|groom\w*|"
                  r"break[- ]?ins?|"
                  r"breaking|broke|burglar\w*|graffiti|bail\w*|custody|saw|spotted|description|court|"
                  r"hospital|questioned|interviewed|shoplift\w*|fire|arson|throw\w*|thrown|threw|"
                  r"firework\w*|nuisance|"
                  r"speak to|identify|recogni[sz]e|know (?:them|him|her|who)|drugs?|weapon|hit[- ]and[- ]run|"
                  r"failed to stop|knocked (?:off|down|over)|broken (?:leg|arm|wrist|ankle|jaw|nose)|"
                  r"fractur\w+)\b", re.I)
HOME_STREET = re.compile(r"\b(?:(?:his|her|their) homes? |lives? |living )(?:on|in) (?:[A-Z][\w']+ ){1,4}"
                         r"(?:Road|Street|Avenue|Lane|Close|Drive|Way|Crescent|Grove|Place|Terrace|Gardens|"
                         r"Walk|"
                         r"Mews)\b")
RELATIVE = re.compile(r"\b(?:boy|girl|child|teenager|youngster|pupil)'s (?:\w+ )?(?:brother|sister|mother|"
                      r"father|"
                      r"mum|dad|parents?|uncle|aunt|grandparents?|grandmother|grandfather)\b|"
                      r"\b(?:(?:one|two|both) of (?:them|the \w+) (?:is|are) )?(?:the )?(?:son|daughter|"
                      r"sons|daughters|"
                      r"brother|sister|nephew|niece|grandson|granddaughter) of (?:the|a|local|"
                      r"well-known) \w+", re.I)
PHOTO = re.compile(r"\b(?<!get )(?<!remove )(?<!removing )(?<!delete )(?<!chats or )(?<!send )(?<!sending )"
                   r"(?<!sent )(?<!sent us )(?<!sent in )(?<!sent officers )(?<!share )(?<!sharing )(?<!nude )(?<!explicit )"
                   r"(?<!intimate )(?<!private )(?:pictured|photo(?:graph)?|picture|image|pic|pics|cctv|footage|"
                   r"video|still(?=s? (?:image|from|of|below|above|attached|shows?)))s?\b", re.I)
# "about 12-13", "aged 14 to 16": a range of ages under 18.
AGE_RANGE = re.compile(r"\b(?:1[0-7]|[5-9]) ?(?:-|–|to|or) ?(?:1[0-7]|[5-9])\b(?! ?(?:am|pm|mph|miles|"
                       r"minutes|hours|years? ago))")

AGE_BEFORE = re.compile(r"\b(\d{1,2})-year-old\s+$")
NO_CHILD = re.compile(r"\b(?:no (?:children|child|pupils?) (?:were |was )?(?:involved|hurt|harmed|at risk)|"
                      r"not connected to the school|nothing sinister|no offences? (?:took place|(?:was|were) "
                      r"committed))\b", re.I)
ROAD_SCENE = re.compile(r"\b(?:collision|crash|accident|road closure|roadworks) (?:outside|near|by|opposite|"
                        r"close to) (?:the )?$", re.I)
APPEAL_FOR = re.compile(r"\b(?:anyone|anybody|if you (?:have|took|captured|recorded)|do you have)\b", re.I)


def check(post: Post, context: Context, contacts: Contacts) -> list[Finding]:
    """Identifying details of someone under 18 in a case."""
    if post.is_missing_appeal or context.child_involved is False:
        return []
    young_ages = [span for age, span in post.ages() if age < 18]
    # Pupils in a case (no age given) are children too: "Year 10 pupils from Hindley High School".
    pupils = bool((PUPILS.search(post.text) or STATED_AGE.search(post.text)) and CASE.search(post.text))
    young_ages += [Span(m.start(), m.end(), m.group()) for m in STATED_AGE.finditer(post.text)]
    if PUPILS.search(post.text):
        young_ages += [Span(m.start(), m.end(), m.group()) for m in AGE_RANGE.finditer(post.text)]
    if not (young_ages or pupils or context.child_involved):
        return []
    out: list[Finding] = []
    in_case = bool(CASE.search(post.text))
    dead = _named_in_death(post, context)
    # "18-year-old Kyle Mensah ... Kyle has been formally identified": a person keeps their age.
    known_ages: dict[str, int] = {}
    for name in post.people:
        stated = post.age_after(name)
        stated = stated if stated is not None else _age_before(post, name)
        if stated is not None:
            known_ages.setdefault(_first(name.text), stated)
            known_ages.setdefault(_last(name.text), stated)  # "Derek Mallinson, 64 ... Mallinson"
    for name in post.people:
        if _first(name.text) in dead:
            continue  # a child who has died, named once the family is told and the identification done
        age = known_ages.get(_first(name.text))
        # A name with no age of its own, in a case about someone under 18, may well be theirs.
        unaged = age is None and (bool(young_ages) and in_case or pupils
                                  or bool(context.child_involved))
        if (age is not None and age < 18) or unaged:
            out.append(_finding(post, name.start, name.end, "names someone under 18"))
    # "Not connected to the school, no children were involved": the school is reassured, not a child's.
    schools = [] if NO_CHILD.search(post.text) else SCHOOL.finditer(post.text)
    for match in schools:
        if ROAD_SCENE.search(post.text, max(0, match.start() - 40), match.start()):
            continue  # "a collision outside Westwood Primary School": where it happened on the road
        out.append(_finding(post, match.start(), match.end(), "names the school of someone under 18"))
    for address in post.addresses():
        out.append(_finding(post, address.start, address.end, "gives the address of someone under 18"))
    adults = [name for name in post.people
              if max(known_ages.get(_first(name.text), 0), known_ages.get(_last(name.text), 0)) >= 18]

    def of_an_adult(start: int, end: int) -> bool:
        """"A custody image of Mallinson": a picture of the adult convicted, not of a child."""
        of = re.match(r" of ([A-Z][\w'’-]+)", post.text[end:end + 40])
        return bool(of and known_ages.get(of.group(1), 0) >= 18) or any(
            post.sentence_of(start) == post.sentence_of(name.start) for name in adults)

    for span, kind in identifying(post):
        if kind == "a picture" and of_an_adult(span.start, span.end):
            continue
        out.append(_finding(post, span.start, span.end, f"({kind}) may identify someone under 18"))
    for match in RELATIVE.finditer(post.text):
        out.append(_finding(post, match.start(), match.end(), "points to the family of someone under 18"))
    for match in HOME_STREET.finditer(post.text):
        out.append(_finding(post, match.start(), match.end(), "gives the street where someone under 18 lives"))
    for match in PHOTO.finditer(post.text):
        if post.text[max(0, match.start() - 9):match.start()].lower() == "indecent ":
            continue  # "indecent images of children": the offence, not a photograph of anyone
        if APPEAL_FOR.search(post.sentence_of(match.start()).text):
            continue  # "anyone with dashcam footage ...": footage asked for, not a picture published
        if of_an_adult(match.start(), match.end()):
            continue
        if pupils or any(abs(span.start - match.start()) < 120 for span in young_ages):
            out.append(_finding(post, match.start(), match.end(), "may show someone under 18 in a photograph"))
    return out


def _named_in_death(post: Post, context: Context) -> set[str]:
    """First names of the dead in a post about a death that is settled (the family told, the identification
    done): a child who died is named as anyone who died is. Not in a sentence about an arrest or a charge,
    where a second child may be the one accused."""
    told, _ = deceased.settled(post, context)
    if not (told and deceased.DEATH.search(post.text)) or deceased.concerns(post, context):
        return set()
    return {_first(name.text) for name in post.people
            if (sentence := post.sentence_of(name.start)) and deceased.DEATH.search(sentence.text)
            and not (post.has("arrest", sentence) or post.has("charge", sentence))}


def _age_before(post: Post, name: Span) -> int | None:
    match = AGE_BEFORE.search(post.text, max(0, name.start - 20), name.start)
    return int(match.group(1)) if match else None


def _last(name: str) -> str:
    return re.sub(r"['’]s?$", "", name.split()[-1])


def _first(name: str) -> str:
    return re.sub(r"['’]s?$", "", name.split()[0])


def _finding(post: Post, start: int, end: int, found: str) -> Finding:
    return finding(CODE, SERIOUS, start, end, post.text, f"“{post.text[start:end]}” {found}", WHY, ACTION)
