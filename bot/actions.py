"""Button actions in a form a transport with a size limit can carry.

The engine's actions name an incident by its id: "ask:<intent>:<id>", "pick:<id>". Ids may be 80
characters, so an action can exceed Telegram's 64 bytes of callback data. `compact` replaces the id of
an action that does not fit with "#" and a digest of it (BLAKE2b, 12 bytes, base64url: 16 characters);
`Digests` finds the id again among the store's incidents (ids never contain "#").

The key is derived from the id, not stored: a button works after any number of restarts, on any copy of
the database, for as long as its incident exists, with no second file to keep in step with the database
and nothing to evict. (python-telegram-bot's arbitrary_callback_data keeps the last 1,024 buttons in
memory, and across restarts only through a pickle file written every minute or at a clean stop.)
"""
from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable

DIGEST_MARK = "#"


def digest(incident_id: str) -> str:
    raw = hashlib.blake2b(incident_id.encode("utf-8"), digest_size=12).digest()
    return DIGEST_MARK + base64.urlsafe_b64encode(raw).decode("ascii")


def compact(action: str, limit: int) -> str:
    """`action` if it fits in `limit` bytes, else the same action with its incident id digested."""
    if len(action.encode("utf-8")) <= limit:
        return action
    head, sep, incident_id = action.rpartition(":")
    return f"{head}{sep}{digest(incident_id)}" if sep else action


class Digests:
    """Digest -> incident id, for the ids given; rebuilt by the owner when the ids change."""

    def __init__(self, ids: Iterable[str]) -> None:
        self._ids = {digest(i): i for i in ids}

    def resolve(self, ref: str) -> str:
        """The incident id a button names: itself, or the id whose digest it is ('' if none)."""
        return self._ids.get(ref, "") if ref.startswith(DIGEST_MARK) else ref
