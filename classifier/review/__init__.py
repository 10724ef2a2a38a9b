"""The drafting and review assistant: check a drafted target table against the corpus.

``Reviewer(corpus, encoder, index, classifier, config).review_table(table)`` gives
every project of a parsed draft its :class:`Finding` list — each with ``kind``,
``severity`` (error / warning / info), a Chinese ``message``, the indicator
``ordinal`` and ``evidence`` (the rule that fired with its threshold, and the
peer projects, districts and values it rests on). One module per concern:

* ``structure`` — ``missing_level1``, ``missing_level2``, ``duplicate_indicator``;
* ``values`` — ``qualitative_value``, ``weak_target``, ``inconsistent_values``;
* ``codes`` — ``code_contradicted`` (the classifier's public ``predict_many``);
* ``goal`` — ``goal_not_measured``, ``indicator_off_goal`` (encoder cosines,
  thresholds calibrated on the corpus);
* ``boilerplate`` — goal or indicator set copied (the reuse engine's measures);
* ``peers`` — the corpus' indicators by (similar) name and their value
  distribution, shared by the value rules, ``benchmark`` and ``recommend``.

Thresholds live in :class:`ReviewConfig` (documented defaults).
"""

from typing import TYPE_CHECKING, Any

from classifier.review.config import ReviewConfig
from classifier.review.findings import KINDS, SEVERITIES, Finding, ProjectReview

if TYPE_CHECKING:
    from classifier.review.draft import draft_project
    from classifier.review.reviewer import Reviewer, TableReview


def __getattr__(name: str) -> Any:
    # The reviewer pulls in the reuse engine (datasketch, scipy) and the draft reader
    # every document reader (openpyxl, pdfplumber, python-docx): imported on first use,
    # so that `api.settings` (which reads ReviewConfig) and the CLI start fast.
    if name in ("Reviewer", "TableReview"):
        from classifier.review import reviewer

        return getattr(reviewer, name)
    if name == "draft_project":
        from classifier.review import draft

        return draft.draft_project
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "KINDS",
    "SEVERITIES",
    "Finding",
    "ProjectReview",
    "ReviewConfig",
    "Reviewer",
    "TableReview",
    "draft_project",
]
