"""The review assistant with the real encoder, index and classifier (slow): goal coverage,
code contradictions, and no false alarm on a clean draft."""

from __future__ import annotations

import pytest
from review_support import CLEAN, draft, plus_indicator

from api.loaders import load_corpus, open_classifier, open_encoder, open_index, open_reviewer
from classifier.review import Reviewer
from classifier.review.draft import draft_table

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reviewer(real_models) -> Reviewer:
    corpus = load_corpus(real_models)
    encoder = open_encoder(real_models)
    index = open_index(real_models, corpus, encoder)
    return open_reviewer(real_models, corpus, encoder, index, open_classifier(real_models, encoder)).warm()


def kinds(reviewer: Reviewer, data: dict) -> list[tuple[str, int | None]]:
    (review,) = reviewer.review_table(draft_table(data)).projects
    return [(f.kind, f.ordinal) for f in review.findings]


def test_every_rule_runs(reviewer):
    assert reviewer.calibration is not None and reviewer.skipped() == ()
    cal = reviewer.calibration
    # the contrast the rule draws on the corpus: far more mismatched goal/indicator pairs fire
    assert 0 < cal.own_rate < 0.25 < 0.5 < cal.mismatched_rate, (cal.own_rate, cal.mismatched_rate)


def test_a_clean_draft_raises_no_alarm(reviewer):
    assert kinds(reviewer, CLEAN) == []


def test_a_goal_sentence_no_indicator_measures(reviewer):
    goal = CLEAN["goal"] + "同时完成全区农村饮用水水源地水质检测和河道清淤疏浚。"
    assert kinds(reviewer, draft(goal=goal)) == [("goal_not_measured", None)]


def test_an_indicator_unrelated_to_the_goal(reviewer):
    data = plus_indicator(level1="效益", code="22", name="中小学生近视率下降幅度", annual_value="≥1个百分点")
    assert kinds(reviewer, data) == [("indicator_off_goal", 6)]


def test_a_filed_code_the_classifier_contradicts(reviewer):
    data = plus_indicator(level1="满意度", code="31", name="扶持资金拨付及时率", annual_value="100%")
    found = kinds(reviewer, data)
    assert ("code_contradicted", 6) in found, found
