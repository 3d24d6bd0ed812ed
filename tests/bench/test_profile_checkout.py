"""The profile's top list: each function's own time, summed over every place it ran from."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from bench.profile_checkout import top_inclusive, top_self_time


@dataclass
class Frame:
    """pyinstrument's frame, as far as the top list reads it: `time` includes the children."""

    function: str
    file_path_short: str
    line_no: int
    time: float
    children: list[Frame] = field(default_factory=list)

    @property
    def identifier(self) -> str:
        return self.function if self.function.startswith("[") else f"{self.function}\x00"


def test_top_self_time_sums_a_function_called_from_two_places() -> None:
    encode = Frame("encode", "json/encoder.py", 200, 0.3)
    create = Frame("create", "payments/flows.py", 10, 0.4, [encode])  # 0.1 of its own
    confirm_encode = Frame("encode", "json/encoder.py", 200, 0.2)
    confirm = Frame("confirm", "payments/flows.py", 40, 0.25, [confirm_encode])
    tree = Frame("<root>", "", 0, 0.65, [create, confirm])
    top = dict(top_self_time(tree, 3))
    assert top["encode (json/encoder.py:200)"] == pytest.approx(0.5)
    assert top["create (payments/flows.py:10)"] == pytest.approx(0.1)
    assert next(iter(top)) == "encode (json/encoder.py:200)"


def test_self_leaves_count_for_their_parent_and_awaits_are_one_bucket() -> None:
    own = Frame("[self]", "", 0, 0.2)
    waiting = Frame("[await]", "", 0, 0.7)
    handler = Frame("handler", "app.py", 5, 1.0, [own, waiting, Frame("parse", "p.py", 1, 0.1)])
    top = dict(top_self_time(handler, 5))
    assert top["handler (app.py:5)"] == pytest.approx(0.2)
    assert top["[await] waiting, not running"] == pytest.approx(0.7)
    assert top["parse (p.py:1)"] == pytest.approx(0.1)


def test_inclusive_top_lists_tenders_functions_once_per_stack() -> None:
    inner = Frame(
        "apply", "tender/payments/apply.py", 9, 0.3, [Frame("execute", "sqlalchemy/x.py", 1, 0.2)]
    )
    recursive = Frame("apply", "tender/payments/apply.py", 9, 0.5, [inner])
    confirm = Frame("confirm", "tender/payments/confirm.py", 80, 0.6, [recursive])
    top = dict(top_inclusive(Frame("<root>", "", 0, 0.6, [confirm]), 5))
    assert top == {
        "confirm (tender/payments/confirm.py:80)": pytest.approx(0.6),
        "apply (tender/payments/apply.py:9)": pytest.approx(0.5),  # not 0.8
    }
