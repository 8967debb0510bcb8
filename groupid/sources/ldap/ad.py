"""What Active Directory stores its own way: the objectGUID, and the disabled bit of userAccountControl.

``sAMAccountName`` and ``userPrincipalName`` need nothing of their own: they are attributes like any other, and
may be named in ``columns:`` (``userPrincipalName`` as the ``email``, say).
"""

from __future__ import annotations

import uuid

from groupid.text import quoted

OBJECT_GUID = "objectGUID"
"""The anchor of an Active Directory entry: fixed when the object is created, kept across renames and moves."""
USER_ACCOUNT_CONTROL = "userAccountControl"
"""The attribute whose bits say, among other things, whether the account is disabled."""
ACCOUNT_DISABLE = 0x2
"""The ACCOUNTDISABLE bit of userAccountControl: set, the person is a leaver; cleared again, a rehire."""


def guid_text(raw: bytes) -> str:
    """An objectGUID's 16 bytes as GUID text (``3f2504e0-4f89-11d3-9a0c-0305e82c3301``): lower case, no braces.

    Active Directory stores the first three fields little-endian, so the bytes are not the text's hex digits in
    order. Raises ValueError for anything but 16 bytes.
    """
    if len(raw) != 16:
        raise ValueError(f"an objectGUID is 16 bytes, not {len(raw)}")
    return str(uuid.UUID(bytes_le=raw))


def is_disabled(text: str) -> bool:
    """Whether a userAccountControl value (its decimal text) has the ACCOUNTDISABLE bit set; raises ValueError
    when the text is not a number."""
    try:
        flags = int(text.strip())
    except ValueError:
        raise ValueError(f"userAccountControl {quoted(text)} is not a number") from None
    return bool(flags & ACCOUNT_DISABLE)
