"""Start-up tables: the same tokens as the whole dictionaries, and used only while current.

A synthetic Unigram tokenizer (built here, no artifacts) stands in for the encoder's; the
jieba table is written from jieba's own dictionary and the domain words.
"""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

import pytest
from tokenizers import Tokenizer, normalizers, pre_tokenizers, processors
from tokenizers.models import Unigram

from indexer import tokenize
from indexer.artifacts import write_artifact
from indexer.encoder.onnx_export import ONNX_ENCODER_NAME, ONNX_FORMAT_VERSION, ONNX_KIND
from indexer.encoder.piece_table import PieceTableTokenizer, write_piece_table
from indexer.ingest import read_path
from indexer.startup import build_startup, open_startup

SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]
WORDS = ["道路", "建设", "道路建设", "资金", "拨付", "及时", "及时率", "率", "满意度", "企业", "融资", "难"]


def synthetic_tokenizer(extra: list[str] = ()) -> Tokenizer:
    """A small XLM-R-shaped Unigram tokenizer: specials first, ▁-prefixed words, single characters."""
    chars = sorted({c for w in WORDS for c in w} | set("abcdefxyz0123456789%≥."))
    pieces = [*WORDS, *(f"▁{w}" for w in WORDS), "▁", *chars, "ab", "▁ab", "xyz", "99", *extra]
    rng = random.Random(7)
    vocab = [(s, 0.0) for s in SPECIALS] + [(p, -rng.uniform(2.0, 12.0)) for p in dict.fromkeys(pieces)]
    tok = Tokenizer(Unigram(vocab, unk_id=3, byte_fallback=False))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace("  ", " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    tok.add_special_tokens([*SPECIALS, "<mask>"])
    return tok


def sample_texts(seed_paths: list[Path]) -> list[str]:
    texts = [
        "",
        " ",
        "道路建设",
        "<s>道路</s>",
        "a<mask>b",
        "<pad><unk>",
        "  多  空格\t",
        "ＡＢＣ１２３",
        "😀🚧",
        "x" * 300,
    ]
    for path in seed_paths[:2]:
        for project in read_path(path).table.projects[:20]:
            texts += [project.name, project.goal, *(i.name for i in project.indicators)]
    rng = random.Random(0)
    alphabet = [*"道路建设资金拨付及时率满意度企业融资难abxyz9%≥. ", "<s>", "<mask>", "▁"]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30))) for _ in range(300)]
    return texts


@pytest.fixture(scope="module")
def tokenizer_json(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tok") / "tokenizer.json"
    synthetic_tokenizer().save(str(path))
    return path


def test_piece_table_gives_the_full_tokenizers_ids(tokenizer_json, tmp_path, seed_paths):
    write_piece_table(tokenizer_json, tmp_path / "pieces.sqlite")
    table = PieceTableTokenizer(tmp_path / "pieces.sqlite", max_length=12)
    full = Tokenizer.from_file(str(tokenizer_json))
    full.enable_truncation(max_length=12)
    texts = sample_texts(seed_paths)
    expected = [e.ids for e in full.encode_batch(texts)]
    assert table.encode_batch(texts) == expected
    assert [table.encode_batch([t])[0] for t in texts[:50]] == expected[:50]
    assert any(3 in ids for ids in expected) and any(len(ids) == 12 for ids in expected)  # unk, truncated
    assert table.token_to_id("<pad>") == full.token_to_id("<pad>") == 1
    assert table.token_to_id("no such piece") is None


def test_piece_table_refuses_a_tokenizer_it_cannot_reproduce(tmp_path):
    path = tmp_path / "tokenizer.json"
    config = json.loads(synthetic_tokenizer().to_str())
    config["model"]["byte_fallback"] = True
    path.write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(Exception, match="byte fallback"):
        write_piece_table(path, tmp_path / "pieces.sqlite")


def test_jieba_table_cuts_as_the_full_dictionary(tmp_path, seed_paths, monkeypatch):
    tokenize.write_table(tmp_path / "jieba.sqlite")
    full = tokenize._full_dictionary()
    texts = sample_texts(seed_paths)
    table = tokenize._TableDictionary(tmp_path / "jieba.sqlite")
    for text in texts:
        folded = tokenize.fold_width_case(text)
        assert list(table.cut_for_search(folded, HMM=False)) == list(full.cut_for_search(folded, HMM=False))
    expected = [tokenize.tokenize(t) for t in texts]
    monkeypatch.setattr(tokenize, "_tokenizer", None)
    assert tokenize.use_table(tmp_path / "jieba.sqlite") is True
    assert isinstance(tokenize._tokenizer, tokenize._TableDictionary)
    assert [tokenize.tokenize(t) for t in texts] == expected
    assert tokenize.use_table(tmp_path / "jieba.sqlite") is False  # already set: unchanged


def test_jieba_table_of_another_dictionary_is_refused(tmp_path):
    tokenize.write_table(tmp_path / "jieba.sqlite")
    with sqlite3.connect(tmp_path / "jieba.sqlite") as db:
        db.execute("UPDATE meta SET value = 'other' WHERE key = 'fingerprint'")
    db.close()
    with pytest.raises(Exception, match="another dictionary"):
        tokenize._TableDictionary(tmp_path / "jieba.sqlite")


def fake_onnx_dir(path: Path, tokenizer: Tokenizer) -> Path:
    """An ONNX encoder artifact with ``tokenizer`` and a one-node graph (Identity)."""
    onnx = pytest.importorskip("onnx")
    x = onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1])
    y = onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1])
    graph = onnx.helper.make_graph([onnx.helper.make_node("Identity", ["x"], ["y"])], "g", [x], [y])

    def build(tmp: Path) -> dict:
        tokenizer.save(str(tmp / "tokenizer.json"))
        (tmp / "onnx").mkdir()
        onnx.save(onnx.helper.make_model(graph), str(tmp / "onnx" / "model.onnx"))
        return {"encoder": ONNX_ENCODER_NAME, "dim": 384, "model_file": "onnx/model.onnx"}

    write_artifact(path, ONNX_KIND, ONNX_FORMAT_VERSION, build)
    return path


def test_startup_tables_are_used_only_while_current_and_intact(tmp_path):
    onnx = fake_onnx_dir(tmp_path / "encoder-onnx", synthetic_tokenizer())
    out = tmp_path / "startup"
    assert open_startup(out, onnx) is None  # not built yet
    manifest, built = build_startup(out, onnx)
    assert built and manifest["n_pieces"] == synthetic_tokenizer().get_vocab_size(with_added_tokens=False)
    assert build_startup(out, onnx)[1] is False  # up to date: left alone
    tables = open_startup(out, onnx)
    assert (
        tables is not None and tables.pieces.is_file() and tables.jieba.is_file() and tables.model.is_file()
    )

    fake_onnx_dir(onnx, synthetic_tokenizer(extra=["新词"]))  # the encoder's tokenizer changed
    assert open_startup(out, onnx) is None
    assert build_startup(out, onnx)[1] is True
    assert open_startup(out, onnx) is not None

    with sqlite3.connect(out / "pieces.sqlite") as db:  # damaged after the build
        db.execute("UPDATE piece SET score = 0 WHERE id = 5")
    db.close()
    assert open_startup(out, onnx) is None


def test_tables_prepared_ahead_are_taken_only_for_their_tokenizer(tmp_path):
    """What ``jixiao build`` does while the encoder is exported: the same artifact as a build
    that writes every table itself; tables prepared for another tokenizer are written again."""
    from indexer.artifacts import sha256_file
    from indexer.startup import prepare_tables

    onnx = fake_onnx_dir(tmp_path / "encoder-onnx", synthetic_tokenizer())
    direct, _ = build_startup(tmp_path / "direct", onnx)
    sha = sha256_file(onnx / "tokenizer.json")
    prepare_tables(tmp_path / "prep", onnx / "tokenizer.json", sha)
    ahead, built = build_startup(tmp_path / "ahead", onnx, prepared=tmp_path / "prep")
    assert built and not (tmp_path / "prep" / "pieces.sqlite").exists()  # moved in, not copied
    drop = ("created_at", "files", "file_stats")  # when and where: not what
    assert {k: v for k, v in ahead.items() if k not in drop} == {
        k: v for k, v in direct.items() if k not in drop
    }
    for name in ("pieces.sqlite", "jieba.sqlite"):
        assert ahead["files"][name] == direct["files"][name]
    assert open_startup(tmp_path / "ahead", onnx) is not None

    other = synthetic_tokenizer(extra=["新词"])
    other.save(str(tmp_path / "other.json"))
    prepare_tables(tmp_path / "prep2", tmp_path / "other.json", sha256_file(tmp_path / "other.json"))
    again, _ = build_startup(tmp_path / "again", onnx, prepared=tmp_path / "prep2")
    assert (tmp_path / "prep2" / "pieces.sqlite").exists()  # not taken
    assert again["files"]["pieces.sqlite"] == direct["files"]["pieces.sqlite"]
