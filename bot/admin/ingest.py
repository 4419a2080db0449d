"""/ingest in chat: an admin sends an article (text, a URL, or in Telegram a document) and reviews the
proposed facts with buttons: accept all, accept or skip one at a time, or discard.

Nothing is written before the admin accepts; the accepted facts, with the new incidents they need, the
parties they name and the article as their source, land as one Store.add_batch: one audited change by that
admin, which one /undo removes. Each admin has at most one review per chat; a second /ingest before the
first is finished asks whether to drop the first or keep going with it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from bot.facts.dates import format_date
from bot.ingest.reader import Article
from bot.ingest.review import IngestError, Review, ingest, read, read_bytes_article
from bot.replies import Button, Reply
from bot.rich import Rich
from bot.store import Store, StoreError

PREFIX = "ingest:"
USAGE = ("/ingest followed by the article's text (first line e.g. 'date 2018-06-19 AFP, BEIRUT'), or by its URL; "
         "in Telegram you may also send a .txt or .html file")


@dataclass
class _Waiting:
    article: Article


class Ingest:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._reviews: dict[tuple[str, str], Review] = {}  # (chat, admin) -> the review under way
        self._waiting: dict[tuple[str, str], _Waiting] = {}  # a second article sent while one is under review

    # -- starting --------------------------------------------------------------------------------------
    def start(self, args: str, user: str, chat: str) -> Reply:
        """/ingest <text or URL>."""
        text = args.strip()
        if not text:
            return _line(f"/ingest: nothing to read; expected {USAGE}.")
        try:
            is_url = bool(re.fullmatch(r"https?://\S+", text, re.I))
            article = read(text, is_text=not is_url)
        except IngestError as e:
            return _line(f"/ingest: {e} — nothing was changed.")
        return self.review(article, user, chat)

    def start_file(self, data: bytes, name: str, user: str, chat: str, caption: str = "") -> Reply:
        """A document sent to the bot (Telegram), its caption maybe giving the dateline."""
        try:
            article = read_bytes_article(data, name, caption)
        except IngestError as e:
            return _line(f"/ingest: {e} — nothing was changed.")
        return self.review(article, user, chat)

    def review(self, article: Article, user: str, chat: str) -> Reply:
        key = (chat, user)
        if key in self._reviews:
            self._waiting[key] = _Waiting(article)
            current = self._reviews[key]
            return Reply(Rich().para(f"You are still reviewing {current.origin} ({len(current.pending())} of "
                                     f"{len(current.claims)} proposals left). Drop it and review the new article, "
                                     "or finish the first one?"),
                         confidence=1.0, buttons=[Button("Drop it, review the new one", PREFIX + "new"),
                                                  Button("Finish the first one", PREFIX + "keep")])
        try:
            proposal = ingest(article, self.store.dataset())
        except IngestError as e:
            return _line(f"/ingest: {e} — nothing was changed.")
        d = article.dateline
        origin = ", ".join(x for x in (d.publisher, format_date(d.published, "day") if d.published else None) if x)
        if not proposal.dataset.claims:
            return _line(f"Nothing new in {origin}: the database already holds every fact I found in it, or I "
                         "found none I could attribute. Nothing was changed.")
        titles = {i.id: i.title for i in self.store.incidents()}
        review = self._reviews[key] = Review(proposal, origin, titles)
        n = len(review.claims)
        return Reply(review.overview(), confidence=1.0, buttons=[
            Button(f"Accept all {n}", PREFIX + "all"), Button("Review one by one", PREFIX + "one"),
            Button("Discard", PREFIX + "discard")])

    # -- the buttons -----------------------------------------------------------------------------------
    def act(self, action: str, user: str, chat: str) -> Reply:
        key = (chat, user)
        verb, _, arg = action.removeprefix(PREFIX).partition(":")
        if verb in ("new", "keep"):
            waiting = self._waiting.pop(key, None)
            if waiting is None:
                return _line("That question was already answered; nothing was changed.")
            if verb == "new":
                self._reviews.pop(key, None)
                return self.review(waiting.article, user, chat)
            return self._next(key) if key in self._reviews else _line("Nothing to finish.")
        review = self._reviews.get(key)
        if review is None:
            return _line("That review is finished or discarded (or was started by another admin); "
                         "nothing was changed.")
        if verb == "discard":
            del self._reviews[key]
            self._waiting.pop(key, None)
            return _line(f"Discarded the review of {review.origin}; nothing was written.")
        if verb == "all":
            review.accept_rest()
        elif verb in ("yes", "no") and arg.isdigit():
            if int(arg) not in review.pending():
                return self._next(key)  # a button pressed twice: show where the review is
            review.decide(int(arg), verb == "yes")
        elif verb != "one":
            return _line("Unknown review button; nothing was changed.")
        return self._next(key)

    def _next(self, key: tuple[str, str]) -> Reply:
        review = self._reviews[key]
        pending = review.pending()
        if pending:
            n = pending[0]
            return Reply(review.item(n), confidence=1.0, buttons=[
                Button("Accept", f"{PREFIX}yes:{n}"), Button("Skip", f"{PREFIX}no:{n}"),
                Button("Accept the rest", PREFIX + "all"), Button("Discard", PREFIX + "discard")])
        return self._finish(key)

    def _finish(self, key: tuple[str, str]) -> Reply:
        review = self._reviews.pop(key)
        self._waiting.pop(key, None)
        batch = review.accepted()
        skipped = sum(1 for v in review.decisions.values() if not v)
        if not batch.claims:
            return _line(f"You accepted none of the {len(review.claims)} proposals from {review.origin}; "
                         "nothing was written.")
        try:
            done = self.store.add_batch(batch, actor=key[1])
        except StoreError as e:
            return _line(f"/ingest: {e}")
        added_to = sorted({c.incident for c in batch.claims} - set(done.incidents))
        parts = [f"Added {len(done.claims)} fact{'s' * (len(done.claims) != 1)} from {review.origin}"]
        if done.incidents:
            parts.append(f"new incident{'s' * (len(done.incidents) != 1)} {', '.join(done.incidents)}")
        if added_to:
            parts.append(f"added to {', '.join(added_to)}")
        if done.parties:
            parts.append(f"{len(done.parties)} new part{'ies' if len(done.parties) != 1 else 'y'}")
        if done.sources:
            parts.append(f"source {', '.join(done.sources)}")
        tail = f" Skipped {skipped}." if skipped else ""
        return _line("; ".join(parts) + f".{tail} One /undo removes all of it.", incident=(done.incidents or added_to or [None])[0])


def _line(text: str, incident: str | None = None) -> Reply:
    return Reply(Rich().para(text), None, incident, 1.0)
