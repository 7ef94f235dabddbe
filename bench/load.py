"""A small closed-loop HTTP load generator: N threads, each with one keep-alive connection, for a fixed time.

Python rather than wrk because several scenarios are flows (create, upload, submit) or need a fresh signed
body per request; one tool for every scenario and its baseline keeps the two comparable. A flow returns
(ok, queries) and its latency is the whole flow's.
"""

from __future__ import annotations

import http.client
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

QUERY_HEADER = "X-Bench-Queries"


class Http:
    """One keep-alive connection to the server under test (reopened when the server closes it)."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 60):
        self.host, self.port, self.timeout = host, port, timeout
        self.connection = http.client.HTTPConnection(host, port, timeout=timeout)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        """(status, body bytes, queries reported by the server or None)."""
        headers = {"Accept-Language": "vi", **(headers or {})}
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.connection.close()
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
                if attempt == 2:
                    raise
        queries = response.getheader(QUERY_HEADER)
        if response.getheader("Connection", "").lower() == "close":
            self.connection.close()
        return response.status, data, int(queries) if queries is not None else None

    def close(self):
        self.connection.close()


# A request function: called with the thread's Http and a sequence number; returns (ok, queries or None).
# It raises Unexpected (or anything) for a wrong answer: counted as an error, with the message kept.
Call = Callable[[Http, int], tuple[bool, int | None]]


class Unexpected(Exception):
    pass


def expect(answer, *statuses: int) -> int | None:
    """The answer's query count when its status is one of `statuses`; Unexpected otherwise."""
    status, data, queries = answer
    if status not in statuses:
        raise Unexpected(f"HTTP {status}: {data[:200]!r}")
    return queries


@dataclass
class Sample:
    """Latencies (s), errors and query counts of one or more timed runs."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    queries: list[int] = field(default_factory=list)
    seconds: float = 0.0
    error_examples: list[str] = field(default_factory=list)

    def add(self, other: Sample) -> None:
        self.latencies += other.latencies
        self.errors += other.errors
        self.queries += other.queries
        self.seconds += other.seconds
        self.error_examples = (self.error_examples + other.error_examples)[:5]

    @property
    def requests(self) -> int:
        return len(self.latencies) + self.errors

    def summary(self) -> dict:
        ordered = sorted(self.latencies)

        def pct(p: float) -> float | None:
            if not ordered:
                return None
            return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000, 1)

        return {
            "requests": self.requests,
            "errors": self.errors,
            "rps": round(len(self.latencies) / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": pct(50),
            "p95_ms": pct(95),
            "p99_ms": pct(99),
            "queries": round(statistics.mean(self.queries), 1) if self.queries else None,
        }


def run(call: Call, *, port: int, seconds: float, connections: int, start_seq: int = 0) -> Sample:
    """Run `call` in `connections` threads for `seconds`; every call's latency, errors and queries."""
    deadline = time.monotonic() + seconds
    lock = threading.Lock()
    sample = Sample()
    counter = iter(range(start_seq, 1 << 62))

    def worker():
        client = Http(port)
        latencies, queries, errors, examples = [], [], 0, []
        try:
            while time.monotonic() < deadline:
                with lock:
                    seq = next(counter)
                began = time.perf_counter()
                try:
                    ok, count = call(client, seq)
                except Exception as error:  # a refused or broken connection counts as an error, not a crash
                    ok, count = False, None
                    examples.append(f"{type(error).__name__}: {error}")
                    client.close()
                    client = Http(port)
                elapsed = time.perf_counter() - began
                if ok:
                    latencies.append(elapsed)
                    if count is not None:
                        queries.append(count)
                else:
                    errors += 1
        finally:
            client.close()
        with lock:
            sample.latencies += latencies
            sample.queries += queries
            sample.errors += errors
            sample.error_examples = (sample.error_examples + examples)[:5]

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sample.seconds = time.monotonic() - began
    return sample
