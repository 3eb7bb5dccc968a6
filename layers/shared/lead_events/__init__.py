"""lead-events: event management and postback engine for lead-distribution businesses."""
