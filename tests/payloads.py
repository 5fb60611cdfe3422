"""Hostile strings for the hardening tests, and the checks that prove they stayed inert.

Every markup payload carries a `data-pwn` attribute: if any parsed element of a page has that
attribute, the payload became live markup instead of text. The checks parse pages with
`html.parser`, so they see what a browser would build, not just substrings.
"""

import json
from html.parser import HTMLParser

MARKER = "data-pwn"

# name -> string. Short enough for the narrowest text field (Claim.subject, 100 characters)
# unless the name says otherwise; `fit()` trims to a field's limit where needed.
MARKUP = {
    "script_tag": '<script data-pwn>alert("xss-script")</script>',
    "script_mixed_case": "<ScRiPt data-pwn>alert(1)</sCrIpT>",
    "img_onerror": "<img data-pwn src=x onerror=alert(2)>",
    "svg_onload": "<svg data-pwn onload=alert(3)>",
    "attribute_breakout_double": '"><img data-pwn src=x onerror=alert(4)>',
    "attribute_breakout_single": "'><img data-pwn src=x onerror=alert(5)>",
    "event_attribute_injection": '" onmouseover="alert(6)" data-pwn="',
    "javascript_link": '<a data-pwn href="javascript:alert(7)">click me</a>',
    "close_script_for_json_ld": '</script><script data-pwn>alert("ld")</script>',
    "close_textarea": "</textarea><img data-pwn src=x onerror=alert(8)>",
    "close_title": "</title><img data-pwn src=x onerror=alert(9)>",
    "css_injection": "</style><style data-pwn>body{background:url(https://evil.example/x)}</style>",
    "iframe": '<iframe data-pwn src="https://evil.example/"></iframe>',
    "html_comment_breakout": "--><img data-pwn src=x onerror=alert(10)><!--",
    "template_syntax": "{{ settings.SECRET_KEY }}{% debug %}<b data-pwn>x</b>",
}

TEXT = {
    "javascript_url_text": "javascript:alert(document.cookie)",
    "css_expression": "color:red;background:url(javascript:alert(1));width:expression(alert(1))",
    "rtl_override": "Kratom \u202eevah ot nwohs\u202c is safe",
    "zero_width": "Kra\u200btom\u200c hair\u200d re\ufeffgrowth",
    "sql_injection": "'; DROP TABLE claims_claim; --",
    "tsquery_syntax": "kratom & | ! <-> :* (hair",
    "formula_equals": '=HYPERLINK("https://evil.example","click")',
    "formula_plus": "+1+1",
    "formula_minus": "-2+3",
    "formula_at": "@SUM(A1:A9)",
    "formula_tab": "\t=1+1",
    "formula_cr": "\r=1+1",
    "unicode_mix": "Ǩřâťőм ⊕⊕◯◯ 💊 — « » “quoted” 日本語",
}

# A URL that a URLField accepts but that tries to break out of an href attribute.
URL_PAYLOADS = {
    "url_breakout": 'https://example.org/a?b="><img/data-pwn/src=x/onerror=alert(11)>',
    "url_attribute": 'https://example.org/"onmouseover="alert(12)"data-pwn="',
}

# Refused by validation (never stored).
NUL = "Kratom\x00 cures everything"
LONE_SURROGATE = "Kratom \ud800 cures everything"
JAVASCRIPT_URL = "javascript:alert(1)"
INVALID_UTF8_QUERY = ["%ff%fe", "%ed%a0%80", "%c0%af", "%e2%82", "%00", "a%00b"]

ALL = {**MARKUP, **TEXT}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def long_string(length: int) -> str:
    """A string of exactly `length` characters, multi-byte so byte and character limits differ."""
    unit = "Ω<b data-pwn>é</b>"
    return (unit * (length // len(unit) + 1))[:length]


def fit(payload: str, max_length: int | None) -> str:
    return payload if max_length is None else payload[:max_length]


class _PageParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.live = []  # (tag, attrs) that came from a payload or run script
        self.json_ld = []
        self.inline_scripts = []
        self.text = []
        self._script = None

    def handle_starttag(self, tag, attrs):
        names = {name for name, _ in attrs}
        if MARKER in names:
            self.live.append(f"element <{tag}> built from a payload: {attrs}")
        for name, value in attrs:
            if name.startswith("on"):
                self.live.append(f"event handler {name}={value!r} on <{tag}>")
            compact = "".join((value or "").split()).lower()
            if name in {"href", "src", "action", "formaction", "xlink:href"} and (
                compact.startswith("javascript:")
            ):
                self.live.append(f"javascript: URL in <{tag} {name}={value!r}>")
            if name == "style" and "evil.example" in (value or ""):
                self.live.append(f"CSS from a payload in <{tag} style={value!r}>")
        if tag == "script":
            attributes = dict(attrs)
            self._script = {
                "type": attributes.get("type", ""),
                "src": attributes.get("src"),
                "data": "",
            }

    def handle_data(self, data):
        if self._script is not None:
            self._script["data"] += data
        else:
            self.text.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            script, self._script = self._script, None
            if script["type"] == "application/ld+json":
                self.json_ld.append(script["data"])
            elif (
                script["type"] != "application/json"
                and not script["src"]
                and script["data"].strip()
            ):
                self.inline_scripts.append(script["data"])


def parse_page(html: str) -> _PageParser:
    parser = _PageParser()
    parser.feed(html)
    parser.close()
    return parser


def live_markup(html: str) -> list[str]:
    """Everything in `html` that a payload turned into markup or script; [] when inert."""
    page = parse_page(html)
    found = list(page.live)
    found += [f"inline script: {data[:80]!r}" for data in page.inline_scripts]
    lowered = html.lower()
    for payload in MARKUP.values():
        lowered_payload = payload.lower()
        marker_at = lowered_payload.find(MARKER)
        start = lowered_payload.rfind("<", 0, marker_at)
        if start == -1:
            continue
        fragment = lowered_payload[start : marker_at + len(MARKER)]
        if fragment in lowered:
            found.append(f"raw payload markup {fragment!r} in the page")
    return found


def json_ld_blocks(html: str) -> list:
    """The page's JSON-LD blocks, parsed; raises if one is not valid JSON."""
    return [json.loads(block) for block in parse_page(html).json_ld]
