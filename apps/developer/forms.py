"""The app registration form: a ModelForm, so DOT's Application.clean() still runs after ours."""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import QueryDict
from django.utils.translation import get_language, gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from apps.core.scopes import CATALOGUE, Kind
from apps.developer.client_auth import CLIENT_AUTH_FIELDS, ClientAuthFields
from apps.developer.services import LOGO, normalize_logo
from apps.developer.validators import check_origin, check_redirect_uri, clean_uri_list, split_uris
from apps.oauth import backchannel, supported
from apps.oauth.models import Application

JUSTIFICATION_MAX = 120

SCOPE_GROUPS = {
    Kind.IDENTITY: _("Who people are"),
    Kind.READ: _("Read their data"),
    Kind.CHANGE: _("Change their data"),
    Kind.SENSITIVE: _("Sensitive (staff only)"),
}

CONFIDENTIAL, PUBLIC = Application.CLIENT_CONFIDENTIAL, Application.CLIENT_PUBLIC
AUTH_CODE = Application.GRANT_AUTHORIZATION_CODE
CLIENT_CREDENTIALS = Application.GRANT_CLIENT_CREDENTIALS
DEVICE_CODE = Application.GRANT_DEVICE_CODE
TOKEN_EXCHANGE = supported.TOKEN_EXCHANGE_GRANT

GRANT_WORDS = {
    AUTH_CODE: (_("Authorization code with PKCE"), _("People sign in at Gatehouse and approve your app.")),
    CLIENT_CREDENTIALS: (
        _("Client credentials"),
        _("Your server calls the API as itself, with no person involved."),
    ),
    DEVICE_CODE: (
        _("Device code"),
        _("People approve a TV or device by typing a short code on their phone."),
    ),
    TOKEN_EXCHANGE: (
        _("Token exchange"),
        _(
            "Native apps turn a Google, GitHub or Facebook sign-in into tokens; servers swap "
            "an access token for a narrower one. Needs another grant too."
        ),
    ),
}
# What the server supports, in its order: implicit, password and hybrid never (RFC 9700 §2.1.2,
# §2.4). A grant added there without words here fails at import, not on the page.
GRANTS = {grant: GRANT_WORDS[grant] for grant in supported.APPLICATION_GRANTS}
CLIENT_TYPES = {
    CONFIDENTIAL: (
        pgettext_lazy("client type", "Confidential"),
        _("Runs on a server you control and can keep a client secret."),
    ),
    PUBLIC: (
        pgettext_lazy("client type", "Public"),
        _("Runs in a browser or on people's devices; it cannot keep a secret and relies on PKCE."),
    ),
}


@dataclass(frozen=True)
class AppKind:
    """What the developer is building: sensible starting values, all of them editable."""

    slug: str
    title: str
    summary: str
    client_type: str
    grant_types: list[str]
    scopes: list[str]
    redirect_example: str = ""
    examples: list[str] = field(default_factory=list)

    @property
    def in_a_sentence(self) -> str:
        """The title inside a sentence: "web server app", but _("TV or device") keeps its capitals."""
        title = str(self.title)
        first = title.split()[0]
        # German capitalises nouns, so "Webserver-App" keeps its capital inside a sentence too.
        if first.isupper() or (get_language() or "").startswith("de"):
            return title
        return title[:1].lower() + title[1:]

    @property
    def initial(self) -> dict:
        return {
            "client_type": self.client_type,
            "grant_types": self.grant_types,
            "allowed_scopes": self.scopes,
        }


KINDS = {
    kind.slug: kind
    for kind in [
        AppKind(
            "web",
            _("Web server app"),
            _("Signs people in from your server, which keeps a client secret."),
            CONFIDENTIAL,
            [AUTH_CODE],
            ["openid", "profile", "email"],
            "https://app.example.com/auth/callback",
            ["Django", "Rails", "Express", "Laravel"],
        ),
        AppKind(
            "spa",
            _("Single-page app"),
            _("Runs entirely in the browser, so it uses PKCE instead of a secret."),
            PUBLIC,
            [AUTH_CODE],
            ["openid", "profile", "email"],
            "https://app.example.com/callback",
            ["React", "Vue", "Svelte", "Angular"],
        ),
        AppKind(
            "native",
            _("Native or mobile app"),
            _("Installed on phones or computers; redirects to a loopback IP or its own scheme."),
            PUBLIC,
            [AUTH_CODE],
            ["openid", "profile", "email"],
            "com.example.app:/oauth/callback",
            ["iOS", "Android", _("desktop"), "CLI"],
        ),
        AppKind(
            "service",
            _("Machine-to-machine service"),
            _("A backend, job or script that calls the API as itself."),
            CONFIDENTIAL,
            [CLIENT_CREDENTIALS],
            ["read"],
            "",
            [_("cron jobs"), _("microservices"), "CI"],
        ),
        AppKind(
            "device",
            _("TV or device"),
            _("Has no keyboard or browser: people approve it on their phone."),
            PUBLIC,
            [DEVICE_CODE],
            ["openid", "profile"],
            "",
            [_("smart TVs"), _("consoles"), _("printers")],
        ),
    ]
}


URI_FIELDS = ("redirect_uris", "post_logout_redirect_uris", "allowed_origins")


class LogoField(forms.ImageField):
    """An image field that refuses an oversized file before Pillow spends time parsing it."""

    def to_python(self, data):
        if data is not None:
            LOGO.check_size(data)
        return super().to_python(data)


class UriListWidget(forms.Textarea):
    """One URI per line without JavaScript; the HTMX row editor posts one value per row instead."""

    def __init__(self, attrs=None):
        super().__init__({"rows": 3, "spellcheck": "false", "autocapitalize": "off", **(attrs or {})})

    def value_from_datadict(self, data, files, name):
        if hasattr(data, "getlist"):
            return "\n".join(data.getlist(name))
        return data.get(name)

    def format_value(self, value):
        return "\n".join(split_uris(value)) if value else ""


class ApplicationForm(ClientAuthFields, forms.ModelForm):
    name = forms.CharField(
        label=_("Name"), max_length=80, help_text=_("People see this on the consent screen.")
    )
    client_type = forms.ChoiceField(
        label=_("Client type"),
        choices=[(value, label) for value, (label, _) in CLIENT_TYPES.items()],
        widget=forms.RadioSelect,
    )
    grant_types = forms.MultipleChoiceField(
        label=_("Grant types"),
        choices=[(value, label) for value, (label, _) in GRANTS.items()],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one way for your app to get tokens.")},
    )
    homepage_url = forms.URLField(label=_("Homepage"), required=False, assume_scheme="https")
    privacy_policy_url = forms.URLField(label=_("Privacy policy"), required=False, assume_scheme="https")
    terms_url = forms.URLField(label=_("Terms of service"), required=False, assume_scheme="https")
    backchannel_logout_uri = forms.URLField(
        label=_("Back-channel logout URI"),
        required=False,
        max_length=2000,
        assume_scheme="https",
        help_text=_(
            "When someone signs out of Gatehouse, ends a session from their security page, revokes "
            "your app or deletes their account, Gatehouse's server posts a signed logout token to this "
            "address, so your app can sign them out too (OpenID Connect Back-Channel Logout). https "
            "only; http://127.0.0.1 or http://[::1] for development. Failed deliveries are retried."
        ),
    )
    allowed_scopes = forms.MultipleChoiceField(
        label=_("Scopes your app may request"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one scope your app may request.")},
    )
    required_scopes = forms.MultipleChoiceField(
        label=_("Required scopes"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Mark a scope Required when your app cannot work without it: people cannot untick it "
            "on the consent screen. openid is always required."
        ),
    )

    class Meta:
        model = Application
        fields = [
            "name",
            "description",
            "homepage_url",
            "logo",
            "privacy_policy_url",
            "terms_url",
            "client_type",
            "grant_types",
            "redirect_uris",
            "post_logout_redirect_uris",
            "allowed_origins",
            "allowed_scopes",
            "required_scopes",
            "require_pushed_authorization_requests",
            "require_dpop",
            "access_token_format",  # JWT access tokens (templates/developer/_token_format_field.html)
            *CLIENT_AUTH_FIELDS,  # apps.developer.client_auth
            # OIDC Back-Channel Logout (apps.oauth.backchannel); templates/developer/_backchannel_fields.html
            "backchannel_logout_uri",
            "backchannel_logout_session_required",
        ]
        labels = {
            "access_token_format": _("Access token format"),
            "description": _("Description"),
            "require_dpop": _("Require DPoP-bound tokens"),
            "require_pushed_authorization_requests": _("Require pushed authorization requests (PAR)"),
            "redirect_uris": _("Redirect URIs"),
            "post_logout_redirect_uris": _("Sign-out redirect URIs"),
            "allowed_origins": _("Allowed origins"),
            "backchannel_logout_session_required": _("Always name the session (sid)"),
        }
        help_texts = {
            "require_dpop": _(
                "Your app makes a key pair and signs a small proof with it for every request (DPoP, "
                "RFC 9449). Gatehouse then ties each token to that key, so a token that leaks is useless "
                "to anyone without the key. Tick this once your app does: token requests without a "
                "proof are refused, and each proof must carry a fresh nonce from Gatehouse."
            ),
            "description": _("One or two sentences on what your app does, shown on the consent screen."),
            "logo": _("PNG, JPEG, WebP or GIF, at least 64x64 pixels, up to 1 MB. We make it a 256x256 PNG."),
            "redirect_uris": _(
                "Where Gatehouse may send people back after they approve your app. "
                "https only; http://127.0.0.1 or http://[::1] (any port) and app schemes such as "
                "com.example.app:/callback for native apps."
            ),
            "post_logout_redirect_uris": _(
                "Where people may land after signing out through your app (OpenID "
                "Connect RP-initiated logout). Same rules as redirect URIs."
            ),
            "require_pushed_authorization_requests": _(
                "Your app's server first posts each sign-in "
                "request to /o/par/ and gets a short, single-use link for it, so the request's details never "
                "travel through the browser where they could be read or changed (RFC 9126). Tick this once "
                "your app does: Gatehouse then refuses any sign-in link that wasn't pushed."
            ),
            "allowed_origins": _(
                "For single-page apps only: the origins (https://app.example.com) "
                "that may call "
                "the token endpoint from a browser."
            ),
        }
        field_classes = {"logo": LogoField}
        help_texts |= {
            "backchannel_logout_session_required": _(
                "Tick this if your app can only sign out one session at a time: every logout token then "
                "names the session (sid, the same as in the ID token). Otherwise a token that names only "
                "the person (sub) means: sign them out of every session."
            ),
        }
        widgets = {
            "access_token_format": forms.RadioSelect,
            "description": forms.Textarea(attrs={"rows": 3, "maxlength": 1000}),
            "redirect_uris": UriListWidget(),
            "post_logout_redirect_uris": UriListWidget(),
            "allowed_origins": UriListWidget(),
            "logo": forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp,image/gif"}),
        }

    def __init__(self, *args, user, kind_slug: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.kind_slug = kind_slug
        # Sensitive scopes (admin, introspection) are granted to apps by staff, not self-served.
        self.scope_names = [
            name for name, scope in CATALOGUE.items() if scope.kind != Kind.SENSITIVE or user.is_staff
        ]
        current = self.instance.allowed_scopes if self.instance.pk else []
        self.scope_names += [name for name in current if name in CATALOGUE and name not in self.scope_names]
        self.fields["allowed_scopes"].choices = [(name, name) for name in self.scope_names]
        # openid is always required (the consent screen locks it), so it is not a choice.
        self.fields["required_scopes"].choices = [
            (name, gettext("Require %(scope)s") % {"scope": name})
            for name in self.scope_names
            if name != "openid"
        ]
        justifications = self.instance.scope_justifications or {}
        for name in self.scope_names:
            self.fields[f"why_{name}"] = forms.CharField(
                label=gettext("Why your app needs %(scope)s") % {"scope": name},
                required=False,
                max_length=JUSTIFICATION_MAX,
                initial=justifications.get(name, ""),
                widget=forms.TextInput(attrs={"placeholder": gettext("Why you need it (optional)")}),
            )
        for name in ("homepage_url", "privacy_policy_url", "terms_url"):
            self.fields[name].widget.attrs.setdefault("placeholder", "https://")
        for name in ("redirect_uris", "post_logout_redirect_uris", "allowed_origins"):
            # The template titles these lists with a <legend>, not a <label>.
            self.fields[name].widget.attrs["aria-labelledby"] = f"id_{name}_legend"
        if not self.instance.pk and not self.is_bound:
            self.fields["name"].widget.attrs["autofocus"] = True
        # A form sent without the choice (an older page) keeps what the app has.
        self.fields["access_token_format"].required = False

    def clean_access_token_format(self) -> str:
        return self.cleaned_data.get("access_token_format") or self.instance.access_token_format

    # --- which fields the chosen kind and grants need -------------------------------------

    def _current(self, name: str):
        """The field's value as the page shows it: posted, else initial, else the saved app."""
        return self[name].value()

    @property
    def shown_uri_fields(self) -> set[str]:
        """Redirects are for the code grant; allowed origins for single-page apps, which are
        public code-grant clients redirecting to an https page (not native ones, not servers).
        A field that holds values stays shown, so nothing saved is hidden out of reach."""
        grants = set(self._current("grant_types") or [])
        public = self._current("client_type") == PUBLIC
        shown = set()
        if AUTH_CODE in grants:
            shown |= {"redirect_uris", "post_logout_redirect_uris"}
            if (
                public
                and self.kind_slug != "native"
                and (self.kind_slug == "spa" or self._redirects_to_the_web())
            ):
                shown.add("allowed_origins")
        return shown | {name for name in URI_FIELDS if split_uris(self._current(name) or "")}

    @property
    def shows_par_setting(self) -> bool:
        """PAR is a way to send an authorization request: it applies to the code grant only
        (and stays shown while ticked, so a saved choice is never out of reach)."""
        grants = set(self._current("grant_types") or [])
        return AUTH_CODE in grants or bool(self._current("require_pushed_authorization_requests"))

    @property
    def shows_backchannel_settings(self) -> bool:
        """Back-channel logout is for apps that sign people in (the code grant); a saved URI stays shown."""
        grants = set(self._current("grant_types") or [])
        return AUTH_CODE in grants or bool(self._current("backchannel_logout_uri"))

    def _redirects_to_the_web(self) -> bool:
        uris = split_uris(self._current("redirect_uris") or "")
        return any(urlsplit(uri).scheme == "https" for uri in uris)

    @property
    def uri_field_rows(self) -> list:
        """[(bound field, shown, what it needs for developer.js: "code" or "spa"), ...]"""
        shown = self.shown_uri_fields
        return [
            (self[name], name in shown, "spa" if name == "allowed_origins" else "code") for name in URI_FIELDS
        ]

    @property
    def asks_people(self) -> bool:
        """Whether a person ever sees a consent screen for this app (client credentials: never)."""
        return bool(set(self._current("grant_types") or []) & {AUTH_CODE, DEVICE_CODE})

    # --- what the template shows next to each choice --------------------------------------

    @property
    def client_type_options(self) -> list:
        return [(radio, CLIENT_TYPES[radio.data["value"]][1]) for radio in self["client_type"]]

    @property
    def grant_type_options(self) -> list:
        return [(box, GRANTS[box.data["value"]][1]) for box in self["grant_types"]]

    @property
    def scope_groups(self) -> list:
        """[(group title, [(checkbox, scope, justification field, required checkbox or None), ...]), ...]
        in catalogue order."""
        boxes = {box.data["value"]: box for box in self["allowed_scopes"]}
        required = {box.data["value"]: box for box in self["required_scopes"]}
        groups: dict[str, list] = {}
        for name in self.scope_names:
            scope = CATALOGUE[name]
            row = (boxes[name], scope, self[f"why_{name}"], required.get(name))
            groups.setdefault(SCOPE_GROUPS[scope.kind], []).append(row)
        return list(groups.items())

    def preview_data(self) -> QueryDict:
        """The values the consent preview shows: what was posted, or what the form starts with."""
        if self.is_bound:
            return self.data
        data = QueryDict(mutable=True)
        for name in (
            "name",
            "description",
            "homepage_url",
            "privacy_policy_url",
            "terms_url",
            "redirect_uris",
        ):
            data[name] = self[name].value() or ""
        data["client_type"] = self["client_type"].value() or ""
        data.setlist("grant_types", self["grant_types"].value() or [])
        data.setlist("allowed_scopes", self["allowed_scopes"].value() or [])
        data.setlist("required_scopes", self["required_scopes"].value() or [])
        for name in self.scope_names:
            data[f"why_{name}"] = self[f"why_{name}"].value() or ""
        return data

    # --- validation -------------------------------------------------------------------------

    def _is_public(self) -> bool:
        return self.cleaned_data.get("client_type", self.instance.client_type) == PUBLIC

    def _clean_redirects(self, name: str, label: str) -> str:
        def check(uri):
            check_redirect_uri(uri, native=self._is_public())

        return " ".join(clean_uri_list(self.cleaned_data.get(name, ""), check=check, label=label))

    def clean_redirect_uris(self) -> str:
        return self._clean_redirects("redirect_uris", gettext("Redirect URI"))

    def clean_post_logout_redirect_uris(self) -> str:
        return self._clean_redirects("post_logout_redirect_uris", gettext("Sign-out URI"))

    def clean_allowed_origins(self) -> str:
        origins = clean_uri_list(
            self.cleaned_data.get("allowed_origins", ""), check=check_origin, label=gettext("Origin")
        )
        return " ".join(origin.rstrip("/") for origin in origins)

    def _clean_https_link(self, name: str) -> str:
        url = self.cleaned_data.get(name, "")
        if url and urlsplit(url).scheme != "https":
            raise ValidationError(
                gettext("Use an https:// address: people open this link from the consent screen.")
            )
        return url

    def clean_homepage_url(self) -> str:
        return self._clean_https_link("homepage_url")

    def clean_privacy_policy_url(self) -> str:
        return self._clean_https_link("privacy_policy_url")

    def clean_terms_url(self) -> str:
        return self._clean_https_link("terms_url")

    def clean_backchannel_logout_uri(self) -> str:
        uri = self.cleaned_data.get("backchannel_logout_uri", "").strip()
        if uri and (problem := backchannel.uri_problem(uri)):
            raise ValidationError(problem)
        return uri

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if not isinstance(logo, UploadedFile):
            return logo  # unchanged, or False when "Clear" was ticked
        return normalize_logo(logo)

    def clean(self):
        cleaned = super().clean()
        grants = cleaned.get("grant_types") or []
        if CLIENT_CREDENTIALS in grants and cleaned.get("client_type") == PUBLIC:
            self.add_error(
                "grant_types",
                gettext(
                    "Client credentials needs a confidential client: a public client has no secret to prove "
                    "that a request comes from your server."
                ),
            )
        if grants == [TOKEN_EXCHANGE]:
            self.add_error(
                "grant_types",
                _(
                    "Token exchange comes with another grant: authorization code for a native app, "
                    "client credentials or authorization code for a server."
                ),
            )
        if AUTH_CODE in grants and "redirect_uris" in cleaned and not cleaned["redirect_uris"]:
            self.add_error(
                "redirect_uris",
                gettext(
                    "Add at least one redirect URI: after approving your app, "
                    "people are sent back to one of these."
                ),
            )
        # ID tokens are signed with the server's RSA key; DOT's clean() checks that one is set.
        self.instance.algorithm = self.instance.algorithm or Application.RS256_ALGORITHM
        # DOT keeps one primary grant, and its clean() requires redirect URIs when it is the code grant.
        for grant in GRANTS:
            if grant in grants and grant != TOKEN_EXCHANGE:  # not one of DOT's column's choices
                self.instance.authorization_grant_type = grant
                break
        scopes = cleaned.get("allowed_scopes") or []
        required = cleaned.get("required_scopes") or []
        if not_allowed := [name for name in required if name not in scopes]:
            self.add_error(
                "required_scopes",
                ngettext(
                    "%(scopes)s cannot be required: your app may not request it. Allow it too, or untick Required.",
                    "%(scopes)s cannot be required: your app may not request them. Allow it too, or untick Required.",
                    len(not_allowed),
                )
                % {"scopes": ", ".join(not_allowed)},
            )
        self.instance.scope_justifications = {
            name: cleaned[f"why_{name}"].strip() for name in scopes if cleaned.get(f"why_{name}", "").strip()
        }
        self.clean_client_auth(cleaned)
        return cleaned

    def _update_errors(self, errors: ValidationError) -> None:
        """DOT's model checks, minus repeats on fields our validators already explained."""
        if hasattr(errors, "error_dict"):
            kept: dict[str, list] = {}
            for name, messages in errors.error_dict.items():
                if name in self.errors and name != NON_FIELD_ERRORS:
                    continue
                # A model field this form does not show (DOT's algorithm, client_secret).
                target = name if name in self.fields else NON_FIELD_ERRORS
                kept.setdefault(target, []).extend(messages)
            if not kept:
                return
            errors = ValidationError(kept)
        super()._update_errors(errors)
