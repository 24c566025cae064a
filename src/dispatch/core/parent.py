"""A process `dispatch serve` started stops once `serve` is gone.

uvicorn's server processes do not watch the process that started them: when `serve` dies
without stopping them (SIGKILL, the OOM killer), they went on answering on its port,
beside whatever `serve` started next, for as long as the machine ran.
"""

from __future__ import annotations

import os
import signal
import threading
import time

# Set by `dispatch serve` for the processes it starts: its own pid.
SERVE_PID = "DISPATCH_SERVE_PID"


def started_by_serve() -> int | None:
    """The pid of the `dispatch serve` that started this process (None: none did)."""
    serving = os.environ.get(SERVE_PID)
    if not serving or int(serving) == os.getpid():
        return None
    return int(serving)


def stop_with(parent: int, *, every: float = 1.0) -> threading.Thread:
    """Send this process SIGTERM (its own graceful stop) once `parent` is no longer its
    parent: orphans are handed to another process, so the parent pid changes."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os.kill(os.getpid(), signal.SIGTERM)

    watcher = threading.Thread(target=watch, name="dispatch-parent-watch", daemon=True)
    watcher.start()
    return watcher
