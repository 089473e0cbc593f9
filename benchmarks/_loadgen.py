"""A small, bounded HTTP load generator: threads, keep-alive connections, loopback only.

`measure()` sends `requests` GET requests with `concurrency` threads, each thread on
its own persistent `http.client` connection, after `warmup` requests that are not
counted. It stops early when `max_seconds` have passed, so a slow target cannot make
a benchmark run for ever. Latency is measured per request, from sending the request
to having read the whole body.

The generator runs in Python on the same machine as the server: it costs CPU the
server does not get. That is why every figure is also given as a ratio to a minimal
Django view measured the same way (see README.md).
"""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@dataclass
class Measurement:
    label: str
    path: str
    requests: int  # completed and counted
    seconds: float
    latencies: list[float] = field(repr=False)  # seconds, sorted
    statuses: Counter = field(default_factory=Counter)
    errors: int = 0  # connection errors and unexpected statuses
    stopped_early: bool = False
    note: str = ""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """The p-th percentile latency in milliseconds (nearest rank)."""
        if not self.latencies:
            return float("nan")
        rank = max(1, round(p / 100 * len(self.latencies)))
        return self.latencies[min(rank, len(self.latencies)) - 1] * 1000

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p99(self) -> float:
        return self.percentile(99)


class _Client:
    def __init__(self, host: str, port: int, headers: dict[str, str], timeout: float) -> None:
        self.host, self.port, self.headers, self.timeout = host, port, headers, timeout
        self.conn: http.client.HTTPConnection | None = None

    def get(self, path: str) -> int:
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request("GET", path, headers=self.headers)
                response = self.conn.getresponse()
                response.read()
                if response.will_close:
                    self.close()
                return response.status
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server closed an idle keep-alive connection: reconnect once.
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def measure(
    label: str,
    host: str,
    port: int,
    path: str,
    *,
    requests: int,
    concurrency: int,
    warmup: int,
    max_seconds: float,
    headers: dict[str, str] | None = None,
    expect: int = 200,
    timeout: float = 30.0,
) -> Measurement:
    if host not in LOOPBACK:
        raise ValueError(f"the load generator only talks to loopback, not {host!r}")
    if requests <= 0 or concurrency <= 0:
        raise ValueError("requests and concurrency must be positive")
    headers = {"Host": f"{host}:{port}", "Connection": "keep-alive", **(headers or {})}
    clients = [_Client(host, port, headers, timeout) for _ in range(concurrency)]

    def run(total: int, record: bool, deadline: float) -> Measurement:
        lock = threading.Lock()
        issued = 0
        latencies: list[float] = []
        statuses: Counter = Counter()
        errors = 0
        stopped = False

        def worker(client: _Client) -> None:
            nonlocal issued, errors, stopped
            while True:
                with lock:
                    if issued >= total:
                        return
                    if time.monotonic() > deadline:
                        stopped = True
                        return
                    issued += 1
                started = time.perf_counter()
                try:
                    status = client.get(path)
                except (OSError, http.client.HTTPException):
                    client.close()
                    with lock:
                        errors += 1
                    continue
                elapsed = time.perf_counter() - started
                with lock:
                    statuses[status] += 1
                    if status != expect:
                        errors += 1  # counted as an error, not as a served request
                    elif record:
                        latencies.append(elapsed)

        threads = [threading.Thread(target=worker, args=(c,), daemon=True) for c in clients]
        began = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = time.perf_counter() - began
        latencies.sort()
        return Measurement(
            label=label,
            path=path,
            requests=len(latencies) if record else 0,
            seconds=seconds,
            latencies=latencies,
            statuses=statuses,
            errors=errors,
            stopped_early=stopped,
        )

    try:
        if warmup:
            run(warmup, record=False, deadline=time.monotonic() + max_seconds)
        return run(requests, record=True, deadline=time.monotonic() + max_seconds)
    finally:
        for client in clients:
            client.close()
