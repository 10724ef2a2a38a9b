"""Traditional → simplified: a text is converted exactly as OpenCC's ``t2s`` converts it, and
OpenCC is loaded only for a text with a character the conversion could rewrite."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import opencc
import pytest

from indexer import traditional
from indexer.text import simplified

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@pytest.fixture(scope="module")
def entries() -> list[tuple[str, str]]:
    share = traditional.opencc_share_dir()
    names = traditional.config_dictionaries(share)
    found = [entry for name in names for entry in traditional.dictionary_entries(share, name)]
    assert len(found) > 5000  # phrases, characters, extended characters, compatibility forms
    return found


def test_the_anchors_file_is_derived_from_the_installed_opencc(entries):
    assert traditional.anchors() == traditional.derive_anchors(entries)
    header = (REPO_ROOT / "indexer" / "data" / traditional.ANCHORS_FILE).read_text(encoding="utf-8")
    assert f"OpenCC {opencc.__version__} t2s" in header.splitlines()[0]


def test_every_dictionary_key_is_converted_as_opencc_converts_it(entries, converter):
    changed = 0
    for key, value in entries:
        for text in (key, f"道路{key}建设"):
            assert simplified(text) == converter.convert(text), key
        changed += value != key
    assert changed > 5000


def test_random_texts_are_converted_as_opencc_converts_them(converter):
    rng = random.Random(12)
    pool = [chr(c) for c in range(0x4E00, 0xA000)] + sorted(traditional.anchors())[:500] + list("，。 a1")
    for _ in range(20000):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(1, 8)))
        assert simplified(text) == converter.convert(text), text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("滿意度", "满意度"),
        ("會展補貼", "会展补贴"),
        ("瞭解", "了解"),
        ("藉口", "借口"),
        ("道路建设", "道路建设"),
    ],
)
def test_phrases_and_characters(text, expected):
    assert simplified(text) == expected


def test_a_phrase_rewritten_from_unchanged_characters_has_an_anchor(converter):
    # 瞭 and 解 are each left alone; only the phrase 瞭解 becomes 了解.
    assert converter.convert("瞭") == "瞭" and converter.convert("解") == "解"
    assert traditional.anchor("瞭解", "了解") == "瞭"
    assert traditional.may_change("瞭解") and not traditional.may_change("道路建设")
    assert traditional.derive_anchors([("慰藉", "慰藉"), ("憑藉", "凭借")]) == {"憑"}


def test_simplified_text_does_not_load_opencc():
    script = (
        "import json, sys\n"
        "from indexer.text import simplified\n"
        "first = simplified('道路建设 资金拨付及时率'), 'opencc' in sys.modules\n"
        "second = simplified('滿意度'), 'opencc' in sys.modules\n"
        "print(json.dumps([first, second]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == [["道路建设 资金拨付及时率", False], ["满意度", True]]
