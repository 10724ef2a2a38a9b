"""Sentence encoders behind one small interface (see ``base.Encoder``)."""

from indexer.encoder.base import Encoder
from indexer.encoder.fake import FakeEncoder

__all__ = ["Encoder", "FakeEncoder"]
