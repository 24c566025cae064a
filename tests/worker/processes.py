"""`dispatch worker` and `dispatch serve` as real processes, for tests that kill, stop and
measure them. Output goes to a log file; every wait is bounded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0


def worker_env(database_url: str, data_dir: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISPATCH_")}
    env.update(
        DISPATCH_DATABASE_URL=database_url,
        DISPATCH_DATA_DIR=str(data_dir),
        DISPATCH_WEBHOOKS_ALLOW_PRIVATE="true",
        DISPATCH_WORKER_POLL_SECONDS="0.1",
        PYTHONUNBUFFERED="1",
    )
    env.update({f"DISPATCH_{k.upper()}": v for k, v in settings.items()})
    return env


class Process:
    def __init__(self, args: list[str], env: dict[str, str], log: Path, ready: str) -> None:
        self.args = args
        self.env = env
        self.log_path = log
        self.ready = ready
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def start(self) -> Process:
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "dispatch", *self.args],
            env=self.env,
            cwd=self.env.get("DISPATCH_DATA_DIR"),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while self.ready not in self.output:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"{self.args} exited {self.process.returncode}:\n{self.output}"
                )
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"{self.args} not ready in {START_TIMEOUT}s:\n{self.output}")
            time.sleep(0.05)
        return self

    def rss_kib(self) -> int:
        """Resident memory of the process now (Linux /proc)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS")

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM, wait a bounded time (then SIGKILL); the exit code."""
        if self.process is None:
            return None
        process = self.process
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self._finish()

    def kill(self) -> None:
        """kill -9, at once."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=STOP_TIMEOUT)
        self._finish()

    def _finish(self) -> int | None:
        code = self.process.returncode if self.process is not None else None
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None
        return code


def worker_process(
    database_url: str, tmp_path: Path, name: str = "worker", **settings: str
) -> Process:
    data_dir = tmp_path / "data"
    data_dir.mkdir(exist_ok=True)
    return Process(
        ["worker"],
        worker_env(database_url, data_dir, **settings),
        tmp_path / f"{name}.log",
        ready=" started (",
    )
