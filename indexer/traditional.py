"""Which texts OpenCC's traditional → simplified conversion (``t2s``) can change.

OpenCC converts by longest match against its dictionaries; a text that contains no key whose
converted value differs from the key comes out unchanged. Every such key has at least one
character — its *anchor*, here the first character the conversion rewrites — and a key can only
match where all of its characters occur, so a text that contains no anchor is left as it is
by the whole conversion chain. The anchors are derived from the dictionaries OpenCC installs
(``python -m indexer.traditional`` writes ``indexer/data/t2s_anchors.txt``; a test checks the
file against the installed OpenCC): a query in simplified script is then answered without
importing OpenCC or reading its dictionaries at all.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from functools import cache
from importlib import resources
from pathlib import Path

ANCHORS_FILE = "t2s_anchors.txt"
CONFIG = "t2s.json"
_PER_LINE = 40


@cache
def anchors() -> frozenset[str]:
    """The characters of which a text must contain one for ``t2s`` to change it."""
    text = resources.files("indexer.data").joinpath(ANCHORS_FILE).read_text(encoding="utf-8")
    return frozenset("".join(line for line in text.splitlines() if not line.startswith("#")))


def may_change(text: str) -> bool:
    """Whether OpenCC's ``t2s`` conversion could write ``text`` differently."""
    return not anchors().isdisjoint(text)


# --------------------------------------------------------------------------- derivation


def opencc_share_dir() -> Path:
    """The folder of the installed OpenCC's configurations and ``.ocd2`` dictionaries."""
    import opencc

    return Path(opencc.__file__).parent / "clib" / "share" / "opencc"


def _dict_files(node: object) -> Iterator[str]:
    """The dictionary files a configuration's dict entry names, groups included."""
    if isinstance(node, dict):
        if node.get("type") == "group":
            for member in node.get("dicts", []):
                yield from _dict_files(member)
        elif "file" in node:
            yield str(node["file"])


def config_dictionaries(share: Path, config: str = CONFIG) -> list[str]:
    """Every dictionary file the configuration uses: normalisation and conversion chain."""
    spec = json.loads((share / config).read_text(encoding="utf-8"))
    steps = [*spec.get("normalization", []), *spec.get("conversion_chain", [])]
    return [name for step in steps for name in _dict_files(step.get("dict"))]


def dictionary_entries(share: Path, name: str) -> list[tuple[str, str]]:
    """(key, first value) of every entry of one ``.ocd2`` dictionary, read with OpenCC's own
    ``opencc_dict`` tool (the conversion uses a key's first value)."""
    tool = share.parent.parent / "bin" / "opencc_dict"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "dict.txt"
        subprocess.run(
            [str(tool), "-i", str(share / name), "-o", str(out), "-f", "ocd2", "-t", "text"],
            check=True,
            capture_output=True,
        )
        lines = out.read_text(encoding="utf-8").splitlines()
    entries = []
    for line in lines:
        key, _, values = line.partition("\t")
        entries.append((key, values.split(" ")[0]))
    return entries


def anchor(key: str, value: str) -> str:
    """The first character of ``key`` that its conversion ``value`` rewrites."""
    for i, ch in enumerate(key):
        if i >= len(value) or value[i] != ch:
            return ch
    return key[-1]  # value is key plus more: any character of key is an anchor


def derive_anchors(entries: Iterable[tuple[str, str]]) -> frozenset[str]:
    """One anchor for every entry whose value differs from its key."""
    return frozenset(anchor(key, value) for key, value in entries if key and value != key)


def installed_anchors() -> frozenset[str]:
    """:func:`derive_anchors` over every dictionary of the installed OpenCC's ``t2s``."""
    share = opencc_share_dir()
    return derive_anchors(
        entry for name in config_dictionaries(share) for entry in dictionary_entries(share, name)
    )


def anchors_text(chars: Iterable[str], opencc_version: str) -> str:
    """The content of the anchors file: a header, then the characters in code-point order."""
    ordered = "".join(sorted(chars))
    lines = [
        f"# Anchors of OpenCC {opencc_version} t2s ({len(ordered)} characters): a text with none of",
        "# these is not changed by the conversion. Written by `python -m indexer.traditional`.",
    ]
    lines += [ordered[i : i + _PER_LINE] for i in range(0, len(ordered), _PER_LINE)]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Write ``indexer/data/t2s_anchors.txt`` from the installed OpenCC."""
    import opencc

    path = Path(__file__).parent / "data" / ANCHORS_FILE
    path.write_text(anchors_text(installed_anchors(), opencc.__version__), encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
