"""Reuse detection on small synthetic corpora (FakeEncoder): near-duplicates, thresholds, sets."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from reuse_support import make_project as _project

from indexer.corpus import Corpus
from indexer.encoder import FakeEncoder
from indexer.reuse import ReuseParams, find_reuse, report_to_dict, write_report
from indexer.reuse.detect import amount_only_groups, goal_clusters, name_clusters, set_clusters
from indexer.reuse.diff import diff_spans
from indexer.reuse.neardup import Verifier, char_shingles, dup_key, jaccard, near_duplicate_edges

BASE = (
    "通过对服务贸易企业给予政策扶持，推动服务贸易和服务外包企业数量不断增加，"
    "服务外包产业规模不断提高，进一步促进商务高质量发展。"
)
CLAUSE = (
    "促进邮轮产业健康发展，提升邮轮产业发展水平，助推国际航运枢纽和国际航运中心建设，"
    "保障运营单位基础运营，为邮轮产业做大做强打下基础，吸引更多国际邮轮公司开辟以广州为母港的航线。"
)
UNRELATED = "保障口岸查验单位正常运转，改善口岸通关环境，提升通关效率和旅客满意度，维护口岸安全稳定。"
OTHER = "举办国际美食节和购物节等促消费活动，展示饮食文化，擦亮城市名片，带动餐饮零售消费增长。"
IT = "完善信息化系统运维体系，提高系统日常监测和故障处理水平，保障业务系统安全稳定运行。"


SET_A = (("扶持资金发放正确率", "100%"), ("扶持资金发放及时率", "100%"), ("扶持企业满意度", "≥90%"))


def test_dup_key_ignores_punctuation_and_whitespace_but_keeps_comparators():
    assert dup_key("提升 通关效率，（改善）环境。") == dup_key("提升通关效率,改善环境")
    assert dup_key("满意度≥90%") != dup_key("满意度90")


def test_goal_with_one_added_clause_is_a_near_duplicate():
    p = ReuseParams()
    a, b = (char_shingles(dup_key(t), p.goal_shingle) for t in (BASE, BASE + CLAUSE))
    verify = Verifier(p.goal_jaccard, p.containment, p.min_containment_shingles)
    assert jaccard(a, b) < p.goal_jaccard  # Jaccard alone would miss it...
    assert verify(a, b) is not None  # ...containment catches the template + clause


def test_unrelated_goals_are_not_near_duplicates():
    p = ReuseParams()
    verify = Verifier(p.goal_jaccard, p.containment, p.min_containment_shingles)
    texts = [BASE, UNRELATED, OTHER, IT]
    sets = [char_shingles(dup_key(t), p.goal_shingle) for t in texts]
    for i in range(len(sets)):
        for j in range(i + 1, len(sets)):
            assert verify(sets[i], sets[j]) is None, (texts[i], texts[j])
            assert jaccard(sets[i], sets[j]) < 0.2


def test_thresholds_are_honoured_at_the_cut_off():
    base = frozenset(f"s{i}" for i in range(40))
    # Jaccard 30/50 = 0.6 exactly: accepted at 0.6, refused at 0.61.
    other = frozenset([*sorted(base)[:30], *(f"t{i}" for i in range(10))])
    assert jaccard(base, other) == pytest.approx(0.6)
    assert Verifier(0.6)(base, other) == pytest.approx(0.6)
    assert Verifier(0.61)(base, other) is None
    # Containment needs enough shingles in the shorter text...
    short = frozenset(sorted(base)[:20])
    assert Verifier(0.9, containment=0.9, min_containment_shingles=21)(short, base) is None
    assert Verifier(0.9, containment=0.9, min_containment_shingles=20)(short, base) is not None
    # ...and a comparable length: 20 of 40 shingles is half (≥ 0.4), 15 of 40 is not.
    shorter = frozenset(sorted(base)[:15])
    assert Verifier(0.9, containment=0.9, min_containment_shingles=10)(shorter, base) is None
    assert Verifier(0.9, 0.9, 10, min_length_ratio=0.3)(shorter, base) is not None


def test_goal_clusters_exact_near_and_singletons():
    projects = [
        _project("p1", BASE, amount="10"),
        _project("p2", BASE.replace("，", ",").replace("。", ""), amount="20"),  # exact after normalisation
        _project("p3", BASE + CLAUSE, amount="30"),
        _project("p4", UNRELATED, district="南沙区", department="广州南沙经济技术开发区商务局"),
        _project("p5", OTHER),
        _project("p6", "无"),  # too short to count
        _project("p7", "无"),
    ]
    clusters = goal_clusters(projects, ReuseParams())
    assert len(clusters) == 1
    cluster = clusters[0]
    assert {m.project_id for m in cluster.members} == {"p1", "p2", "p3"}
    assert not cluster.exact and not cluster.crosses_districts
    assert cluster.shared_text in (projects[0].goal, projects[1].goal)
    extended = next(m for m in cluster.members if m.project_id == "p3")
    assert [d.op for d in extended.diff] == ["insert"]
    assert extended.diff[0].member == CLAUSE
    assert extended.similarity < 0.6


def test_exact_duplicate_across_districts():
    projects = [
        _project("p1", UNRELATED),
        _project("p2", UNRELATED, district="花都区", department="广州市花都区科技工业商务和信息化局"),
        _project("p3", IT),
    ]
    (cluster,) = goal_clusters(projects, ReuseParams())
    assert cluster.exact and cluster.crosses_districts
    assert cluster.districts == ("广州市", "花都区")
    assert cluster.min_similarity == 1.0


def test_diff_spans_name_the_changed_words():
    spans = diff_spans("提升邮轮产业发展水平", "提升会展产业发展水平")
    assert [(s.op, s.shared, s.member) for s in spans] == [("replace", "邮轮", "会展")]
    assert diff_spans("同一", "同一") == ()


def test_indicator_names_exact_and_near_but_not_different_measures():
    projects = [
        _project(
            "p1",
            BASE,
            indicators=(("商务部业务统一服务平台新增认证个数", "≥61个"), ("扶持资金发放正确率", "100%")),
        ),
        _project(
            "p2",
            OTHER,
            indicators=(("商务部业务统一平台新增认证个数", "≥5个"), ("扶持资金发放及时率", "100%")),
        ),
        _project("p3", IT, indicators=(("扶持资金发放正确率", "100%"), ("率", "1"))),
        _project("p4", UNRELATED, indicators=(("率", "2"),)),
    ]
    clusters = name_clusters(projects, ReuseParams())
    texts = [sorted({m.text for m in c.members}) for c in clusters]
    assert ["商务部业务统一平台新增认证个数", "商务部业务统一服务平台新增认证个数"] in texts
    assert ["扶持资金发放正确率"] in texts
    assert not any("扶持资金发放及时率" in t for t in texts)  # 正确率 vs 及时率 differ in meaning
    assert ["率"] in texts  # short names still match exactly


def test_indicator_sets_repeated_unchanged_and_near():
    near_set = (*SET_A[:2], ("扶持企业满意度", "≥90%"), ("新增企业数量", "≥5家"))
    projects = [
        _project("p1", BASE, indicators=SET_A),
        _project("p2", OTHER, indicators=tuple(reversed(SET_A)), district="南沙区"),  # order does not matter
        _project("p3", IT, indicators=(("系统可用率", "≥99%"), ("故障响应及时率", "100%"))),
        _project("p4", UNRELATED, indicators=(("口岸通关正常率", "100%"), ("安全事故发生次数", "0次"))),
    ]
    (cluster,) = set_clusters(projects, ReuseParams())
    assert cluster.exact and cluster.crosses_districts
    assert {m.project_id for m in cluster.members} == {"p1", "p2"}
    # A fourth indicator added to a set of three: Jaccard 3/4 < 0.8 → separate; at 0.75 → joined.
    projects.append(_project("p5", UNRELATED + "。", indicators=near_set))
    assert {m.project_id for c in set_clusters(projects, ReuseParams()) for m in c.members} == {"p1", "p2"}
    loose = set_clusters(projects, ReuseParams(set_jaccard=0.75))
    assert {m.project_id for c in loose for m in c.members} == {"p1", "p2", "p5"}


def test_amount_only_and_numbers_only_groups():
    projects = [
        _project("p1", BASE, amount="10", indicators=SET_A),
        _project("p2", BASE, amount="25", indicators=SET_A),
        _project("p3", IT, amount="5", indicators=(("系统可用率", "≥99%"),)),
        _project("p4", IT, amount="5", indicators=(("系统可用率", "≥95%"),)),
        _project("p5", OTHER, amount="5", indicators=(("系统可用率", "≥95%"),)),
    ]
    groups = amount_only_groups(projects, ReuseParams())
    kinds = {g.kind: {m.project_id for m in g.members} for g in groups}
    assert kinds == {"amounts_only": {"p1", "p2"}, "numbers_only": {"p3", "p4"}}
    amounts_group = next(g for g in groups if g.kind == "amounts_only")
    assert amounts_group.distinct_amounts == (Decimal("10"), Decimal("25"))


def test_lsh_finds_a_near_pair_among_many_unrelated():
    texts = [
        f"第{i}号专项用于{'甲乙丙丁戊己庚辛'[i % 8]}类事项{i * 7919}的保障和执行，确保资金使用{i}效"
        for i in range(300)
    ]
    texts += [BASE, BASE + CLAUSE]
    p = ReuseParams()
    sets = [char_shingles(dup_key(t), p.goal_shingle) for t in texts]
    edges = near_duplicate_edges(
        sets,
        Verifier(p.goal_jaccard, p.containment, p.min_containment_shingles),
        num_perm=p.num_perm,
        lsh_threshold=p.lsh_threshold,
        max_bucket_all_pairs=p.max_bucket_all_pairs,
        max_representatives=p.max_representatives,
    )
    assert (300, 301) in edges


def test_find_reuse_report_measures_and_json(tmp_path):
    projects = [
        _project("p1", BASE, amount="10", indicators=SET_A),
        _project("p2", BASE, amount="20", indicators=SET_A),
        _project(
            "p3",
            BASE + CLAUSE,
            district="南沙区",
            department="广州南沙经济技术开发区商务局",
            indicators=SET_A,
        ),
        _project(
            "p4",
            UNRELATED,
            district="南沙区",
            department="广州南沙经济技术开发区商务局",
            indicators=(("口岸通关正常率", "100%"), ("安全事故发生次数", "0次")),
        ),
        _project(
            "p5", OTHER, indicators=(("参与活动餐饮门店数量", "≥100家"), ("活动参加企业满意度", "≥90%"))
        ),
        _project("p6", IT, indicators=(("系统可用率", "≥99%"), ("故障响应及时率", "100%"))),
    ]
    report = find_reuse(Corpus(tuple(projects)), FakeEncoder(), ReuseParams(theme_k_min=2, theme_k_max=3))
    by_district = {m.group: m for m in report.by_district}
    assert by_district["广州市"].n_goal_reused == 2 and by_district["广州市"].n_projects == 4
    assert by_district["南沙区"].goal_reused_share == pytest.approx(0.5)
    assert by_district["南沙区"].n_goal_reused_cross_district == 1
    assert by_district["广州市"].boilerplate_indicator_share == pytest.approx(6 / 10)
    assert report.top_names[0].n_projects == 3
    assert 2 <= len(report.themes) <= 3
    assert sum(t.n_projects for t in report.themes) == 6
    assert len(report.map_points) == 6

    data = report_to_dict(report)
    assert json.loads(json.dumps(data)) == data
    assert data["summary"]["n_projects_goal_reused"] == 3

    html_path = write_report(report, tmp_path)
    page = html_path.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]*\bsrc=", page)  # plotly.js inlined, nothing fetched
    assert "Plotly.newPlot" in page
    assert CLAUSE in page
    assert json.loads((tmp_path / "reuse.json").read_text(encoding="utf-8")) == data
    csv_names = {p.name for p in (tmp_path / "reuse_tables").glob("*.csv")}
    assert {
        "goal_clusters.csv",
        "goal_members.csv",
        "by_district.csv",
        "themes.csv",
        "top_names.csv",
    } <= csv_names


def test_empty_and_tiny_corpora_give_an_empty_report(tmp_path):
    for projects in ((), (_project("p1", BASE),)):
        report = find_reuse(Corpus(tuple(projects)), FakeEncoder())
        assert report.goal_clusters == () and report.themes == ()
        assert report_to_dict(report)["summary"]["n_projects"] == len(projects)
        assert write_report(report, tmp_path / str(len(projects))).exists()
