"""What crawlers and browsers ask of the site's root: /robots.txt and /favicon.ico."""

from functools import cache

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

# The admin and the API are not for search engines; nor is the full CSV, a million rows
# that the footer links to on every page.
DISALLOWED = ("/admin/", "/api/", "/claims/export.csv")


@require_safe
def robots_txt(request):
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in DISALLOWED)]
    lines.append(f"Sitemap: {settings.SITE_URL}/sitemap.xml")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@cache
def _favicon() -> bytes:
    with open(finders.find("favicon.ico"), "rb") as icon:
        return icon.read()


@require_safe
def favicon(request):
    """static/favicon.ico (static/favicon.svg at 16 and 32 pixels): browsers ask for
    /favicon.ico whatever the page links to."""
    response = HttpResponse(_favicon(), content_type="image/x-icon")
    patch_cache_control(response, public=True, max_age=86400)
    return response
