"""Where a form may send the user back to: one check for every `next` and `back` field.

Browsers strip tab, CR and LF inside URLs and read a backslash as a slash, so `/\t/evil.example`
and `/\\evil.example` both leave the site. A target is accepted only when, after that same
normalisation, it is a path on this site (no scheme, no host) and holds no control character.
"""

from __future__ import annotations

from urllib.parse import urlsplit

MAX_TARGET = 2048


def local_target(target: str | None, prefix: str = "/") -> str | None:
    """`target` when it is a local path under `prefix`, else None."""
    if not target or len(target) > MAX_TARGET:
        return None
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return None
    if "\\" in target or not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(prefix):
        return None
    if any(segment == ".." for segment in parts.path.split("/")):
        return None
    return target
