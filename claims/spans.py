"""A reviewer's selection in a source's text, checked before it becomes a claim's quote.

Offsets come in Unicode characters (the numbered sentence list, claims' own offsets) or in
UTF-16 code units (a browser's selection: JavaScript strings count an emoji as two units).
A selection is refused, with a sentence saying why, when it is empty, runs past the text's
end, splits a character in two, or is longer than a claim's quote may be.
"""

from django.core.exceptions import ValidationError

MAX_SELECTION = 5000  # characters: a claim is a sentence or a passage, not a chapter
UNITS = ("char", "utf16")


def _offset(raw) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise ValidationError(
            "The selection's position is missing: select a passage again.", code="no_offsets"
        ) from None


def _from_utf16(text: str, start: int, end: int) -> tuple[int, int]:
    encoded = text.encode("utf-16-le", "surrogatepass")
    length = len(encoded) // 2
    if end > length:
        raise _past_end()
    for point in (start, end):
        # A low surrogate at the cut: the selection starts or ends inside a character.
        if (
            0 < point < length
            and 0xDC00 <= int.from_bytes(encoded[2 * point : 2 * point + 2], "little") <= 0xDFFF
        ):
            raise ValidationError(
                "The selection splits a character in two (half of an emoji or another "
                "character outside the basic plane). Select whole characters.",
                code="split_character",
            )
    before = len(encoded[: 2 * start].decode("utf-16-le", "surrogatepass"))
    inside = len(encoded[2 * start : 2 * end].decode("utf-16-le", "surrogatepass"))
    return before, before + inside


def _past_end() -> ValidationError:
    return ValidationError(
        "The selection runs past the end of the source's text: select a passage inside it.",
        code="past_end",
    )


def selected_span(text: str, start, end, unit: str = "char") -> tuple[int, int]:
    """(start, end) in characters of a selection in `text`, whitespace at its edges left
    out; ValidationError saying why when it cannot be a quote."""
    start, end = _offset(start), _offset(end)
    if unit not in UNITS:
        raise ValidationError("Unknown unit for the selection's position.", code="unit")
    if start < 0 or end <= start:
        raise ValidationError("Nothing is selected: select a passage first.", code="empty")
    if unit == "utf16":
        start, end = _from_utf16(text, start, end)
    elif end > len(text):
        raise _past_end()
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start == end:
        raise ValidationError("The selection holds only spaces: select words.", code="empty")
    if end - start > MAX_SELECTION:
        raise ValidationError(
            f"The selection is {end - start:,} characters; a quote may be at most "
            f"{MAX_SELECTION:,}. Select the sentence or passage that makes the claim.",
            code="too_long",
        )
    return start, end
