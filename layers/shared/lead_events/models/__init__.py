"""API models (pydantic). DynamoDB item shapes are mapped explicitly in the store."""
