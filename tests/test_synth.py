"""The synthetic corpus generator (bench/synth.py): determinism, valid records, real recombination."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import pytest

from indexer.records import LEVEL1_NAMES, Amounts, Indicator, Project
from indexer.targets import parse_target

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from synth import (
    Fragments,
    SyntheticCorpus,
    extract_fragments,
    indicator_pool,
    indicator_text,
    load_seed_projects,
    split_head,
    split_project_name,
)


def _project(
    pid: str, name: str, district: str, indicators: list[tuple[str, str, str | None, str]]
) -> Project:
    return Project(
        id=pid,
        source_file="tiny.txt",
        source_line=1,
        district=district,
        department=f"{district}商务局",
        budget_unit=None,
        name=name,
        name_raw=name,
        amounts=Amounts(total=Decimal("100.00"), fiscal=Decimal("100.00")),
        goal="推动外贸稳增长。提升企业满意度；",
        goal_raw="推动外贸稳增长。提升企业满意度；",
        indicators=tuple(
            Indicator(pid, k, level1, code, ind_name, ind_name, value, value, parse_target(value))
            for k, (ind_name, level1, code, value) in enumerate(indicators, start=1)
        ),
    )


@pytest.fixture(scope="module")
def tiny_fragments() -> Fragments:
    return extract_fragments(
        [
            _project(
                "a",
                "跨境电商专项资金",
                "南沙区",
                [("扶持资金拨付及时率", "产出", "13", "100%"), ("参展企业数量", "产出", "11", "≥20家")],
            ),
            _project(
                "b",
                "会展业工作经费",
                "天河区",
                [
                    ("服务对象满意度", "满意度", "31", "≥90%"),
                    ("巩固拓展脱贫攻坚成果", "效益", "22", "有效巩固"),
                ],
            ),
        ]
    )


@pytest.fixture(scope="module")
def seed_fragments() -> Fragments:
    return extract_fragments(load_seed_projects())


def test_split_head_and_project_name() -> None:
    assert split_head("扶持资金拨付及时率") == ("扶持资金拨付", "及时率")
    assert split_head("生产经营单位安全隐患率（%）") == ("生产经营单位安全隐患", "率")
    assert split_head("服务对象满意度") == ("服务对象", "满意度")  # the longer head would leave no subject
    assert split_head("企业服务对象满意度") == ("企业", "服务对象满意度")
    assert split_head("巩固拓展脱贫攻坚成果") == ("巩固拓展脱贫攻坚成果", "")
    assert split_project_name("跨境电商专项资金") == ("跨境电商", "专项资金")
    assert split_project_name("口岸车检场水电费") == ("口岸车检场水电费", "")


def test_tiny_fragments(tiny_fragments: Fragments) -> None:
    assert set(tiny_fragments.subjects) == {"扶持资金拨付", "参展企业", "服务对象"}
    assert {h.head for h in tiny_fragments.heads} == {"及时率", "数量", "满意度"}
    assert set(tiny_fragments.project_topics) == {"跨境电商", "会展业"}
    assert set(tiny_fragments.goal_clauses) == {"推动外贸稳增长。", "提升企业满意度；"}
    assert {d[0] for d in tiny_fragments.departments} == {"南沙区", "天河区"}


def test_recombination_uses_only_seed_fragments(tiny_fragments: Fragments) -> None:
    synth = SyntheticCorpus(tiny_fragments, 400, seed=3, recombine=0.7)
    seed_names = {s.name for s in tiny_fragments.seed_indicators}
    heads = {h.head: h for h in tiny_fragments.heads}
    recombined = 0
    for project in synth:
        topic_ok = any(
            project.name == t + s for t in tiny_fragments.project_topics for s in ("专项资金", "工作经费")
        )
        assert topic_ok, project.name
        for ind in project.indicators:
            subject, head = split_head(ind.name)
            if ind.name in seed_names:
                continue
            recombined += 1
            assert subject in tiny_fragments.subjects and head in heads, ind.name
            assert ind.annual_value in heads[head].values
            assert (ind.level1, ind.level2_code) in heads[head].codes
    # New names really appear: e.g. 参展企业及时率 is in no seed table.
    assert recombined > 100


def test_deterministic_and_regenerable(seed_fragments: Fragments) -> None:
    first = list(SyntheticCorpus(seed_fragments, 2000, seed=11))
    second = list(SyntheticCorpus(seed_fragments, 2000, seed=11))
    assert first == second
    synth = SyntheticCorpus(seed_fragments, 2000, seed=11)
    assert synth.project(5) == first[5]
    other = list(SyntheticCorpus(seed_fragments, 2000, seed=12))
    assert [p.name for p in other] != [p.name for p in first]


def test_records_valid_and_count_exact(seed_fragments: Fragments) -> None:
    synth = SyntheticCorpus(seed_fragments, 3001, seed=1)
    corpus = synth.corpus()
    assert corpus.n_indicators == 3001
    assert len(corpus.by_id) == len(corpus.projects)  # unique project ids
    departments = {(d, dep) for d, dep, _ in seed_fragments.departments}
    indicator_ids = set()
    for project in corpus.projects:
        assert project.indicators, project.id
        assert (project.district, project.department) in departments
        assert project.amounts.total is not None and project.amounts.total > 0
        assert project.goal and project.name
        assert [i.ordinal for i in project.indicators] == list(range(1, len(project.indicators) + 1))
        for ind in project.indicators:
            assert ind.project_id == project.id
            assert ind.level1 in LEVEL1_NAMES
            assert ind.level2_code is None or ind.level2_code[0] == str(LEVEL1_NAMES.index(ind.level1) + 1)
            assert ind.target == parse_target(ind.annual_value)
            indicator_ids.add(ind.id)
    assert len(indicator_ids) == 3001
    assert sum(1 for _ in synth.indicators()) == 3001


def test_real_seed_fragments_are_rich(seed_fragments: Fragments) -> None:
    summary = seed_fragments.summary()
    assert summary["subjects"] >= 200
    assert summary["heads"] >= 20
    assert summary["departments"] >= 5
    assert {d[0] for d in seed_fragments.departments} >= {"广州市", "南沙区", "荔湾区", "花都区", "天河区"}


def test_vocabulary_bounds_distinct_texts(seed_fragments: Fragments) -> None:
    pool = indicator_pool(seed_fragments, 300, seed=0)
    assert len(pool) == 300 == len({(s.name, s.value) for s in pool})
    # The pool is the prefix of the unbounded stream's distinct texts.
    first: dict[str, None] = {}
    for ind in SyntheticCorpus(seed_fragments, 5000, seed=0).indicators():
        first.setdefault(indicator_text(ind), None)
    assert [f"{s.name}：{s.value}" for s in pool] == list(first)[:300]
    synth = SyntheticCorpus(seed_fragments, 5000, seed=0, vocabulary=300)
    texts = {indicator_text(i) for i in synth.indicators()}
    assert 250 <= len(texts) <= 300
    unbounded = {indicator_text(i) for i in SyntheticCorpus(seed_fragments, 5000, seed=0).indicators()}
    assert len(unbounded) > 1000


def test_invalid_arguments(tiny_fragments: Fragments) -> None:
    with pytest.raises(ValueError, match="n_indicators"):
        SyntheticCorpus(tiny_fragments, -1)
    with pytest.raises(ValueError, match="recombine"):
        SyntheticCorpus(tiny_fragments, 10, recombine=1.5)
    assert list(SyntheticCorpus(tiny_fragments, 0)) == []
    with pytest.raises(ValueError, match="metric head"):
        extract_fragments([])
