"""Bounded loopback load test of the HTTP API against a real uvicorn server.

Starts ``jixiao serve`` (one worker) on 127.0.0.1 with a free port, waits for
``/api/health``, then

1. drives it with 20,000 mixed requests (search, similar, classify, review) at
   concurrency 16 from a separate load-generator process while sampling the
   server's RSS (``bench/load_mixed.py``);
2. drives ``/api/health`` (the floor of the same server) and ``/api/search``
   with a fixed query mix at concurrency 1 and 8 (issue 5's target), and times
   ``SearchIndex.search`` in-process on the same mix as the same-process baseline.

Writes ``bench/results/load.md`` and stops.

    .venv/bin/python bench/bench_load.py [--models-dir models] [--mixed 20000]

If the models dir has no ready artifacts, a private set is built under
``bench/out/load-models`` (real encoder, classifier without evaluation).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from load_mixed import mixed_lines, mixed_specs, run_mixed
from machine import LOCKED_PYTHON, load_note

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
RESULTS = REPO / "bench" / "results" / "load.md"

# A fixed mix: paraphrases, exact terms, filters, pagination.
QUERY_MIX: list[dict[str, object]] = [
    {"q": "帮中小企业解决融资难"},
    {"q": "出口信用保险补贴"},
    {"q": "服务外包"},
    {"q": "跨境电商", "limit": 20},
    {"q": "展会补贴", "district": "广州市"},
    {"q": "口岸运行保障经费"},
    {"q": "新增纳统企业数量"},
    {"q": "服务对象满意度", "code": "31"},
    {"q": "信息化系统运维"},
    {"q": "招商引资", "offset": 10},
    {"q": "商贸流通", "min_amount": 100, "max_amount": 5000},
    {"q": "单一窗口"},
    {"q": "首店经济"},
    {"q": "综保区"},
    {"q": "促进消费", "district": "南沙区"},
    {"q": "工作经费", "limit": 5},
]


# Distinct texts for the uncached runs: cycled in order through more texts than
# the index's query-vector LRU (256) holds, so every request encodes its query.
_MODIFIERS = [
    "",
    "项目",
    "资金",
    "专项",
    "补助",
    "经费",
    "2025年",
    "工作",
    "支持",
    "扶持",
    "企业",
    "发展",
    "建设",
    "服务",
    "提升",
    "推动",
    "促进",
    "保障",
    "管理",
    "平台",
    "体系",
    "政策",
    "市场",
    "区域",
]
UNCACHED_MIX: list[dict[str, object]] = [{**p, "q": f"{p['q']}{m}"} for m in _MODIFIERS for p in QUERY_MIX]


@dataclass
class RunResult:
    """Latencies of one run."""

    name: str
    concurrency: int
    n: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    def pct(self, q: float) -> float:
        """The q-th percentile latency in ms."""
        data = sorted(self.latencies_ms)
        if not data:
            return float("nan")
        k = min(len(data) - 1, max(0, round(q / 100 * (len(data) - 1))))
        return data[k]

    @property
    def rps(self) -> float:
        """Requests per second."""
        return self.n / self.seconds if self.seconds else 0.0


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ensure_models(models_dir: Path) -> Path:
    """``models_dir`` if it holds built artifacts for the real encoder, else a private build."""
    from api.settings import Settings

    needed = ("corpus.sqlite", "index/manifest.json", "classifier/manifest.json", "encoder/manifest.json")
    if all((models_dir / n).exists() for n in needed):
        return models_dir
    private = REPO / "bench" / "out" / "load-models"
    if all((private / n).exists() for n in needed):
        return private
    print(f"building private artifacts in {private} (real encoder) ...", flush=True)
    from api.loaders import index_options, open_encoder
    from classifier.model import IndicatorClassifier
    from indexer.search import build_index
    from indexer.store import CorpusStore

    private.mkdir(parents=True, exist_ok=True)
    encoder_src = (models_dir / "encoder").resolve()
    if not (private / "encoder").exists():
        if not (encoder_src / "manifest.json").is_file():
            raise SystemExit("no built encoder: run `jixiao build-encoder` first")
        (private / "encoder").symlink_to(encoder_src, target_is_directory=True)
    settings = Settings(models_dir=private, encoder="e5-small")
    store = CorpusStore(settings.db_path)
    store.ingest(sorted((REPO / "data" / "raw").glob("*.txt")))
    corpus = store.load()
    encoder = open_encoder(settings)
    build_index(corpus, encoder, settings.index_dir, **index_options(settings))
    IndicatorClassifier.train(corpus, encoder).save(settings.classifier_dir)
    return private


def start_server(models_dir: Path, port: int) -> subprocess.Popen[bytes]:
    """``jixiao serve`` on ``port`` with ``models_dir``, as a child process."""
    env = {**os.environ, "JIXIAO_MODELS_DIR": str(models_dir), "JIXIAO_ENCODER": "e5-small"}
    cmd = [str(REPO / ".venv" / "bin" / "jixiao"), "serve", "--port", str(port), "--log-level", "warning"]
    return subprocess.Popen(cmd, env=env, cwd=REPO)


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server child: SIGTERM, then SIGKILL when it has not exited within 30 s."""
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def wait_ready(base: str, proc: subprocess.Popen[bytes], timeout: float = 300) -> None:
    """Wait until the server's health check answers 200 (fail when it exits or times out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            r = httpx.get(base + "/api/health", timeout=5)
            if r.status_code == 200:
                return
            if r.status_code == 503:
                raise SystemExit(f"server not ready: {r.json()['error']['message']}")
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise SystemExit("server did not become ready")


async def drive(
    base: str, name: str, path: str, params: list[dict[str, object]], n: int, conc: int
) -> RunResult:
    """``n`` requests to ``path`` (cycling ``params``) from ``conc`` concurrent clients."""
    latencies: list[float] = []
    errors = 0
    counter = iter(range(n))
    limits = httpx.Limits(max_connections=conc, max_keepalive_connections=conc)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:

        async def worker() -> None:
            nonlocal errors
            for i in counter:
                p = params[i % len(params)] if params else None
                t0 = time.perf_counter()
                try:
                    r = await client.get(path, params=p)
                    ok = r.status_code == 200
                    if ok and path == "/api/search":
                        ok = "hits" in r.json()
                except httpx.HTTPError:
                    ok = False
                latencies.append((time.perf_counter() - t0) * 1000)
                if not ok:
                    errors += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(conc)))
        seconds = time.perf_counter() - start
    return RunResult(name, conc, n, errors, seconds, latencies)


def in_process_baselines(models_dir: Path, rounds: int, uncached: int) -> list[RunResult]:
    """``SearchIndex.search`` on the same mixes, no HTTP (same encoder and index)."""
    from api.loaders import open_encoder, open_index
    from api.settings import Settings
    from indexer.search import SearchQuery
    from indexer.store import CorpusStore

    settings = Settings(models_dir=models_dir, encoder="e5-small")
    corpus = CorpusStore(settings.db_path).load()

    encoder = open_encoder(settings, num_threads=settings.encoder_threads)  # as the server does
    index = open_index(settings, corpus, encoder)

    def query(p: dict[str, object]) -> SearchQuery:
        return SearchQuery(
            text=str(p["q"]),
            district=p.get("district"),  # type: ignore[arg-type]
            code=p.get("code"),  # type: ignore[arg-type]
            min_amount=p.get("min_amount"),  # type: ignore[arg-type]
            max_amount=p.get("max_amount"),  # type: ignore[arg-type]
            limit=int(p.get("limit", 10)),  # type: ignore[call-overload]
            offset=int(p.get("offset", 0)),  # type: ignore[call-overload]
        )

    results = []
    for name, mix, n in (
        ("in-process SearchIndex.search", QUERY_MIX, rounds),
        ("in-process SearchIndex.search, uncached queries", UNCACHED_MIX, uncached),
    ):
        queries = [query(p) for p in mix]
        for q in queries[: len(QUERY_MIX)]:  # warm-up
            index.search(q)
        latencies = []
        start = time.perf_counter()
        for i in range(n):
            t0 = time.perf_counter()
            index.search(queries[i % len(queries)])
            latencies.append((time.perf_counter() - t0) * 1000)
        results.append(RunResult(name, 1, n, 0, time.perf_counter() - start, latencies))
    return results


def row(r: RunResult) -> str:
    """One results-table row of a run."""
    return (
        f"| {r.name} | {r.concurrency} | {r.n} | {r.errors} | {r.pct(50):.1f} | {r.pct(95):.1f} | "
        f"{r.pct(99):.1f} | {max(r.latencies_ms):.1f} | {r.rps:.0f} |"
    )


def main() -> None:
    """Run the load tests and write bench/results/load.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", type=Path, default=REPO / "models")
    parser.add_argument("--mixed", type=int, default=20000, help="mixed requests (0: skip)")
    parser.add_argument("--concurrency", type=int, default=16, help="of the mixed run")
    parser.add_argument("--warmup", type=int, default=2000, help="mixed requests before memory is judged")
    parser.add_argument("--requests", type=int, default=5000, help="search requests at concurrency 8")
    parser.add_argument("--serial", type=int, default=1000, help="search requests at concurrency 1")
    parser.add_argument("--health", type=int, default=2000)
    parser.add_argument("--uncached", type=int, default=1000, help="requests with distinct query texts")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    from api.loaders import load_corpus
    from api.settings import Settings

    models_dir = ensure_models(args.models_dir.resolve())
    corpus = load_corpus(Settings(models_dir=models_dir, encoder="e5-small"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    load_before = os.getloadavg()
    proc = start_server(models_dir, port)
    mixed = None
    try:
        wait_ready(base, proc)
        if args.mixed:
            specs = mixed_specs(corpus, QUERY_MIX)
            workdir = REPO / "bench" / "out" / "load"
            mixed = run_mixed(base, proc.pid, specs, args.mixed, args.concurrency, args.warmup, workdir)
            print("\n".join(mixed_lines(mixed)), flush=True)
        load_mid = os.getloadavg()
        # Warm-up: every query once (jieba, FAISS, first-call costs).
        asyncio.run(drive(base, "warm-up", "/api/search", QUERY_MIX, len(QUERY_MIX) * 2, 1))
        plan = [
            ("GET /api/health", "/api/health", [], args.health, 1),
            ("GET /api/health", "/api/health", [], args.health, 8),
            ("GET /api/search", "/api/search", QUERY_MIX, args.serial, 1),
            ("GET /api/search", "/api/search", QUERY_MIX, args.requests, 8),
            ("GET /api/search, uncached queries", "/api/search", UNCACHED_MIX, args.uncached, 1),
            ("GET /api/search, uncached queries", "/api/search", UNCACHED_MIX, args.uncached, 8),
        ]
        runs = []
        for name, path, params, n, conc in plan:
            runs.append(asyncio.run(drive(base, name, path, params, n, conc)))
            print(row(runs[-1]), flush=True)
    finally:
        stop_server(proc)
    baselines = in_process_baselines(models_dir, args.serial, args.uncached)
    load_after = os.getloadavg()
    for b in baselines:
        print(row(b), flush=True)
    search1, uncached1 = runs[2], runs[4]
    baseline, baseline_uncached = baselines
    command = " ".join(
        [
            f"{LOCKED_PYTHON} bench/bench_load.py",
            *sys.argv[1:],
        ]
    )
    lines = [
        "# HTTP load test (loopback)",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {os.cpu_count()} cores, no GPU, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}. {load_note(load_before[0], load_after[0])} "
        "The server and the client share the 2 cores.",
        "",
        "Server: `jixiao serve` (uvicorn, 1 worker, default settings: int8 ONNX multilingual-e5-small "
        "encoder with query micro-batching, BM25 + FAISS, the classifier and the reviewer) on 127.0.0.1, "
        f"artifacts of `jixiao build` ({len(corpus.projects)} seed projects).",
        "",
    ]
    if mixed is not None:
        warm, end, slope = mixed.slope()
        errors = sum(mixed.errors().values())
        lines += [
            f"## Mixed load: {len(mixed.done)} requests at concurrency {mixed.concurrency}",
            "",
            "Client: a separate load-generator process (`bench/load_mixed.py generate`, asyncio httpx, "
            f"{mixed.concurrency} keep-alive connections) cycling through "
            f"{len(mixed.specs)} requests: per 20, 6 searches from a fixed mix of {len(QUERY_MIX)} queries, "
            "4 searches with novel texts (a pool of several thousand, cycled in order, so each misses the "
            "256-entry query-vector cache and encodes), 4 similar-projects, 5 single-indicator "
            "classifications (a cycled pool of corpus indicator names) and 1 review of an 8-indicator draft "
            "(10 drafts). The sampler (this process) reads the server's VmRSS from /proc every 0.5 s. "
            f"Load average {load_before[0]:.1f} at start, {load_mid[0]:.1f} after the mixed run.",
            "",
            *mixed_lines(mixed),
            "",
            f"Target (issue 12): zero errors — {'met' if errors == 0 else 'NOT met'}; no memory growth after "
            f"warm-up — {warm:.0f} → {end:.0f} MB, slope {slope:+.2f} MB per 10,000 requests "
            f"({'met' if abs(end - warm) <= 0.02 * warm and abs(slope) <= 0.01 * warm else 'NOT met'}: "
            "flat means within 2 % of the warm-up RSS and a slope under 1 % of it per 10,000 requests).",
            "",
        ]
    lines += [
        "## Search and health at concurrency 1 and 8 (issue 5)",
        "",
        "Same server, right after the mixed run; client: asyncio httpx with keep-alive in the benchmark "
        f"process. Fixed mix of {len(QUERY_MIX)} queries (paraphrases, filters, pagination), cycled in "
        "order; warm-up of two rounds excluded. `/api/health` is the floor of the same server (routing, "
        "JSON, middleware, client overhead). The in-process baseline opens the encoder as the server does "
        "(setting `encoder_threads`).",
        "",
        "| endpoint | concurrency | requests | errors | p50 ms | p95 ms | p99 ms | max ms | req/s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        *[row(r) for r in runs],
        *[row(b) for b in baselines],
        "",
        "The fixed mix repeats 16 texts, so after warm-up their query vectors come from the index's LRU "
        f"cache; the uncached runs cycle through {len(UNCACHED_MIX)} distinct texts (more than the "
        "cache holds), so every request runs the encoder.",
        "",
        f"HTTP search at concurrency 1 vs in-process `SearchIndex.search` (same mix): p50 "
        f"{search1.pct(50) / baseline.pct(50):.2f}×, p99 {search1.pct(99) / baseline.pct(99):.2f}×; "
        f"uncached: p50 {uncached1.pct(50) / baseline_uncached.pct(50):.2f}×, "
        f"p99 {uncached1.pct(99) / baseline_uncached.pct(99):.2f}×.",
        "",
        f"Target (issue 5): search p99 ≤ 50 ms at concurrency 1 — fixed mix {search1.pct(99):.1f} ms "
        f"({'met' if search1.pct(99) <= 50 else 'NOT met'}), uncached {uncached1.pct(99):.1f} ms "
        f"({'met' if uncached1.pct(99) <= 50 else 'NOT met'}). Errors: {sum(r.errors for r in runs)}.",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {args.out}")
    if sum(r.errors for r in runs) or (mixed is not None and mixed.errors()):
        sys.exit(1)


if __name__ == "__main__":
    main()
