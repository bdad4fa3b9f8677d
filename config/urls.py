from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from core import views as core_views

admin.site.site_header = _("Statistical reporting system administration")
admin.site.site_title = _("Administration")
admin.site.index_title = _("System administration")

urlpatterns = [
    path("", core_views.home, name="home"),
    path("tai-khoan/", include("accounts.urls")),
    path("don-vi/", include("orgunits.urls")),
    path("bieu-mau/", include("forms.urls")),
    path("nhap-excel/", include("imports.urls")),
    path("bao-cao/", include("reporting.urls")),
    path("chi-tieu/", include("indicators.urls")),
    path("tong-hop/", include("workflow.urls_consolidation")),
    path("kiem-tra-hang-loat/", include("validation.urls_batch")),
    path("duyet/", include("workflow.urls")),
    path("kiem-tra/", include("validation.urls")),
    path("api/", include("api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("quan-tri/", admin.site.urls),
    path("healthz", core_views.health, name="health"),
]

handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
