"""The profile's top list sums each function's own time over every place it was called from."""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.profile_checkout import top_self_time


@dataclass
class Frame:
    function: str
    file_path_short: str
    line_no: int
    self_time: float
    children: list[Frame] = field(default_factory=list)


def test_top_self_time_sums_a_function_called_from_two_places() -> None:
    encode = Frame("encode", "json/encoder.py", 200, 0.3)
    tree = Frame(
        "<root>",
        "",
        0,
        0.0,
        [
            Frame("create", "payments/flows.py", 10, 0.1, [encode]),
            Frame(
                "confirm",
                "payments/flows.py",
                40,
                0.05,
                [Frame("encode", "json/encoder.py", 200, 0.2)],
            ),
        ],
    )
    top = top_self_time(tree, 2)
    assert top[0][0] == "encode (json/encoder.py:200)"
    assert abs(top[0][1] - 0.5) < 1e-9
    assert top[1] == ("create (payments/flows.py:10)", 0.1)
