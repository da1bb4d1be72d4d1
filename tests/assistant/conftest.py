from tests.answering.conftest import fake

__all__ = ["fake"]
