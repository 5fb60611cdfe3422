from django.conf import settings


def site(request):
    """The organisation's name and public base URL, for titles and canonical links."""
    return {"SITE_NAME": settings.SITE_NAME, "SITE_URL": settings.SITE_URL}
