from __future__ import annotations

from tests.qas.conftest import model

__all__ = ["model"]
