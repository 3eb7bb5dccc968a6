"""Organizations (tenants) and their credentials."""

from pydantic import ConfigDict, Field

from lead_events.models.common import Model


class Organization(Model):
    org_id: str
    name: str
    created_at: str


class CreatedOrganization(Model):
    """What `make org` prints: the secrets are shown this once and stored only as hashes."""

    org_id: str
    api_key: str
    postback_url: str


class PostbackSettings(Model):
    postback_url: str = Field(
        description="The inbound postback URL to paste into affiliate networks and CRMs: "
        "GET or POST with event, transaction_id (or tid, click_id, clickid, lead_id), revenue and custom fields."
    )


class ApiKeyCreate(Model):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, description="What the key is for, e.g. 'CRM sync'.")


class ApiKey(Model):
    key_id: str
    name: str
    created_at: str
    last_used_at: str | None = Field(None, description="When the authorizer last accepted it (within its cache time).")
    revoked_at: str | None = None


class ApiKeyCreated(ApiKey):
    api_key: str = Field(description="The key itself: shown only in this answer, stored only as a hash.")


class ApiKeyList(Model):
    items: list[ApiKey]
