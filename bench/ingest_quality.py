"""How well `ingest` reads articles: per claim kind, recall and precision against reviewed facts.

    python bench/ingest_quality.py                       # the bundled articles (see PAIRS)
    python bench/ingest_quality.py ARTICLE REVIEWED.yaml [ARTICLE REVIEWED.yaml ...]

Each article is ingested into an empty database (nothing known, so everything is proposed) and its
proposals are compared with the reviewed YAML. A proposed claim is right when it is on the right incident,
of the same kind, by the same claimant, with the same value:
- incident: the proposed incident's place (or, without one, its date) is the reviewed incident's;
- claimant: the same party, by name, acronym ("the SARC" is "the Syrian Arab Red Crescent (SARC)"), the name
  before its description ("Brett McGurk, the US president's envoy" is "Brett McGurk") or the reviewed
  parties' aliases;
- value: casualties by measure, qualifier and figure ("Thirty-eight" is 38); blame, denial, perpetrator and
  claims by party as for claimants; victims and notes, free text, by the sentence they come from (the
  reviewed quote lies in the proposed one) or by sharing at least half their content words.
Each reviewed claim is matched at most once. Recall: reviewed claims matched; precision: proposed claims
that match one.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.facts.dataset import Dataset, load_dataset  # noqa: E402
from bot.facts.kinds import CLAIM_KINDS  # noqa: E402
from bot.facts.models import Incident  # noqa: E402
from bot.ingest.extract import propose  # noqa: E402
from bot.ingest.match import match_known, party_aliases, same_claim  # noqa: E402
from bot.ingest.reader import read_source  # noqa: E402

PAIRS = [
    ("data/articles/2018-06-19-afp-beirut.txt", "data/incidents.yaml"),
    ("data/articles/2016-09-20-bbc-beirut.txt", "bench/ingest/2016-09-20-bbc-beirut.yaml"),
    ("data/articles/2018-08-10-aljazeera-sanaa.txt", "bench/ingest/2018-08-10-aljazeera-sanaa.yaml"),
    ("data/articles/2019-07-03-reuters-tripoli.txt", "bench/ingest/2019-07-03-reuters-tripoli.yaml"),
]
@dataclass
class Score:
    reviewed: int = 0
    proposed: int = 0
    right: int = 0
    misses: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)


def incident_map(proposed: list[Incident], reviewed: list[Incident]) -> dict[str, str]:
    out: dict[str, str] = {}
    for p in proposed:
        pk = {n.lower() for n in [p.place.name, *p.place.aliases] if n}
        for r in reviewed:
            rk = {n.lower() for n in [r.place.name, *r.place.aliases, r.place.region] if n}
            if pk & rk and r.id not in out.values():
                out[p.id] = r.id
                break
        else:
            for r in reviewed:
                if p.date.value and p.date.value == r.date.value and r.id not in out.values():
                    out[p.id] = r.id
                    break
    return out


def score(article: str, reviewed_file: str) -> dict[str, Score]:
    reviewed = load_dataset(ROOT / reviewed_file if not Path(reviewed_file).is_absolute() else reviewed_file)
    proposal = match_known(propose(read_source(str(ROOT / article if not Path(article).is_absolute() else article))),
                           Dataset())
    got = proposal.dataset
    aliases = party_aliases(reviewed.parties)
    where = incident_map(got.incidents, reviewed.incidents)
    scores = {k: Score() for k in CLAIM_KINDS}
    for r in reviewed.claims:
        scores[r.kind].reviewed += 1
    free = list(reviewed.claims)
    for p in got.claims:
        s = scores[p.kind]
        s.proposed += 1
        hit = next((r for r in free if r.kind == p.kind and r.incident == where.get(p.incident)
                    and same_claim(p, r, aliases)), None)
        if hit is None:
            s.wrong.append(f"{p.incident}: {p.kind} {show(p.value)} by {p.claimant}")
        else:
            s.right += 1
            free.remove(hit)
    for r in free:
        scores[r.kind].misses.append(f"{r.incident}: {r.kind} {show(r.value)} by {r.claimant}")
    return scores


def show(value: Any) -> str:
    return value.get("text", "") if isinstance(value, dict) else str(value)[:70]


def pct(a: int, b: int) -> str:
    return f"{100 * a / b:.0f}%" if b else "–"


def main(argv: list[str]) -> int:
    if len(argv) % 2:
        print("usage: ingest_quality.py [ARTICLE REVIEWED.yaml ...]", file=sys.stderr)
        return 2
    pairs = list(zip(argv[::2], argv[1::2])) or PAIRS
    verbose = True  # every miss and every wrong proposal, to see what a rule should catch
    print("| article | kind | reviewed | proposed | right | recall | precision |")
    print("|---|---|---:|---:|---:|---:|---:|")
    failed = False
    details: list[str] = []
    totals = {k: Score() for k in CLAIM_KINDS}
    for article, reviewed in pairs:
        scores = score(article, reviewed)
        for kind, s in scores.items():
            for a in ("reviewed", "proposed", "right"):
                setattr(totals[kind], a, getattr(totals[kind], a) + getattr(s, a))
        name = Path(article).stem
        for kind, s in scores.items():
            if s.reviewed or s.proposed:
                print(f"| {name} | {kind} | {s.reviewed} | {s.proposed} | {s.right} | {pct(s.right, s.reviewed)} "
                      f"| {pct(s.right, s.proposed)} |")
            details += [f"  {name} missed: {m}" for m in s.misses] + [f"  {name} wrong: {w}" for w in s.wrong]
        rv, pr, rt = (sum(getattr(s, a) for s in scores.values()) for a in ("reviewed", "proposed", "right"))
        print(f"| **{name}** | **all** | {rv} | {pr} | {rt} | **{pct(rt, rv)}** | **{pct(rt, pr)}** |")
        failed |= not (rv and pr and rt / rv >= 0.9 and rt / pr >= 0.9)
    print("\n| all articles | kind | reviewed | proposed | right | recall | precision |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for kind, s in totals.items():
        print(f"| {len(pairs)} | {kind} | {s.reviewed} | {s.proposed} | {s.right} | {pct(s.right, s.reviewed)} "
              f"| {pct(s.right, s.proposed)} |")
    if verbose and details:
        print("\n" + "\n".join(details))
    print(f"\ntarget recall and precision >= 90% on each article: {'not met' if failed else 'met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
