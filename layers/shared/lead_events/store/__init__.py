"""The only code that touches DynamoDB. Key construction lives in keys.py; see docs/data-model.md."""
