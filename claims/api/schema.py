"""The OpenAPI 3.1 document of /api/v1/ (being written)."""


def document() -> dict:
    return {"openapi": "3.1.0"}


def reading() -> dict:
    return document()
