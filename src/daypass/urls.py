from django.urls import include, path

urlpatterns = [
    # path("api/v1/", api.urls) is added by daypass.api
    path("", include("daypass.web.urls")),
]
