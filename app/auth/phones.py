"""Mainland China mobile numbers: one normal form for storage and lookup."""
from __future__ import annotations

import re

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_SEPARATORS = re.compile(r"[\s\-()]")


def normalize_phone(raw: str) -> str | None:
    """'+86 138-0000-0000' → '13800000000'; None if it is not a mainland mobile number."""
    phone = _SEPARATORS.sub("", raw or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("0086"):
        phone = phone[4:]
    elif len(phone) == 13 and phone.startswith("86"):
        phone = phone[2:]
    return phone if _MOBILE.match(phone) else None
