"""Standard Webhooks signatures, checked against the specification's published test vector."""

from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook

from lead_events.errors import InvalidInput
from lead_events.logic.signing import check_secret, new_secret, signature_headers

# From the Standard Webhooks specification's reference implementations.
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = datetime.fromtimestamp(1614265330, UTC)
VECTOR_BODY = '{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_signature_matches_the_published_vector() -> None:
    headers = signature_headers(VECTOR_SECRET, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY)
    assert headers == {
        "webhook-id": VECTOR_ID,
        "webhook-timestamp": "1614265330",
        "webhook-signature": VECTOR_SIGNATURE,
    }


def test_a_receiver_verifies_what_we_sign() -> None:
    secret = new_secret()
    body = '{"transaction_id": "T1"}'
    headers = signature_headers(secret, "log_1", datetime.now(UTC), body)
    assert Webhook(secret).verify(body, headers) == {"transaction_id": "T1"}


@pytest.mark.parametrize(
    "secret", ["plain", "whsec_", "whsec_!!!", "whsec_c2hvcnQ=", "nope_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]
)
def test_unusable_secrets_are_refused(secret: str) -> None:
    with pytest.raises(InvalidInput):
        check_secret(secret)
