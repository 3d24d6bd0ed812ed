"""The seed's load test as a Locust scenario: run headless in its own process by bench.run.

Each simulated user has its own token and loops through what a checkout screen does: list
saved methods, create a PaymentIntent, confirm it with a test card (mostly success, some
declines and 3-D Secure), read the payment back. A decline (402) or a 3-D Secure answer is a
correct outcome, not a failure; anything else unexpected is. Prints one JSON line of progress
per second and the final statistics as the last line.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()  # before anything imports ssl or socket (Locust would do it too late)

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

import gevent  # noqa: E402
import jwt  # noqa: E402
from locust import FastHttpUser, constant, constant_throughput, events, task  # noqa: E402
from locust.env import Environment  # noqa: E402

JWT_SECRET = "bench-jwt-secret-" + "b" * 32
CARDS = [  # (PaymentMethod, weight): the seed's mix, mostly successes
    ("pm_card_visa", 80),
    ("pm_card_mastercard", 8),
    ("pm_card_visa_chargeDeclined", 5),
    ("pm_card_visa_chargeDeclinedInsufficientFunds", 2),
    ("pm_card_threeDSecure2Required", 5),
]
STATUS_5XX = {"count": 0}


@events.request.add_listener
def _count_server_errors(response: object = None, **_: object) -> None:
    status = getattr(response, "status_code", 0) or 0
    if status >= 500:
        STATUS_5XX["count"] += 1


def _token(user: uuid.UUID) -> str:
    now = int(time.time())
    claims = {
        "sub": str(user),
        "role": "authenticated",
        "aud": "authenticated",
        "iat": now,
        "exp": now + 7200,
    }
    return jwt.encode(claims, JWT_SECRET, algorithm="HS256")


class Shopper(FastHttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.auth = {"Authorization": f"Bearer {_token(uuid.uuid4())}"}

    @task
    def checkout(self) -> None:
        self.client.get("/v1/payment-methods", headers=self.auth, name="list-payment-methods")
        amount = random.randint(500, 10_000)
        with self.client.post(
            "/functions/v1/create-payment-intent",
            headers=self.auth,
            json={"amount": amount, "currency": "usd"},
            name="create-payment-intent",
            catch_response=True,
        ) as created:
            if created.status_code != 201:
                created.failure(
                    f"create answered {created.status_code}: {(created.text or '')[:160]}"
                )
                return
            payment_id = created.json()["payment_id"]
        card = random.choices([c for c, _ in CARDS], weights=[w for _, w in CARDS])[0]
        with self.client.post(
            "/functions/v1/confirm-payment",
            headers=self.auth,
            json={"payment_id": payment_id, "payment_method": card},
            name="confirm-payment",
            catch_response=True,
        ) as confirmed:
            if confirmed.status_code in (200, 402):
                confirmed.success()
            else:
                confirmed.failure(
                    f"confirm answered {confirmed.status_code}: {(confirmed.text or '')[:160]}"
                )
        self.client.get(f"/v1/payments/{payment_id}", headers=self.auth, name="get-payment")


def _stats(env: Environment) -> dict[str, object]:
    ops: dict[str, dict[str, float]] = {}
    for (name, _method), entry in env.stats.entries.items():
        ops[name] = {
            "count": entry.num_requests,
            "failures": entry.num_failures,
            "p50": entry.get_response_time_percentile(0.5),
            "p95": entry.get_response_time_percentile(0.95),
            "p99": entry.get_response_time_percentile(0.99),
            "max": entry.max_response_time,
            "avg": entry.avg_response_time,
        }
    total = env.stats.total
    return {
        "operations": ops,
        "requests": total.num_requests,
        "failures": total.num_failures,
        "avg_ms": total.avg_response_time,
        "p95_ms": total.get_response_time_percentile(0.95),
        "p99_ms": total.get_response_time_percentile(0.99),
        "server_errors": STATUS_5XX["count"],
        "errors": {str(e.error)[:200]: e.occurrences for e in env.stats.errors.values()},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", required=True)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--rate", type=float, default=0.0, help="offered req/s; 0: flat out")
    parser.add_argument("--seconds", type=float, default=0.0, help="run this long instead")
    args = parser.parse_args()
    if args.rate:  # one checkout is four requests
        Shopper.wait_time = constant_throughput(args.rate / 4 / args.users)

    env = Environment(user_classes=[Shopper], host=args.host, events=events)
    runner = env.create_local_runner()
    started = time.monotonic()
    spawn_rate = float(args.users)
    if args.rate:  # spread the start over one period so paced users do not fire in step
        spawn_rate = args.users / (args.users * 4 / args.rate)
    runner.start(args.users, spawn_rate=spawn_rate)

    def finished() -> bool:
        if args.seconds:
            return time.monotonic() - started >= args.seconds
        return env.stats.total.num_requests >= args.requests

    while not finished():
        gevent.sleep(1.0)
        done = env.stats.total.num_requests
        if args.seconds:
            done = int((time.monotonic() - started) / args.seconds * args.requests)
        print(json.dumps({"done": done}), flush=True)
    runner.quit()
    elapsed = time.monotonic() - started
    result = _stats(env)
    result["duration_s"] = elapsed
    print(json.dumps({"result": result}), flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
