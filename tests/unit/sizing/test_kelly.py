import pytest

from alphamoe.sizing.kelly import kelly_fraction


@pytest.mark.parametrize(
    ("p", "b", "expected"),
    [
        (0.6, 1.0, 0.2),
        (0.5, 2.0, 0.25),
        (0.55, 1.5, 0.55 - 0.45 / 1.5),
        (1.0, 3.0, 1.0),
    ],
)
def test_kelly_fraction_when_edge_then_p_minus_q_over_b(p: float, b: float, expected: float) -> None:
    assert kelly_fraction(p, b) == pytest.approx(expected)


@pytest.mark.parametrize(("p", "b"), [(0.4, 1.0), (0.5, 1.0), (0.3, 2.0), (0.0, 5.0)])
def test_kelly_fraction_when_no_edge_then_zero(p: float, b: float) -> None:
    assert kelly_fraction(p, b) == 0.0


@pytest.mark.parametrize(("p", "b"), [(0.6, 0.0), (0.6, -1.0), (1.2, 1.0), (-0.1, 1.0), (0.6, float("nan"))])
def test_kelly_fraction_when_inputs_invalid_then_zero(p: float, b: float) -> None:
    assert kelly_fraction(p, b) == 0.0
