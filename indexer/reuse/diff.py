"""Differing spans between a cluster's shared text and a member's text (difflib)."""

from __future__ import annotations

from difflib import SequenceMatcher

from indexer.reuse.records import DiffSpan


def diff_spans(shared: str, member: str) -> tuple[DiffSpan, ...]:
    """The spans where ``member`` differs from ``shared`` (empty when identical)."""
    if shared == member:
        return ()
    matcher = SequenceMatcher(None, shared, member, autojunk=False)
    return tuple(
        DiffSpan(op=tag, shared=shared[i1:i2], member=member[j1:j2])
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    )
