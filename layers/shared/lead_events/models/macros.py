"""The built-in postback macros and what each stands for: shared by the models, the API's list and the renderer."""

BUILTIN_MACROS: dict[str, str] = {
    "transaction_id": "The lead's transaction id (often the affiliate network's click id).",
    "lead_id": "The lead's id.",
    "event_name": "The event's name, e.g. sale.",
    "campaign_id": "The lead's campaign.",
    "affiliate_id": "The lead's affiliate, or empty.",
    "sub1": "The lead's sub id 1, or empty.",
    "sub2": "The lead's sub id 2, or empty.",
    "sub3": "The lead's sub id 3, or empty.",
    "sub4": "The lead's sub id 4, or empty.",
    "sub5": "The lead's sub id 5, or empty.",
    "revenue": "The revenue reported with the event, or empty.",
    "payout": "The lead's payout, or empty.",
    "log_id": "The event log entry's id (unique per accepted event).",
    "delivery_id": "This delivery's id, also sent as the webhook-id header: the same on every retry and "
    "redelivery, so a receiver can drop a copy it already has.",
    "timestamp": "When the event was accepted, in Unix seconds.",
    "iso_timestamp": "When the event was accepted, ISO 8601 UTC.",
}
