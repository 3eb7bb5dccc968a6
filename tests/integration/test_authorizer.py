"""The Lambda authorizer: a bearer key becomes an organization, or the request is refused."""

from __future__ import annotations

import boto3
import pytest

from lead_events.logic.credentials import hash_secret
from lead_events.store.dynamo import to_item
from tests.conftest import lambda_context, sample_event

SAMPLE_KEY = "lek_org-sample_0000abcd_sample-secret-not-a-real-key"


@pytest.fixture
def sample_key(aws: None) -> None:
    """The key that the sample events carry, stored (as a hash) the way `make org` stores keys."""
    boto3.client("dynamodb").put_item(
        TableName="lead-events-dev-config",
        Item=to_item(
            {"pk": "ORG#org-sample", "sk": "APIKEY#0000abcd", "key_id": "0000abcd", "key_hash": hash_secret(SAMPLE_KEY)}
        ),
    )


def test_a_valid_key_authorizes_with_its_organization_in_the_context(sample_key: None) -> None:
    from authorizer.app import lambda_handler

    answer = lambda_handler(sample_event("authorizer", "valid_key"), lambda_context())
    assert answer == {"isAuthorized": True, "context": {"org_id": "org-sample", "key_id": "0000abcd"}}


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer lek_org-sample_0000abcd_this-is-the-wrong-secret",
        "Bearer lek_org-other_0000abcd_sample-secret-not-a-real-key",
        "Bearer garbage",
        "Basic dXNlcjpwYXNz",
        "",
    ],
)
def test_wrong_keys_get_the_unauthorized_answer(sample_key: None, authorization: str) -> None:
    from authorizer.app import lambda_handler

    event = sample_event("authorizer", "wrong_key")
    event["headers"]["authorization"] = authorization
    # API Gateway turns exactly this error into 401 {"message": "Unauthorized"}.
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        lambda_handler(event, lambda_context())


def test_a_revoked_key_is_refused(sample_key: None) -> None:
    from authorizer.app import lambda_handler

    boto3.client("dynamodb").update_item(
        TableName="lead-events-dev-config",
        Key=to_item({"pk": "ORG#org-sample", "sk": "APIKEY#0000abcd"}),
        UpdateExpression="SET revoked_at = :now",
        ExpressionAttributeValues=to_item({":now": "2026-11-26T00:00:00Z"}),
    )
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        lambda_handler(sample_event("authorizer", "valid_key"), lambda_context())
