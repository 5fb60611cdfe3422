"""Public profiles: each reviewer and editor keeps their own; an administrator keeps anyone's."""

from django.contrib import admin

from ..models import PublicProfile


@admin.register(PublicProfile)
class PublicProfileAdmin(admin.ModelAdmin):
    list_display = ("public_name", "user")
    search_fields = ("public_name", "user__username")

    def get_queryset(self, request):
        profiles = super().get_queryset(request).select_related("user")
        return profiles if request.user.is_superuser else profiles.filter(user=request.user)

    def get_fields(self, request, obj=None):
        own = ("public_name", "conflicts")
        return ("user", *own) if request.user.is_superuser else own

    def has_add_permission(self, request):
        if request.user.is_superuser:
            return True
        mine = PublicProfile.objects.filter(user=request.user).exists()
        return not mine and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        if request.user.is_superuser:
            return True
        return (obj is None or obj.user_id == request.user.pk) and super().has_change_permission(
            request, obj
        )

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj) and obj is not None

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            obj.user = request.user  # a reviewer keeps their own profile, never another's
        super().save_model(request, obj, form, change)
