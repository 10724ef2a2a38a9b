"""Goal coverage: goal sentences no indicator measures, indicators unrelated to the goal.

Goal sentences are cut as the search index cuts them (``split_goal``) and
compared with the indicator names by cosine of the encoder's vectors *centred*
on the corpus mean (sentence encoders put every text in a narrow cone — e5's
raw cosines all fall in 0.85–0.95 — and centring spreads them out).

No cosine threshold is used: cosine scales differ between encoder backends
(torch, int8 ONNX) and the int8 encoder's vectors move with the batch a text was
encoded in, which on centred cosines is several hundredths — as much as the gap
between a measured and an unmeasured sentence near any fixed cut. Each text is
instead compared with a *background*: a sample of the corpus' indicator names
(for a goal sentence) or goal sentences and project names (for an indicator).
With ``p`` the share of background texts at least as close as the project's best
match, ``chance = 1 - (1 - p) ** n`` is the probability that ``n`` unrelated corpus
texts (as many as the project has) would match at least as well. A goal sentence
is "not measured" when ``chance ≥ ReviewConfig.goal_chance``: the draft's
indicators measure it no better than a random set of corpus indicators does.
Being a rank, ``chance`` does not move with the cosine scale of the backend.
``calibrate`` also measures the contrast the rule draws on the corpus: the share
of goal sentences that fire against their own project's indicators and against
another project's (mismatched pairs); the evidence of every finding cites both.
``indicator_off_goal`` leaves out generic measures (names ending with a metric
word such as 及时率 or 满意度: they fit any goal).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from classifier.review.config import ReviewConfig
from classifier.review.findings import Finding
from classifier.review.peers import metric_head
from indexer.records import Indicator, Project
from indexer.search.documents import split_goal
from indexer.search.embed import text_key

Embed = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class Background:
    """Centred vectors of a sample of corpus texts, with their text keys."""

    keys: tuple[bytes, ...]
    vectors: np.ndarray

    @cached_property
    def _row_of(self) -> dict[bytes, int]:
        return {key: row for row, key in enumerate(self.keys)}

    def chance(self, queries: np.ndarray, best: np.ndarray, n: int, own: Sequence[str] = ()) -> np.ndarray:
        """For each query row: the probability that ``n`` background texts (never the ``own``
        texts themselves) contain one at least as close to it as its ``best`` cosine."""
        own_rows = sorted({self._row_of[k] for k in map(text_key, own) if k in self._row_of})
        size = len(self.keys) - len(own_rows)
        if size <= 0 or not len(queries):
            return np.zeros(len(queries))
        at_least = (queries @ self.vectors.T) >= best[:, None]
        count = at_least.sum(axis=1) - at_least[:, own_rows].sum(axis=1)
        return 1.0 - (1.0 - count / size) ** n


@dataclass(frozen=True)
class GoalCalibration:
    """The centre of the corpus vectors, the two backgrounds, and the contrast measured on the corpus."""

    centre: np.ndarray  # mean of the corpus' text vectors
    indicators: Background  # corpus indicator names (a goal sentence's background)
    goals: Background  # corpus goal sentences and project names (an indicator's background)
    chance: float  # ReviewConfig.goal_chance
    n_projects: int
    own_rate: float  # share of corpus goal sentences that fire against their own indicators
    mismatched_rate: float  # … against the indicators of another corpus project


def centred(matrix: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Rows minus ``centre``, re-normalised."""
    out = matrix - centre
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms > 0, norms, 1.0)


def specific(indicators: Sequence[Indicator]) -> list[bool]:
    """Which indicators are specific to their project (not a generic 及时率 / 满意度 measure)."""
    return [metric_head(i.name) is None for i in indicators]


@dataclass(frozen=True)
class _Coverage:
    sentences: list[str]
    indicators: list[Indicator]
    matrix: np.ndarray  # centred: name, sentences, indicator names

    @property
    def sentence_vectors(self) -> np.ndarray:
        return self.matrix[1 : 1 + len(self.sentences)]

    @property
    def indicator_vectors(self) -> np.ndarray:
        return self.matrix[1 + len(self.sentences) :]

    def sentence_chance(
        self, background: Background, indicator_vectors: np.ndarray | None = None
    ) -> np.ndarray:
        """``chance`` of each goal sentence against these (or the given) indicator vectors."""
        ind = self.indicator_vectors if indicator_vectors is None else indicator_vectors
        best = (self.sentence_vectors @ ind.T).max(axis=1)
        own = [i.name for i in self.indicators] if indicator_vectors is None else []
        return background.chance(self.sentence_vectors, best, len(ind), own)

    def indicator_chance(self, background: Background) -> np.ndarray:
        """``chance`` of each indicator against the goal sentences and the name."""
        goal = self.matrix[: 1 + len(self.sentences)]
        best = (self.indicator_vectors @ goal.T).max(axis=1)
        return background.chance(self.indicator_vectors, best, len(goal), self.sentences)


def _coverage(project: Project, embed: Embed, centre: np.ndarray) -> _Coverage | None:
    sentences = split_goal(project.goal)
    indicators = [i for i in project.indicators if i.name.strip()]
    if not sentences or not indicators:
        return None
    vectors = embed([project.name, *sentences, *(i.name for i in indicators)])
    return _Coverage(sentences, indicators, centred(vectors, centre))


def _background(texts: Sequence[str], vectors: Mapping[bytes, np.ndarray], centre: np.ndarray) -> Background:
    keys = tuple(text_key(t) for t in texts)
    rows = np.vstack([vectors[k] for k in keys]) if keys else np.zeros((0, len(centre)))
    return Background(keys, centred(rows, centre))


def calibrate(
    projects: Sequence[Project], vectors: Mapping[bytes, np.ndarray], config: ReviewConfig, seed: int = 0
) -> GoalCalibration | None:
    """Backgrounds and the corpus contrast from a sample of corpus projects whose texts
    all have stored vectors (no encoding)."""
    if not vectors:
        return None
    centre = np.mean(np.vstack(list(vectors.values())), axis=0)
    rng = random.Random(seed)
    sample = list(projects)
    if len(sample) > config.calibration_projects:
        sample = rng.sample(sample, config.calibration_projects)

    def stored(texts: Sequence[str]) -> np.ndarray:
        return np.vstack([vectors[text_key(t)] for t in texts])

    covered: list[_Coverage] = []
    for project in sample:
        names = [i.name for i in project.indicators if i.name.strip()]
        if all(text_key(t) in vectors for t in [project.name, *split_goal(project.goal), *names]):
            found = _coverage(project, stored, centre)
            if found is not None:
                covered.append(found)
    if not covered:
        return None
    pick = random.Random(seed + 1)

    def sampled(texts: Sequence[str]) -> Background:
        texts = list(dict.fromkeys(texts))
        if len(texts) > config.background_texts:
            texts = pick.sample(texts, config.background_texts)
        return _background(texts, vectors, centre)

    indicators = sampled([i.name for c in covered for i in c.indicators])
    goals = sampled(
        [t for c in covered for t in c.sentences] + [p.name for p in sample if text_key(p.name) in vectors]
    )
    own, mismatched = [], []
    for k, cov in enumerate(covered):
        own += cov.sentence_chance(indicators).tolist()
        if len(covered) > 1:
            other = covered[(k + 1 + rng.randrange(len(covered) - 1)) % len(covered)]
            mismatched += cov.sentence_chance(indicators, other.indicator_vectors).tolist()
    chance = config.goal_chance
    own_rate = float(np.mean(np.array(own) >= chance))
    mismatched_rate = float(np.mean(np.array(mismatched) >= chance)) if mismatched else float("nan")
    return GoalCalibration(centre, indicators, goals, chance, len(covered), own_rate, mismatched_rate)


def goal_findings(project: Project, embed: Embed, calibration: GoalCalibration) -> list[Finding]:
    """``goal_not_measured`` (warning) per goal sentence its indicators measure no better than
    chance, and ``indicator_off_goal`` (info) per specific indicator no closer to the goal and
    the name than chance (see the module docstring)."""
    cov = _coverage(project, embed, calibration.centre)
    if cov is None:
        return []
    cal = calibration
    sims = cov.sentence_vectors @ cov.indicator_vectors.T
    s_chance = cov.sentence_chance(cal.indicators)
    i_chance = cov.indicator_chance(cal.goals)
    n_ind, n_goal = len(cov.indicators), len(cov.sentences) + 1
    basis = (
        f"fires at ≥ {cal.chance:.0%}; over {cal.n_projects} corpus projects it fires for "
        f"{cal.own_rate:.0%} of goal sentences against their own indicators and "
        f"{cal.mismatched_rate:.0%} against another project's"
    )
    findings: list[Finding] = []
    for k, (sentence, chance) in enumerate(zip(cov.sentences, s_chance, strict=True)):
        if chance < cal.chance:
            continue
        closest = cov.indicators[int(np.argmax(sims[k]))]
        findings.append(
            Finding(
                "goal_not_measured",
                "warning",
                f"绩效目标“{sentence}”没有对应的指标衡量（最接近的是“{closest.name_raw}”）。",
                evidence={
                    "rule": f"{n_ind} random corpus indicators would measure it at least as well as "
                    f"this draft's {n_ind} with probability {chance:.0%} (centred cosine ranks; {basis})",
                    "sentence": sentence,
                    "closest_indicator": closest.ordinal,
                    "cosine": round(float(sims[k].max()), 4),
                    "chance": round(float(chance), 4),
                },
            )
        )
    keep = specific(cov.indicators)
    for ind, chance, best, is_specific in zip(cov.indicators, i_chance, sims.max(axis=0), keep, strict=True):
        if not is_specific or chance < cal.chance:
            continue
        findings.append(
            Finding(
                "indicator_off_goal",
                "info",
                f"指标“{ind.name_raw}”与项目名称和绩效目标关联较弱。",
                ordinal=ind.ordinal,
                evidence={
                    "rule": f"{n_goal} random corpus goal sentences or names would be at least as close "
                    f"to it as this draft's goal and name with probability {chance:.0%} (centred cosine "
                    f"ranks, fires at ≥ {cal.chance:.0%}; generic measures such as 及时率 are not checked)",
                    "cosine": round(float(best), 4),
                    "chance": round(float(chance), 4),
                },
            )
        )
    return findings
