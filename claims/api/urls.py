from django.urls import path, re_path

from . import views

app_name = "api"

urlpatterns = [
    path("", views.index, name="index"),
    path("claims/", views.claims, name="claims"),
    # Literal routes first, so they never depend on what the slug pattern accepts.
    path("claims.ndjson", views.claims_ndjson, name="claims-ndjson"),
    path("claims/<slug:slug>/", views.claim, name="claim"),
    path("sources/", views.sources, name="sources"),
    path("sources/<int:pk>/", views.source, name="source"),
    path("citations/", views.citations, name="citations"),
    path("citations/<int:pk>/", views.citation, name="citation"),
    path("openapi.json", views.openapi, name="openapi"),
    path("docs/", views.docs, name="docs"),
    # Anything else under the API is a problem document, not the site's HTML 404 page; [\s\S]
    # and \Z, not . and $, so a path with a newline in it is "anything else" too.
    re_path(r"^(?P<rest>[\s\S]*)\Z", views.unknown, name="unknown"),
]
