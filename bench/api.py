"""The benchmark's JSON API pages (issue 19): each /claims/ page the benchmark measures has an
API twin (`/api/v1/claims/?<the same query>`, the same target: the API's list pages must meet
the page's), the claim page's is `/api/v1/claims/<slug>/` (≤ 5 ms), and the texts' and works'
lists are measured at their first and a deep page. `?rated_down=` is measured on both."""

from urllib.parse import urlsplit

from django.db.models import Max
from django.urls import reverse

from claims.models import Citation, Source

API_LIST_TARGET_MS = 50  # any API list page, as any /claims/ page


def with_api_twins(pages: list[dict]) -> list[dict]:
    """`pages` (the benchmark's page dicts), with the rated-down filter's page, then an API
    twin of every claims list page and of the claim page, then the other API lists."""
    claim_list, api_claims = reverse("claims:claim-list"), reverse("api:claims")
    pages = [
        *pages,
        _page("list_rated_down", f"{claim_list}?rated_down=risk_of_bias", 50,
              "/claims/?rated_down=risk_of_bias (a GRADE domain, counted exactly)"),
    ]  # fmt: skip
    twins = []
    for page in pages:
        path, _, query = page["url"].partition("?")
        if path == claim_list:
            url = api_claims + (f"?{query}" if query else "")
            twins.append(_page(f"api_{page['name']}", url, page["target_ms"],
                               f"API twin of {page['label']}"))  # fmt: skip
        elif page["name"] == "claim":
            slug = urlsplit(page["url"]).path.rstrip("/").rsplit("/", 1)[-1]
            twins.append(_page("api_claim", reverse("api:claim", args=[slug]), 5,
                               "API claim document (evidence, texts, assessment, log)"))  # fmt: skip
    deep_source, deep_work = _middle_id(Source), _middle_id(Citation)
    twins += [
        _page("api_sources", reverse("api:sources"), API_LIST_TARGET_MS, "API texts, first page"),
        _page("api_sources_deep", f"{reverse('api:sources')}?after={deep_source}",
              API_LIST_TARGET_MS, "API texts, a page halfway (by cursor)"),
        _page("api_citations", reverse("api:citations"), API_LIST_TARGET_MS,
              "API cited works, first page"),
        _page("api_citations_deep", f"{reverse('api:citations')}?after={deep_work}",
              API_LIST_TARGET_MS, "API cited works, a page halfway (by cursor)"),
    ]  # fmt: skip
    return pages + twins


def _page(name: str, url: str, target_ms, label: str) -> dict:
    return {"name": name, "url": url, "target_ms": target_ms, "label": label}


def _middle_id(model) -> int:
    """An id halfway through the table: a cursor may name any id, listed or not."""
    return (model.objects.aggregate(top=Max("pk"))["top"] or 0) // 2
