from correlator.config.catalog import LABEL_VALUES, SEVERITIES
from schemas.enums import Channel, DeliveryStatus, LogLevel, Severity


def test_vocabularies_match_the_schemas() -> None:
    assert LABEL_VALUES["level"] == tuple(LogLevel)
    assert LABEL_VALUES["channel"] == tuple(Channel)
    assert LABEL_VALUES["status"] == tuple(DeliveryStatus)
    assert tuple(Severity) == SEVERITIES


def test_outcomes_match_the_delivery_tracker() -> None:
    from correlator.delivery import FINAL_STATUSES

    assert set(LABEL_VALUES["outcome"]) == set(FINAL_STATUSES.values())
