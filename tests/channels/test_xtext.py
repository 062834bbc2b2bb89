"""X's weighted length and thread splitting."""
from __future__ import annotations

import re

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.x.text import (
    MAX_WEIGHTED_LENGTH,
    _atoms,
    _layout,
    invalid_characters,
    is_valid,
    split_thread,
    strip_numbering,
    weighted_length,
)
from tests.conftest import CONFORMANCE, conformance_file

CONFORMANCE_FILE = CONFORMANCE / "twitter-text-validate.yml"
SECTIONS = ("WeightedTweetsWithDiscountedEmojiCounterTest", "UnicodeDirectionalMarkerCounterTest")
LINK = "https://www.force.police.uk/news/a38-collision-road-closed"


def _conformance_cases() -> list:
    if not CONFORMANCE_FILE.exists():
        # One case that skips (or, in CI, fails) saying what is missing.
        return [pytest.param(None, id="conformance data missing")]
    suite = yaml.safe_load(CONFORMANCE_FILE.read_text(encoding="utf-8"))["tests"]
    return [pytest.param(case, id=f"{section}: {case['description']}")
            for section in SECTIONS for case in suite[section]]


@pytest.mark.parametrize("case", _conformance_cases())
def test_agrees_with_twitter_text_conformance(case):
    conformance_file(CONFORMANCE_FILE.name)
    assert weighted_length(case["text"]) == case["expected"]["weightedLength"]
    assert is_valid(case["text"]) is case["expected"]["valid"]


def test_conformance_sections_are_all_read():
    conformance_file(CONFORMANCE_FILE.name)
    # Guards against the parametrised test silently running on an empty list.
    assert len(_conformance_cases()) >= 20


def test_urls_count_23_and_cjk_and_emoji_count_2():
    assert weighted_length("See " + LINK) == 4 + 23
    assert weighted_length("警察") == 4
    assert weighted_length("👮\u200d\u2640\ufe0f") == 2
    assert weighted_length("e\u0301") == 1  # NFC makes one character of it


def test_invalid_characters_are_named():
    assert invalid_characters("Road closed\ufffe now\ufffe") == ["\ufffe"]
    assert invalid_characters("Road closed") == []
    assert not is_valid("Road closed\ufffe")


# split_thread ------------------------------------------------------------------

def test_text_that_fits_with_its_link_is_one_unnumbered_post():
    assert split_thread("  The A38 is closed.  ", LINK) == [f"The A38 is closed. {LINK}"]
    assert split_thread("The A38 is closed.") == ["The A38 is closed."]


def test_the_link_counts_23_when_deciding_whether_it_fits():
    text = "x" * (MAX_WEIGHTED_LENGTH - 24)
    assert split_thread(text, LINK) == [f"{text} {LINK}"]
    assert len(split_thread(text + "y", LINK)) == 2


def test_empty_text_gives_no_posts_or_only_the_link():
    assert split_thread("   ") == []
    assert split_thread("", LINK) == [LINK]


def test_long_text_becomes_a_numbered_thread_split_at_sentences():
    sentences = [f"Sentence number {i} tells the public something about the closure of the road." for i in range(8)]
    posts = split_thread(" ".join(sentences), LINK)
    assert len(posts) == 3
    for k, post in enumerate(posts, 1):
        assert post.startswith(f"{k}/3 ")
        assert weighted_length(post) <= MAX_WEIGHTED_LENGTH
        # Every part ends at a sentence end (the last one with the link).
        assert strip_numbering(post).removesuffix(f" {LINK}").endswith(".")
    assert posts[-1].endswith(f" {LINK}")
    assert all(LINK not in post for post in posts[:-1])


def test_the_last_sentence_moves_on_with_the_link_rather_than_the_link_alone():
    first = "The A38 is closed in both directions between junctions 4 and 5 after a collision this morning. " \
        "Officers and the ambulance service are at the scene and the road will stay closed for some hours yet. " \
        "Please find another route."
    last = "Thank you for your patience while we deal with this."
    assert weighted_length(f"1/2 {first} {last}") <= MAX_WEIGHTED_LENGTH < weighted_length(f"{first} {last} {LINK}")
    assert split_thread(f"{first} {last}", LINK) == [f"1/2 {first}", f"2/2 {last} {LINK}"]


def test_a_sentence_longer_than_a_post_is_split_at_words():
    words = [f"word{i}" for i in range(120)]
    posts = split_thread(" ".join(words))
    assert len(posts) > 1
    assert [w for p in posts for w in strip_numbering(p).split()] == words


def test_a_word_longer_than_a_post_is_cut_as_a_last_resort():
    word = "a" * 700
    posts = split_thread(f"Before {word} after.", LINK)
    assert all(weighted_length(p) <= MAX_WEIGHTED_LENGTH for p in posts)
    assert "".join(strip_numbering(p).removesuffix(f" {LINK}") for p in posts).replace(" ", "") == \
        f"Before{word}after."


def test_a_cut_that_would_end_on_a_link_is_measured_whole():
    # Counted character by character the head fits, but it would end in "ab.co",
    # which X counts as a 23-character link: the cut must come earlier.
    word = "x" * 270 + ",ab.co" + "y" * 100
    posts = split_thread(word)
    assert all(weighted_length(p) <= MAX_WEIGHTED_LENGTH for p in posts)
    assert "".join(strip_numbering(p) for p in posts) == word


def test_fast_and_exact_measuring_lay_out_the_same_thread():
    text = " ".join(f"Sentence {i} about the 👮 at example.org and 警察署, see https://example.org/{i}." for i in range(30))
    body = text.strip()
    atoms = _atoms(body)
    assert _layout(body, atoms, LINK, MAX_WEIGHTED_LENGTH, exact=False) == \
        _layout(body, atoms, LINK, MAX_WEIGHTED_LENGTH, exact=True) == split_thread(text, LINK)


def test_emoji_are_never_cut_in_half():
    officer = "👮\u200d\u2640\ufe0f"
    posts = split_thread(officer * 400)
    assert all(weighted_length(p) <= MAX_WEIGHTED_LENGTH for p in posts)
    for post in posts:
        assert strip_numbering(post) == officer * (len(strip_numbering(post)) // len(officer))


def test_two_digit_threads_are_numbered_consistently_and_fit():
    text = " ".join(f"This is sentence {i} of a very long appeal for information." for i in range(60))
    posts = split_thread(text, LINK)
    total = len(posts)
    assert total >= 10
    for k, post in enumerate(posts, 1):
        assert post.startswith(f"{k}/{total} ")
        assert weighted_length(post) <= MAX_WEIGHTED_LENGTH


def test_line_breaks_inside_a_part_are_kept():
    text = "Road closed.\n\nUse the A30 instead. " + "More details follow. " * 20
    posts = split_thread(text)
    assert posts[0].startswith("1/")
    assert "Road closed.\n\nUse the A30" in posts[0]


def test_cjk_text_splits_by_weight():
    posts = split_thread("警察" * 300)
    assert len(posts) == 5
    assert all(weighted_length(p) <= MAX_WEIGHTED_LENGTH for p in posts)


# Property: any text -----------------------------------------------------------

_ANY_WORD = st.text(
    alphabet=st.characters(exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1, max_size=12)
_COMMON_WORD = st.sampled_from([
    "police", "A38", "junction", "closed.", "area!", "why?", "101", "😀", "👮\u200d\u2640\ufe0f", "🇬🇧", "警察署",
    "東京の", "https://www.force.police.uk/news/a38-collision", "example.org", "#A38", "@force", "(see", "below)."])
# Dotted words that twitter-text may take for links (counted 23), and words longer than a post.
_DOTTED_WORD = st.text(alphabet="abcde.", min_size=4, max_size=40)
_LONG_WORD = st.one_of(st.text(alphabet="abcdefghij", min_size=150, max_size=450),
                       st.tuples(st.text(alphabet="abcdefghij", min_size=250, max_size=300), _DOTTED_WORD).map("".join))
_WORD = st.one_of(_ANY_WORD, _COMMON_WORD, _COMMON_WORD, _DOTTED_WORD, _LONG_WORD)
_SENTENCE = st.tuples(st.lists(_WORD, min_size=1, max_size=20), st.sampled_from(["", ".", "!", "?"])).map(
    lambda s: " ".join(s[0]) + s[1])
_TEXT = st.tuples(st.lists(_SENTENCE, min_size=1, max_size=8), st.sampled_from([" ", "\n", "\n\n", "  "])).map(
    lambda s: s[1].join(s[0]))


def _unthread(posts: list[str], link: str | None) -> list[str]:
    """Each post's own text: numbering and the link taken off, checked as they are taken."""
    total = len(posts)
    bodies = []
    for k, post in enumerate(posts, 1):
        if total > 1:
            assert re.match(rf"{k}/{total}( |$)", post), post
            post = post[len(f"{k}/{total}"):].lstrip(" ")
        if link and k == total:
            assert post.endswith(link)
            post = post[: -len(link)].rstrip(" ")
        bodies.append(post)
    return bodies


def _rejoin(text: str, bodies: list[str]) -> list[str]:
    """Check that the parts' words are the text's words; return the words that were cut.

    A word may be cut only at a part boundary: its head ends one part and its
    rest starts the next.
    """
    pieces = [(i, j, w) for i, body in enumerate(bodies) for j, w in enumerate(body.split())]
    last_index = {i: len(body.split()) - 1 for i, body in enumerate(bodies)}
    position = 0
    cut = []
    for word in text.split():
        part, index, joined = pieces[position]
        position += 1
        while joined != word:
            assert word.startswith(joined), (word, joined)
            assert index == last_index[part]
            part, index, piece = pieces[position]
            assert index == 0
            joined += piece
            position += 1
            cut.append(word)
    assert position == len(pieces)
    return cut


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_TEXT, link=st.sampled_from([None, LINK, "http://127.0.0.1:5000/news/road-closed"]),
       limit=st.sampled_from([MAX_WEIGHTED_LENGTH, 100]))
def test_any_text_splits_into_parts_within_the_limit_that_rejoin(text, link, limit):
    posts = split_thread(text, link, limit)
    single = " ".join(p for p in (text.strip(), link) if p)
    if weighted_length(single) <= limit:
        assert posts == [single]
    else:
        assert len(posts) >= 2
    for post in posts:
        assert weighted_length(post) <= limit
    for word in _rejoin(text, _unthread(posts, link)):
        # Only a word too long for a part of its own is ever cut.
        assert weighted_length(word) > limit - len("999/999 ")
