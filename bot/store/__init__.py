"""The database: the only package that opens the TinyDB file."""
from bot.store.store import BatchSummary, Store, StoreError, StoreLocked, open_store

__all__ = ["BatchSummary", "Store", "StoreError", "StoreLocked", "open_store"]
