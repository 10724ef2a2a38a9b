"""Goal coverage: goal sentences no indicator measures, indicators unrelated to the goal.

Goal sentences are cut as the search index cuts them (``split_goal``) and
compared with the indicator names by cosine of the encoder's vectors *centred*
on the corpus mean (sentence encoders put every text in a narrow cone — e5's
raw cosines all fall in 0.85–0.95 — and centring spreads them out). The
thresholds are not fixed numbers: ``GoalCalibration`` takes the
``goal_quantile`` quantile of the same statistics over corpus projects (from
the index's stored vectors, no encoding), so a sentence is "not measured" when
it is less covered than all but that share of the corpus' goal sentences —
whatever encoder is in use. ``indicator_off_goal`` leaves out generic measures
(names ending with a metric word such as 及时率 or 满意度: they fit any goal).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from classifier.review.config import ReviewConfig
from classifier.review.findings import Finding
from classifier.review.peers import metric_head
from indexer.records import Indicator, Project
from indexer.search.documents import split_goal
from indexer.search.embed import text_key

Embed = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class GoalCalibration:
    """Corpus quantiles of the two coverage statistics, and the centre of the vectors."""

    sentence_threshold: float  # best cosine of a goal sentence to the project's indicators
    indicator_threshold: float  # best cosine of a specific indicator to the goal sentences and name
    n_projects: int
    quantile: float
    centre: np.ndarray  # mean of the corpus' text vectors


def centred(matrix: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Rows minus ``centre``, re-normalised."""
    out = matrix - centre
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms > 0, norms, 1.0)


def specific(indicators: Sequence[Indicator]) -> list[bool]:
    """Which indicators are specific to their project (not a generic 及时率 / 满意度 measure)."""
    return [metric_head(i.name) is None for i in indicators]


def coverage(
    sentence_vectors: np.ndarray, name_vector: np.ndarray, indicator_vectors: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(best cosine of each goal sentence to an indicator, best cosine of each indicator
    to a goal sentence or the project name)."""
    if not len(sentence_vectors) or not len(indicator_vectors):
        return np.zeros(len(sentence_vectors)), np.zeros(len(indicator_vectors))
    sims = sentence_vectors @ indicator_vectors.T
    to_name = indicator_vectors @ name_vector
    return sims.max(axis=1), np.maximum(sims.max(axis=0), to_name)


def _matrix(
    project: Project, embed: Embed, centre: np.ndarray
) -> tuple[list[str], list[Indicator], np.ndarray]:
    sentences = split_goal(project.goal)
    indicators = [i for i in project.indicators if i.name.strip()]
    if not sentences or not indicators:
        return sentences, indicators, np.zeros((0, len(centre)))
    vectors = embed([project.name, *sentences, *(i.name for i in indicators)])
    return sentences, indicators, centred(vectors, centre)


def calibrate(
    projects: Sequence[Project], vectors: Mapping[bytes, np.ndarray], config: ReviewConfig, seed: int = 0
) -> GoalCalibration | None:
    """Thresholds from a sample of corpus projects whose texts all have stored vectors."""
    if not vectors:
        return None
    centre = np.mean(np.vstack(list(vectors.values())), axis=0)
    sample = list(projects)
    if len(sample) > config.calibration_projects:
        sample = random.Random(seed).sample(sample, config.calibration_projects)

    def stored(texts: Sequence[str]) -> np.ndarray:
        return np.vstack([vectors[text_key(t)] for t in texts])

    sentence_best: list[float] = []
    indicator_best: list[float] = []
    used = 0
    for project in sample:
        texts = [
            project.name,
            *split_goal(project.goal),
            *(i.name for i in project.indicators if i.name.strip()),
        ]
        if any(text_key(t) not in vectors for t in texts):
            continue
        sentences, indicators, matrix = _matrix(project, stored, centre)
        if not len(matrix):
            continue
        n = len(sentences)
        s, i = coverage(matrix[1 : 1 + n], matrix[0], matrix[1 + n :])
        sentence_best += s.tolist()
        indicator_best += [b for b, keep in zip(i.tolist(), specific(indicators), strict=True) if keep]
        used += 1
    if not used or not indicator_best:
        return None
    q = config.goal_quantile
    sentence, indicator = float(np.quantile(sentence_best, q)), float(np.quantile(indicator_best, q))
    return GoalCalibration(sentence, indicator, used, q, centre)


def goal_findings(project: Project, embed: Embed, calibration: GoalCalibration) -> list[Finding]:
    """``goal_not_measured`` (warning) per weakly covered goal sentence and
    ``indicator_off_goal`` (info) per specific indicator far from the goal and the name."""
    sentences, indicators, matrix = _matrix(project, embed, calibration.centre)
    if not len(matrix):
        return []
    n = len(sentences)
    s_best, i_best = coverage(matrix[1 : 1 + n], matrix[0], matrix[1 + n :])
    sims = matrix[1 : 1 + n] @ matrix[1 + n :].T
    basis = (
        f"centred cosine; {calibration.quantile:.0%} quantile over {calibration.n_projects} corpus projects"
    )
    findings: list[Finding] = []
    for k, (sentence, best) in enumerate(zip(sentences, s_best, strict=True)):
        if best >= calibration.sentence_threshold:
            continue
        closest = indicators[int(np.argmax(sims[k]))]
        findings.append(
            Finding(
                "goal_not_measured",
                "warning",
                f"绩效目标“{sentence}”没有对应的指标衡量（最接近的是“{closest.name_raw}”）。",
                evidence={
                    "rule": f"best cosine to an indicator {best:.3f} < {calibration.sentence_threshold:.3f} "
                    f"({basis})",
                    "sentence": sentence,
                    "closest_indicator": closest.ordinal,
                    "cosine": round(float(best), 4),
                },
            )
        )
    for ind, best, keep in zip(indicators, i_best, specific(indicators), strict=True):
        if not keep or best >= calibration.indicator_threshold:
            continue
        findings.append(
            Finding(
                "indicator_off_goal",
                "info",
                f"指标“{ind.name_raw}”与项目名称和绩效目标关联较弱。",
                ordinal=ind.ordinal,
                evidence={
                    "rule": f"best cosine to a goal sentence or the name {best:.3f} < "
                    f"{calibration.indicator_threshold:.3f} ({basis}; generic measures such as 及时率 "
                    "are not checked)",
                    "cosine": round(float(best), 4),
                },
            )
        )
    return findings
