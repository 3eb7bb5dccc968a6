"""API models (pydantic). DynamoDB item shapes are mapped explicitly in the store.

These modules do without `from __future__ import annotations`: with it, pydantic turns every field's
annotation string back into a type when the class is created, a cost each cold start pays for
every model.
"""
