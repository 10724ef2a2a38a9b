"""Deterministic synthetic corpus: seed-table fragments recombined into N indicators.

Used by the scale benchmark (1,000,000 indicators) and by any bench that needs
a corpus bigger than the five seed tables. Everything it yields is a real
:class:`~indexer.records.Project` / :class:`~indexer.records.Indicator`.

How it recombines
-----------------
:func:`extract_fragments` cuts the parsed seed projects into pieces:

* **indicator names** are split into a *subject* and a *head*: the head is the
  longest metric suffix from :data:`HEADS` (``及时率``, ``满意度``, ``数量``,
  ``增长率`` …) and the subject is what precedes it (``扶持资金拨付`` |
  ``及时率``). A head remembers the level-1/level-2 codes and the annual values
  it was seen with (``及时率`` → ``100%``, ``≥95%`` …), so a recombined
  indicator gets a code and a value that fit its head. Names without a known
  head (``巩固拓展脱贫攻坚成果``) are kept whole with their own code and value;
* **project names** are split into a *topic* and a *suffix* from
  :data:`PROJECT_SUFFIXES` (``跨境电商`` | ``专项资金``);
* **goals** are split into clauses at ``。；``;
* **departments**: the (district, department, budget unit) triples of the seed.

:func:`iter_projects` then builds project ``i`` from a random generator seeded
with ``(seed, i)`` — so any project can be regenerated on its own and the
stream is identical on every run: a department triple, a topic + suffix name,
1–3 goal clauses, an amount, and an indicator count drawn from the seed's own
count distribution. Each indicator is, with probability ``recombine``, a
subject of one seed indicator joined to the head of another (``扶持资金拨付`` +
``满意度``), else a seed indicator as is (the corpus repeats a lot: the same
``服务对象满意度`` appears everywhere). Indicator targets are parsed with
:func:`indexer.targets.parse_target`, as in the real corpus.

``vocabulary`` bounds the number of distinct indicator (name, value) pairs:
when set, indicators are drawn uniformly from a fixed pool — the first
``vocabulary`` distinct pairs of the unbounded stream — instead of being
recombined afresh. The scale benchmark uses it to keep
the number of distinct texts (each must go through the real encoder once)
within its time budget.

Run ``python bench/synth.py --n 20`` to print a sample.
"""

from __future__ import annotations

import argparse
import bisect
import functools
import hashlib
import itertools
import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from indexer.corpus import Corpus
from indexer.records import Amounts, Indicator, Project, Source, Target
from indexer.targets import parse_target

SEED_DIR = Path(__file__).resolve().parent.parent / "data" / "raw"

HEADS: tuple[str, ...] = tuple(sorted({
    "服务对象满意度", "满意度", "满意程度", "满意率", "知晓率", "及时率", "完成率",
    "合格率", "达标率", "覆盖率", "增长率", "增速", "正确率", "准确率", "通过率",
    "使用率", "执行率", "拨付率", "参与率", "出勤率", "利用率", "完好率", "运行率",
    "响应率", "归档率", "控制率", "发生率", "占比", "率", "次数", "个数", "人数",
    "家数", "件数", "场次", "数量", "金额", "总额", "总量", "规模", "时长",
    "时间", "数",
}, key=len, reverse=True))  # fmt: skip
"""Metric suffixes that end indicator names, longest first."""

PROJECT_SUFFIXES: tuple[str, ...] = tuple(sorted({
    "专项资金", "专项经费", "工作经费", "运行经费", "业务经费", "经费", "专题",
    "专项", "项目", "补助", "费用", "资金", "服务费", "租赁费", "维护费", "活动",
}, key=len, reverse=True))  # fmt: skip
"""Suffixes that end project names, longest first."""

_TRAILING_PAREN = re.compile(r"（[^（）]*）$")
_CLAUSE = re.compile(r"[^。；]+[。；]?")


@dataclass(frozen=True, slots=True)
class HeadFragment:
    """A metric suffix with the codes and annual values it was seen with in the seed."""

    head: str
    codes: tuple[tuple[str, str | None], ...]  # (level1, level2_code), with repeats = weights
    values: tuple[str, ...]  # annual values, with repeats = weights


@dataclass(frozen=True, slots=True)
class SeedIndicator:
    """A seed indicator kept whole (name, codes, value)."""

    name: str
    level1: str
    level2_code: str | None
    value: str


@dataclass(frozen=True, slots=True)
class IndicatorSpec:
    """What a generated indicator says: codes, name and annual value."""

    level1: str
    level2_code: str | None
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class Fragments:
    """The seed cut into recombinable pieces (see the module doc)."""

    subjects: tuple[str, ...]
    heads: tuple[HeadFragment, ...]
    seed_indicators: tuple[SeedIndicator, ...]
    project_topics: tuple[str, ...]
    project_suffixes: tuple[str, ...]
    goal_clauses: tuple[str, ...]
    departments: tuple[tuple[str, str, str | None], ...]  # (district, department, budget unit)
    indicator_counts: tuple[int, ...]  # per seed project, with repeats = weights
    amounts: tuple[Decimal, ...]

    def summary(self) -> dict[str, int]:
        """Number of distinct fragments of each kind."""
        return {
            "subjects": len(self.subjects),
            "heads": len(self.heads),
            "seed_indicators": len(self.seed_indicators),
            "project_topics": len(self.project_topics),
            "project_suffixes": len(self.project_suffixes),
            "goal_clauses": len(self.goal_clauses),
            "departments": len(self.departments),
        }


def split_head(name: str) -> tuple[str, str]:
    """``(subject, head)`` of an indicator name; head is ``""`` when none matches.

    A trailing parenthesis (``（%）``) is dropped first; a head must leave a
    subject of at least two characters.
    """
    core = _TRAILING_PAREN.sub("", name).strip()
    for head in HEADS:
        if core.endswith(head) and len(core) - len(head) >= 2:
            return core[: -len(head)], head
    return core, ""


def split_project_name(name: str) -> tuple[str, str]:
    """``(topic, suffix)`` of a project name; suffix is ``""`` when none matches."""
    for suffix in PROJECT_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)], suffix
    return name, ""


def extract_fragments(projects: Iterable[Project]) -> Fragments:
    """Cut seed projects into the fragments :func:`iter_projects` recombines."""
    subjects: dict[str, None] = {}
    head_codes: dict[str, list[tuple[str, str | None]]] = defaultdict(list)
    head_values: dict[str, list[str]] = defaultdict(list)
    seed_indicators: dict[SeedIndicator, None] = {}
    topics: dict[str, None] = {}
    suffixes: dict[str, None] = {}
    clauses: dict[str, None] = {}
    departments: dict[tuple[str, str, str | None], None] = {}
    counts: list[int] = []
    amounts: list[Decimal] = []
    for project in projects:
        topic, suffix = split_project_name(project.name)
        topics[topic] = None
        if suffix:
            suffixes[suffix] = None
        for clause in _CLAUSE.findall(project.goal):
            if len(clause.strip("。；")) >= 6:
                clauses[clause if clause.endswith(("。", "；")) else clause + "。"] = None
        departments[(project.district, project.department, project.budget_unit)] = None
        if project.indicators:
            counts.append(len(project.indicators))
        if project.amounts.total is not None and project.amounts.total > 0:
            amounts.append(project.amounts.total)
        for ind in project.indicators:
            value = ind.annual_value or ind.cycle_value or "完成"
            seed_indicators[SeedIndicator(ind.name, ind.level1, ind.level2_code, value)] = None
            subject, head = split_head(ind.name)
            if head:
                subjects[subject] = None
                head_codes[head].append((ind.level1, ind.level2_code))
                head_values[head].append(value)
    if not seed_indicators or not head_codes:
        raise ValueError("seed projects have no indicators with a recognisable metric head")
    heads = tuple(
        HeadFragment(head, tuple(head_codes[head]), tuple(head_values[head])) for head in sorted(head_codes)
    )
    return Fragments(
        subjects=tuple(subjects),
        heads=heads,
        seed_indicators=tuple(seed_indicators),
        project_topics=tuple(topics),
        project_suffixes=tuple(suffixes) or ("项目",),
        goal_clauses=tuple(clauses) or ("保障工作顺利开展。",),
        departments=tuple(departments),
        indicator_counts=tuple(counts) or (3,),
        amounts=tuple(amounts) or (Decimal("100.00"),),
    )


def load_seed_projects(seed_dir: Path = SEED_DIR) -> list[Project]:
    """The projects of every ``*.txt`` table in ``seed_dir``, read by ``indexer.ingest``."""
    from indexer.ingest import read_path

    projects: list[Project] = []
    for path in sorted(seed_dir.glob("*.txt")):
        projects.extend(read_path(path).table.projects)
    return projects


@functools.lru_cache(maxsize=65_536)
def _target(value: str) -> Target | None:
    return parse_target(value)


def _rng(seed: int, stream: str, i: int) -> random.Random:
    # Seeding from a hash of (seed, stream, i) makes item i independent of all others.
    digest = hashlib.blake2b(f"{seed}:{stream}:{i}".encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "little"))


def _recombined_spec(fragments: Fragments, rng: random.Random, recombine: float) -> IndicatorSpec:
    if rng.random() >= recombine:
        seed = rng.choice(fragments.seed_indicators)
        return IndicatorSpec(seed.level1, seed.level2_code, seed.name, seed.value)
    head = rng.choice(fragments.heads)
    level1, level2 = rng.choice(head.codes)
    return IndicatorSpec(level1, level2, rng.choice(fragments.subjects) + head.head, rng.choice(head.values))


def indicator_pool(
    fragments: Fragments, size: int, seed: int = 0, recombine: float = 0.8
) -> list[IndicatorSpec]:
    """The first ``size`` distinct indicator specs of the unbounded stream with this seed.

    Being a prefix of that stream, the pool's texts are exactly the first
    ``size`` distinct texts an unbounded run produces (which lets a benchmark
    reuse embeddings across bounded and unbounded runs). Fewer than ``size``
    when the fragments cannot make that many within ``50 × size`` indicators.
    """
    pool: dict[tuple[str, str], IndicatorSpec] = {}
    stream = SyntheticCorpus(fragments, 50 * size, seed=seed, recombine=recombine)
    for ind in stream.indicators():
        value = ind.annual_value or ""
        pool.setdefault((ind.name, value), IndicatorSpec(ind.level1, ind.level2_code, ind.name, value))
        if len(pool) >= size:
            break
    return list(pool.values())


def indicator_text(indicator: Indicator) -> str:
    """The passage the benchmarks embed for an indicator: ``name：annual value``."""
    value = indicator.annual_value or indicator.cycle_value
    return f"{indicator.name}：{value}" if value else indicator.name


class SyntheticCorpus:
    """A deterministic stream of synthetic projects recombined from ``fragments``.

    ``n_indicators`` is exact: the last project is cut short to hit it.
    ``recombine`` is the share of indicators made from two seed indicators
    (the rest are seed indicators as is); ``vocabulary`` bounds the number of
    distinct indicator (name, value) pairs (None: unbounded).
    """

    def __init__(
        self,
        fragments: Fragments,
        n_indicators: int,
        seed: int = 0,
        recombine: float = 0.8,
        vocabulary: int | None = None,
    ) -> None:
        if n_indicators < 0:
            raise ValueError(f"n_indicators must be >= 0, got {n_indicators}")
        if not 0.0 <= recombine <= 1.0:
            raise ValueError(f"recombine must be in [0, 1], got {recombine}")
        self.fragments = fragments
        self.n_indicators = n_indicators
        self.seed = seed
        self.recombine = recombine
        self.vocabulary = vocabulary
        self._pool = indicator_pool(fragments, vocabulary, seed, recombine) if vocabulary else None
        self._count_cdf = list(
            itertools.accumulate(Counter(fragments.indicator_counts)[c] for c in self._counts)
        )

    @functools.cached_property
    def _counts(self) -> list[int]:
        return sorted(set(self.fragments.indicator_counts))

    def _n_for(self, rng: random.Random) -> int:
        at = bisect.bisect_right(self._count_cdf, rng.random() * self._count_cdf[-1])
        return self._counts[min(at, len(self._counts) - 1)]

    def project(self, i: int, n_indicators: int | None = None) -> Project:
        """Project number ``i`` (same result on every call and run)."""
        frag = self.fragments
        rng = _rng(self.seed, "project", i)
        project_id = f"syn{self.seed}-{i:07d}"
        district, department, unit = rng.choice(frag.departments)
        name = rng.choice(frag.project_topics) + rng.choice(frag.project_suffixes)
        goal = "".join(rng.sample(frag.goal_clauses, min(len(frag.goal_clauses), rng.randint(1, 3))))
        scale = Decimal(rng.randint(20, 500)) / 100
        total = (rng.choice(frag.amounts) * scale).quantize(Decimal("0.01"))
        count = self._n_for(rng) if n_indicators is None else n_indicators
        indicators = []
        for ordinal in range(1, count + 1):
            if self._pool is not None:
                spec = rng.choice(self._pool)
            else:
                spec = _recombined_spec(frag, rng, self.recombine)
            indicators.append(
                Indicator(
                    project_id=project_id,
                    ordinal=ordinal,
                    level1=spec.level1,
                    level2_code=spec.level2_code,
                    name=spec.name,
                    name_raw=spec.name,
                    cycle_value=spec.value,
                    annual_value=spec.value,
                    target=_target(spec.value),
                )
            )
        return Project(
            id=project_id,
            source_file=f"synthetic-{self.seed}.txt",
            source_line=i + 1,
            district=district,
            department=department,
            budget_unit=unit,
            name=name,
            name_raw=name,
            amounts=Amounts(total=total, fiscal=total),
            goal=goal,
            goal_raw=goal,
            indicators=tuple(indicators),
        )

    def __iter__(self) -> Iterator[Project]:
        """Projects until exactly ``n_indicators`` indicators have been produced."""
        produced = 0
        for i in itertools.count():
            if produced >= self.n_indicators:
                return
            project = self.project(i)
            remaining = self.n_indicators - produced
            if len(project.indicators) > remaining:
                project = self.project(i, n_indicators=remaining)
            produced += len(project.indicators)
            yield project

    def indicators(self) -> Iterator[Indicator]:
        """Every indicator of every project, in order."""
        for project in self:
            yield from project.indicators

    def corpus(self) -> Corpus:
        """The whole stream as an in-memory :class:`~indexer.corpus.Corpus` (for small ``n``)."""
        source = Source(f"synthetic-{self.seed}.txt", "synthetic", "synthetic", "synthetic", "synthetic")
        return Corpus(projects=tuple(self), sources=(source,))


def synthetic_corpus(
    n_indicators: int,
    seed: int = 0,
    seed_projects: Sequence[Project] | None = None,
    **options: float | int | None,
) -> SyntheticCorpus:
    """A :class:`SyntheticCorpus` recombined from the bundled seed tables (or ``seed_projects``)."""
    projects = load_seed_projects() if seed_projects is None else seed_projects
    return SyntheticCorpus(extract_fragments(projects), n_indicators, seed, **options)  # type: ignore[arg-type]


def main() -> None:
    """Print a sample of the synthetic stream."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20, help="number of indicators")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--vocabulary", type=int, default=None)
    args = parser.parse_args()
    synth = synthetic_corpus(args.n, args.seed, vocabulary=args.vocabulary)
    print(synth.fragments.summary())
    for project in synth:
        print(
            f"{project.id} {project.district} {project.department} {project.name} {project.amounts.total}万元"
        )
        print(f"  {project.goal}")
        for ind in project.indicators:
            print(f"  {ind.ordinal}. [{ind.level1}/{ind.level2_code}] {indicator_text(ind)}")


if __name__ == "__main__":
    main()
