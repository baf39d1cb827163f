import pytest

from correlator.rules import Aggregation, Comparison, Matcher, ThresholdRule, aggregate_value
from correlator.series import Aggregate, SeriesKey


def series(status: str, service: str = "api") -> SeriesKey:
    return SeriesKey.of("metrics", service, "http_request_duration_seconds", {"status": status})


def agg(*values: float) -> Aggregate:
    a = Aggregate()
    for v in values:
        a.add(v)
    return a


@pytest.mark.parametrize(
    ("text", "status", "expected"),
    [
        ('status="500"', "500", True),
        ('status="500"', "200", False),
        ('status!="500"', "200", True),
        ('status=~"5.."', "503", True),
        ('status=~"5.."', "5000", False),  # anchored like PromQL
        ('status!~"5.."', "200", True),
        ('missing=""', "200", True),  # an absent label matches the empty string
    ],
)
def test_matchers(text: str, status: str, expected: bool) -> None:
    assert Matcher.parse(text).matches(series(status)) is expected


def test_matcher_parse_rejects_garbage() -> None:
    with pytest.raises(ValueError, match="not a label matcher"):
        Matcher.parse("status ~= 5")


def rule(aggregation: Aggregation, **kw: object) -> ThresholdRule:
    base: dict[str, object] = dict(
        name="r",
        source="metrics",
        metric="http_request_duration_seconds",
        aggregation=aggregation,
        comparison=Comparison.GT,
        threshold=0.5,
        window_seconds=10,
    )
    base.update(kw)
    return ThresholdRule(**base)  # type: ignore[arg-type]


def test_error_ratio_counts_matching_series_over_all() -> None:
    r = rule(Aggregation.ERROR_RATIO, numerator=(Matcher.parse('status=~"5.."'),))
    parts = [(series("200"), agg(*[0.1] * 97)), (series("503"), agg(0.1, 0.1)), (series("500"), agg(0.2))]
    assert aggregate_value(r, parts, 10) == pytest.approx(3 / 100)


@pytest.mark.parametrize(
    ("aggregation", "expected"),
    [
        (Aggregation.COUNT, 4.0),
        (Aggregation.RATE, 0.4),
        (Aggregation.SUM, 10.0),
        (Aggregation.AVG, 2.5),
        (Aggregation.MIN, 1.0),
        (Aggregation.MAX, 4.0),
    ],
)
def test_exact_aggregations(aggregation: Aggregation, expected: float) -> None:
    parts = [(series("200"), agg(1.0, 2.0)), (series("201"), agg(3.0, 4.0))]
    assert aggregate_value(rule(aggregation), parts, 10) == pytest.approx(expected)


def test_no_data_is_no_value() -> None:
    assert aggregate_value(rule(Aggregation.P95), [], 10) is None


def test_selection_and_grouping() -> None:
    r = rule(Aggregation.P95, matchers=(Matcher.parse('status!="404"'),))
    assert r.selects(series("200"))
    assert not r.selects(series("404"))
    assert not r.selects(SeriesKey.of("metrics", "api", "other_metric", {}))
    assert r.group_of(series("200", service="billing")) == (("service", "billing"),)
