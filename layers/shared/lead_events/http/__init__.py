"""The outbound HTTP client shared by the dispatcher and Send Test."""
