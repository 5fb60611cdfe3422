"""Placeholder views, replaced by the public-site work (issue 4)."""

from django.shortcuts import redirect
from django.views.generic import DetailView, ListView

from .models import Claim, Source


def home(request):
    return redirect("claims:claim-list")


class ClaimListView(ListView):
    queryset = Claim.objects.published()


class ClaimDetailView(DetailView):
    queryset = Claim.objects.published()


class SourceDetailView(DetailView):
    queryset = Source.objects.with_published_claims()
