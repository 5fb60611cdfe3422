"""Gzip and Brotli for public responses: which coding a client gets, and the compressing.

claims.caching decides *whether* a response may be compressed (public, anonymous: never the
admin nor a page with a CSRF token, because of BREACH); this module decides how. Brotli when
the client accepts it, else gzip, else nothing; a coding the client gives q=0 is refused.

Whole responses are compressed hard enough to matter (gzip 6, Brotli 5: Brotli's levels past 5
cost several times the CPU for a few per cent). Streamed exports (CSV, NDJSON: hundreds of MB
at 1M claims) use the fastest levels (gzip 1, Brotli 0), which still shrink them several times
over, so that compressing keeps up with the export; a client that sends no Accept-Encoding (curl without
--compressed, most scripts) gets the stream untouched at full speed.
"""

import gzip
import zlib
from collections.abc import Iterable, Iterator

import brotli

# Below this a response gains nothing (Django's GZipMiddleware uses the same floor).
MIN_LENGTH = 200
PREFERENCE = ("br", "gzip")
TEXT_TYPES = {
    "application/json",
    "application/problem+json",
    "application/ld+json",
    "application/schema+json",
    "application/xml",
    "application/atom+xml",
    "application/rss+xml",
    "application/x-ndjson",
    "application/x-bibtex",
    "application/x-research-info-systems",
    "application/javascript",
    "image/svg+xml",
}


def compressible(content_type: str) -> bool:
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind.startswith("text/") or kind in TEXT_TYPES or kind.endswith(("+json", "+xml"))


def accepted(header: str) -> str | None:
    """The coding to use for an Accept-Encoding header: "br", "gzip" or None."""
    weights = {}
    for part in header.lower().split(","):
        name, _, params = part.strip().partition(";")
        weight = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if name:
            weights[name.strip()] = weight
    wildcard = weights.get("*", 0.0)
    usable = [(weights.get(name, wildcard), -rank, name) for rank, name in enumerate(PREFERENCE)]
    weight, _, name = max(usable)
    return name if weight > 0 else None


def compress(body: bytes, coding: str) -> bytes:
    if coding == "br":
        return brotli.compress(body, quality=5)
    return gzip.compress(body, compresslevel=6, mtime=0)


def compress_stream(chunks: Iterable[bytes], coding: str) -> Iterator[bytes]:
    """Compress a streamed body chunk by chunk.

    If the body fails part-way (the exports then end with a line saying so, and raise), what
    was compressed so far is flushed and the stream stops without its end marker, so the
    client's decompressor reports a cut file: a cut download never looks complete.
    """
    if coding == "br":
        compressor = brotli.Compressor(quality=0)
        feed, flush, finish = compressor.process, compressor.flush, compressor.finish
    else:
        compressor = zlib.compressobj(1, zlib.DEFLATED, 31)  # 31: a gzip header and trailer
        feed, finish = compressor.compress, compressor.flush

        def flush():
            return compressor.flush(zlib.Z_SYNC_FLUSH)

    try:
        for chunk in chunks:
            data = feed(chunk)
            if data:
                yield data
    except Exception:
        yield flush()
        raise
    yield finish()
