"""Wiring: the middleware only people's requests need, wrapped to skip machine requests
(`apps.core.middleware.for_people`); settings.MIDDLEWARE names these, in their usual order.

Not allauth's AccountMiddleware: allauth refuses to start unless its own dotted path is in
MIDDLEWARE. On a machine request it reads no session and no database (it sets `request.allauth`
and a context variable; its redirect is for 404s at /accounts/ only).
"""

from apps.core.middleware import for_people

SessionMiddleware = for_people("django.contrib.sessions.middleware.SessionMiddleware")
CsrfViewMiddleware = for_people("django.middleware.csrf.CsrfViewMiddleware")
AuthenticationMiddleware = for_people("django.contrib.auth.middleware.AuthenticationMiddleware")
PrivatePagesMiddleware = for_people("apps.core.middleware.PrivatePagesMiddleware")
MessageMiddleware = for_people("django.contrib.messages.middleware.MessageMiddleware")
UserSessionsMiddleware = for_people("allauth.usersessions.middleware.UserSessionsMiddleware")
NewDeviceMiddleware = for_people("apps.accounts.middleware.NewDeviceMiddleware")
HtmxMiddleware = for_people("django_htmx.middleware.HtmxMiddleware")
SocialAuthErrorMiddleware = for_people("apps.social.middleware.SocialAuthErrorMiddleware")
