"""`tender demo-data`: the seed's baselines as a plan, driven through the real flows."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from typer.testing import CliRunner

from tender.cli import app
from tender.db.engine import Database
from tender.db.rls import DbContext
from tender.demo.drive import drive_plan
from tender.demo.plan import CARD_SUCCESS, plan
from tender.runtime import Runtime

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


def test_plan_follows_the_seed_baselines() -> None:
    planned = plan(count=5000, days=7, users=50, now=NOW, seed=1, low=50, high=100_000)
    shares = Counter(p.method for p in planned)
    assert abs(shares["card"] / 5000 - 0.85) < 0.02
    assert abs(shares["cash_on_pickup"] / 5000 - 0.10) < 0.02
    assert abs(shares["bank_transfer"] / 5000 - 0.05) < 0.01
    mean = sum(p.amount for p in planned) / len(planned)
    assert 2300 < mean < 2700
    cards = [p for p in planned if p.method == "card"]
    first_try_ok = [
        p for p in cards if p.card in ("pm_card_visa", "pm_card_mastercard", "pm_card_amex")
    ]
    assert abs(len(first_try_ok) / len(cards) - CARD_SUCCESS * 0.92) < 0.03  # 8% go via 3DS
    assert len({p.card for p in cards}) >= 8  # a spread of decline codes
    assert any(p.card == "pm_card_threeDSecure2Required" for p in cards)
    assert any(p.refund for p in cards)
    assert all(NOW - timedelta(days=7) <= p.at <= NOW for p in planned)
    assert planned == sorted(planned, key=lambda p: p.at)


async def test_drive_makes_a_backdated_history(runtime: Runtime, owner_db: Database) -> None:
    now = datetime.now(UTC)
    planned = plan(count=80, days=3, users=10, now=now, seed=7, low=50, high=100_000)
    result = await drive_plan(runtime, planned, owner=owner_db)
    assert not [k for k in result.outcomes if k.startswith("error:")], result.outcomes
    assert len(result.stamps) == 80
    ids = [s.payment_id for s in result.stamps]
    async with owner_db.transaction(DbContext.service("test")) as conn:
        rows = (
            (
                await conn.execute(
                    text(
                        "SELECT p.method_type, p.status, p.created_at, o.created_at AS order_at, "
                        "o.status AS order_status FROM payments p JOIN orders o ON o.id = p.order_id "
                        "WHERE p.id = ANY(:ids)"
                    ),
                    {"ids": ids},
                )
            )
            .mappings()
            .all()
        )
        errors = (
            (
                await conn.execute(
                    text(
                        "SELECT DISTINCT error_code FROM payment_errors WHERE payment_id = ANY(:ids)"
                    ),
                    {"ids": ids},
                )
            )
            .scalars()
            .all()
        )
    assert len(rows) == 80
    assert all(now - timedelta(days=3, seconds=5) <= r["created_at"] <= now for r in rows)
    assert min(r["created_at"] for r in rows) < now - timedelta(days=1)
    assert all(r["created_at"] == r["order_at"] for r in rows)
    cards = [r for r in rows if r["method_type"] == "card"]
    paid = [r for r in cards if r["status"] in ("succeeded", "refunded", "partially_refunded")]
    assert len(paid) / len(cards) > 0.85
    assert {r["order_status"] for r in rows if r["status"] == "succeeded"} == {"paid"}
    assert errors  # declines were recorded as the real flow records them
    assert sum(v for k, v in result.outcomes.items() if k.startswith("card:")) == len(cards)


def test_refused_in_production(monkeypatch: object) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["demo-data", "--days", "1"], env={"ENVIRONMENT": "production"})
    assert result.exit_code == 2
    assert "refused in production" in result.output
