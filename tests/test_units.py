import pytest

from sim.scenario import format_ms, parse_duration, parse_rate


@pytest.mark.parametrize("text, ms", [(250, 250.0), ("250ms", 250.0), ("10s", 10_000.0), ("1.5min", 90_000.0),
                                      ("1h", 3_600_000.0), ("15min", 900_000.0), (0, 0.0), ("0.5 s", 500.0)])
def test_durations(text, ms):
    assert parse_duration(text) == ms


@pytest.mark.parametrize("bad", ["soon", "10 parsecs", -1, True, None, "-5s", [1]])
def test_bad_durations(bad):
    with pytest.raises(ValueError):
        parse_duration(bad)


@pytest.mark.parametrize("text, per_ms", [("1000/s", 1.0), ("5/ms", 5.0), (200, 0.2), ("60/min", 0.001)])
def test_rates(text, per_ms):
    assert parse_rate(text) == pytest.approx(per_ms)


@pytest.mark.parametrize("bad", ["fast", "0/s", "10", -3])
def test_bad_rates(bad):
    with pytest.raises(ValueError):
        parse_rate(bad)


def test_format_ms():
    assert [format_ms(x) for x in (250, 10_000, 90_000, 1.5)] == ["250ms", "10s", "1.5min", "1.5ms"]
