"""Brand tests share the committed-database fixture of the core tests."""

from tests.core.conftest import committed_database

__all__ = ["committed_database"]
