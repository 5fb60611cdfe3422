"""The admin site: Django's, with two guards every admin page shares.

- "View on site" (`/admin/r/<content type>/<id>/`) leads only where the object's ModelAdmin
  offers the link, and only for someone who may view the object: Django's own shortcut
  redirected any staff account to any object's public URL, which told an unpublished claim's
  slug (close to its statement) to accounts in no group.
- A NUL character in an admin address is refused with a 400: PostgreSQL refuses NUL in text,
  so a list filter given one (`?status__exact=%00`) failed with a 500. So is an action on
  selected ids that are not whole numbers (every model registered here has an integer key;
  tests/test_adminsite.py checks that), which failed with a 500 as well.

Installed as "claims.adminsite.AdminConfig" in place of "django.contrib.admin".
"""

from functools import update_wrapper

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpResponseBadRequest, HttpResponseRedirect
from django.urls import path


class AdminConfig(DjangoAdminConfig):
    default_site = "claims.adminsite.AdminSite"


def _refusal(request, args, kwargs) -> str:
    """Why the admin cannot answer this request (a 400), or "" when it can."""
    from .filters import parse_id

    values = [*args, *kwargs.values()]
    values += [item for key, items in request.GET.lists() for item in (key, *items)]
    if any("\x00" in value for value in values if isinstance(value, str)):
        return "this address holds a null character (%00), which no admin page takes."
    if request.method == "POST" and any(
        parse_id(pk) is None for pk in request.POST.getlist(ACTION_CHECKBOX_NAME)
    ):
        return "an action was asked for on ids that are not whole numbers."
    return ""


class AdminSite(admin.AdminSite):
    def admin_view(self, view, cacheable=False):
        guarded = super().admin_view(view, cacheable)

        def inner(request, *args, **kwargs):
            if reason := _refusal(request, args, kwargs):
                return HttpResponseBadRequest(
                    f"Bad request: {reason}", content_type="text/plain; charset=utf-8"
                )
            return guarded(request, *args, **kwargs)

        return update_wrapper(inner, guarded)

    def get_urls(self):
        shortcut = path(
            "r/<path:content_type_id>/<path:object_id>/",
            self.admin_view(self.view_on_site),
            name="view_on_site",
        )
        return [
            shortcut if getattr(url, "name", None) == "view_on_site" else url
            for url in super().get_urls()
        ]

    def view_on_site(self, request, content_type_id, object_id):
        """Redirect to the object's public page, when its ModelAdmin offers one to this user.

        A 404 alike for a missing object, one the user may not view, and one without a
        public page (an unpublished claim), so the answer tells nothing about which it is.
        """
        from django.contrib.contenttypes.models import ContentType

        from .filters import parse_id

        model = None
        if (type_id := parse_id(content_type_id)) is not None:
            content_type = ContentType.objects.filter(pk=type_id).first()
            model = content_type.model_class() if content_type else None
        model_admin = self._registry.get(model)
        obj = model_admin.get_object(request, unquote(object_id)) if model_admin else None
        if obj is None or not model_admin.has_view_or_change_permission(request, obj):
            raise Http404("No page to show.")
        if callable(model_admin.view_on_site):
            url = model_admin.view_on_site(obj)
        elif model_admin.view_on_site and hasattr(obj, "get_absolute_url"):
            url = obj.get_absolute_url()
        else:
            url = None
        if not url:
            raise Http404("No page to show.")
        return HttpResponseRedirect(url)
