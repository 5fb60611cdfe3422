from django.urls import path

from . import citations, feeds, views

app_name = "claims"

urlpatterns = [
    path("", views.home, name="home"),
    path("claims/", views.claim_list, name="claim-list"),
    # Literal route first, so it never depends on what the slug pattern accepts.
    path("claims/export.csv", views.claim_export, name="claim-export"),
    path("claims/<slug:slug>/", views.claim_detail, name="claim-detail"),
    path("claims/<slug:slug>/report/", views.claim_report, name="claim-report"),
    path(
        "claims/<slug:slug>/references.<str:fmt>",
        citations.claim_references,
        name="claim-references",
    ),
    path("citations/<int:pk>/", citations.citation_detail, name="citation-detail"),
    path("citations/<int:pk>.<str:fmt>", citations.citation_download, name="citation-download"),
    path("sources/", views.SourceListView.as_view(), name="source-list"),
    path("sources/<int:pk>/", views.SourceDetailView.as_view(), name="source-detail"),
    path("methodology/", views.MethodologyView.as_view(), name="methodology"),
    path("feeds/claims.atom", feeds.ClaimFeed(), name="feed-claims"),
    path("feeds/corrections.atom", feeds.CorrectionFeed(), name="feed-corrections"),
]
