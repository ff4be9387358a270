"""Pictures for a catalog's services, made here so they load offline: a small square PNG in a
colour of the service's own (from its id), the same on every run. The real catalog points at
images on a CDN, which a sandbox with no network cannot fetch."""
from __future__ import annotations

import hashlib
import struct
import zlib
from functools import lru_cache

SIDE = 64
PATH = "/_mock/pictures"        # served here (control/views.py), as PATH/<name>.png


def url(base: str, name: str) -> str:
    return f"{base}{PATH}/{name}.png"


@lru_cache(maxsize=256)
def png(name: str) -> bytes:
    red, green, blue = hashlib.sha256(name.encode("utf-8", "surrogatepass")).digest()[:3]
    row = b"\x00" + bytes((red, green, blue)) * SIDE          # filter byte 0, then the pixels
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", SIDE, SIDE, 8, 2, 0, 0, 0))
            + _chunk(b"IDAT", zlib.compress(row * SIDE, 9)) + _chunk(b"IEND", b""))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
