"""Text clean-up shared by the intent matcher, the incident resolver and the admin parser; quote characters."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

MAX_QUESTION_CHARS = 500  # a question longer than this is cut; no real question is, and matching cost stays flat

STOPWORDS = frozenset("""
a an the of in on at to for from by with about into over and or but is are was were be been being it its
this that these those there their they them he she his her him we you your i me my our do does did done
has have had what which who whom whose when where why how any anybody anyone some someone tell me please
can could would should will shall may might must just also so as than then if not no yes all both each
s t re ve ll d m up out off only very more most other such own same too
near around after before during really actually exactly ever even again still already yet
""".split())

# Arabic article prefixes in transliterated names: "al-Hari", "el hari", "ez-Zor", "ad-Dashisha".
ARTICLES = frozenset({"al", "el", "ez", "az", "ad", "ed", "as", "es", "ar", "er", "an", "en", "ash", "at"})

_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)
_SPACE = re.compile(r"\s+")
# Quote characters as people type them (phones write “…” ‘…’, some keyboards „…“ or «…»), straight first.
DOUBLE_QUOTES = '"\u201c\u201d\u201e\u201f\uff02\u00ab\u00bb'
SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b\u2032"
_QUOTES = str.maketrans({**dict.fromkeys(DOUBLE_QUOTES[1:], '"'), **dict.fromkeys(SINGLE_QUOTES[1:], "'")})


# Bidirectional-control characters (embeddings, overrides, isolates, marks): in a stored value they can
# reorder the text around it, e.g. turn "according to X" around. clean_input drops them with every other
# format character; admin values keep their other characters, so they lose just these.
BIDI_CONTROLS = str.maketrans(dict.fromkeys(
    [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C]))


def strip_bidi(text: str) -> str:
    return text.translate(BIDI_CONTROLS)


def clean_input(raw: str) -> str:
    """User text as the engine sees it: printable, one line, NFKC, bounded length."""
    text = unicodedata.normalize("NFKC", raw).translate(_QUOTES)
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return _SPACE.sub(" ", text).strip()[:MAX_QUESTION_CHARS]


# Chat spellings, written out so "who's behind it" matches "who is behind it".
_EXPAND = {"whos": "who is", "whats": "what is", "wheres": "where is", "hows": "how is", "whens": "when is",
           "wasnt": "was not", "werent": "were not", "isnt": "is not", "arent": "are not", "didnt": "did not",
           "dont": "do not", "doesnt": "does not", "hasnt": "has not", "havent": "have not", "wont": "will not",
           "cant": "can not", "cannot": "can not", "thats": "that is", "theres": "there is", "its": "it is",
           "u": "you", "ur": "your", "r": "are", "pls": "please", "plz": "please", "abt": "about", "ppl": "people",
           "n": "and", "wot": "what", "wat": "what", "wut": "what", "regarding": "about", "concerning": "about",
           "bout": "about", "cuz": "because", "coz": "because", "bc": "because", "tho": "though", "w": "with",
           "b4": "before", "yr": "year", "yrs": "years", "govt": "government", "gov": "government", "teh": "the",
           "hte": "the"}


_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3})")
_REPEATED = re.compile(r"(.)\1+")


def fold(text: str) -> str:
    """Lower-case, accents removed, punctuation to spaces: "Deir ez-Zôr?" -> "deir ez zor"."""
    text = text.lower()
    if not text.isascii():  # ASCII has no accents or typographic quotes: this part was most of the cost
        text = unicodedata.normalize("NFKD", text.translate(_QUOTES))
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _THOUSANDS.sub("", text)  # "350,000" -> "350000"
    text = text.replace("'", "")  # "wasn't" -> "wasnt", "Syria's" -> "syrias" as people type them
    words = _PUNCT.sub(" ", text).replace("_", " ").split()
    return " ".join(_EXPAND.get(w, w) for w in words)


def tokens(text: str) -> list[str]:
    return fold(text).split()


_TRANSLIT = [("ou", "u"), ("ee", "i"), ("oo", "u"), ("ph", "f"), ("kh", "k"), ("dh", "d"), ("q", "k"),
             ("ei", "e"), ("ay", "e"), ("ai", "e")]


@lru_cache(maxsize=1 << 16)  # index builds key the same words over and over; bounded against hostile input
def name_key(token: str) -> str:
    """A transliteration-tolerant key for one name token: "zour"/"zor", "hary"/"hari", "deir"/"dayr"."""
    for a, b in _TRANSLIT:
        token = token.replace(a, b)
    token = token.replace("e", "i").replace("u", "o")  # vowels are the least stable part of a transliteration
    token = _REPEATED.sub(r"\1", token)
    if len(token) > 3 and token.endswith("y"):
        token = token[:-1] + "i"
    if len(token) > 3 and token.endswith("h"):  # Dashishah / Dashisha
        token = token[:-1]
    return token


def is_number(word: str) -> bool:
    """ASCII digits only: str.isdigit() also accepts "፩" or "²", which int() refuses."""
    return word.isascii() and word.isdigit()


def clip(text: str, n: int = 60) -> str:
    """User input echoed in a message, cut so a pasted novel still gets a one-line reply."""
    return text if len(text) <= n else text[:n] + "…"
