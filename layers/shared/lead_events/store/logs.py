"""Transitional: the two names logic/triggers.py and store/factory.py import from here.

The entries store is store/entries.py (`EntryStore`, with `entry_put` as it was), the listing
store/listing.py (`LogListing`). Delete this module once those two import from there.
"""

from lead_events.store.entries import EntryStore as LogStore
from lead_events.store.listing import LogListing

__all__ = ["LogListing", "LogStore"]
