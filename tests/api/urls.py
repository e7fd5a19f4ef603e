"""The API alone, so API tests do not depend on the web UI's URL configuration."""

from daypass.api import api_urlpatterns

urlpatterns = api_urlpatterns()
