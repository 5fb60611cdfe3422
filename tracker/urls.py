from django.contrib import admin
from django.urls import include, path

from claims import crawlers, health
from claims.sitemaps import sitemap_index, sitemap_section

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", health.healthz),
    path("robots.txt", crawlers.robots_txt, name="robots"),
    path("favicon.ico", crawlers.favicon, name="favicon"),
    path("api/v1/", include("claims.api.urls")),
    # An index, so that a million claims spread over sitemap pages of 10,000 URLs each.
    path("sitemap.xml", sitemap_index, name="sitemap"),
    path("sitemap-<section>.xml", sitemap_section, name="sitemap-section"),
    path("", include("claims.urls")),
]
