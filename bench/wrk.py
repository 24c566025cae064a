"""Drive `wrk` (a C load generator, so the client does not eat the server's CPU) and
read its results as JSON through a Lua `done` hook."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPORT = r"""
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "non2xx": %d, "socket_errors": %d, '
    .. '"p50_us": %d, "p95_us": %d, "p99_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean))
end
"""

GET = """
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer {key}"
"""

CREATE = """
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer {key}"
wrk.headers["Content-Type"] = "application/json"
local counter = 0
request = function()
  counter = counter + 1
  local body = '{{"title":"Bench ticket ' .. counter .. '","body":"Created by the benchmark",'
    .. '"priority":"normal","customerEmail":"bench@example.com"}}'
  return wrk.format(nil, nil, nil, body)
end
"""

UPDATE = """
local ids = {{}}
local statuses = {{"open", "pending", "resolved", "in_progress", "closed"}}
init = function(args)
  for line in io.lines("{ids_file}") do ids[#ids + 1] = line end
  math.randomseed(os.time() + tonumber(tostring({{}}):sub(8), 16))
end
request = function()
  local id = ids[math.random(#ids)]
  local status = statuses[math.random(#statuses)]
  local headers = {{}}
  headers["Authorization"] = "Bearer {key}"
  headers["Content-Type"] = "application/json"
  return wrk.format("PATCH", "{prefix}" .. id, headers, '{{"status":"' .. status .. '"}}')
end
"""


# GET a path drawn at random from a file (one per line) with extra headers, e.g. a
# signed-in dashboard session's cookie.
PAGES = """
local paths = {{}}
init = function(args)
  for line in io.lines("{paths_file}") do paths[#paths + 1] = line end
  math.randomseed(os.time() + tonumber(tostring({{}}):sub(8), 16))
end
request = function()
  local headers = {{}}
  headers["Cookie"] = "{cookie}"
  return wrk.format("GET", paths[math.random(#paths)], headers)
end
"""


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    non2xx: int
    socket_errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def require_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("wrk is needed for the benchmark: apt-get install -y wrk")
    return path


def run(url: str, script: str, *, seconds: int, connections: int, threads: int = 2) -> WrkResult:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script + REPORT)
        script_path = handle.name
    try:
        completed = subprocess.run(  # noqa: S603 - fixed local binary, our own arguments
            [
                require_wrk(),
                f"-t{threads}",
                f"-c{connections}",
                f"-d{seconds}s",
                "--timeout",
                "10s",
                "-s",
                script_path,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        Path(script_path).unlink(missing_ok=True)
    line = next(x for x in completed.stdout.splitlines() if x.startswith("WRKJSON "))
    data = json.loads(line.removeprefix("WRKJSON "))
    return WrkResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        non2xx=data["non2xx"],
        socket_errors=data["socket_errors"],
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
    )
