"""Goal coverage: goal sentences no indicator measures, indicators unrelated to the goal.

Goal sentences are cut as the search index cuts them (``split_goal``) and
compared with the indicator names by the encoder's cosine. The thresholds are
not fixed numbers: ``GoalCalibration`` takes the ``goal_quantile`` quantile of
the same statistics over corpus projects (from the index's stored vectors, no
encoding), so a sentence is "not measured" when it is less covered than all but
that share of the corpus' goal sentences — whatever encoder is in use.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from classifier.review.config import ReviewConfig
from classifier.review.findings import Finding
from indexer.records import Project
from indexer.search.documents import split_goal
from indexer.search.embed import text_key

Embed = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class GoalCalibration:
    """Corpus quantiles of the two coverage statistics."""

    sentence_threshold: float  # best cosine of a goal sentence to the project's indicators
    indicator_threshold: float  # best cosine of an indicator to the project's goal sentences and name
    n_projects: int
    quantile: float


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


def calibrate(
    projects: Sequence[Project], vectors: Mapping[bytes, np.ndarray], config: ReviewConfig, seed: int = 0
) -> GoalCalibration | None:
    """Thresholds from a sample of corpus projects whose texts all have stored vectors."""
    sample = list(projects)
    if len(sample) > config.calibration_projects:
        sample = random.Random(seed).sample(sample, config.calibration_projects)
    sentence_best: list[float] = []
    indicator_best: list[float] = []
    used = 0
    for project in sample:
        sentences = split_goal(project.goal)
        names = [i.name for i in project.indicators if i.name.strip()]
        texts = [project.name, *sentences, *names]
        rows = [vectors.get(text_key(t)) for t in texts]
        if not sentences or not names or any(r is None for r in rows):
            continue
        matrix = np.vstack(rows)
        s, i = coverage(matrix[1 : 1 + len(sentences)], matrix[0], matrix[1 + len(sentences) :])
        sentence_best += s.tolist()
        indicator_best += i.tolist()
        used += 1
    if not used:
        return None
    q = config.goal_quantile
    return GoalCalibration(
        float(np.quantile(sentence_best, q)), float(np.quantile(indicator_best, q)), used, q
    )


def goal_findings(project: Project, embed: Embed, calibration: GoalCalibration) -> list[Finding]:
    """``goal_not_measured`` (warning) per weakly covered goal sentence and
    ``indicator_off_goal`` (info) per indicator far from the goal and the name."""
    sentences = split_goal(project.goal)
    indicators = [i for i in project.indicators if i.name.strip()]
    if not sentences or not indicators:
        return []
    matrix = embed([project.name, *sentences, *(i.name for i in indicators)])
    s_best, i_best = coverage(matrix[1 : 1 + len(sentences)], matrix[0], matrix[1 + len(sentences) :])
    sims = matrix[1 : 1 + len(sentences)] @ matrix[1 + len(sentences) :].T
    basis = f"{calibration.quantile:.0%} quantile over {calibration.n_projects} corpus projects"
    findings: list[Finding] = []
    for n, (sentence, best) in enumerate(zip(sentences, s_best, strict=True)):
        if best >= calibration.sentence_threshold:
            continue
        closest = indicators[int(np.argmax(sims[n]))]
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
    for ind, best in zip(indicators, i_best, strict=True):
        if best >= calibration.indicator_threshold:
            continue
        findings.append(
            Finding(
                "indicator_off_goal",
                "info",
                f"指标“{ind.name_raw}”与项目名称和绩效目标关联较弱。",
                ordinal=ind.ordinal,
                evidence={
                    "rule": f"best cosine to a goal sentence or the name {best:.3f} < "
                    f"{calibration.indicator_threshold:.3f} ({basis})",
                    "cosine": round(float(best), 4),
                },
            )
        )
    return findings
