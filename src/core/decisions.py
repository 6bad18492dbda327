"""The answer of a permission check, shared by every app: allowed, or refused with a code and a sentence
for people (and the verification methods that would unlock the action)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    """Truthy when allowed; otherwise ``code`` (e.g. ``login_required``, ``verification_required``,
    ``not_open``) and ``reason`` say why."""

    allowed: bool
    code: str = "ok"
    reason: str = ""
    # Methods any one of which would make the action allowed (for "verify to take part" prompts).
    methods: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.allowed
