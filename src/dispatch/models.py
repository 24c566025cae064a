"""Every table, imported in one place so metadata is complete (migrations, tests).

Each domain package's `models` module is found and imported here, so adding a domain
needs no edit of this file.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil

import dispatch
from dispatch.core import events, idempotency, timers  # noqa: F401 - tables of the core
from dispatch.core.db import Base

for _module in pkgutil.iter_modules(dispatch.__path__):
    if _module.ispkg and importlib.util.find_spec(f"dispatch.{_module.name}.models"):
        importlib.import_module(f"dispatch.{_module.name}.models")

metadata = Base.metadata
