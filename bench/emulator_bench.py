"""Benchmark the Stripe emulator through the official SDK (async client).

Starts the emulator as a subprocess (uvicorn, 127.0.0.1, free port) so client and server do
not share a CPU, then drives create + confirm(pm_card_visa) with some concurrency and
prints requests/s and p50/p95/p99 per operation. Results go to
bench/reports/emulator-latest.json; the previous run's figures are printed for comparison.

    .venv/bin/python bench/emulator_bench.py --requests 2000 --concurrency 4
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import stripe

REPORT = Path(__file__).parent / "reports" / "emulator-latest.json"
TARGET_P50_MS = 2.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _start(port: int, state_dir: str | None) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "tender_testmode", "--port", str(port)]
    if state_dir:
        cmd += ["--state-dir", state_dir]
    proc = subprocess.Popen(cmd)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/_test/stats", timeout=1)
            return proc
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("emulator did not start")


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _drive(url: str, total: int, concurrency: int) -> tuple[dict[str, list[float]], float]:
    client = stripe.StripeClient(
        "sk_test_bench",
        base_addresses={"api": url},
        http_client=stripe.HTTPXClient(),
        max_network_retries=2,
    )
    timings: dict[str, list[float]] = {"create": [], "confirm": []}
    server: dict[str, list[float]] = {"create": [], "confirm": []}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)

    async def worker() -> None:
        while True:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            t0 = time.perf_counter()
            pi = await client.v1.payment_intents.create_async(
                {"amount": 1000 + i % 100, "currency": "usd", "metadata": {"n": str(i)}},
                options={"idempotency_key": f"bench-{i}-{t0}"},
            )
            t1 = time.perf_counter()
            done = await client.v1.payment_intents.confirm_async(
                pi.id, {"payment_method": "pm_card_visa"}, options={"idempotency_key": f"c-{pi.id}"}
            )
            t2 = time.perf_counter()
            timings["create"].append((t1 - t0) * 1000)
            timings["confirm"].append((t2 - t1) * 1000)
            for name, obj in (("create", pi), ("confirm", done)):
                header = obj.last_response.headers.get("server-timing", "dur=nan")
                server[name].append(float(header.rpartition("dur=")[2]))

    await client.v1.balance.retrieve_async()  # warm the connection pool
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {**timings, **{f"{k} (server)": v for k, v in server.items()}}, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="create+confirm pairs")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--durable", action="store_true", help="keep state in a journal, as `tender serve` does"
    )
    args = parser.parse_args()

    previous = json.loads(REPORT.read_text()) if REPORT.exists() else None
    port = _free_port()
    state = tempfile.TemporaryDirectory(prefix="testmode-bench-") if args.durable else None
    proc = _start(port, state.name if state else None)
    try:
        timings, elapsed = asyncio.run(
            _drive(f"http://127.0.0.1:{port}", args.requests, args.concurrency)
        )
        stats = httpx.get(f"http://127.0.0.1:{port}/_test/stats").json()
    finally:
        proc.terminate()
        proc.wait(10)
        if state is not None:
            state.cleanup()

    calls = sum(len(v) for k, v in timings.items() if "server" not in k)
    result: dict[str, Any] = {
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "requests": args.requests,
        "concurrency": args.concurrency,
        "durable": args.durable,
        "seconds": round(elapsed, 3),
        "requests_per_second": round(calls / elapsed, 1),
        "target_p50_ms": TARGET_P50_MS,
        "operations": {
            name: {
                "count": len(samples),
                "p50_ms": round(statistics.median(samples), 3),
                "p95_ms": round(_pct(samples, 0.95), 3),
                "p99_ms": round(_pct(samples, 0.99), 3),
            }
            for name, samples in timings.items()
        },
        "objects": stats["objects"],
    }
    mode = "durable (journal)" if args.durable else "memory only"
    print(f"emulator bench: {args.requests} create+confirm pairs, concurrency {args.concurrency}")
    print(f"  state: {mode}")
    print(f"  {calls} SDK calls in {elapsed:.2f}s = {result['requests_per_second']} requests/s")
    print("  (end-to-end = SDK + HTTP + emulator; (server) = time inside the emulator app)")
    for name, op in result["operations"].items():
        ok = "ok" if op["p50_ms"] < TARGET_P50_MS else "ABOVE TARGET"
        print(
            f"  {name:17s} p50 {op['p50_ms']:7.3f} ms  p95 {op['p95_ms']:7.3f} ms  "
            f"p99 {op['p99_ms']:7.3f} ms  (target p50 < {TARGET_P50_MS} ms: {ok})"
        )
    if previous:
        print(f"previous run ({previous['at']}): {previous['requests_per_second']} requests/s")
        for name, op in previous["operations"].items():
            print(f"  {name:17s} p50 {op['p50_ms']:7.3f} ms  p95 {op['p95_ms']:7.3f} ms  "
                  f"p99 {op['p99_ms']:7.3f} ms")  # fmt: skip
    else:
        print("previous run: none recorded")
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
