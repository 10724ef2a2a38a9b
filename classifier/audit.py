"""Reviewer's worklist: filed codes the model contradicts, and level-2 codes for level-1-only indicators.

Contradictions use out-of-fold predictions: every table's indicators are
classified by a model trained without that table (and without any indicator
of the same name elsewhere), so the model cannot simply echo the filed code it
memorised. Indicators whose table gives only the level-1 category (the 花都
table) are tagged by the full model, restricted to codes of that level-1 and to
the framework the table's structure shows (成本 as a level-1 → 2021).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from classifier import taxonomy
from classifier.calibration import probabilities
from classifier.core import held_out_logits
from classifier.dataset import clean_value, corpus_examples
from classifier.levels import table_framework
from classifier.model import IndicatorClassifier
from classifier.pool import pool_of
from classifier.records import Prediction
from indexer.corpus import Corpus

DEFAULT_MIN_PROBABILITY = 0.8


@dataclass(frozen=True, slots=True)
class Contradiction:
    """A coded indicator whose filed code the model confidently disputes."""

    indicator_id: str
    project_name: str
    district: str
    source_file: str
    name: str
    value: str | None
    filed_code: str
    filed_label: str
    predicted_code: str
    predicted_label: str
    probability: float  # of the predicted code
    filed_probability: float  # what the model gives the filed code


@dataclass(frozen=True, slots=True)
class Tagged:
    """An indicator filed without a code (level-1 only, or no category at all) with the code the
    model gives it."""

    indicator_id: str
    project_name: str
    district: str
    name: str
    value: str | None
    level1: str | None  # as filed; None when the form printed no category
    prediction: Prediction


@dataclass(frozen=True)
class AuditReport:
    """Both worklists of an audit run."""

    contradictions: tuple[Contradiction, ...]
    level1_only: tuple[Tagged, ...]
    n_checked: int  # coded indicators checked out of fold
    min_probability: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "min_probability": self.min_probability,
            "n_checked": self.n_checked,
            "contradictions": [asdict(c) for c in self.contradictions],
            "level1_only": [
                {**{k: v for k, v in asdict(t).items() if k != "prediction"}, **t.prediction.to_dict()}
                for t in self.level1_only
            ],
        }


def audit(
    corpus: Corpus, model: IndicatorClassifier, min_probability: float = DEFAULT_MIN_PROBABILITY
) -> AuditReport:
    """Contradicted filings (out of fold, probability ≥ ``min_probability``) and level-1-only tags.

    Out-of-fold models use ``model``'s hyper-parameters, temperature and
    encoder; the level-1-only indicators are tagged by ``model`` itself.
    """
    embed = model.embedding_cache
    pool = pool_of(corpus_examples(corpus, per_table=True), model.params)
    codes = np.array(taxonomy.CODES)
    contradictions: list[Contradiction] = []
    n_checked = 0
    tables = sorted({p.source_file for p in corpus.projects})
    for table in tables:
        rows = [
            (project, ind)
            for project in corpus.projects
            if project.source_file == table
            for ind in project.indicators
            if ind.level2_code in taxonomy.BY_CODE
        ]
        if not rows or not any(ex.group != table and ex.source == "corpus" for ex in pool):
            continue
        test = [(ind.name, clean_value(ind.annual_value) or clean_value(ind.cycle_value)) for _, ind in rows]
        logits, _ = held_out_logits(pool, test, table, embed, model.params)
        probs = probabilities(logits, model.temperature)
        n_checked += len(rows)
        for (project, ind), (_, value), p in zip(rows, test, probs, strict=True):
            best = int(p.argmax())
            filed = str(ind.level2_code)
            # 14 vs 41 is the framework, not the meaning: not a filing error worth a review
            if taxonomy.same_concept(str(codes[best]), filed) or p[best] < min_probability:
                continue
            contradictions.append(
                Contradiction(
                    indicator_id=ind.id,
                    project_name=project.name,
                    district=project.district,
                    source_file=project.source_file,
                    name=ind.name,
                    value=value,
                    filed_code=filed,
                    filed_label=taxonomy.label(filed),
                    predicted_code=str(codes[best]),
                    predicted_label=taxonomy.label(str(codes[best])),
                    probability=float(p[best]),
                    filed_probability=float(p[list(codes).index(filed)]),
                )
            )
    contradictions.sort(key=lambda c: -c.probability)
    return AuditReport(tuple(contradictions), tag_level1_only(corpus, model), n_checked, min_probability)


def tag_level1_only(corpus: Corpus, model: IndicatorClassifier) -> tuple[Tagged, ...]:
    """Level-2 predictions for indicators filed without a code, restricted to their level-1
    when one was filed (a form printing no category gets an unrestricted prediction)."""
    rows = [
        (project, ind)
        for project in corpus.projects
        for ind in project.indicators
        if ind.level2_code is None  # level-1 only, or no category printed at all (level1 None)
    ]
    frameworks = {
        table: table_framework(
            [i.level1 for p in projects for i in p.indicators],
            [i.level2_code for p in projects for i in p.indicators],
        )
        for table, projects in corpus.by_source.items()
    }
    items = [
        (
            ind.name,
            clean_value(ind.annual_value) or clean_value(ind.cycle_value),
            ind.level1,
            frameworks[project.source_file],
        )
        for project, ind in rows
    ]
    predictions = model.predict_many(items)
    return tuple(
        Tagged(ind.id, project.name, project.district, ind.name, value, ind.level1, pred)
        for (project, ind), (_, value, _, _), pred in zip(rows, items, predictions, strict=True)
    )
