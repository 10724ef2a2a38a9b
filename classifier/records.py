"""Result records of the classifier."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Prediction:
    """The classifier's answer for one indicator.

    ``code`` is the most probable level-2 code; ``needs_review`` is True when its
    probability is below the review threshold (or the text is not Chinese), in
    which case a person should pick among ``top3`` — ``(code, label, probability)``
    triples, most probable first.
    """

    code: str
    label: str
    level1: str
    probability: float
    needs_review: bool
    top3: tuple[tuple[str, str, float], ...]
    reason: str | None = None  # why review is needed, when it is

    def to_dict(self) -> dict[str, object]:
        """The one JSON-ready form: the CLI's ``--json`` output and the API's ``PredictionOut``."""
        return {
            "code": self.code,
            "label": self.label,
            "level1": self.level1,
            "probability": round(self.probability, 4),
            "needs_review": self.needs_review,
            "top3": [{"code": c, "label": lab, "probability": round(p, 4)} for c, lab, p in self.top3],
            "reason": self.reason,
        }
