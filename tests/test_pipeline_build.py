"""``api.pipeline.build_all``: every step, the classifier trained in a worker process beside the
encoder and index steps, the same classifier as a sequential build."""

from __future__ import annotations

import json
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool

import numpy as np
import pytest

from api.loaders import load_corpus, open_classifier
from api.pipeline import build_all
from classifier.core import ModelParams, trains_without_encoder
from classifier.training import train_and_save
from indexer.encoder import FakeEncoder, load_encoder
from indexer.encoder.build import DIM, ENCODER_NAME
from indexer.encoder.loader import encoder_identity
from indexer.encoder.onnx_export import ONNX_ENCODER_NAME
from indexer.errors import ArtifactError


def test_encoder_identity_is_what_loading_gives():
    fake = load_encoder("fake")
    assert encoder_identity("fake") == (fake.name, fake.dim)
    assert encoder_identity("e5-small", "onnx") == (ONNX_ENCODER_NAME, DIM)
    assert encoder_identity("e5-small", "torch") == (ENCODER_NAME, DIM)
    with pytest.raises(ArtifactError, match="unknown encoder"):
        encoder_identity("bert-huge")


def test_only_an_encoder_free_classifier_trains_beside():
    assert trains_without_encoder()  # the shipped parameters
    assert not trains_without_encoder(ModelParams(embedding_weight=1.0))
    assert not trains_without_encoder(ModelParams(knn_weight=0.5, embedding_weight=1.0))


@pytest.mark.heavy
def test_build_all_trains_the_classifier_beside_and_identically(fake_settings, tmp_path):
    summary = build_all(fake_settings)
    assert [(s.name, s.action) for s in summary.steps] == [
        ("corpus", "updated"),
        ("encoder", "skipped"),
        ("startup", "skipped"),
        ("index", "built"),
        ("classifier", "built"),
    ]
    assert "leave-one-district-out accuracy" in summary.steps[-1].detail
    corpus, encoder = load_corpus(fake_settings), FakeEncoder()
    model = open_classifier(fake_settings, encoder, corpus=corpus)  # checked against encoder and corpus
    assert model.info["encoder"] == encoder.name
    again = build_all(fake_settings)
    assert [s.action for s in again.steps] == ["up to date", "skipped", "skipped", "up to date", "up to date"]

    # The same artifact as training in this process, after the index (the order before).
    sequential = tmp_path / "sequential"
    expected = train_and_save(corpus, encoder, sequential)
    built = json.loads((fake_settings.classifier_dir / "manifest.json").read_text(encoding="utf-8"))
    for key in ("evaluation", "training_data_hash", "temperature", "review_threshold", "params"):
        assert built[key] == expected[key], key
    assert built["files"]["model.json"] == expected["files"]["model.json"]
    with (
        np.load(fake_settings.classifier_dir / "arrays.npz") as ours,
        np.load(sequential / "arrays.npz") as theirs,
    ):
        assert ours.files == theirs.files
        assert all(np.array_equal(ours[k], theirs[k]) for k in ours.files)


class _BrokenPool:
    """Stands in for the worker pool when the worker dies (e.g. an unguarded ``__main__``)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def __enter__(self) -> _BrokenPool:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def submit(self, *args: object) -> Future:
        future: Future = Future()
        future.set_exception(BrokenProcessPool("worker terminated abruptly"))
        return future


@pytest.mark.heavy
def test_a_dead_worker_means_training_in_process(fake_settings, monkeypatch):
    import api.pipeline

    monkeypatch.setattr(api.pipeline, "ProcessPoolExecutor", _BrokenPool)
    summary = build_all(fake_settings)
    assert (summary.steps[-1].name, summary.steps[-1].action) == ("classifier", "built")
    open_classifier(fake_settings, FakeEncoder(), corpus=load_corpus(fake_settings))


def test_export_imports_start_only_when_an_export_is_coming(fake_settings, monkeypatch, tmp_path):
    """build_all starts the export's imports before storing the tables, but only when the encoder
    step will export the ONNX encoder (a real encoder, the ONNX backend, no artifact yet or force)."""
    import indexer.encoder.onnx_export as onnx_export
    from api.pipeline import start_export_imports

    started: list[str] = []
    monkeypatch.setattr(onnx_export, "preload_export_modules", lambda: started.append("imports"))
    real = fake_settings.model_copy(update={"encoder": "e5-small", "encoder_backend": "onnx"})
    assert start_export_imports(fake_settings) is None  # fake encoder: nothing to export
    assert start_export_imports(real.model_copy(update={"encoder_backend": "torch"})) is None
    thread = start_export_imports(real)
    assert thread is not None
    thread.join()
    assert started == ["imports"]
    real.onnx_encoder_dir.mkdir(parents=True)
    (real.onnx_encoder_dir / "manifest.json").write_text('{"created_at": "2026-12-03"}', encoding="utf-8")
    assert start_export_imports(real) is None  # built already: the step only checks it
    forced = start_export_imports(real, force=True)
    assert forced is not None
    forced.join()
    assert started == ["imports", "imports"]
