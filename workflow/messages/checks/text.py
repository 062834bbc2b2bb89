"""Shared reading of a post: sentences, people's names, ages, and what stage a
case has reached. Plain patterns, no models: nothing is downloaded at run time."""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import cached_property

import regex

from workflow.messages.checks.given_names import SURNAMES as FAMILY_NAMES
from workflow.messages.checks.given_names import is_first_name, is_given

# Words that start with a capital but are not people: places, organisations,
# streets, days, months, and words that open a sentence (imperatives, function words).
NOT_NAMES = frozenset("""
a an the this that these those it its he she they we our his her their there here
police officers officer detectives detective anyone anybody everyone someone people if
when while after before during following today yesterday tomorrow tonight please thank thanks
thankfully sadly unfortunately update appeal appeals urgent missing found wanted
road street avenue lane close drive way crescent grove place terrace gardens court
walk mews rise hill row square parade view park green estate centre center station
school academy college university primary high grammar infant junior nursery hospital
church mosque temple surgery library museum stadium arena hall house farm bridge
market retail shopping industrial business precinct roundabout junction motorway interchange
quay wharf marina promenade seafront pier beach docks airport depot baths arcade plaza mall leisure
crown magistrates magistrates' youth county family coroner's coroners inquest court
council borough city town village county district ward forest moor common valley
north south east west northern southern eastern western upper lower greater central
new old great little saint st mount
monday tuesday wednesday thursday friday saturday sunday
january february march april may june july august september october november december
christmas easter halloween bonfire eid diwali ramadan bank holiday
uk england scotland wales britain british english welsh scottish irish london
constabulary force service services fire rescue ambulance nhs trust crimestoppers
action fraud neighbourhood neighbourhoods team teams unit command department rail railway enquiries
national regional roads policing operation op specialist major investigation
court's ltd limited plc bank shop store supermarket pub bar restaurant cafe club
hmp prison cps crown prosecution nca dvla rspca charity
mr mrs ms miss dr your you my me us royal infirmary serious collision
facebook twitter instagram whatsapp tiktok snapchat x website online email
victim witness suspect defendant man woman boy girl teenager
call contact email ring text phone visit report please help join follow share find see keep lock take stay
watch look check do don't never always have can could would will is are was were did has had
if for with and but or so as by on in at from to of not no yes why what where who how rip
wanderers athletic united rovers albion rangers celtic hotspur fc afc rlfc warriors
transit fiesta focus corsa astra mondeo qashqai juke octavia passat sprinter berlingo rover
sexual harm prevention assault referral incident portal order register scheme programme partnership
""".split())
# Words that end the name of a place or building.
PLACE_WORDS = frozenset("""
road street avenue lane close drive way crescent grove place terrace gardens court walk mews rise hill row
square parade view park green estate centre center station school academy college university primary high
grammar hospital infirmary church mosque temple surgery library museum stadium arena hall house farm bridge market
retail roundabout junction motorway council borough forest moor valley reservoir tower interchange quay wharf
marina promenade seafront pier beach docks airport depot baths arcade plaza mall leisure
""".split())
# Words that follow a place's name in an institution's ("Preston Youth Court", "Bolton Council").
INSTITUTION_WORDS = frozenset("""
youth magistrates magistrates' crown county coroner's coroners family council borough city town district
police fire constabulary university college hospital united rovers athletic wanderers albion city town
""".split())
# Place words that are also common surnames.
SURNAMES = frozenset("hall green hill wood lane park field bridge church house street moor mount north "
                     "west east south little young new marsh brook farm".split())
# A candidate that starts with a rank or role is an officer or official, not a person in the case.
RANKS = frozenset("""
pc dc ds di dci dsi dsu dcs ps sgt sergeant insp inspector supt superintendent ch chief det detective
constable officer commander commissioner acc dcc pcso sio judge recorder justice assistant deputy
community support special cllr councillor mayor sir dame professor prof
""".split())

# Ranks, roles and titles before a name that make it an officer, judge or
# spokesperson speaking for the force, not a person in the case.
OFFICIAL = re.compile(
    r"(?:\b(?:PC|DC|DS|DI|DCI|DSI|DSU|DCS|PS|Sgt|Sergeant|Insp|Inspector|Supt|Superintendent|Ch|Chief|Det|"
    r"Detective|Constable|Officer|Commander|Commissioner|ACC|DCC|PCSO|SIO|Judge|Recorder|Justice|Honour|"
    r"Lord|Lady|Cllr|Councillor|Mayor|Sir|Dame|Professor|Prof)\.?\s+"
    r"(?:[A-Z][a-z]+\s+){0,2}$)")

NAME = regex.compile(
    r"(?<![\p{L}’-])(?<![\p{L}]')(?:(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+)?"
    r"\p{Lu}[\p{Ll}'’]+(?:-\p{Lu}[\p{Ll}'’]+)?"
    r"(?:\s+(?:(?:Mc|Mac|O'|O’)?\p{Lu}[\p{Ll}'’]+(?:-\p{Lu}[\p{Ll}'’]+)?)){1,2}(?![\p{L}])")
TITLED = regex.compile(r"(?<![\p{L}])(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+\p{Lu}[\p{Ll}'’]+(?:-\p{Lu}[\p{Ll}'’]+)?")
# "fifteen-year-old jack, who was stabbed": a word after an age that is not a noun is a name.
AFTER_AGE = re.compile(r"\b(?:\d{1,3}|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|"
                       r"nineteen|twenty)[- ]years?[- ]old ([A-Za-z][a-z'’-]+)(?=,| who\b| from\b| was\b|"
                       r" is\b| has\b)",
                       re.I)
COMMON_NOUNS = frozenset("""
man woman boy girl child teenager teen youth pupil student driver rider cyclist pedestrian motorcyclist
passenger victim suspect defendant resident son daughter mother father person male female lad lass youngster
baby toddler grandmother grandfather mum dad worker walker jogger runner customer shopper tenant neighbour
local schoolboy schoolgirl apprentice nurse pensioner widow widower men women boys girls drivers
people youths teenagers children males females suspects passengers
""".split())
NAME_CUE = re.compile(r"(?:\b(?:was|is|named|called|known (?:locally |to friends |to everyone )?as|nicknamed|aka|arrested|detained|questioned|"
                      r"interviewed|supporting|victim|friend|pal|mate)\s+['‘\"“]?)$", re.I)
PLACE_BEFORE = re.compile(r"\b(?:from|in|at|on|near|outside|into|towards|via|along|around|across|"
                          r"through|within|between|the|called|visit|contact)\s+$|"
                          r"\b(?:between|from) [A-Z][\w'’-]+ (?:and|to)\s+$|"
                          # "addresses in Blackpool and Preston": the second of two places.
                          r"\b(?:in|at|across|around|near|throughout) (?-i:[A-Z])[\w'’-]+(?:, (?-i:[A-Z])[\w'’-]+)*,? "
                          r"(?:and|or)\s+$|"
                          r"\b(?:borough|county|city|district|council|vale|isle) of [A-Z][\w'’-]+ and\s+$|"
                          # "Hartsholme Country Park, Lincoln": the town after a place's name.
                          r"\b(?-i:[A-Z])\w* (?:" + "|".join(sorted(PLACE_WORDS)) + r"),\s+$", re.I)
STAGE_WORDS = {
    "arrest": r"arrested|under arrest|released on (?:police )?bail|bailed|released under investigation|"
              r"helping (?:police |officers |us )?with (?:their |our )?enquiries|in (?:police )?custody|"
              r"detained|"
              r"interviewed under caution|voluntary interview|(?:remains|is|was) under investigation|"
              r"released pending|"
              r"assisting (?:police |officers )?with (?:their )?enquiries|into (?:police )?custody|"
              r"on suspicion of|"
              r"being questioned|held for questioning|picked up|in the cells|nabbed|collared|"
              r"handed (?:himself|herself|themselves) in|held (?:on suspicion|overnight|in custody)",
    "charge": r"charged|remanded|(?:will|is due to|are due to|due to) appear|appeared (?:at|before)|"
              # "at court on Monday", not "Jubilee Court on Wellington Road"
              r"(?-i:court on) (?:(?:mon|tues|wednes|thurs|fri|satur|sun)day|\d)|in court|pleaded not guilty|"
              r"stand trial",
    "concluded": r"sentenced|jailed|imprisoned|convicted|found guilty|pleaded guilty|admitted (?:the |\w+ )?"
                 r"(?:offence|charge|counts?)|given a (?:[\w£-]+ ){0,3}?(?:suspended|community|custodial|prison|jail)|"
                 r"suspended sentence|ordered to|detention order|"
                 r"locked up|behind bars",
}
STAGE = {k: re.compile(rf"\b(?:{v})\b", re.I) for k, v in STAGE_WORDS.items()}
MISSING = re.compile(r"\b(?:missing|have you seen|concern for (?:the )?(?:welfare|safety)|"
                     r"concern (?:is )?(?:growing )?for|"
                     r"if you see (?:him|her|them)|last seen|whereabouts|"
                     r"found (?:safe|well)|been found(?! (?:guilty|not guilty|dead|with|in possession|to have))|"
                     r"help us find|trace)\b", re.I)
CRIME = re.compile(r"\b(?:arrest\w*|charged|suspect\w*|victim|assault\w*|attack\w*|robbery|stabb\w*|rape|"
                   r"sexual|offence|crime|injur\w+|murder|wanted)\b", re.I)
AGE_AFTER = re.compile(r"^\s*(?:,\s*(?:aged\s+)?|\(|\s+aged\s+)(\d{1,3})\b")
WORD_AGES = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
             "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
             "sixteen": 16, "seventeen": 17}
WORD_AGE = re.compile(r"\b(?:(ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen)[- ]years?[- ]old|"
                      r"(?<=aged )(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|"
                      r"fourteen|fifteen|sixteen|seventeen))\b|"
                      r"\b(1[0-7]|[5-9])\s?(?:yo|y/o|yrs? old|yr-old|yrs?-old)\b", re.I)
AGE = re.compile(r"(?:\b(?:aged|(?:believed|thought) to be(?: aged)?)\s+(?:around\s+|about\s+|"
                 r"between\s+)?(\d{1,2})\b|\b(\d{1,2})[- ]years?[- ]old\b|"
                 r"\((\d{1,2})\)|,\s*(\d{1,2})\s*(?:,|[.;:](?:\s|$)|$))", re.I)
HOUSE_ADDRESS = regex.compile(
    r"(?<![\p{L}\d£.,/:-])(?:(?:[Ff]lat|[Aa]partment|[Uu]nit)\s+\d+[a-z]?,?\s+)?\d{1,4}[a-zA-Z]?,?\s+"
    r"(?:(?:Heol|Ffordd|Stryd|Lôn|Lon|Rhodfa|Cae|Maes|Ty|Tŷ|Pant|Bryn|Cwrt)(?:\s+(?:y|yr))?"
    r"(?:\s+\p{Lu}[\p{Ll}'’]+){1,2}(?![\p{L}])|"
    r"(?:\p{Lu}[\p{Ll}'’]+\s+){1,3}(?:Road|Street|Avenue|Lane|Close|Drive|Way|Crescent|Grove|Place|Terrace|"
    r"Gardens|Court|Walk|Mews|Rise|Hill|Row|Square|Parade|View|Green|Fold|Brow|Croft|Meadows?|Vale|Circle|"
    r"Park|Wynd|Chase|Glade|Hollow|Way|Rd|St|Ave)\b)")


# A word, not the tail of one ("don't", "O'Neill"); a word in single quotes ('Danny') is one.
WORD = regex.compile(r"(?<![\p{L}\d’-])(?<![\p{L}\d]')\p{L}[\p{L}'’]*(?<!')(?![\p{L}])")


@dataclass(frozen=True)
class Span:
    """A stretch of the text: its bounds and its words."""

    start: int
    end: int
    text: str


def _in_address(text: str, start: int, end: int) -> bool:
    """Whether a word is part of an e-mail or web address ("jane" in jane.doe@gmail.com)."""
    left = text.rfind(" ", 0, start) + 1
    right = text.find(" ", end)
    token = text[left:len(text) if right < 0 else right]
    return "@" in token or "://" in token or token.lower().startswith("www.")


def _plain(word: str) -> str:
    return re.sub(r"['’]s$", "", word.lower()).strip("'’.,")


# The start of a list item: a bullet, a dash, an emoji marker or a number at the start of a line.
BULLET = regex.compile(r"(?m)^[ \t]*(?:[•·▪◾◽▫■□●○◆◇►▶➡→✅✔☑🔹🔸🔷🔶🔵🔴⚫⚪🟢🟡🟠🟣*-]|▪️|\d{1,2}[.)])[\uFE0F]?[ \t]+(?=\S)")


class Post:
    """A post's text read once, for every rule."""

    def __init__(self, text: str) -> None:
        self.text = text or ""
        self._stages: dict[tuple[str, int, int], bool] = {}

    @cached_property
    def sentences(self) -> list[Span]:
        """Sentences (and lines), with their place in the text."""
        out, start = [], 0
        for match in re.finditer(r"(?<!\b[A-Z])(?<!\bSt)(?<!\bMr)(?<!\bMrs)(?<!\bDr)[.!?]+['\"”’)]*(?=\s)|"
                                 r"\n+", self.text):
            out.append(Span(start, match.end(), self.text[start:match.end()]))
            start = match.end()
        if start < len(self.text):
            out.append(Span(start, len(self.text), self.text[start:]))
        return [s for s in out if s.text.strip()]

    @cached_property
    def items(self) -> list[Span]:
        """The items of a list or digest ("• Marcus Bell, 49, ...", "- A 19-year-old ..."), each with the
        lines that follow it; none when the post is not a list of at least two items."""
        starts = [m.start() for m in BULLET.finditer(self.text)]
        if len(starts) < 2:
            return []
        out = []
        for number, start in enumerate(starts):
            end = starts[number + 1] if number + 1 < len(starts) else len(self.text)
            blank = self.text.find("\n\n", start, end)  # a closing paragraph is not part of the last item
            out.append(Span(start, end if blank < 0 else blank, self.text[start:end if blank < 0 else blank]))
        return out

    def scope(self, pattern: re.Pattern) -> list[Span]:
        """Where a rule about what ``pattern`` finds should look: the whole post, or in a digest only the
        items that speak of it (a sexual offence in one item says nothing about the next item's people)."""
        whole = [Span(0, len(self.text), self.text)]
        if not self.items:
            return whole
        inside = [item for item in self.items if pattern.search(item.text)]
        outside = any(not any(i.start <= m.start() < i.end for i in self.items) for m in pattern.finditer(self.text))
        return whole if outside or not inside else inside

    def item_of(self, position: int) -> Span | None:
        """The digest item holding a position, if any."""
        return next((i for i in self.items if i.start <= position < i.end), None)

    @cached_property
    def names(self) -> list[Span]:
        """Spans that look like a person's name (not an officer, place or organisation)."""
        found: list[Span] = []
        for match in NAME.finditer(self.text):
            span = self._as_person(match.start(), match.group())
            if span is not None:
                found.append(span)
        for match in TITLED.finditer(self.text):
            if not any(s.start <= match.start() < s.end for s in found) and not OFFICIAL.search(
                    self.text[max(0, match.start() - 40):match.start()]):
                found.append(Span(match.start(), match.end(), match.group()))
        return sorted(found, key=lambda s: s.start)

    def _after_age(self) -> list[Span]:
        out = []
        for match in AFTER_AGE.finditer(self.text):
            word = match.group(1)
            if word.lower() not in COMMON_NOUNS and _plain(word) not in NOT_NAMES:
                out.append(Span(match.start(1), match.end(1), word))
        return out

    @cached_property
    def people(self) -> list[Span]:
        """Full names, and single given names or nicknames ("arrested jason", "thanks to Gary",
        "is Graham, 67"), which a full-name pattern misses."""
        found = list(self.names) + [s for s in self._after_age() if not any(
            n.start <= s.start < n.end for n in self.names)]
        covered = {i for s in found for i in range(s.start, s.end)}
        words = list(WORD.finditer(self.text))
        for number, match in enumerate(words):
            word, start = match.group(), match.start()
            if start in covered or (len(word) > 1 and word.isupper()) \
                    or _in_address(self.text, start, match.end()):
                continue
            if self._single_name(words, number):
                found.append(Span(start, match.end(), word))
            elif number and word.islower() and word in FAMILY_NAMES and words[number - 1].group().islower() \
                    and _plain(words[number - 1].group()) not in NOT_NAMES \
                    and self.text[words[number - 1].end():start] == " ":
                first = words[number - 1].start()
                found.append(Span(first, match.end(), self.text[first:match.end()]))
                covered.update(range(first, match.end()))
        return sorted(found, key=lambda s: s.start)

    def _single_name(self, words: list, number: int) -> bool:
        match = words[number]
        word, start, end = match.group(), match.start(), match.end()
        capital, plain = word[0].isupper(), _plain(word)
        aged = capital and AGE_AFTER.match(self.text[end:end + 12]) is not None
        before = self.text[max(0, start - 40):start]
        # "the man pulled from the water was Marcin", "known as 'Titch'": a capitalised word after
        # a naming cue is a name even when it is not on the list.
        cued = capital and bool(NAME_CUE.search(before))
        if plain in NOT_NAMES or plain in RANKS or plain in COMMON_NOUNS \
                or not (is_given(plain, capitalised=capital) or aged or cued):
            return False
        opening = not before.strip() or before.rstrip()[-1] in ".!?:|\n\"“-" or "\n" in before[-3:]
        if capital and opening and not is_given(plain, capitalised=False) and not aged:
            return False  # "Will officers ...", "Mark your bike": an ordinary word opening a sentence
        for other in words[max(0, number - 1):number] + words[number + 1:number + 2]:
            if not other.group()[0].isupper():
                continue
            gap = self.text[min(other.end(), end):max(other.start(), start)]
            # Part of a longer proper noun ("King's Lynn", "Graham Street", "PC Sarah Whitfield").
            plain_other = _plain(other.group())
            if gap.strip(" ") == "" and (plain_other not in NOT_NAMES or plain_other in PLACE_WORDS
                                         or plain_other in INSTITUTION_WORDS):
                return False
        if OFFICIAL.search(before) or re.search(r"\b(?:PD|PC|DC|DS|Sgt|Insp)\s+$", before):
            return False
        return not (PLACE_BEFORE.search(before) and not aged)

    def _as_person(self, start: int, words: str) -> Span | None:
        tokens = [(start + m.start(), m.group()) for m in re.finditer(r"\S+", words)]
        titled = tokens[0][1].rstrip(".") in {"Mr", "Mrs", "Ms", "Miss", "Mx", "Dr"}
        if tokens[0][1].rstrip(".") in {"St", "Saint"} or re.search(r"\b(?:St|Saint)\.?\s+$",
                                                                    self.text[max(0, start - 7):start]):
            return None  # "St Ann's Well Road", "St Helen's": a place or a church named after a saint
        # Trim words that cannot start or end a name ("Officers ... John Smith Road").
        while tokens and not titled and _plain(tokens[0][1]) in NOT_NAMES:
            tokens = tokens[1:]
        # An age straight after ("Derek Hall, 60") makes a surname of a word like Hall or Green.
        aged = AGE_AFTER.match(self.text[start + len(words):start + len(words) + 12])
        while tokens and _plain(tokens[-1][1]) in NOT_NAMES and not (aged and _plain(tokens[-1][1]) in SURNAMES):
            if _plain(tokens[-1][1]) in PLACE_WORDS:
                return None  # "Scout Bottom Bridge", "Ashton Sixth Form College": a place, not a person
            tokens = tokens[:-1]
        inner = [t for _, t in tokens[1:-1]] + ([] if aged else [tokens[-1][1]] if tokens else [])
        if len(tokens) < 2 or _plain(tokens[0][1]) in RANKS or any(_plain(t) in NOT_NAMES for t in inner):
            return None
        if len(tokens) > 2 and not titled and not is_first_name(_plain(tokens[0][1])) \
                and is_first_name(_plain(tokens[1][1])):
            tokens = tokens[1:]  # "Neighbour Barry Knowles", "Farmer Gwyn Morgan": a role before the name
        first, end = tokens[0][0], tokens[-1][0] + len(tokens[-1][1])
        before = self.text[max(0, first - 40):first]
        if not (titled or aged or is_first_name(_plain(tokens[0][1])) or NAME_CUE.search(before)):
            return None  # "Newark Northgate", "Serious Collision": no first name, so not a person
        if OFFICIAL.search(before):
            return None
        if not titled and PLACE_BEFORE.search(before) and not AGE_AFTER.match(self.text[end:end + 12]):
            return None
        following = WORD.match(self.text, end + 1) if self.text[end:end + 1] == " " else None
        if following and following.group().islower() and following.group() in PLACE_WORDS:
            return None  # "Newark Northgate station": a place named after its own word for what it is
        return Span(first, end, self.text[first:end])

    def age_after(self, span: Span) -> int | None:
        """The age written straight after a name ("Jo Bloggs, 34," or "(34)")."""
        match = AGE_AFTER.match(self.text[span.end:span.end + 12])
        return int(match.group(1)) if match else None

    def ages(self) -> list[tuple[int, Span]]:
        """Every age stated in the text, with where it is."""
        out = []
        for match in AGE.finditer(self.text):
            value = next(g for g in match.groups() if g)
            out.append((int(value), Span(match.start(), match.end(), match.group())))
        for match in WORD_AGE.finditer(self.text):
            word = match.group(1) or match.group(2)
            value = WORD_AGES[word.lower()] if word else int(match.group(3))
            out.append((value, Span(match.start(), match.end(), match.group())))
        return out

    def sentence_of(self, position: int) -> Span:
        """The sentence holding a position (rules ask it once per name: found by halving, not a scan)."""
        number = bisect_right(self._sentence_starts, position) - 1
        if number >= 0 and position < self.sentences[number].end:
            return self.sentences[number]
        return Span(0, len(self.text), self.text)

    @cached_property
    def _sentence_starts(self) -> list[int]:
        return [sentence.start for sentence in self.sentences]

    def has(self, stage: str, within: Span | None = None) -> bool:
        """Whether the text (or one sentence of it) speaks of a stage: arrest, charge, concluded.

        Remembered per sentence: rules ask it once per name, and a long text has many."""
        key = (stage, within.start if within else -1, within.end if within else -1)
        if key not in self._stages:
            self._stages[key] = bool(STAGE[stage].search(within.text if within else self.text))
        return self._stages[key]

    @cached_property
    def is_missing_appeal(self) -> bool:
        """A missing-person appeal or its "found safe" update, with no crime in it."""
        return bool(MISSING.search(self.text)) and not CRIME.search(self.text)

    def addresses(self) -> list[Span]:
        """House-number addresses ("14 Elm Grove")."""
        return self._addresses

    @cached_property
    def _addresses(self) -> list[Span]:
        return [Span(m.start(), m.end(), m.group()) for m in HOUSE_ADDRESS.finditer(self.text)]
