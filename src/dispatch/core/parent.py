"""A process `dispatch serve` started stops once `serve` is gone.

Neither uvicorn's server processes nor `dispatch worker` watch the process that started
them: when `serve` died without stopping them (SIGKILL, the OOM killer), the server
processes went on answering on its port, beside whatever `serve` started next.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

log = logging.getLogger("dispatch")

# Set by `dispatch serve` for the processes it starts: its own pid.
SERVE_PID = "DISPATCH_SERVE_PID"


def stop_with_serve(*, every: float = 1.0) -> threading.Thread | None:
    """In a process `dispatch serve` started: watch it, and once it is gone send this
    process SIGTERM, its own graceful stop (orphans are handed to another process, so the
    parent pid changes). None (nothing watched) in any other process."""
    serving = os.environ.get(SERVE_PID)
    if not serving or int(serving) == os.getpid():
        return None
    parent = int(serving)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        log.warning("dispatch serve (pid %s) is gone: stopping", parent)
        os.kill(os.getpid(), signal.SIGTERM)

    watcher = threading.Thread(target=watch, name="dispatch-parent-watch", daemon=True)
    watcher.start()
    return watcher
