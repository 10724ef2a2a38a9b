"""Thresholds of the review and recommendation rules, in one frozen record.

Every default is documented here and only here; ``api.settings.Settings`` maps
``JIXIAO_REVIEW_*`` environment variables onto the fields at the edge.
"""

from __future__ import annotations

from dataclasses import dataclass

RATE_UNITS: tuple[str, ...] = ("%", "‰", "分")
"""Units whose values are comparable across projects (rates and scores). Counts
(个, 人, 万元) scale with the project's size, so a smaller count than a peer's
is not a weaker target."""

METRIC_HEADS: tuple[str, ...] = (
    "服务对象满意度", "满意度", "满意率", "知晓率", "及时率", "完成率", "合格率", "达标率",
    "覆盖率", "正确率", "准确率", "到位率", "执行率", "支付率", "使用率", "利用率", "通过率",
    "验收率", "办结率", "结案率", "参与率", "入学率", "就业率", "普及率", "接种率", "巩固率",
    "发放率", "回收率", "处理率", "处置率", "整改率", "达成率", "投诉率", "差错率", "故障率",
)  # fmt: skip
"""Metric words an indicator name ends with; indicators sharing one (and a unit)
are peers when too few indicators have a similar name (``补贴发放及时率`` and
``资金拨付及时率`` measure the same kind of thing)."""


@dataclass(frozen=True)
class ReviewConfig:
    """Thresholds of every rule (defaults in brackets, and why).

    * ``name_jaccard`` [0.6]: character-bigram Jaccard at which two indicator names
      are "the same or a similar indicator". 0.6 joins ``扶持资金发放及时率`` and
      ``补贴资金发放及时率`` (0.6) but not ``扶持资金发放正确率`` (0.45).
    * ``min_peers`` [5]: a value rule needs at least this many peer values.
    * ``numeric_share`` [0.6]: ``qualitative_value`` fires when at least this share
      of the peers give a number.
    * ``weak_gap`` [0.1]: ``weak_target`` fires when the draft asks less than the
      peers' lower quartile *and* at least this fraction less than their median
      (80 % vs a median 90 % fires; 85 % does not).
    * ``code_confidence`` [0.9]: ``code_contradicted`` needs the classifier this
      sure of a different code.
    * ``goal_chance`` [0.5]: a goal sentence is "not measured" when the draft's
      indicators measure it no better than a random set of as many corpus indicators
      would with at least this probability (a rank of centred cosines against a
      background of ``background_texts`` [2000] corpus indicator names, so it holds
      whatever the encoder backend's cosine scale; 0.5: no better than a typical
      unrelated project's indicators); ``indicator_off_goal`` likewise for a specific
      indicator against a background of goal sentences and names. The contrast is
      measured on ``calibration_projects`` [2000] corpus projects (share of goal sentences
      firing against their own indicators vs another project's) and cited as evidence
      (``classifier.review.goal``).
    * ``goal_jaccard`` [0.45] / ``set_jaccard`` [0.8]: ``boilerplate`` thresholds,
      those of the reuse engine (``indexer.reuse.ReuseParams``) that were
      calibrated on the seed corpus; ``min_goal_chars`` [12] as there.
    * ``candidates`` [30]: similar corpus projects looked at for near-duplicate
      goals and indicator sets, and for recommendations.
    * ``evidence_limit`` [8]: peer projects cited per finding.
    * ``require_cost`` [None]: whether 成本 is a required level-1. None: when the
      table is in the 2021 framework (any of its projects files a 成本 indicator).
    * ``recommend_per_code`` [3]: indicators proposed per level-2 code.
    * ``max_peers`` [2000]: peer values a value rule looks at, sampled evenly across the
      matching names when there are more (a quartile of 2,000 values is as good as of
      50,000, and the review of a project stays within its latency budget at 100,000 projects).
    """

    name_jaccard: float = 0.6
    min_peers: int = 5
    numeric_share: float = 0.6
    weak_gap: float = 0.1
    code_confidence: float = 0.9
    goal_chance: float = 0.5
    calibration_projects: int = 2000
    background_texts: int = 2000
    goal_jaccard: float = 0.45
    set_jaccard: float = 0.8
    min_goal_chars: int = 12
    candidates: int = 30
    evidence_limit: int = 8
    require_cost: bool | None = None
    recommend_per_code: int = 3
    max_peers: int = 2000

    def __post_init__(self) -> None:
        for name in ("name_jaccard", "numeric_share", "weak_gap", "code_confidence", "goal_chance"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name}: must be within [0, 1], got {value}")
        for name in (
            "min_peers",
            "calibration_projects",
            "background_texts",
            "candidates",
            "evidence_limit",
            "recommend_per_code",
            "max_peers",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: must be ≥ 1, got {getattr(self, name)}")
