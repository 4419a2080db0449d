"""Synthetic incidents for the scale benchmark: realistic, varied, repeatable.

Place names are built from Arabic, Kurdish, Ukrainian and African-style syllables and carry the aliases a
newsroom would meet for them: with and without the al-/el- article, -iyah/-iya/-iyeh endings, ou/u, y/i,
ee/i, q/k, kh/k spellings, joined and split forms. Each incident gets a date (day, month or year
precision), 2-6 claims of the kinds in data/incidents.yaml, and a source. The same seed always gives the
same incidents, so runs compare.

Also builds the question mix the benchmark asks: named incidents (exact, with typos, transliterated),
month/year questions, follow-ups in the same chat, unknown incidents, small talk, and questions across
incidents (filters by party, figure, month; counts; superlatives; comparisons; yes/no; two in one).
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

from bot.facts.dataset import Dataset
from bot.facts.models import Claim, Incident, IncidentDate, Place, Source

# Syllable pools by naming tradition. Names mix within one tradition, as real place names do.
STYLES: dict[str, dict[str, list[str]]] = {
    "arabic": {
        "start": ["bab", "deir", "kafr", "tal", "ras", "ain", "jisr", "khan", "qasr", "sham", "bir", "ma'ar",
                  "hay", "suq", "umm", "abu", "bayt", "zahr", "qal'at", "marj"],
        "mid": ["ham", "ra", "zu", "ba", "sha", "qa", "di", "mo", "ha", "ja", "ru", "sa", "wa", "ka", "na",
                "fa", "ta", "la", "ri", "nu", "bu", "thi", "gha", "da"],
        "end": ["bah", "rin", "mal", "qin", "dah", "wan", "shur", "ris", "din", "mun", "lat", "bil", "zur",
                "hal", "tib", "kar", "rij", "maz", "wiyah", "riyah", "diyah", "niyah", "ssah"],
        "country": ["Syria", "Iraq", "Yemen", "Libya", "Lebanon", "Sudan"],
        "region": ["{} Province", "{} Governorate", "{} District"],
    },
    "kurdish": {
        "start": ["ser", "qa", "dil", "ko", "sho", "ber", "zaw", "ama", "hew", "ran", "pen", "kel", "kob"],
        "mid": ["re", "wa", "ba", "ne", "ya", "ro", "di", "ja", "sa", "la", "me", "zi"],
        "end": ["kani", "dere", "bast", "gird", "shar", "pir", "kan", "sur", "ani", "zor", "bani", "rash",
                "diz", "mer", "saw", "hin"],
        "country": ["Iraq", "Syria", "Turkey"],
        "region": ["{} Governorate", "{} District", "{} Region"],
    },
    "ukrainian": {
        "start": ["bila", "vol", "zol", "pok", "kras", "novo", "staro", "lys", "sviat", "myko", "kup", "hor",
                  "bor", "zapo", "kost", "yasy"],
        "mid": ["no", "ro", "hor", "la", "ve", "mi", "ty", "so", "lo", "ni", "dy", "va", "ko"],
        "end": ["ivka", "ivske", "ove", "ohrad", "opil", "yansk", "ivtsi", "ychi", "ove", "ansk", "ilka",
                "yne", "hirsk", "oshyn", "yiv"],
        "country": ["Ukraine"],
        "region": ["{} Oblast", "{} Raion", "{} Region"],
    },
    "african": {
        "start": ["ka", "mbo", "ngo", "ma", "bu", "tsho", "gao", "ki", "wa", "ndja", "bam", "oua", "djou",
                  "mai", "gou", "ta"],
        "mid": ["ri", "la", "mu", "ta", "go", "ndi", "si", "ko", "ba", "lo", "ya", "ne", "wu"],
        "end": ["gu", "ti", "mbe", "dougou", "lele", "kuru", "ssa", "nde", "gadi", "bani", "rou", "shi",
                "mba", "kana", "wayo"],
        "country": ["Mali", "Niger", "Nigeria", "Burkina Faso", "DR Congo", "Somalia", "Mozambique",
                    "Ethiopia", "Cameroon", "Chad"],
        "region": ["{} Region", "{} State", "{} Province"],
    },
}
UNKNOWN_PLACES = ["Srebrenica", "Guernica", "Lidice", "Oradour", "Katyn", "Nanjing", "Halabja", "Qana",
                  "Sabra", "Ghouta", "Mosul dam", "Grozny", "Vukovar", "Andijan", "Jenin", "Bucha",
                  "Marikana", "Sharpeville", "Amritsar", "My Lai", "Fallujah", "Rafah crossing", "Kunduz",
                  "Tora Bora", "Aleppo citadel"]

TYPES = [("airstrike", "airstrike", ["strike", "air raid", "bombing"]),
         ("shelling", "shelling", ["bombardment", "artillery strike"]),
         ("drone strike", "drone strike", ["drone attack", "strike"]),
         ("attack", "attack", ["raid", "assault"]),
         ("bombing", "bombing", ["blast", "explosion", "car bomb"]),
         ("massacre", "massacre", ["killings"]),
         ("clash", "clashes", ["fighting", "battle"])]
PARTIES = ["the US-led coalition", "government forces", "the Syrian army", "Russian forces", "rebel groups",
           "the Islamic State group", "Turkish forces", "the Syrian Democratic Forces", "Houthi rebels",
           "the Saudi-led coalition", "Al-Shabaab", "Boko Haram", "JNIM", "the Wagner group",
           "the national army", "local militias", "ISWAP", "the M23 rebels", "Ukrainian forces",
           "Russian troops", "the Kurdistan Workers' Party (PKK)", "an unidentified armed group"]
CLAIMANTS = ["the Syrian Observatory for Human Rights", "state media", "local officials", "the UN",
             "Amnesty International", "Human Rights Watch", "Airwars", "ACLED", "the health ministry",
             "a military spokesman", "residents", "medical sources", "the governor", "the Red Cross",
             "a security source", "the defence ministry"]
PUBLISHERS = ["AFP", "Reuters", "AP", "BBC", "Al Jazeera", "The Guardian", "Le Monde", "Kyiv Independent",
              "Rudaw", "Radio France Internationale", "Deutsche Welle", "Anadolu"]
VICTIMS = ["civilians", "pro-government fighters", "rebel fighters", "children and women", "soldiers",
           "displaced families", "market-goers", "aid workers", "militia members", "farmers", "worshippers"]
QUALIFIED = [("exact", "{n}"), ("at_least", "at least {n}"), ("about", "about {n}"), ("nearly", "nearly {n}"),
             ("more_than", "more than {n}")]
MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December"]
CLAIM_KINDS = ["casualties", "casualties", "blame", "denial", "perpetrator", "victims", "claim_responsibility",
               "note"]


@dataclass(frozen=True)
class Question:
    text: str
    chat: str
    kind: str  # named, typo, translit, dated, follow_up, unknown, small_talk
    expect: str | None = None  # the incident id the question names, when it names one


def make_place(rng: random.Random, style: str) -> tuple[str, list[str]]:
    """A place name and its transliteration variants: ("Al-Ramadiyah", ["Ramadiya", "el-Ramadiyeh", ...])."""
    s = STYLES[style]
    parts = [rng.choice(s["start"])]
    parts += [rng.choice(s["mid"]) for _ in range(rng.choice((0, 1, 1, 2)))]
    parts.append(rng.choice(s["end"]))
    core = "".join(parts).replace("'", "")
    core = re.sub(r"(.)\1\1+", r"\1\1", core)
    words = [core.capitalize()]
    if rng.random() < 0.25:  # two-word places: "Tal Hamrin", "Novo Lysivka"
        words = [parts[0].replace("'", "").capitalize(), "".join(parts[1:]).replace("'", "").capitalize()]
    article = style == "arabic" and rng.random() < 0.45
    name = ("Al-" if article else "") + " ".join(words)
    aliases = set()
    base = " ".join(words)
    if article:
        aliases |= {base, f"al-{base}", f"el-{base}", f"Al {base}", f"Al{base.lower()}"}
    for a, b in (("ou", "u"), ("y", "i"), ("ee", "i"), ("q", "k"), ("kh", "k"), ("sh", "ch"), ("iyah", "iya"),
                 ("iyah", "iyeh"), ("ivka", "iwka"), ("dj", "j"), ("ou", "w")):
        if a in base.lower() and rng.random() < 0.7:
            aliases.add(re.sub(a, b, base, flags=re.I))
    if len(words) == 2 and rng.random() < 0.5:
        aliases.add(words[0] + words[1].lower())
    aliases.discard(name)
    return name, sorted(aliases)[:6]


def build_database(path: Path, incidents: int) -> None:
    """The seed plus `incidents` synthetic incidents in a new database at `path`, imported in one write (as
    bench/scale.py does): for the benchmarks that need a big database and nothing else."""
    from bot.facts.dataset import load_dataset
    from bot.settings import SEED_FILE
    from bot.store import Store

    real = load_dataset(SEED_FILE)
    store = Store(path, seed=SEED_FILE)
    try:
        store.import_dataset(generate(incidents, reserved=frozenset(i.id for i in real.incidents)), actor="bench")
    finally:
        store.close()


def generate(n: int, seed: int = 2018, reserved: frozenset[str] = frozenset()) -> Dataset:
    """n incidents with their claims; place names repeat now and then (a town struck twice).

    `reserved`: incident ids already taken (the seed incidents), never generated."""
    rng = random.Random(seed)
    sources = [Source(f"src-{i}", rng.choice(PUBLISHERS), rng.choice(["Beirut", "Baghdad", "Kyiv", "Bamako",
                      "Nairobi", "Niamey", "Istanbul", "Erbil"]), f"{rng.randint(2011, 2024)}-{rng.randint(1, 12):02d}-"
                      f"{rng.randint(1, 28):02d}") for i in range(max(1, min(200, n // 50)))]
    ds = Dataset(sources=sources)
    places: list[tuple[str, list[str], str, str, str]] = []
    used_ids: set[str] = set(reserved)
    for k in range(n):
        if places and rng.random() < 0.15:
            name, aliases, region, country, style = rng.choice(places)  # another incident at a known place
        else:
            style = rng.choice(list(STYLES))
            name, aliases = make_place(rng, style)
            country = rng.choice(STYLES[style]["country"])
            region = rng.choice(STYLES[style]["region"]).format(make_place(rng, style)[0].removeprefix("Al-"))
            places.append((name, aliases, region, country, style))
        type_, noun, other_nouns = rng.choice(TYPES)
        year = rng.randint(2011, 2024)
        month = rng.randint(1, 12)
        precision = rng.choices(["day", "month", "year"], [6, 3, 1])[0]
        value = {"day": f"{year}-{month:02d}-{rng.randint(1, 28):02d}", "month": f"{year}-{month:02d}",
                 "year": str(year)}[precision]
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        iid = f"{slug}-{value[:7]}"
        while iid in used_ids:
            iid = f"{slug}-{value[:7]}-{k}"
        used_ids.add(iid)
        title = f"{name} {noun}"
        month_name = MONTH_NAMES[month - 1]
        inc_aliases = [f"{name} {rng.choice(other_nouns)}"]
        if precision != "year":
            inc_aliases.append(f"{month_name} {year} {noun} in {name}")
        src = rng.choice(sources)
        ds.incidents.append(Incident(
            id=iid, title=title, type=type_,
            date=IncidentDate(value, precision, rng.choice([None, "at dawn", "overnight", "on market day"]),
                              src.published),
            place=Place(name, list(aliases), region, country, rng.choice([None, "near the border", "on the main road"])),
            aliases=inc_aliases,
            summary=f"A {noun} hit {name} in {region}, {country}.",
            sources=[src.id]))
        for _ in range(rng.randint(2, 6)):
            ds.claims.append(_claim(rng, iid, src.id))
    return ds


def _claim(rng: random.Random, iid: str, source: str) -> Claim:
    kind = rng.choice(CLAIM_KINDS)
    claimant = rng.choice(CLAIMANTS)
    if kind == "casualties":
        n = rng.choice([rng.randint(1, 30), rng.randint(10, 200), rng.randint(100, 2000)])
        qualifier, text = rng.choice(QUALIFIED)
        measure = rng.choice(["killed", "killed", "wounded", "killed_and_wounded"])
        if rng.random() < 0.1:
            value = {"measure": measure, "qualifier": "unspecified", "text": "several", "who": rng.choice(VICTIMS)}
        else:
            value = {"measure": measure, "killed" if measure != "wounded" else "wounded": n,
                     "low": n if qualifier in ("exact", "at_least", "more_than") else None,
                     "high": n if qualifier in ("exact", "nearly") else None,
                     "qualifier": qualifier, "text": text.format(n=n), "who": rng.choice(VICTIMS)}
    elif kind in ("blame", "denial", "perpetrator"):
        value = rng.choice(PARTIES)
        if kind == "denial":
            claimant = value
    elif kind == "victims":
        value = rng.choice(VICTIMS)
    elif kind == "claim_responsibility":
        value = f"{rng.choice(PARTIES)} said it carried out the attack"
    else:
        value = rng.choice(["the death toll is expected to rise", "communications in the area were cut",
                            "the area was under siege at the time", "rescue teams were still searching rubble"])
    return Claim("new", iid, kind, value, claimant=claimant, via=rng.choice([None, None, "in a statement"]),
                 source=source)


# -- the question mix ------------------------------------------------------------------------------------
ASKS = ["how many died in {}", "How many people were killed in the {}?", "who was blamed for the {}",
        "who denied the {}?", "who carried out the {}", "where did the {} happen", "when was the {}",
        "who were the victims of the {}", "what happened in {}", "death toll in {}?", "sources for the {}"]
FOLLOW_UPS = ["who denied it?", "who was blamed?", "how many were killed", "where was that?", "when was it?",
              "what are the sources?"]
SMALL_TALK = ["hi", "hello there", "thanks!", "thank you very much", "help", "what can you do",
              "what incidents do you know", "What's the price of bitcoin?", "tell me a joke", "ok",
              "how is the weather in Paris", "list incidents"]


def typo(rng: random.Random, word: str) -> str:
    """One slip of the thumb (swap, drop, double, wrong vowel) inside a word of five letters or more."""
    head, dash, word = word.rpartition("-")  # leave "Al-" alone
    if len(word) < 5:
        return head + dash + word
    return head + dash + _slip(rng, word)


def _slip(rng: random.Random, word: str) -> str:
    i = rng.randrange(1, len(word) - 1)
    op = rng.choice("swap drop dup sub".split())
    if op == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if op == "drop":
        return word[:i] + word[i + 1:]
    if op == "dup":
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice("aeiou") + word[i + 1:]


def questions(ds: Dataset, n: int = 240, seed: int = 7) -> list[Question]:
    """A fixed mix of questions over `ds` (at least 200), the same for the same dataset and seed."""
    rng = random.Random(seed)
    incidents = ds.incidents
    out: list[Question] = []
    chat = 0
    while len(out) < n:
        chat += 1
        c = f"chat-{chat}"
        kind = rng.choices(["named", "typo", "translit", "dated", "follow_up", "unknown", "small_talk", "across"],
                           [4, 3, 2, 2, 3, 2, 2, 3])[0]
        inc = rng.choice(incidents)
        ask = rng.choice(ASKS)
        place = inc.place.name or inc.title
        if kind == "named":
            out.append(Question(ask.format(inc.title if "the {}" in ask else place), c, kind, inc.id))
        elif kind == "typo":
            name = " ".join(typo(rng, w) for w in place.split())
            out.append(Question(ask.format(name), c, kind, inc.id))
        elif kind == "translit":
            name = rng.choice(inc.place.aliases or [place])
            out.append(Question(ask.format(name).lower(), c, kind, inc.id))
        elif kind == "dated" and inc.date.year:
            month = inc.date.month
            when = f"{MONTH_NAMES[month - 1]} {inc.date.year}" if month else str(inc.date.year)
            out.append(Question(f"how many died in {place} in {when}?", c, kind, inc.id))
        elif kind == "follow_up":
            out.append(Question(f"What happened in {place}?", c, "named", inc.id))
            for fu in rng.sample(FOLLOW_UPS, 2):
                out.append(Question(fu, c, kind, inc.id))
        elif kind == "unknown":
            out.append(Question(ask.format(rng.choice(UNKNOWN_PLACES) + " " + rng.choice(["massacre", "attack", "strike"])),
                                c, kind, None))
        elif kind == "across":  # across incidents, comparisons, yes/no, two in one: not judged as found/wrong
            other = rng.choice(incidents)
            month = MONTH_NAMES[(inc.date.month or 1) - 1]
            asked = rng.choice([
                f"Which incidents did {rng.choice(PARTIES)} deny?", f"What has {rng.choice(CLAIMANTS)} blamed on "
                f"{rng.choice(PARTIES)}?", f"Which strikes killed more than {rng.randint(5, 200)} people?",
                f"What happened in {month} {inc.date.year or 2018}?", "how many airstrikes do you know about",
                f"What was the deadliest {rng.choice(['strike', 'incident', 'shelling'])}?",
                f"Which incidents did {rng.choice(CLAIMANTS)} report on?",
                f"Was {place} deadlier than {other.place.name or other.title}?",
                f"Did {rng.choice(PARTIES)} admit the {place} strike?",
                f"Were more than {rng.randint(5, 80)} killed in {place}?",
                f"Who was blamed for the {place} strike and who denied it?",
                f"Which side is lying about {place}?"])
            out.append(Question(asked, c, kind, None))
            if rng.random() < 0.3:
                out.append(Question("and who denied them?", c, kind, None))
        else:
            out.append(Question(rng.choice(SMALL_TALK), c, kind, None))
    return out
