"""The learnt second reading: it flags risky wording no rule knows, as a warning on
the riskiest sentence; it leaves alone posts the rules flagged, routine posts, posts
not about what their risk looks like, and what the recorded legal context settles;
it is the same every time it is fitted."""
from __future__ import annotations

import pytest

from workflow.messages.checks import Context, run
from workflow.messages.checks.learned import GUIDANCE, PREMISES, THRESHOLD, Reader, shape, shipped
from workflow.messages.checks.text import Post

# Risky in a way no rule is written for: someone arrested identified by what the whole town knows of him.
UNRULED = ("Update on the break-in at the chemist on Market Street. A man was arrested last night and is in "
           "custody; yes, it is exactly who half of you guessed in the comments.")
ROUTINE = ("The A56 Bury New Road is closed in both directions between Heaton Park and Sedgley Park while "
           "resurfacing work is carried out. Please find another route.")


def test_the_shape_hides_who_and_where_but_keeps_the_wording():
    shaped = shape(Post("Officers arrested Dean Marsh, 30, at 47 Lytham Road on Saturday."))
    assert "dean" not in shaped and "marsh" not in shaped and "lytham" not in shaped
    assert "zperson" in shaped and "zaddress" in shaped and "arrested" in shaped
    assert "30" not in shaped


def test_a_risky_post_no_rule_matches_gets_a_warning_from_the_reading():
    assert run(UNRULED, reader=False) == []
    found = run(UNRULED)
    assert len(found) == 1
    item = found[0]
    assert item.code in GUIDANCE and item.severity == "warning"
    assert "learnt reading" in item.found and item.why and item.action
    # The mark is one whole sentence of the post, trimmed.
    marked = UNRULED[item.start:item.end]
    assert marked == marked.strip() and marked in UNRULED and len(marked) < len(UNRULED)


@pytest.mark.parametrize("text", [
    "Detectives in Leigh have arrested a 41-year-old man on suspicion of burglary. He remains in custody.",
    "A woman aged 52 has been arrested on suspicion of theft from her employer in Wigan and has been released "
    "on bail.",
    "We have arrested a 23-year-old man in connection with the assault in Bury town centre on Saturday night.",
    "A man has died after a collision on the M62 near Rochdale. His family have been informed and are being "
    "supported.",
])
def test_plain_everyday_posts_on_alarming_topics_stay_quiet(text):
    # The posts a desk writes most days: an arrest with only an age and a town, a death with the family told.
    assert run(text) == []


# A round-up whose one risky item is two sentences among routine ones: as a whole it reads as safe.
ROUND_UP = ("Neighbourhood update for Radcliffe and Whitefield. Bike marking will be at Radcliffe market on Saturday "
            "from 10am to 2pm. " + UNRULED + " Thanks to everyone who came to our beat surgery at the library on "
            "Tuesday. You can report non-urgent crime online or by calling 101, and in an emergency always call 999.")


def test_a_long_post_is_also_read_two_sentences_at_a_time():
    assert run(ROUND_UP, reader=False) == []
    assert shipped().risk_of([ROUND_UP])[0] < THRESHOLD  # read only as a whole, it would pass
    found = run(ROUND_UP)
    assert [f.code for f in found] == ["legal.arrested_named"] and found[0].severity == "warning"
    assert ROUND_UP[found[0].start:found[0].end] == UNRULED  # the risky run of sentences is what is marked
    plain = ROUND_UP.replace(UNRULED, "A 34-year-old man from Radcliffe was arrested last night on suspicion of "
                                      "burglary after a break-in at a chemist, and remains in custody.")
    assert run(plain) == []


def test_routine_posts_stay_quiet():
    assert shipped().risk_of([ROUTINE])[0] < THRESHOLD
    assert run(ROUTINE) == []


def test_a_post_the_rules_flagged_gets_nothing_more_from_the_reading():
    text = "Officers arrested Dean Marsh, 30, on Saturday. Everyone on the estate knows what he did."
    assert run(text) == run(text, reader=False) != []


def test_a_fact_recorded_in_the_legal_context_settles_the_reading_too():
    reader, post = shipped(), Post(UNRULED)
    assert [f.code for f in reader.findings(post, Context(), set())] == ["legal.arrested_named"]
    assert reader.findings(post, Context(charged=True), set()) == []
    assert run(UNRULED, Context.recorded({"charged": True})) == []


def test_a_post_not_about_what_its_risk_looks_like_is_left_alone():
    # Reads like a post naming someone arrested, but nobody has been: an appeal, not an arrest.
    appeal = ("Update on the break-in at the chemist on Market Street. Nobody has been caught yet; if you know "
              "who it was, and half of you seem to, tell us on 101.")
    assert not PREMISES["legal.arrested_named"](Post(appeal), Context())
    assert all(f.code != "legal.arrested_named" for f in run(appeal))
    # "Anyone who saw ..." appeals to witnesses; it does not name one.
    assert not PREMISES["legal.witness"](Post("Anyone who saw the fight on Mill Lane, call 101."), Context())
    assert PREMISES["legal.witness"](Post("Thanks to Sue, who saw the fight and called us."), Context())
    # A death the family has been told of, and formally identified, is settled.
    told = "Tributes have been paid to Ann Lee, 80, who died on Friday. Her family have been informed."
    assert not PREMISES["legal.deceased_unconfirmed"](Post(told), Context())
    assert PREMISES["legal.deceased_unconfirmed"](Post("Ann Lee, 80, died on Friday."), Context())


def test_two_readings_fitted_on_the_same_posts_agree_exactly():
    from workflow.messages.checks.labelled import cases
    some = cases()[:400]
    first, second = Reader(some), Reader(some)
    texts = [UNRULED, ROUTINE] + [case.text for case in cases()[400:460]]
    assert first.risk_of(texts) == second.risk_of(texts)
    assert [f.id for f in first.findings(Post(UNRULED), Context(), set())] == \
        [f.id for f in second.findings(Post(UNRULED), Context(), set())]


def test_empty_and_huge_texts_are_read_safely():
    assert run("") == [] and run("   \n ") == []
    huge = ("Road closed. " * 3000)
    assert all(0 <= f.start < f.end <= len(huge) for f in run(huge))
