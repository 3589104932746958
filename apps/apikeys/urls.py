app_name = "apikeys"
urlpatterns: list = []
