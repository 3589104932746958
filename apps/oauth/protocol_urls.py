# Protocol endpoints that Gatehouse serves itself or wraps (owned by the authorization-server work).
urlpatterns: list = []
