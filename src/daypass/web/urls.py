from django.urls import path

from daypass.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.home, name="login"),
]
