"""The synthetic corpus of the fake-encoder search tests, its encoders and fixtures (imported
by test_search_unit.py and test_search_persist.py)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from indexer.corpus import Corpus
from indexer.encoder import FakeEncoder
from indexer.records import Amounts, Indicator, Project
from indexer.search import Fusion, SearchIndex, build_index

# Textbook RRF, no dense margin: the unit tests check the fusion arithmetic itself.
OPTIONS = {"fusion": Fusion(60.0, 1.0, 1.0, None), "candidates": 200}

SPECS = [
    # id, district, department, name, total, goal, [(level1, code, indicator name)]
    (
        "p1",
        "广州市",
        "广州市商务局",
        "服务贸易专题",
        "400",
        "通过对服务贸易企业给予政策扶持，推动服务外包企业数量不断增加。促进邮轮产业健康发展。",
        [
            ("产出", "13", "扶持资金发放及时率"),
            ("产出", "11", "新增服务外包企业数量"),
            ("满意度", "31", "扶持企业满意度"),
        ],
    ),
    (
        "p2",
        "南沙区",
        "广州南沙经济技术开发区商务局",
        "2024年服务贸易专题",
        "780",
        "通过对服务贸易企业给予政策扶持，推动服务外包企业数量不断增加。",
        [
            ("产出", "12", "扶持资金拨付正确率"),
            ("产出", "11", "新增服务外包企业数量"),
            ("满意度", "31", "扶持企业满意度"),
        ],
    ),
    (
        "p3",
        "天河区",
        "广州市天河区商务和金融工作局",
        "天河商圈打造工作经费",
        "122.5",
        "加快整合天河路商圈资源，推动步行街业态升级；引进品牌首店。",
        [("产出", "11", "首店引进数量"), ("产出", "11", "新增知名品牌数")],
    ),
    (
        "p4",
        "花都区",
        "广州市花都区科技工业商务和信息化局",
        "口岸车检场水电费",
        None,
        "保障区口岸通关正常的运作，为进出口企业提供优质服务。",
        [("产出", "13", "费用支付及时率"), ("满意度", "31", "服务对象满意度")],
    ),
    (
        "p5",
        "荔湾区",
        "广州市荔湾区商务和投资促进局",
        "招商引资经费",
        "404",
        "开展日常招商工作，吸引更多企业落户荔湾。",
        [("产出", "11", "举办招商推介活动场次"), ("效益", "21", "注册落地项目")],
    ),
    (
        "p6",
        "花都区",
        "广州市花都区科技工业商务和信息化局",
        "科技金融服务工作经费",
        "50",
        "健全科技金融对接服务体系，有效解决企业融资难题，推动科技型中小企业快速发展。",
        [("产出", "11", "组织企业发布融资需求数量"), ("满意度", "31", "企业满意率")],
    ),
]


def make_project(spec: tuple, file: str = "t.txt", line: int = 1) -> Project:
    """The project of one :data:`SPECS` entry."""
    pid, district, dept, name, total, goal, inds = spec
    indicators = tuple(
        Indicator(pid, i + 1, l1, code, ind, ind, None, None, None) for i, (l1, code, ind) in enumerate(inds)
    )
    amounts = Amounts(total=Decimal(total) if total else None)
    return Project(pid, file, line, district, dept, None, name, name, amounts, goal, goal, indicators)


def make_corpus(specs: list = SPECS) -> Corpus:
    """A corpus of ``specs``, one project per line."""
    return Corpus(tuple(make_project(s, line=i + 1) for i, s in enumerate(specs)))


class CountingEncoder(FakeEncoder):
    """FakeEncoder that records every passage it embeds (and can fail on demand)."""

    def __init__(self, dim: int = 64, fail: bool = False) -> None:
        super().__init__(dim)
        self.seen: list[str] = []
        self.fail = fail

    def encode_passages(self, texts):
        if self.fail:
            raise RuntimeError("encoder crashed mid-build")
        self.seen.extend(texts)
        return super().encode_passages(texts)


class RenamedEncoder(FakeEncoder):
    """Same name as FakeEncoder(64) but another dimension."""

    def __init__(self) -> None:
        super().__init__(dim=32)
        self.name = "fake-hash-64"


def built_index(tmp_path: Path, corpus: Corpus) -> tuple[SearchIndex, Path]:
    """``corpus`` indexed with the fake encoder under ``tmp_path`` (the tests' ``built`` fixture:
    ``built = pytest.fixture(built_index)``, beside ``corpus = pytest.fixture(make_corpus)``)."""
    out = tmp_path / "index"
    return build_index(corpus, FakeEncoder(), out, **OPTIONS), out


def ids(hits) -> list[str]:
    """The project ids of some hits, in order."""
    return [h.project_id for h in hits]
