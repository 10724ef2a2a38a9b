"""``code_contradicted``: the filed level-2 code against the classifier (``IndicatorClassifier``).

Fires (warning) when the classifier gives a different code — not the same concept
across frameworks (14 ≈ 41) — with probability ≥ ``code_confidence``. The
evidence also counts how the corpus files indicators of the same name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from classifier import taxonomy
from classifier.records import Prediction
from classifier.review.config import ReviewConfig
from classifier.review.findings import Finding
from classifier.review.peers import PeerIndex
from indexer.records import Indicator


def code_contradictions(
    indicators: Sequence[Indicator],
    predictions: Sequence[Prediction],
    peers: PeerIndex,
    config: ReviewConfig,
) -> list[Finding]:
    """One finding per indicator whose filed code the classifier confidently contradicts."""
    findings: list[Finding] = []
    for ind, pred in zip(indicators, predictions, strict=True):
        filed = ind.level2_code
        if filed is None or filed not in taxonomy.BY_CODE:
            continue
        if taxonomy.same_concept(pred.code, filed) or pred.probability < config.code_confidence:
            continue
        same_name = Counter(
            p.indicator.level2_code for p in peers.peers(ind.name, 1.0) if p.indicator.level2_code
        )
        findings.append(
            Finding(
                "code_contradicted",
                "warning",
                f"指标“{ind.name_raw}”填报为{filed} {taxonomy.label(filed)}，"
                f"分类模型以{pred.probability:.0%}的置信度判为{pred.code} {pred.label}。",
                ordinal=ind.ordinal,
                evidence={
                    "rule": f"classifier probability ≥ {config.code_confidence:.2f} for another code",
                    "filed": filed,
                    "predicted": pred.code,
                    "probability": round(pred.probability, 4),
                    "top3": [
                        {"code": c, "label": lab, "probability": round(p, 4)} for c, lab, p in pred.top3
                    ],
                    "corpus_codes_of_same_name": dict(same_name.most_common()),
                },
            )
        )
    return findings
