"""The wider reading that lets the engine catch wording it has not met: single
and lower-case names, identifying details other than a name, claims about the
accused, and the numbers and wording that must stay quiet."""
from __future__ import annotations

import pytest

from workflow.messages.checks import run
from workflow.messages.checks.identify import identifying
from workflow.messages.checks.text import Post


# The rules' sensitivity: the learnt reading beside them has its own tests (test_learned.py).
def codes(text: str) -> set[str]:
    return {f.code for f in run(text, reader=False)}


@pytest.mark.parametrize("text, expected", [
    ("we've arrested jason over the break in on mill street", ["jason"]),
    ("Thanks to Gary the taxi driver who spotted the car", ["Gary"]),
    ("The man who died is Graham, 67, who lived alone", ["Graham"]),
    ("update: mo patel has been released under investigation", ["mo patel"]),
])
def test_single_and_lower_case_names_are_people(text, expected):
    assert [s.text for s in Post(text).people] == expected


@pytest.mark.parametrize("text", [
    "Congratulations to PC Sarah Whitfield on her award.",
    "Meet PD Bramble and PD Ash, our new police dogs.",
    "Mark your bike at the station. Will you join us?",
    "The road is closed near Graham Street in Leigh.",
    "We'll be in Preston on Saturday with free bike marking.",
])
def test_officers_ordinary_words_and_places_are_not_people(text):
    assert Post(text).people == []


def test_a_first_name_alone_next_to_an_arrest_is_flagged_at_the_name():
    text = ("Officers in Plymouth have questioned Dean, 41, about the stolen motorbikes. "
            "He was released under investigation.")
    assert [text[f.start:f.end] for f in run(text) if f.code == "legal.arrested_named"][:1] == ["Dean"]


@pytest.mark.parametrize("text, kind", [
    ("a teaching assistant at St Columba's Primary School", "a job at a named place"),
    ("arrested the man who lives there", "where they live"),
    ("she lived alone at number 27", "where they live"),
    ("one of them is the son of the cafe owner", "a family tie"),
    ("The man in the attached CCTV image has been detained", "a picture"),
])
def test_identifying_details_other_than_a_name(text, kind):
    assert kind in [found for _, found in identifying(Post(text))]


@pytest.mark.parametrize("text, code", [
    ("A teaching assistant at St Columba's Primary School in Omagh has been arrested over missing funds.",
     "legal.arrested_named"),
    ("The man who died in the crash was the landlord of the Fleece in Ripponden.",
     "legal.deceased_unconfirmed"),
    ("A man has been remanded in custody charged with murder. He was already on a suspended sentence.",
     "legal.prejudicial"),
    ("A man has been arrested after a woman was raped in her flat above the Co-op on Church Street.",
     "legal.sexual_offence_complainant"),
    ("pic of the lads we want to speak to about fireworks thrown at cars, they're local kids about 12-13",
     "legal.youth"),
    ("Members of the public are reminded that the judge has prohibited publication of the family's names.",
     "legal.reporting_restriction"),
    ("Man, 34, died after taking a large amount of his prescription medication. No one else was involved.",
     "privacy.suicide"),
    ("The elderly driver of the Yaris, who is partially sighted, has been spoken to.",
     "privacy.personal_data"),
])
def test_wider_wording_is_flagged(text, code):
    assert code in codes(text)


@pytest.mark.parametrize("text", [
    "If you've been affected by domestic abuse, call the national helpline on 0808 2000 247.",
    "Call Karen on 0300 123 4567 if you saw the fire: she runs our witness care unit.",
    "Three people were arrested for drugs offences and two knives were taken off the streets.",
    "A man was arrested after officers found 3kg of cannabis in his car on the M61. He's in custody.",
    "Concern is growing for Margaret Ellis, 81, who has Alzheimer's. If you see her please dial 999.",
    "Well done to all the pupils from Bishopsgarth School who joined our Mini Police programme.",
    "A man has been charged with murder following the death of Karen Brooks. Karen's family continue to be "
    "supported by specialist officers.",
])
def test_routine_posts_stay_quiet(text):
    assert codes(text) == set()


@pytest.mark.parametrize("text, code", [
    ("Drugs warrant executed at the Royal Oak pub in Selby. The licensee was arrested and is in custody.",
     "legal.arrested_named"),
    ("We've arrested a man after the assault at Leeds station. He's a regular on the 07:10 to Harrogate.",
     "legal.arrested_named"),
    ("fifteen-year-old jack, who was stabbed at the bus station, is stable in hospital", "legal.youth"),
    ("The cyclist who filmed the incident, local vicar Rev Paul Shaw, has handed the footage to police.",
     "legal.witness"),
    ("Remanded: Carl Jones, 44, charged with GBH. Witnesses describe him as the aggressor.",
     "legal.prejudicial"),
])
def test_roles_regulars_ages_and_clergy(text, code):
    assert code in codes(text)


def test_a_word_in_an_email_address_is_not_a_name_and_nested_marks_are_merged():
    text = ("Officers have arrested John Smith, 34. He remains in custody and has previous convictions for "
            "burglary. E-mail jane.doe1984@gmail.com.")
    found = [(f.code, text[f.start:f.end]) for f in run(text)]
    assert ("legal.arrested_named", "jane") not in found
    assert [c for c, _ in found].count("legal.prejudicial") == 1
