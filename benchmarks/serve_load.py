"""Load ``bridge serve`` with signed Jira webhooks and print acks/s, latency and memory.

The server runs as ``bridge serve --no-worker`` in its own process (receive and store only:
the figures are the acknowledge path's, with fsync). This process is the load generator: raw
HTTP/1.1 keep-alive connections on asyncio, requests built and signed before the clock starts,
so the generator spends its CPU on sockets, not on JSON or HMAC. Loopback only, bounded in
requests and time.

Phases:

1. **steady**: 30 connections, closed loop (each sends its next request when the previous is
   answered), ~6 KB bodies with valid signatures, 10% redeliveries of an earlier id.
2. **2x connections**: the same with 60 connections.
3. **2x target**: open loop at twice the 2,000/s the issue asks for, latency counted from the
   moment each request was *due* (waiting for a free connection counts: no coordinated
   omission), 120 connections.
4. **2x capacity**: the same at twice the rate phase 1 reached: more than the machine can
   answer, so latency grows for as long as the phase lasts; shown to be honest about it.

After the phases the server is stopped and the state database is read: every delivery that
got a 202 or a 200 must be in the inbox ("nothing lost"); 503s are allowed (Jira retries them).

    python benchmarks/serve_load.py                 # ~10 s per phase
    python benchmarks/serve_load.py --seconds 5 --connections 30
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SECRET = "bench-" + os.urandom(8).hex()
HOST = "127.0.0.1"


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    acked: set[str] = field(default_factory=set)
    elapsed: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)  # server CPU seconds by thread name

    def line(self) -> str:
        lat = sorted(self.latencies)
        acks = self.statuses[202] + self.statuses[200]

        def pct(p: float) -> float:
            return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")

        codes = ", ".join(f"{code}: {n}" for code, n in sorted(self.statuses.items()))
        return (
            f"{self.name:<22} {acks / self.elapsed:8.0f} acks/s  p50 {pct(0.50):6.1f} ms  "
            f"p99 {pct(0.99):6.1f} ms  max {pct(1.0):6.1f} ms  ({codes}; {self.elapsed:.1f} s)"
            + "\n"
            + " " * 23
            + "server CPU: "
            + ", ".join(
                f"{name} {sec / self.elapsed:.0%}" for name, sec in sorted(self.cpu.items())
            )
        )


def payload(n: int, rng: random.Random) -> bytes:
    """A jira:issue_updated body of about 6 KB, shaped like Jira Cloud's."""
    key = f"MKT-{rng.randint(1, 5000)}"
    user = {
        "self": "https://acme.atlassian.net/rest/api/2/user?accountId=557058:0e2f4b6a",
        "accountId": "557058:0e2f4b6a-8c1d-4e3f-9a5b-7c6d8e9f0a1b",
        "displayName": "Maria Marketing",
        "active": True,
        "timeZone": "Europe/Berlin",
        "accountType": "atlassian",
    }
    words = [
        "campaign",
        "tracking",
        "pixel",
        "vendor",
        "consent",
        "crm",
        "export",
        "landing",
        "page",
        "budget",
    ]
    description = " ".join(rng.choice(words) for _ in range(620))
    body = {
        "timestamp": 1_760_000_000_000 + n,
        "webhookEvent": "jira:issue_updated",
        "issue_event_type_name": "issue_generic",
        "user": user,
        "issue": {
            "id": str(10000 + n),
            "self": f"https://acme.atlassian.net/rest/api/2/{10000 + n}",
            "key": key,
            "fields": {
                "summary": f"Add a tracking pixel for campaign {n}",
                "description": description,
                "labels": ["campaign", "q3"],
                "status": {"name": "In Review", "id": "10001"},
                "issuetype": {"name": "Task", "id": "10002", "subtask": False},
                "project": {"key": "MKT", "id": "10000", "name": "Marketing"},
                "reporter": user,
                "creator": user,
                "updated": "2025-10-09T10:00:00.000+0200",
            },
        },
        "changelog": {
            "id": str(20000 + n),
            "items": [
                {
                    "field": "status",
                    "fieldId": "status",
                    "from": "10000",
                    "fromString": "To Do",
                    "to": "10001",
                    "toString": "In Review",
                }
            ],
        },
    }
    return json.dumps(body).encode()


def build_requests(count: int, duplicates: float, seed: int) -> list[tuple[str, bytes]]:
    """(delivery id, raw HTTP request); a duplicate repeats an earlier id and body exactly."""
    rng = random.Random(seed)
    out: list[tuple[str, bytes]] = []
    for n in range(count):
        if out and rng.random() < duplicates:
            out.append(out[rng.randrange(len(out))])
            continue
        body = payload(n, rng)
        ident = f"bench-{seed}-{n}"
        sig = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        head = (
            f"POST /webhooks/jira HTTP/1.1\r\nHost: {HOST}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"X-Hub-Signature: sha256={sig}\r\nX-Atlassian-Webhook-Identifier: {ident}\r\n"
            "User-Agent: Atlassian Webhook HTTP Client\r\n\r\n"
        )
        out.append((ident, head.encode() + body))
    return out


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes) -> int:
    writer.write(raw)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


async def closed_loop(
    port: int, requests: list[tuple[str, bytes]], connections: int, seconds: float, name: str
) -> Phase:
    phase = Phase(name)
    it = iter(requests)
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            for ident, raw in it:
                t0 = time.perf_counter()
                status = await _exchange(reader, writer, raw)
                phase.latencies.append(time.perf_counter() - t0)
                phase.statuses[status] += 1
                if status in (200, 202):
                    phase.acked.add(ident)
                if t0 > deadline:
                    break
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(connections)))
    phase.elapsed = time.perf_counter() - start
    return phase


async def open_loop(
    port: int, requests: list[tuple[str, bytes]], rate: float, seconds: float, pool: int, name: str
) -> Phase:
    """Requests fall due at ``rate`` per second whatever the answers do; ``pool`` connections
    take them in order. Latency is measured from when a request fell due."""
    phase = Phase(name)
    total = min(len(requests), int(rate * seconds))
    queue: asyncio.Queue[tuple[float, str, bytes] | None] = asyncio.Queue()

    async def client() -> None:
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            while (item := await queue.get()) is not None:
                due, ident, raw = item
                status = await _exchange(reader, writer, raw)
                phase.latencies.append(time.perf_counter() - due)
                phase.statuses[status] += 1
                if status in (200, 202):
                    phase.acked.add(ident)
        finally:
            writer.close()

    workers = [asyncio.create_task(client()) for _ in range(pool)]
    start = time.perf_counter()
    for n in range(total):
        due = start + n / rate
        delay = due - time.perf_counter()
        if delay > 0.001:
            await asyncio.sleep(delay)
        ident, raw = requests[n]
        queue.put_nowait((due, ident, raw))
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    phase.elapsed = time.perf_counter() - start
    return phase


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the server did not become ready")


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds (user + system) of each thread of ``pid``, by thread name."""
    out: Counter[str] = Counter()
    tick = os.sysconf("SC_CLK_TCK")
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        out[name] += (int(fields[11]) + int(fields[12])) / tick
    return dict(out)


def measured(pid: int, run: Callable[[], Phase]) -> Phase:
    before = thread_cpu(pid)
    phase = run()
    after = thread_cpu(pid)
    phase.cpu = {k: v - before.get(k, 0.0) for k, v in after.items() if v - before.get(k, 0.0)}
    return phase


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per phase (upper bound)")
    parser.add_argument("--connections", type=int, default=30)
    parser.add_argument("--duplicates", type=float, default=0.10)
    parser.add_argument("--max-requests", type=int, default=60_000, help="per phase")
    parser.add_argument("--target", type=float, default=2000.0, help="acks/s the issue asks for")
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass

    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "state.db"
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")}
        env.update(BRIDGE_STATE=str(state), BRIDGE_WEBHOOK_SECRET=SECRET)
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bridgeplugin",
                "serve",
                "--no-worker",
                "--host",
                HOST,
                "--port",
                str(port),
            ],
            env=env,
            cwd=tmp,
        )
        try:
            wait_ready(port, server)
            print(
                f"bridge serve --no-worker (pid {server.pid}), {os.cpu_count()} cores, "
                f"fsync on (synchronous=FULL, WAL), ~{len(payload(0, random.Random(0)))} B "
                f"bodies, {args.duplicates:.0%} redeliveries; load average before "
                f"{os.getloadavg()[0]:.2f} (other work on the machine skews every figure)"
            )
            n, conns, dup, secs = args.max_requests, args.connections, args.duplicates, args.seconds
            asyncio.run(closed_loop(port, build_requests(2000, dup, 0), conns, 2.0, "warm-up"))
            phases: list[Phase] = []

            def run(make: Callable[[], Coroutine[Any, Any, Phase]]) -> Phase:
                phase = measured(server.pid, lambda: asyncio.run(make()))
                phases.append(phase)
                print(phase.line(), flush=True)
                return phase

            steady = run(
                lambda: closed_loop(port, build_requests(n, dup, 1), conns, secs, f"{conns} conns")
            )
            run(
                lambda: closed_loop(
                    port, build_requests(n, dup, 2), 2 * conns, secs, f"2x conns ({2 * conns})"
                )
            )
            capacity = (steady.statuses[202] + steady.statuses[200]) / steady.elapsed
            for seed, rate, name in (
                (3, 2 * args.target, f"2x target ({2 * args.target:.0f}/s)"),
                (4, 2 * capacity, f"2x capacity ({2 * capacity:.0f}/s)"),
            ):
                reqs = build_requests(min(n, int(rate * secs) + 1), dup, seed)
                run(lambda: open_loop(port, reqs, rate, secs, 4 * conns, name))  # noqa: B023
            rss = peak_rss_mb(server.pid)
            print(f"load average after {os.getloadavg()[0]:.2f}")
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
        with sqlite3.connect(state) as db:
            stored = {row[0] for row in db.execute("SELECT id FROM inbox")}
        acked = set().union(*(p.acked for p in phases))
        lost = {i for i in acked if f"jira:{i}" not in stored}
        print(
            f"server peak RSS {rss:.0f} MB; acknowledged {len(acked)} distinct deliveries, "
            f"{len(stored)} in the inbox, lost {len(lost)}"
        )
        if lost:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
