"""Fingerprint of the counted ballots, so that a published result can be reproduced.

The digest is the SHA-256 of a canonical text serialisation of the ballot multiset:
each distinct ballot (JSON-quoted project ids in id order -- ranking order for
ordinal ballots -- with their scores unless all are 1) with its number of voters,
one per line, lines sorted.
It therefore does not depend on the order of the ballots, of the projects, or of the
ids inside an approval ballot, but changes as soon as one vote changes.
"""

from __future__ import annotations

import hashlib
import json

from tenant_apps.budgets.rules.model import number_to_text
from tenant_apps.budgets.rules.profile import Profile

DIGEST_VERSION = "fluicity-ballots-digest/1"


def ballots_digest(profile: Profile) -> str:
    """Return ``"sha256:<hex>"`` for the ballots of ``profile``."""
    # JSON-quoted ids cannot contain the separators used below, whatever the id text.
    quoted = [json.dumps(project_id, ensure_ascii=False) for project_id in profile.project_ids]
    lines = []
    # Profile groups list projects in id order (ranking order for ordinal ballots), so
    # they are canonical already.
    if profile.scores is None:
        for group, weight in zip(profile.groups, profile.weights, strict=True):
            lines.append(f"{weight}*[{','.join(map(quoted.__getitem__, group))}]")
    else:
        for group, scores, weight in zip(profile.groups, profile.scores, profile.weights, strict=True):
            items = ",".join(f"{quoted[p]}:{number_to_text(score)}" for p, score in zip(group, scores, strict=True))
            lines.append(f"{weight}*[{items}]")
    lines.sort()
    payload = "\n".join([DIGEST_VERSION, profile.vote_type, *lines])
    return "sha256:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()
