"""Domain exceptions. The API turns each into an HTTP answer in one place (api/errors.py)."""


class LeadEventsError(Exception):
    """Base of every error a client can cause; `status` is the HTTP status it maps to."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(LeadEventsError):
    status = 400


class Unauthorized(LeadEventsError):
    status = 401


class NotFound(LeadEventsError):
    status = 404


class Conflict(LeadEventsError):
    status = 409


class OrganizationNameTaken(Conflict):
    def __init__(self, name: str, org_ids: list[str]) -> None:
        super().__init__(
            f"An organization named '{name}' already exists ({', '.join(org_ids)}); choose another name,"
            " or pass --allow-duplicate-name to create a second one."
        )


class EventNotFound(NotFound):
    def __init__(self, name: str) -> None:
        super().__init__(f"No event named '{name}' exists in this organization.")


class EventAlreadyExists(Conflict):
    def __init__(self, name: str) -> None:
        super().__init__(f"An event named '{name}' already exists in this organization; choose another name.")


class InvalidCursor(InvalidInput):
    def __init__(self) -> None:
        super().__init__(
            "The cursor is not valid for this list; pass back the next_cursor of the previous page unchanged."
        )


class PostbackNotFound(NotFound):
    def __init__(self, event: str, postback_id: str) -> None:
        super().__init__(f"Event '{event}' has no postback with id '{postback_id}'.")


class LeadNotFound(NotFound):
    def __init__(self, reference: str) -> None:
        super().__init__(f"No lead with {reference} exists in this organization; register it with POST /leads first.")


class LeadAlreadyExists(Conflict):
    pass


class EventAlreadyFired(Conflict):
    def __init__(self, event: str, lead_id: str) -> None:
        super().__init__(
            f"Event '{event}' has already fired for lead '{lead_id}' and is not multi-trigger; "
            "enable multi_trigger on the event to accept it more than once."
        )


class LogNotFound(NotFound):
    def __init__(self, log_id: str) -> None:
        super().__init__(f"No log entry with id '{log_id}' exists in this organization.")


class NothingToRedeliver(Conflict):
    def __init__(self) -> None:
        super().__init__("This entry has no failed deliveries to redeliver.")


class InvalidToken(NotFound):
    def __init__(self) -> None:
        super().__init__(
            "This postback URL is not valid (wrong or rotated token). Copy the current one from GET /settings/postback."
        )


class Unprocessable(LeadEventsError):
    status = 422


class EventListNotFound(NotFound):
    def __init__(self, list_id: str) -> None:
        super().__init__(f"No event list with id '{list_id}' exists in this organization.")


class PayloadTooLarge(LeadEventsError):
    status = 413


class UnsupportedMediaType(LeadEventsError):
    """A body this API does not read (it reads JSON, and the inbound URL forms too)."""

    status = 415


class ConcurrentChange(Conflict):
    """Other requests kept changing the same items while this one tried to: sending it again succeeds."""

    def __init__(self) -> None:
        super().__init__("Another request changed the same data at the same moment; send this request again.")
