"""Reading an article: a text file, an HTML file or an http(s) URL, reduced to plain text and its dateline.

HTML goes through trafilatura, which keeps the article body and drops menus, footers and comments, and also
reads the publication date and site name when the page has them. A URL is fetched with httpx (already in
the dependency tree through python-telegram-bot) with a timeout and a size cap, so a slow or huge page is
one clear error instead of a hang.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.facts.dates import MONTHS, DateError, parse_date

MAX_BYTES = 1_000_000  # a news article is tens of kilobytes; a megabyte is a book or the wrong file
TIMEOUT_S = 10.0


class ReadError(ValueError):
    """An article that cannot be read; the message says why, in one line."""


@dataclass
class Dateline:
    published: str | None = None  # ISO date of the report, the anchor for "yesterday", "last month"
    publisher: str | None = None  # the outlet: AFP, BBC, Reuters
    place: str | None = None  # where it was filed: Beirut

    def merged(self, other: Dateline) -> Dateline:
        """This dateline with the gaps filled from `other`."""
        return Dateline(self.published or other.published, self.publisher or other.publisher,
                        self.place or other.place)


@dataclass
class Article:
    text: str  # paragraphs separated by blank lines, dateline line removed
    dateline: Dateline
    url: str | None = None
    path: str | None = None
    title: str | None = None


# "date 2018-06-19 AFP, BEIRUT" (the bundled articles' first line)
_DATE_LINE = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})\s+([^,\n]+?)\s*,\s*([^\n]+?)\s*$", re.I)
# "BEIRUT (AFP) - ..." or "BEIRUT, June 19 (Reuters) - ..." opening the first paragraph
_AGENCY_OPENER = re.compile(r"^\s*([A-Z][A-Z .'-]{2,40}?)(?:,\s*([A-Za-z]+\.? \d{1,2}))?\s*\(([^)]{2,40})\)\s*[-–—]+\s*")
# a date on a line of its own: "19 June 2018", "June 19, 2018", "2018-06-19", "Tuesday 19 June 2018"
_DAY_MONTH_YEAR = re.compile(r"^(?:[A-Za-z]+,?\s+)?(\d{1,2})\s+([A-Za-z]+)\.?,?\s+(\d{4})$")
_MONTH_DAY_YEAR = re.compile(r"^(?:[A-Za-z]+,?\s+)?([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})$")


def read_source(source: str, dateline: Dateline | None = None, max_bytes: int = MAX_BYTES,
                timeout: float = TIMEOUT_S) -> Article:
    """Read a path or URL. Raises ReadError with a one-line reason."""
    if re.match(r"^https?://", source, re.I):
        data, content_type = fetch_url(source, max_bytes, timeout)
        article = read_bytes(data, name=source, html="html" in content_type or None, dateline=dateline,
                             max_bytes=max_bytes)
        article.url = source
        return article
    path = Path(source)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ReadError(f"{source} is {size / 1e6:.1f} MB; an article is at most {max_bytes / 1e6:.1f} MB")
        data = path.read_bytes()
    except FileNotFoundError:
        raise ReadError(f"no such file: {source}") from None
    except IsADirectoryError:
        raise ReadError(f"{source} is a folder, not an article") from None
    except OSError as e:
        raise ReadError(f"cannot read {source}: {e.strerror or e}") from None
    html = True if path.suffix.lower() in (".html", ".htm") else None
    article = read_bytes(data, name=source, html=html, dateline=dateline, max_bytes=max_bytes)
    article.path = source
    return article


def fetch_url(url: str, max_bytes: int = MAX_BYTES, timeout: float = TIMEOUT_S) -> tuple[bytes, str]:
    """GET a URL with a timeout, refusing bodies over max_bytes (checked while streaming, not after)."""
    import httpx  # late: only a URL needs it
    try:
        with httpx.Client(timeout=timeout, follow_redirects=True, headers={"User-Agent": "incident-bot"}) as client:
            with client.stream("GET", url) as response:
                if response.status_code >= 400:
                    raise ReadError(f"{url} answered HTTP {response.status_code}")
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > max_bytes:
                    raise ReadError(f"{url} is {int(declared) / 1e6:.1f} MB; an article is at most "
                                    f"{max_bytes / 1e6:.1f} MB")
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise ReadError(f"{url} is larger than {max_bytes / 1e6:.1f} MB; an article is smaller")
                    chunks.append(chunk)
                return b"".join(chunks), response.headers.get("content-type", "").lower()
    except httpx.TimeoutException:
        raise ReadError(f"{url} did not answer within {timeout:g} s") from None
    except httpx.HTTPError as e:
        raise ReadError(f"cannot fetch {url}: {type(e).__name__}") from None


def read_bytes(data: bytes, name: str = "the article", html: bool | None = None, dateline: Dateline | None = None,
               max_bytes: int = MAX_BYTES) -> Article:
    """Bytes of a text or HTML article -> Article. `html` None: guess from the content."""
    if len(data) > max_bytes:
        raise ReadError(f"{name} is {len(data) / 1e6:.1f} MB; an article is at most {max_bytes / 1e6:.1f} MB")
    if b"\x00" in data[:8192]:
        raise ReadError(f"{name} is a binary file, not an article (send a .txt or .html file or a URL)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ReadError(f"{name} is not UTF-8 text (send a .txt or .html file or a URL)") from None
    return read_text(text, name, html, dateline)


def read_text(text: str, name: str = "the article", html: bool | None = None,
              dateline: Dateline | None = None) -> Article:
    if html is None:
        html = bool(re.match(r"\s*(<!doctype html|<html|<head|<body|<article|<p[ >])", text, re.I))
    title = None
    found = Dateline()
    if html:
        text, title, found = _from_html(text, name)
    text, from_text = _dateline_from_text(text)
    found = from_text.merged(found)
    text = "\n\n".join(p for p in (" ".join(line.split()) for line in re.split(r"\n\s*\n|\n", text)) if p)
    if not text.strip():
        raise ReadError(f"{name} holds no article text")
    return Article(text=text, dateline=(dateline or Dateline()).merged(found), title=title)


def _from_html(markup: str, name: str) -> tuple[str, str | None, Dateline]:
    import trafilatura  # late: only HTML needs it, and it takes a moment to import
    # Only the page's own date metadata: trafilatura's extensive search would take any date in the text
    # ("since 2014") for the report's.
    doc = trafilatura.bare_extraction(markup, with_metadata=True, include_comments=False, include_tables=False,
                                      favor_recall=True,
                                      date_extraction_params={"extensive_search": False, "original_date": True})
    if doc is None or not (doc.text or "").strip():
        raise ReadError(f"{name}: no article text found in the HTML")
    text = doc.text
    if doc.title and text.startswith(doc.title):
        text = text[len(doc.title):]  # the headline is not a sentence of the report
    published = doc.date if doc.date and re.fullmatch(r"\d{4}-\d{2}-\d{2}", doc.date) else None
    return text, doc.title, Dateline(published=published, publisher=doc.sitename or None)


def _dateline_from_text(text: str) -> tuple[str, Dateline]:
    """Find and remove the dateline: 'date 2018-06-19 AFP, BEIRUT', a date line, 'BEIRUT (AFP) -'."""
    lines = text.lstrip().split("\n")
    found = Dateline()
    if lines and (m := _DATE_LINE.match(lines[0])):
        place, rest = m.group(3).strip(), ""
        if len(place.split()) > 4:  # the article goes on on the same line (a one-line chat message)
            caps = re.match(r"^([A-Z][A-Z'.-]+(?: [A-Z][A-Z'.-]+)*|\S+)\s+(.*)$", place)
            place, rest = (caps.group(1), caps.group(2)) if caps else (place, "")
        found = Dateline(m.group(1), m.group(2).strip(), place.title())
        lines = ([rest] if rest else []) + lines[1:]
    elif lines and (day := parse_date_line(lines[0])):
        found.published = day
        lines = lines[1:]
    body = "\n".join(lines).lstrip()
    if m := _AGENCY_OPENER.match(body):
        found = found.merged(Dateline(None, m.group(3).strip(), m.group(1).strip().title()))
        body = body[m.end():]
    return body, found


def dateline_of(text: str) -> Dateline:
    """The dateline a short text gives ('date 2019-07-03 Reuters, TRIPOLI', a caption), else an empty one."""
    return _dateline_from_text(text)[1]


def parse_date_line(line: str) -> str | None:
    """'19 June 2018' / 'June 19, 2018' / '2018-06-19' alone on a line -> '2018-06-19', else None."""
    t = line.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", t):
            return parse_date(t)[0]
    except DateError:
        return None
    for pattern, order in ((_DAY_MONTH_YEAR, (0, 1, 2)), (_MONTH_DAY_YEAR, (1, 0, 2))):
        if m := pattern.match(t):
            day, month, year = (m.group(i + 1) for i in order)
            n = MONTHS.get(month.lower())
            if n:
                try:
                    return date(int(year), n, int(day)).isoformat()
                except ValueError:
                    return None
    return None


def parse_dateline_option(text: str) -> Dateline:
    """--dateline 'AFP, BEIRUT' or 'BEIRUT (AFP)' -> Dateline(publisher, place)."""
    if m := re.fullmatch(r"\s*([^()]+?)\s*\(([^)]+)\)\s*", text):
        return Dateline(None, m.group(2).strip(), m.group(1).strip().title())
    publisher, _, place = text.partition(",")
    return Dateline(None, publisher.strip() or None, place.strip().title() or None)
