"""A learnt second reading beside the rules.

The rules look for wordings they have been written for; on wording they have not
met they miss about one risky post in five (docs/checks.md). This reading learns
from Crier's labelled posts (``labelled.py``) which words and shapes of a post go
with each kind of risk, and flags the sentence that reads riskiest when the post
as a whole reads as risky and no rule found anything in it: a post a rule has
flagged is already being read with care.

It learns the shape, not the person: people's names, ages and house addresses are
replaced by placeholders before it reads, and every digit by 0. Word pairs and
fragments of words (so "arrested", "arrest" and "arrests" share evidence) feed a
logistic regression (scikit-learn); a linear classifier trained on the risky
posts says which code the risk most looks like. Both are fitted in a second or two from
the shipped posts, once per process, the first time a text is checked: nothing is
downloaded, and the same posts always give the same model and the same findings.

Its findings are warnings: the verifier acknowledges them like any other, and the
finding says that it comes from this reading, not from a rule.
"""
from __future__ import annotations

import re
import threading
from typing import Iterable, Sequence

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline, make_union
from sklearn.svm import LinearSVC

from workflow.messages.checks import (
    arrest,
    deceased,
    personal_data,
    prejudice,
    sexual_offence,
    suicide,
    witness,
    youth,
)
from workflow.messages.checks.findings import WARNING, Context, Finding, finding
from workflow.messages.checks.labelled import Case, cases
from workflow.messages.checks.text import Post, Span

#: A post reading as risky with at least this probability is flagged. Chosen on the blind batches,
#: each read by a model fitted only on the batches written before it (bench/checks_report.py), and on
#: plain everyday posts: at 0.6 it caught a few more risky posts but flagged one plain arrest post in ten.
THRESHOLD = 0.8
#: A post of fewer words than this is left to the rules: a few words ("Event at the park.") give the
#: reading too little to tell topic from risk, and it would read the topic.
MIN_WORDS = 10
#: A long post whose risk sits in one or two sentences reads as a whole as mostly safe; so each run of
#: WINDOW sentences is read too, and flags the post at WINDOW_THRESHOLD (stricter, as a short run of
#: words gives less to go on). On the ten latest blind batches, each read by a reading fitted only on
#: the posts written before it, this took the reading on its own from 131 to 179 of 300 risky posts,
#: and from 4 to 6 of 330 clean ones (the long website releases and the digests gained most). Raised
#: from 0.9 to 0.95 when the deaths batch came: over the twenty latest batches, rules and reading
#: together, recall stayed at 597 of 600 risky posts and false alarms fell from 9 to 4 of 600.
WINDOW = 2
WINDOW_THRESHOLD = 0.95
#: Inverse regularisation strength of the risk regression.
STRENGTH = 4.0

#: What each kind of risk is, in the finding's words; and the rules' own reasons and advice.
GUIDANCE: dict[str, tuple[str, str, str]] = {
    arrest.CODE: ("may identify someone arrested or under investigation", arrest.WHY, arrest.ACTION),
    prejudice.CODE: ("may prejudice a trial (guilt, a confession, the evidence or the accused's past)",
                     prejudice.WHY["assertion"], prejudice.ACTION),
    sexual_offence.CODE: ("may identify the complainant of a sexual offence", sexual_offence.WHY,
                          sexual_offence.ACTION),
    youth.CODE: ("may identify a child or young person in a case", youth.WHY, youth.ACTION),
    deceased.CODE: ("may identify someone who has died before the family is told", deceased.WHY,
                    deceased.ACTION),
    witness.RESTRICTION: ("may touch a case under a reporting restriction", witness.RESTRICTION_WHY,
                          witness.RESTRICTION_ACTION),
    witness.WITNESS: ("may identify a witness", witness.WITNESS_WHY, witness.WITNESS_ACTION),
    personal_data.CODE: ("may carry someone's personal data", personal_data.WHY, personal_data.ACTION),
    suicide.CODE: ("may describe how or where someone may have taken their own life", suicide.WHY,
                   suicide.ACTION),
}


WORDS = re.compile(r"[^\W\d_][\w'’-]*")


def shape(post: Post) -> str:
    """The post as the reading sees it: people, ages and addresses as placeholders, lower case, digits 0."""
    marks = [(s.start, s.end, " zperson ") for s in post.people]
    marks += [(s.start, s.end, " zage ") for _, s in post.ages()]
    marks += [(s.start, s.end, " zaddress ") for s in post.addresses()]
    out, last = [], 0
    for start, end, mark in sorted(marks, key=lambda m: (m[0], -m[1])):
        if start < last:
            continue
        out += [post.text[last:start], mark]
        last = end
    out.append(post.text[last:])
    return re.sub(r"\d+", "0", "".join(out).lower())


def _model(kind: bool = False) -> Pipeline:
    """Word pairs and word fragments, then a linear model: the risk's probability, or the kind's ranking."""
    features = make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True))
    if kind:
        return make_pipeline(features, LinearSVC(C=1.0, class_weight="balanced"))
    return make_pipeline(features, LogisticRegression(C=STRENGTH, class_weight="balanced", max_iter=3000))


class Reader:
    """The learnt reading, fitted on labelled cases."""

    def __init__(self, labelled: Iterable[Case]) -> None:
        labelled = list(labelled)
        shapes = [shape(Post(case.text)) for case in labelled]
        self.risk = _model().fit(shapes, [bool(case.codes) for case in labelled])
        pairs = [(text, code) for text, case in zip(shapes, labelled) for code in sorted(case.codes)]
        self.kind = _model(kind=True).fit([text for text, _ in pairs], [code for _, code in pairs])

    def risk_of(self, texts: Sequence[str]) -> list[float]:
        """How risky each text reads (0 to 1)."""
        return list(self.risk.predict_proba([shape(Post(text)) for text in texts])[:, 1])

    def findings(self, post: Post, context: Context, found: set[str]) -> list[Finding]:
        """A warning on the riskiest sentence when the post reads as risky and the rules ``found``
        nothing."""
        if found or len(WORDS.findall(post.text)) < MIN_WORDS:
            return []
        shaped = shape(post)
        span = None
        if self.risk.predict_proba([shaped])[0, 1] < THRESHOLD:
            span = self._risky_window(post)
            if span is None:
                return []
            shaped = shape(Post(span.text))
        likely = self.kind.decision_function([shaped])[0]
        ranked = sorted(zip(self.kind.classes_, likely), key=lambda pair: -pair[1])
        code = str(ranked[0][0])
        if not PREMISES[code](post, context):
            return []  # what the post most looks like, it is not about (or the recorded facts settle it)
        sentence = span or self._riskiest(post)
        start = sentence.start + len(sentence.text) - len(sentence.text.lstrip())
        end = sentence.end - (len(sentence.text) - len(sentence.text.rstrip()))
        what, why, action = GUIDANCE[code]
        return [finding(code, WARNING, start, end, post.text,
                        f"Crier's learnt reading finds that this {what}; no rule matched the wording, "
                        f"so read it with care", why, action)]

    def _risky_window(self, post: Post) -> Span | None:
        """The riskiest run of WINDOW sentences of a longer post, if it reads as risky on its own."""
        sentences = post.sentences
        if len(sentences) <= WINDOW:
            return None
        runs = [Span(first.start, last.end, post.text[first.start:last.end])
                for first, last in zip(sentences, sentences[WINDOW - 1:])]
        scores = self.risk.predict_proba([shape(Post(run.text)) for run in runs])[:, 1]
        best = max(range(len(runs)), key=lambda i: scores[i])
        return runs[best] if scores[best] >= WINDOW_THRESHOLD else None

    def _riskiest(self, post: Post):
        sentences = post.sentences
        if len(sentences) < 2:
            return sentences[0]
        scores = self.risk.predict_proba([shape(Post(s.text)) for s in sentences])[:, 1]
        return sentences[max(range(len(sentences)), key=lambda i: scores[i])]


def _always(post: Post, context: Context) -> bool:
    return True


#: What a post must be about before the reading may flag each kind of risk, as the rules read it: an
#: arrest not yet settled by a charge, active proceedings, a death the family has not been told of, a
#: sexual offence, a particular witness, a death or crisis. A post the reading finds risky but that is not
#: about what its risk most looks like is left alone: "anyone who saw ..." is an appeal, not a witness
#: named. The recorded legal context settles a kind too: a charge, both confirmations of a death, or a
#: matter recorded as not arising.
PREMISES = {
    arrest.CODE: arrest.concerns,
    prejudice.CODE: prejudice.concerns,
    sexual_offence.CODE: sexual_offence.concerns,
    youth.CODE: lambda post, context: context.child_involved is not False,
    deceased.CODE: deceased.concerns,
    witness.RESTRICTION: witness.concerns_restriction,
    witness.WITNESS: witness.concerns_witness,
    personal_data.CODE: _always,
    suicide.CODE: lambda post, context: context.death is not False and bool(
        suicide.MAY_BE_SUICIDE.search(post.text) or deceased.DEATH.search(post.text)),
}


_lock = threading.Lock()
_shipped: Reader | None = None


def shipped() -> Reader:
    """The reading fitted on every shipped labelled post (once per process)."""
    global _shipped
    if _shipped is None:
        with _lock:
            if _shipped is None:
                _shipped = Reader(cases())
    return _shipped


def warm() -> threading.Thread:
    """Fit the shipped reading in the background, so that a web process started for an incident
    does not make its first check wait for it."""
    thread = threading.Thread(target=shipped, name="crier-learnt-reading", daemon=True)
    thread.start()
    return thread
