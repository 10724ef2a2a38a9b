"""The mixed load test: search, similar, classify and review against one server.

The requests come from a separate load-generator process (this module run as
a script: ``python bench/load_mixed.py generate ...``), an asyncio httpx client
with ``concurrency`` connections, so the sampler in the calling process never
competes with the client's event loop. The caller samples the server's RSS
from ``/proc`` every ``interval`` seconds while the generator runs; each sample
is matched to the number of requests completed by then.

Memory is judged after warm-up: the caches that are meant to fill (the query
vectors of the repeated searches, the classifier's embedding cache for the
cycled indicator names, the reviewer's background) have seen every text of the
cycle by then, while the novel searches keep missing the query-vector cache
(their pool is larger than the 256 vectors it holds, cycled in order).
"""

from __future__ import annotations

import asyncio
import bisect
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

Spec = tuple[str, str, str, dict[str, Any]]  # route label, method, path, httpx kwargs

# Novel search texts: a base query, a first and a second modifier; far more
# combinations than the query-vector cache holds.
_NOVEL_A = ["项目", "资金", "专项", "补助", "经费", "工作", "支持", "扶持", "企业", "发展", "建设", "服务"]
_NOVEL_B = ["提升", "推动", "促进", "保障", "管理", "平台", "体系", "政策", "市场", "区域", "试点", "考核"]


def novel_queries(bases: Sequence[str]) -> list[str]:
    """Distinct query texts, ordered so consecutive ones differ in their base."""
    return [f"{b}{a}{c}" for a in _NOVEL_A for c in _NOVEL_B for b in bases]


def mixed_specs(corpus: Any, query_mix: Sequence[dict[str, object]], cycle: int = 100) -> list[Spec]:
    """One cycle of ``20 * cycle`` requests.

    Per 20: 6 searches from the fixed mix (cached vectors after warm-up), 4
    novel searches (each encodes), 4 similar-projects, 5 single-indicator
    classifications (a cycled pool of corpus indicator names), 1 review of a
    corpus project rewritten as a draft (10 drafts cycled).
    """
    projects = list(corpus.projects)
    names = list(dict.fromkeys(i.name for p in projects for i in p.indicators if i.name))
    pool = names[: 5 * cycle // 2]  # each name twice per cycle
    novel = novel_queries([str(p["q"]) for p in query_mix])
    drafts = []
    for project in projects[:10]:
        indicators = [
            {"name": i.name, "code": i.level2_code, "annual_value": i.annual_value}
            for i in project.indicators[:8]
        ]
        drafts.append(
            {
                "projects": [
                    {"name": project.name + "（草稿）", "goal": project.goal, "indicators": indicators}
                ]
            }
        )
    specs: list[Spec] = []
    n_novel = 0
    for i in range(cycle):
        for j in range(6):
            specs.append(
                ("search", "GET", "/api/search", {"params": query_mix[(6 * i + j) % len(query_mix)]})
            )
        for _ in range(4):
            specs.append(
                ("search, novel text", "GET", "/api/search", {"params": {"q": novel[n_novel % len(novel)]}})
            )
            n_novel += 1
        for j in range(4):
            pid = projects[(4 * i + j) % len(projects)].id
            specs.append(("similar", "GET", f"/api/projects/{pid}/similar", {"params": {"k": 5}}))
        for j in range(5):
            body = {"items": [{"name": pool[(5 * i + j) % len(pool)]}]}
            specs.append(("classify", "POST", "/api/classify", {"json": body}))
        specs.append(("review", "POST", "/api/review", {"json": drafts[i % len(drafts)]}))
    return specs


async def _generate(base: str, specs: list[Spec], n: int, conc: int) -> list[tuple[int, float, float, int]]:
    """(spec index, completion time, latency ms, status) of ``n`` requests."""
    done: list[tuple[int, float, float, int]] = []
    counter = iter(range(n))
    limits = httpx.Limits(max_connections=conc, max_keepalive_connections=conc)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:

        async def worker() -> None:
            for i in counter:
                _, method, path, kwargs = specs[i % len(specs)]
                t0 = time.perf_counter()
                try:
                    status = (await client.request(method, path, **kwargs)).status_code
                except httpx.HTTPError:
                    status = 0
                done.append((i % len(specs), time.time(), (time.perf_counter() - t0) * 1000, status))

        await asyncio.gather(*(worker() for _ in range(conc)))
    return done


def rss_mb(pid: int) -> float:
    """Resident set size of process ``pid`` in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class MixedResult:
    """What the generator measured and what the sampler saw."""

    specs: list[Spec]
    done: list[tuple[int, float, float, int]]  # spec index, completed at (epoch s), latency ms, status
    samples: list[tuple[float, float]]  # epoch s, server RSS MB
    seconds: float
    concurrency: int
    warmup: int

    def completed_by(self, t: float) -> int:
        """Requests completed at time ``t``."""
        return bisect.bisect_right(self._ends, t)

    @property
    def _ends(self) -> list[float]:
        return sorted(d[1] for d in self.done)

    def rss_by_count(self) -> list[tuple[int, float]]:
        """(requests completed, RSS MB) for each sample."""
        ends = self._ends
        return [(bisect.bisect_right(ends, t), mb) for t, mb in self.samples]

    def errors(self) -> dict[str, int]:
        """Non-200 responses by route."""
        out: dict[str, int] = {}
        for idx, _, _, status in self.done:
            if status != 200:
                out[self.specs[idx][0]] = out.get(self.specs[idx][0], 0) + 1
        return out

    def slope(self) -> tuple[float, float, float]:
        """RSS at the end of warm-up, at the end, and the least-squares slope (MB per 10,000 requests)."""
        points = [(n, mb) for n, mb in self.rss_by_count() if n >= self.warmup]
        if len(points) < 2:
            raise SystemExit("too few RSS samples after warm-up")
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        den = sum((x - mx) ** 2 for x in xs)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0
        return ys[0], ys[-1], slope * 10_000


def run_mixed(
    base: str,
    server_pid: int,
    specs: list[Spec],
    n: int,
    conc: int,
    warmup: int,
    workdir: Path,
    interval: float = 0.5,
) -> MixedResult:
    """Drive ``n`` requests from a generator process, sampling the server's RSS meanwhile."""
    workdir.mkdir(parents=True, exist_ok=True)
    spec_file, out_file = workdir / "specs.json", workdir / "done.json"
    spec_file.write_text(json.dumps(specs, ensure_ascii=False), encoding="utf-8")
    out_file.unlink(missing_ok=True)
    cmd = [sys.executable, __file__, "generate", base, str(spec_file), str(n), str(conc), str(out_file)]
    samples = [(time.time(), rss_mb(server_pid))]
    start = time.perf_counter()
    gen = subprocess.Popen(cmd)
    while gen.poll() is None:
        time.sleep(interval)
        samples.append((time.time(), rss_mb(server_pid)))
    seconds = time.perf_counter() - start
    if gen.returncode:
        raise SystemExit(f"load generator exited with {gen.returncode}")
    done = [tuple(d) for d in json.loads(out_file.read_text(encoding="utf-8"))]
    return MixedResult(specs, done, samples, seconds, conc, warmup)  # type: ignore[arg-type]


def _pct(data: list[float], q: float) -> float:
    data = sorted(data)
    return data[min(len(data) - 1, max(0, round(q / 100 * (len(data) - 1))))]


def mixed_lines(result: MixedResult) -> list[str]:
    """The results section: per-route latencies, RSS through the run, the verdict."""
    routes: dict[str, list[float]] = {}
    for idx, _, ms, _ in result.done:
        routes.setdefault(result.specs[idx][0], []).append(ms)
    every = [ms for _, _, ms, _ in result.done]
    errors = result.errors()
    lines = [
        "| route | requests | errors | p50 ms | p95 ms | p99 ms | max ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, lat in [*routes.items(), ("all", every)]:
        err = sum(errors.values()) if name == "all" else errors.get(name, 0)
        lines.append(
            f"| {name} | {len(lat)} | {err} | {_pct(lat, 50):.1f} | {_pct(lat, 95):.1f} "
            f"| {_pct(lat, 99):.1f} | {max(lat):.1f} |"
        )
    warm, end, slope = result.slope()
    by_count = result.rss_by_count()
    marks, shown = [], -1
    for n, mb in by_count:
        if n // 2000 > shown // 2000 or n == len(result.done):
            marks.append(f"{n}: {mb:.0f}")
            shown = n
    peak = max(mb for n, mb in by_count if n >= result.warmup)
    lines += [
        "",
        f"{len(result.done)} requests in {result.seconds:.0f} s "
        f"({len(result.done) / result.seconds:.0f} req/s) "
        f"at concurrency {result.concurrency}; errors: {sum(errors.values())}"
        f"{' ' + str(errors) if errors else ''}.",
        "",
        f"Server RSS (MB) by requests completed, sampled every 0.5 s ({len(by_count)} samples): "
        + ", ".join(marks)
        + ".",
        "",
        f"After warm-up ({result.warmup} requests): **{warm:.0f} MB**; at the end **{end:.0f} MB**; highest "
        f"after warm-up {peak:.0f} MB; least-squares slope after warm-up **{slope:+.2f} MB per 10,000 "
        "requests**.",
    ]
    return lines


def main() -> None:
    """Generator mode: ``load_mixed.py generate BASE SPECS N CONCURRENCY OUT``."""
    _, mode, base, spec_file, n, conc, out = sys.argv
    if mode != "generate":
        raise SystemExit(f"unknown mode {mode!r}")
    specs = [tuple(s) for s in json.loads(Path(spec_file).read_text(encoding="utf-8"))]
    done = asyncio.run(_generate(base, specs, int(n), int(conc)))  # type: ignore[arg-type]
    Path(out).write_text(json.dumps(done), encoding="utf-8")


if __name__ == "__main__":
    main()
