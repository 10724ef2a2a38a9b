"""Sentence encoders behind one small interface (see ``base.Encoder``)."""

from indexer.encoder.base import Encoder
from indexer.encoder.fake import FakeEncoder
from indexer.encoder.loader import load_encoder

__all__ = ["Encoder", "FakeEncoder", "load_encoder"]
