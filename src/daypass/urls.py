from django.urls import include, path

from daypass.api import api_urlpatterns

urlpatterns = [
    *api_urlpatterns(),
    path("", include("daypass.web.urls")),
]
