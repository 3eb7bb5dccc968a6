"""A log entry's status follows its deliveries (product.md §7)."""

import pytest

from lead_events.logic.delivery_state import entry_status
from lead_events.store.entry_items import delivery_state


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], "no_postbacks"),
        (["delivered"], "delivered"),
        (["delivered", "delivered"], "delivered"),
        (["queued", "delivered"], "queued"),
        (["retrying", "queued"], "retrying"),
        (["failed", "delivered"], "failed"),
        (["failed", "retrying"], "failed"),
    ],
)
def test_entry_status(statuses: list[str], expected: str) -> None:
    assert entry_status({str(i): delivery_state({"status": s}) for i, s in enumerate(statuses)}) == expected
