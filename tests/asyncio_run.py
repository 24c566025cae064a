"""Run a coroutine to completion from a synchronous test, whatever loop this thread has.

Playwright's sync API keeps an event loop running on the main thread for the whole
session; when a browser test ran earlier in the same pytest worker, `asyncio.run` there
refuses to start. A thread of its own always has no loop.
"""

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_to_completion(coroutine: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-loop") as pool:
        return pool.submit(asyncio.run, coroutine).result()
