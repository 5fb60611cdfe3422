import pytest
from django.test import Client

from .factories import ClaimFactory

pytestmark = pytest.mark.django_db


def test_robots_txt_keeps_crawlers_out_of_admin_api_and_csv_and_names_the_sitemap(client, settings):
    settings.SITE_URL = "https://claims.example.org"

    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().splitlines() == [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /api/",
        "Disallow: /claims/export.csv",
        "Sitemap: https://claims.example.org/sitemap.xml",
    ]


def test_favicon_ico_is_an_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # ICO header, then its images
    assert int.from_bytes(response.content[4:6], "little") == 2  # 16 and 32 pixels
    assert "max-age=86400" in response["Cache-Control"]


@pytest.mark.parametrize("url", ["/robots.txt", "/favicon.ico"])
def test_root_files_answer_get_and_head_only(client, url):
    assert client.head(url).status_code == 200
    assert client.post(url).status_code == 405


def test_favicon_svg_is_served_as_svg_and_needs_nothing_external(settings):
    settings.WHITENOISE_USE_FINDERS = True  # as DEBUG or collectstatic would serve it
    client = Client()  # a new handler, so that whitenoise reads the setting

    response = client.get("/static/favicon.svg")

    svg = b"".join(response.streaming_content).decode()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert [ref for ref in ("href", "url(", "<script") if ref in svg] == []


def test_every_page_links_the_icon_and_both_feeds(client):
    ClaimFactory(published=True)

    html = client.get("/claims/").content.decode()

    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    assert (
        '<link rel="alternate" type="application/atom+xml" title="Newly published claims" '
        'href="/feeds/claims.atom">'
    ) in html
    assert (
        '<link rel="alternate" type="application/atom+xml" title="Corrections and updates" '
        'href="/feeds/corrections.atom">'
    ) in html
