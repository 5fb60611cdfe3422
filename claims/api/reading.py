"""The OpenAPI document arranged for /api/v1/docs/: each endpoint with its parameters,
responses and an example request, and each schema's fields, as plain values for the template.
"""

import re
from urllib.parse import urlencode

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify

EXAMPLE_QUERY_PARAMETERS = 2  # how many of an operation's parameters its example request sets


def prose(text: str) -> SafeString:
    """A description as HTML: escaped, with its `code spans` (the document's Markdown, as
    OpenAPI allows) as <code>."""
    return mark_safe(re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(text)))  # nosec B308 B703 # escaped first


def arrange(document: dict) -> dict:
    server = document["servers"][0]["url"]
    schemas = document["components"]["schemas"]
    return {
        "title": document["info"]["title"],
        "summary": document["info"]["summary"],
        "version": document["info"]["version"],
        "openapi": document["openapi"],
        "server": server,
        "endpoints": [
            _endpoint(server, path, method, body)
            for path, item in document["paths"].items()
            for method, body in item.items()
        ],
        "schemas": [_schema(name, schema) for name, schema in schemas.items()],
    }


def describe(schema: dict) -> dict:
    """What a value is, in words: its type (a schema's name when it is one), whether it may be
    null, and its allowed values when they are a list."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return {"type": name, "ref": anchor(name), "nullable": False, "values": []}
    if "oneOf" in schema:
        kinds = [describe(option) for option in schema["oneOf"]]
        shown = next(kind for kind in kinds if kind["type"] != "null")
        return {**shown, "nullable": any(kind["type"] == "null" for kind in kinds)}
    kinds = schema.get("type", "any")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    kind = next((k for k in kinds if k != "null"), "null")
    described = {"type": kind, "ref": "", "nullable": "null" in kinds, "values": []}
    if kind == "array":
        item = describe(schema["items"])
        described.update(type=f"array of {item['type']}", ref=item["ref"], values=item["values"])
    elif "format" in schema:
        described["type"] = f"{kind} ({schema['format']})"
    if "enum" in schema:
        described["values"] = [_shown(value) for value in schema["enum"] if value is not None]
    for key, words in (
        ("minimum", "at least"),
        ("maximum", "at most"),
        ("maxLength", "at most {} characters"),
        ("maxItems", "at most {} values"),
    ):
        if key in schema:
            words = words.format(schema[key]) if "{}" in words else f"{words} {schema[key]}"
            described.setdefault("limits", []).append(words)
    return described


def anchor(name: str) -> str:
    return f"schema-{slugify(name)}"


def _shown(value) -> str:
    return '""' if value == "" else str(value)


def _endpoint(server: str, path: str, method: str, body: dict) -> dict:
    parameters = [
        {
            "name": p["name"],
            "where": p["in"],
            "required": p.get("required", False),
            "description": prose(p.get("description", "")),
            "example": p.get("example"),
            "repeatable": p["schema"].get("type") == "array",
            **describe(p["schema"]),
        }
        for p in body.get("parameters", [])
    ]
    responses = []
    for status, response in body["responses"].items():
        for content_type, media in response.get("content", {None: {}}).items():
            responses.append(
                {
                    "status": status,
                    "description": prose(response["description"]),
                    "content_type": content_type or "",
                    **describe(media.get("schema", {"type": "null"})),
                }
            )
    return {
        "id": body["operationId"],
        "method": method.upper(),
        "path": path,
        "summary": body["summary"],
        "description": prose(body["description"]),
        "parameters": parameters,
        "responses": responses,
        "curl": f"curl -s '{example_url(server, path, parameters)}'",
    }


def example_url(server: str, path: str, parameters: list[dict]) -> str:
    for parameter in parameters:
        if parameter["where"] == "path":
            path = path.replace(f"{{{parameter['name']}}}", str(parameter["example"]))
    pairs = []
    for parameter in parameters:
        if parameter["where"] == "query" and parameter["example"] is not None:
            value = parameter["example"]
            pairs.append((parameter["name"], value[0] if isinstance(value, list) else value))
    query = urlencode(pairs[:EXAMPLE_QUERY_PARAMETERS])
    return f"{server}{path}" + (f"?{query}" if query else "")


def _schema(name: str, schema: dict) -> dict:
    required = set(schema.get("required", []))
    return {
        "name": name,
        "anchor": anchor(name),
        "description": prose(schema.get("description", "")),
        "fields": [
            {
                "name": field,
                "required": field in required,
                "description": prose(value.get("description", "")),
                **describe(value),
            }
            for field, value in schema.get("properties", {}).items()
        ],
    }
