app_name = "developer"
urlpatterns: list = []
