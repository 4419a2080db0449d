"""The database: the only package that opens the TinyDB file."""
from bot.store.store import Store, StoreError, StoreLocked, open_store

__all__ = ["Store", "StoreError", "StoreLocked", "open_store"]
