"""A stateful stand-in for authentik's API v3, for contract tests.

It behaves like one authentik release (``AuthentikDouble(release=...)``, see releases.py: the oldest and the
newest the modules support). Every request body is validated against that release's official generated models
(PyPI ``authentik-client``): missing required fields, wrong types and bad enum values give a 400 with
authentik-style (Django REST framework) field errors. Unknown fields are rejected too: the real server would
silently drop them, which would hide a module bug behind a "changed" that never converges.

Every response object is checked against the matching response model before it is sent, so the double cannot
drift from the shapes a real authentik returns: an answer carries exactly the fields that release's model has
(an older release lacks e.g. an application's ``pbm_uuid``), and fields only an older release has are filled in.
Server-side rules beyond the schema that the modules must check first (regex redirect URIs, expressions,
durations, launch URLs) are enforced like authentik's serializers do. List endpoints filter and paginate like authentik
(``?page=&page_size=``, answer ``{"pagination": {...}, "results": [...], "autocomplete": {}}``).
"""
import copy
import json
import secrets
import string
import threading
import typing
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import re
from datetime import timedelta

from pydantic import BaseModel, ValidationError

from integration.authentik import releases

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


NOT_FOUND_PAGE = ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"UTF-8\">\n"
                  "<title>Not found - authentik</title>\n<link rel=\"stylesheet\" type=\"text/css\" "
                  "href=\"/static/dist/authentik.css\">\n</head>\n<body>\n<div class=\"pf-c-page\">"
                  "<h1>Not found</h1><p>The requested URL was not found on this server.</p></div>\n"
                  "</body>\n</html>\n")


class ApiError(Exception):
    def __init__(self, status, body):
        super().__init__(status, body)
        self.status = status
        self.body = body


# -- validation against the generated models --------------------------------------------------------------
def _nested_model(annotation):
    """The pydantic model class inside an annotation like Optional[List[RedirectURIRequest]], if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _nested_model(arg)
        if found is not None:
            return found
    return None


def _unknown_fields(model, body, errors, prefix="", version=""):
    fields = model.model_fields
    names = set(fields) | {f.alias for f in fields.values() if f.alias}
    for key, value in body.items():
        if key not in names:
            errors.setdefault(prefix + key, []).append(
                f"Unknown field: {model.__name__} (authentik-client {version}) has no field {key!r}.")
            continue
        nested = _nested_model(fields[key].annotation)
        if nested is None:
            continue
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            if isinstance(item, dict):
                where = f"{prefix}{key}[{i}]." if isinstance(value, list) else f"{prefix}{key}."
                _unknown_fields(nested, item, errors, where, version)


def _drf_message(err):
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "missing":
        return "This field is required."
    if kind == "enum":
        return f"\"{err.get('input')}\" is not a valid choice."
    if kind.startswith("uuid"):
        return "Must be a valid UUID."
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return "This field may not be blank."
    if kind == "string_too_long":
        return f"Ensure this field has no more than {ctx.get('max_length')} characters."
    if kind.startswith("int"):
        return "A valid integer is required."
    if kind.startswith("bool"):
        return "Must be a valid boolean."
    if kind.startswith("string"):
        return "Not a valid string."
    if kind in ("list_type",):
        return f"Expected a list of items but got type \"{type(err.get('input')).__name__}\"."
    return err.get("msg", "Invalid value.")


def validate_body(model, body, version=""):
    """Raise ApiError(400) unless ``body`` is exactly what ``model`` accepts."""
    if not isinstance(body, dict):
        raise ApiError(400, {"non_field_errors": [
            f"Invalid data. Expected a dictionary, but got {type(body).__name__}."]})
    errors = {}
    _unknown_fields(model, body, errors, version=version)
    try:
        model.model_validate(body)
    except ValidationError as e:
        for err in e.errors():
            loc = [str(x) for x in err["loc"]]
            # pydantic reports the failing enum/uuid member of a list as field.N; keep the field as key
            key = loc[0] if loc else "non_field_errors"
            rest = ".".join(loc[1:])
            message = _drf_message(err)
            errors.setdefault(key, []).append(f"{rest}: {message}" if rest else message)
    if errors:
        raise ApiError(400, errors)


# Required response fields that only an older release has, with the value a fresh install shows.
LEGACY_FIELDS = {"parent_name": None, "private_key_type": "rsa", "meta_icon": None}


def shape(model, obj):
    """``obj`` (the double's superset of every release's fields) cut to what ``model`` has, recursively."""
    if not isinstance(obj, dict):
        return obj
    out = {}
    for name, field in model.model_fields.items():
        key = field.alias or name
        if key in obj:
            value = obj[key]
        elif field.is_required():
            value = LEGACY_FIELDS.get(key)
        else:
            continue
        nested = _nested_model(field.annotation)
        if nested is not None and value is not None:
            value = [shape(nested, v) for v in value] if isinstance(value, list) else shape(nested, value)
        out[key] = value
    return out


# -- rules of authentik's serializers beyond the schema --------------------------------------------------------
TIMEDELTA_KEYS = ("weeks", "days", "hours", "minutes", "seconds", "milliseconds", "microseconds")


def check_timedelta(field, value):
    """authentik.lib.utils.time.timedelta_string_validator: "hours=1;minutes=30"."""
    try:
        kwargs = {}
        for part in value.split(";"):
            key, number = part.split("=")
            kwargs[key.strip().lower()] = float(number.strip())
        timedelta(**kwargs)
    except (ValueError, TypeError):
        raise ApiError(400, {field: [f"{value} is not in the correct format of 'hours=3;minutes=1'."]})


def check_expression(field, expression):
    """authentik's BaseEvaluator.validate: the expression is the body of a function and must compile."""
    body = "\n".join("    " + line for line in (expression or "").splitlines()) or "    pass"
    try:
        compile("def handler():\n" + body, "expression", "exec")
    except (SyntaxError, ValueError) as e:
        raise ApiError(400, {field: [str(e)]})


def check_url(field, value):
    """Django's URLValidator, as authentik's DomainlessFormattedURLValidator relaxes it: a scheme and a rest."""
    if value and not re.match(r"^[a-z][a-z0-9.+-]*://\S+$", value, re.I):
        raise ApiError(400, {field: ["Enter a valid URL."]})


NULL_WHEN_UNSET = ("provider_obj", "group_obj", "user_obj", "policy_obj", "assigned_application_slug",
                   "assigned_application_name", "assigned_backchannel_application_slug",
                   "assigned_backchannel_application_name")


def check_response(model, obj):
    """The double's own answers must satisfy authentik's response models."""
    try:
        model.from_dict(copy.deepcopy(obj))
    except ValidationError as e:  # a bug in the double, not in the code under test
        # Older clients declare some related objects non-nullable that authentik sends as null when unset.
        real = [err for err in e.errors() if not (err["type"] in ("model_type", "string_type")
                                                  and err.get("input") is None and err["loc"][-1] in NULL_WHEN_UNSET)]
        if real:
            raise ApiError(500, {"detail": f"double rendered an invalid {model.__name__}: {e}"})
    return obj


def _now():
    return datetime.now(timezone.utc).isoformat()


def _random(n):
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for dummy in range(n))


def _as_bool(value):
    return value.lower() in ("true", "1", "yes")


# -- resources ----------------------------------------------------------------------------------------------
class Resource:
    """One list/detail endpoint pair backed by a dict of stored objects."""
    path = ""
    create_model = update_model = patch_model = response_model = None
    ordering = "name"
    filters = {}          # query parameter -> function(obj_rendered, value) -> bool
    search_fields = ("name",)
    key = "pk"

    def __init__(self, double):
        self.d = double
        self.objects = {}

    def parse_key(self, raw):
        return raw

    def render(self, obj):
        return dict(obj)

    def model(self, kind):
        name = getattr(self, kind)
        return getattr(self.d.M, name) if name else None

    def rendered(self, obj):
        model = self.model("response_model")
        return check_response(model, shape(model, self.render(obj)))

    def get(self, raw):
        key = self.parse_key(raw)
        if key not in self.objects:
            raise ApiError(404, {"detail": "No %s matches the given query." % self.__class__.__name__})
        return self.objects[key]

    def unique(self, field, value, exclude=None, label=None):
        for k, o in self.objects.items():
            if k != exclude and o.get(field) == value:
                raise ApiError(400, {field: [f"{label or self.__class__.__name__.lower()} with this {field} "
                                             "already exists."]})

    def check(self, data, current=None):
        """Server-side rules beyond the schema (references exist, unique fields)."""

    def new(self, data):
        raise NotImplementedError

    def deleted(self, obj):
        """Cascade like the database would."""


def _ref_error(field, value):
    return ApiError(400, {field: [f"Invalid pk \"{value}\" - object does not exist."]})


class Flows(Resource):
    path = "/flows/instances/"
    response_model = "Flow"
    ordering = "slug"
    key = "slug"
    search_fields = ("name", "slug")
    filters = {
        "slug": lambda o, v: o["slug"] == v,
        "name": lambda o, v: o["name"] == v,
        "designation": lambda o, v: o["designation"] == v,
        "flow_uuid": lambda o, v: o["pk"] == v,
    }

    def add(self, slug, designation, name=None):
        pk = str(uuid.uuid4())
        self.objects[slug] = {
            "pk": pk, "policybindingmodel_ptr_id": pk, "name": name or slug, "slug": slug, "title": name or slug,
            "designation": designation, "background": "", "background_url": "/static/dist/assets/images/flow_background.jpg",
            "background_themed_urls": None, "stages": [], "policies": [], "cache_count": 0,
            "policy_engine_mode": "any", "compatibility_mode": False,
            "export_url": f"/api/v3/flows/instances/{slug}/export/", "layout": "stacked",
            "denied_action": "message_continue", "authentication": "none",
        }
        return self.objects[slug]

    def by_pk(self, pk):
        return next((f for f in self.objects.values() if f["pk"] == pk), None)


class Certificates(Resource):
    path = "/crypto/certificatekeypairs/"
    response_model = "CertificateKeyPair"
    filters = {
        "name": lambda o, v: o["name"] == v,
        "has_key": lambda o, v: o["private_key_available"] == _as_bool(v),
        "managed": lambda o, v: o["managed"] == v,
    }

    def add(self, name, has_key=True, managed=None):
        pk = str(uuid.uuid4())
        self.objects[pk] = {
            "pk": pk, "name": name, "fingerprint_sha256": "00" * 32, "fingerprint_sha1": "00" * 20,
            "cert_expiry": "2036-01-01T00:00:00Z", "cert_subject": f"CN={name}", "private_key_available": has_key,
            "key_type": "rsa", "certificate_download_url": f"/api/v3/crypto/certificatekeypairs/{pk}/view_certificate/",
            "private_key_download_url": f"/api/v3/crypto/certificatekeypairs/{pk}/view_private_key/",
            "managed": managed,
        }
        return self.objects[pk]


class ScopeMappings(Resource):
    path = "/propertymappings/provider/scope/"
    create_model = "ScopeMappingRequest"
    update_model = "ScopeMappingRequest"
    patch_model = "PatchedScopeMappingRequest"
    response_model = "ScopeMapping"
    filters = {
        "name": lambda o, v: o["name"] == v,
        "scope_name": lambda o, v: o["scope_name"] == v,
        "managed": lambda o, v: o.get("managed") == v,
        "managed__isnull": lambda o, v: (o.get("managed") is None) == _as_bool(v),
    }

    def add(self, name, scope_name, expression="return {}", managed=None):
        pk = str(uuid.uuid4())
        self.objects[pk] = {"pk": pk, "managed": managed, "name": name, "expression": expression,
                            "scope_name": scope_name, "description": ""}
        return self.objects[pk]

    def render(self, obj):
        return dict(obj, component="ak-property-mapping-provider-scope-form", verbose_name="Scope Mapping",
                    verbose_name_plural="Scope Mappings", meta_model_name="authentik_providers_oauth2.scopemapping")

    def check(self, data, current=None):
        if "name" in data:
            self.unique("name", data["name"], exclude=current and current["pk"], label="property mapping")
        if "expression" in data:
            check_expression("expression", data["expression"])

    def new(self, data):
        pk = str(uuid.uuid4())
        obj = {"pk": pk, "managed": None, "description": ""}
        obj.update(data)
        return obj

    def deleted(self, obj):
        for p in self.d.providers.objects.values():
            p["property_mappings"] = [m for m in p["property_mappings"] if m != obj["pk"]]


class OAuth2Providers(Resource):
    path = "/providers/oauth2/"
    create_model = "OAuth2ProviderRequest"
    update_model = "OAuth2ProviderRequest"
    patch_model = "PatchedOAuth2ProviderRequest"
    response_model = "OAuth2Provider"
    filters = {
        "name": lambda o, v: o["name"] == v,
        "client_id": lambda o, v: o["client_id"] == v,
        "client_type": lambda o, v: o["client_type"] == v,
        "application": lambda o, v: o["assigned_application_slug"] == v,
        "authorization_flow": lambda o, v: o["authorization_flow"] == v,
        "signing_key": lambda o, v: o["signing_key"] == v,
        "sub_mode": lambda o, v: o["sub_mode"] == v,
        "property_mappings": lambda o, v: v in o["property_mappings"],
    }

    def parse_key(self, raw):
        try:
            return int(raw)
        except ValueError:
            raise ApiError(404, {"detail": "Not found."})

    def check(self, data, current=None):
        d = self.d
        if "name" in data:
            self.unique("name", data["name"], exclude=current and current["pk"], label="provider")
        for field in ("authorization_flow", "invalidation_flow", "authentication_flow"):
            if data.get(field) is not None and d.flows.by_pk(data[field]) is None:
                raise _ref_error(field, data[field])
        if data.get("signing_key") is not None and data["signing_key"] not in d.certificates.objects:
            raise _ref_error("signing_key", data["signing_key"])
        for pm in data.get("property_mappings") or []:
            if pm not in d.scope_mappings.objects:
                raise _ref_error("property_mappings", pm)
        if "client_id" in data:
            self.unique("client_id", data["client_id"], exclude=current and current["pk"], label="provider")
        # OAuth2ProviderSerializer.validate_redirect_uris
        for entry in data.get("redirect_uris") or []:
            if entry.get("matching_mode") == "regex":
                try:
                    re.compile(entry.get("url"))
                except re.error:
                    raise ApiError(400, {"redirect_uris": [f"Invalid Regex Pattern: {entry.get('url')}"]})
        for field in ("access_code_validity", "access_token_validity", "refresh_token_validity"):
            if data.get(field) is not None:
                check_timedelta(field, data[field])

    def new(self, data):
        pk = self.d.next_id()
        obj = {
            "pk": pk, "name": data["name"], "authentication_flow": None, "authorization_flow": None,
            "invalidation_flow": None, "property_mappings": [], "client_type": "confidential",
            "grant_types": ["authorization_code", "refresh_token"],
            "client_id": _random(40), "client_secret": _random(128), "access_code_validity": "minutes=1",
            "access_token_validity": "hours=1", "refresh_token_validity": "days=30",
            "refresh_token_threshold": "seconds=0", "include_claims_in_id_token": True, "signing_key": None,
            "encryption_key": None, "redirect_uris": [], "logout_uri": "", "logout_method": "backchannel",
            "sub_mode": "hashed_user_id", "issuer_mode": "per_provider", "jwt_federation_sources": [],
            "jwt_federation_providers": [],
        }
        obj.update(self.store_form(data))
        return obj

    @staticmethod
    def store_form(data):
        data = dict(data)
        if "redirect_uris" in data:
            data["redirect_uris"] = [dict({"redirect_uri_type": "authorization"}, **u) for u in data["redirect_uris"]]
        return data

    def render(self, obj):
        app = next((a for a in self.d.applications.objects.values() if a.get("provider") == obj["pk"]), None)
        return dict(obj, component="ak-provider-oauth2-form", verbose_name="OAuth2/OpenID Provider",
                    verbose_name_plural="OAuth2/OpenID Providers", meta_model_name="authentik_providers_oauth2.oauth2provider",
                    assigned_application_slug=app and app["slug"], assigned_application_name=app and app["name"],
                    assigned_backchannel_application_slug=None, assigned_backchannel_application_name=None)

    def deleted(self, obj):
        for app in self.d.applications.objects.values():
            if app.get("provider") == obj["pk"]:
                app["provider"] = None


class Applications(Resource):
    path = "/core/applications/"
    create_model = "ApplicationRequest"
    update_model = "ApplicationRequest"
    patch_model = "PatchedApplicationRequest"
    response_model = "Application"
    key = "slug"
    search_fields = ("name", "slug", "meta_publisher", "meta_description")
    filters = {
        "slug": lambda o, v: o["slug"] == v,
        "name": lambda o, v: o["name"] == v,
        "group": lambda o, v: o["group"] == v,
        "meta_launch_url": lambda o, v: o["meta_launch_url"] == v,
    }

    def check(self, data, current=None):
        if "slug" in data:
            self.unique("slug", data["slug"], exclude=current and current["slug"], label="application")
        if data.get("provider") is not None:
            if data["provider"] not in self.d.providers.objects:
                raise _ref_error("provider", data["provider"])
            for slug, app in self.objects.items():
                if app.get("provider") == data["provider"] and (current is None or slug != current["slug"]):
                    raise ApiError(400, {"provider": ["application with this provider already exists."]})
        if data.get("meta_launch_url"):
            check_url("meta_launch_url", data["meta_launch_url"])

    def new(self, data):
        pk = str(uuid.uuid4())
        obj = {"pk": pk, "pbm_uuid": pk, "provider": None, "backchannel_providers": [], "open_in_new_tab": False,
               "meta_launch_url": "", "meta_icon": None, "meta_description": "", "meta_publisher": "",
               "policy_engine_mode": "any", "group": "", "meta_hide": False}
        obj.update(data)
        return obj

    def render(self, obj):
        provider = self.d.providers.objects.get(obj.get("provider"))
        provider_obj = None
        if provider is not None:
            full = self.d.providers.render(provider)
            provider_obj = full
        return dict(obj, provider_obj=provider_obj, backchannel_providers_obj=[],
                    launch_url=obj.get("meta_launch_url") or None, meta_icon_url=None, meta_icon_themed_urls=None)

    def deleted(self, obj):
        self.d.bindings.objects = dict((k, b) for k, b in self.d.bindings.objects.items()
                                       if b["target"] != obj["pbm_uuid"])


class Groups(Resource):
    path = "/core/groups/"
    create_model = "GroupRequest"
    update_model = "GroupRequest"
    patch_model = "PatchedGroupRequest"
    response_model = "Group"
    filters = {
        "name": lambda o, v: o["name"] == v,
        "is_superuser": lambda o, v: o["is_superuser"] == _as_bool(v),
        "members_by_username": lambda o, v: v in [u["username"] for u in o["users_obj"] or []],
    }

    def add(self, name, users=(), is_superuser=False):
        return self.create({"name": name, "users": list(users), "is_superuser": is_superuser})

    def create(self, data):
        self.check(data)
        obj = self.new(data)
        self.objects[obj["pk"]] = obj
        return obj

    def check(self, data, current=None):
        if "name" in data:
            self.unique("name", data["name"], exclude=current and current["pk"], label="group")
        for user in data.get("users") or []:
            if user not in self.d.users.objects:
                raise _ref_error("users", user)

    def new(self, data):
        pk = str(uuid.uuid4())
        obj = {"pk": pk, "num_pk": self.d.next_id(), "name": data["name"], "is_superuser": False,
               "parents": [], "attributes": {}, "roles": []}
        self.update(obj, data)
        return obj

    def update(self, obj, data):
        data = dict(data)
        if "users" in data:
            users = data.pop("users")
            self.d.members = {(u, g) for (u, g) in self.d.members if g != obj["pk"]} | {(u, obj["pk"]) for u in users}
        obj.update(data)

    def render(self, obj):
        users = sorted(u for (u, g) in self.d.members if g == obj["pk"])
        users_obj = [dict(self.d.users.objects[u]) for u in users]
        return dict(obj, users=users, users_obj=users_obj, parents_obj=[], roles_obj=[], inherited_roles_obj=[],
                    children=[], children_obj=[])

    def deleted(self, obj):
        self.d.members = {(u, g) for (u, g) in self.d.members if g != obj["pk"]}
        self.d.bindings.objects = dict((k, b) for k, b in self.d.bindings.objects.items() if b["group"] != obj["pk"])


class Users(Resource):
    path = "/core/users/"
    create_model = "UserRequest"
    update_model = "UserRequest"
    patch_model = "PatchedUserRequest"
    response_model = "User"
    ordering = "username"
    search_fields = ("username", "name", "email")
    filters = {
        "username": lambda o, v: o["username"] == v,
        "name": lambda o, v: o["name"] == v,
        "email": lambda o, v: o["email"] == v,
        "type": lambda o, v: o["type"] == v,
        "path": lambda o, v: o["path"] == v,
        "is_active": lambda o, v: o["is_active"] == _as_bool(v),
        "uuid": lambda o, v: o["uuid"] == v,
        "groups_by_name": lambda o, v: v in [g["name"] for g in o["groups_obj"] or []],
    }

    def parse_key(self, raw):
        try:
            return int(raw)
        except ValueError:
            raise ApiError(404, {"detail": "Not found."})

    def add(self, username, type="internal", groups=(), path="users"):
        data = {"username": username, "name": username, "type": type, "groups": list(groups), "path": path}
        self.check(data)
        obj = self.new(data)
        self.objects[obj["pk"]] = obj
        return obj

    def check(self, data, current=None):
        if "username" in data:
            self.unique("username", data["username"], exclude=current and current["pk"], label="user")
        for group in data.get("groups") or []:
            if group not in self.d.groups.objects:
                raise _ref_error("groups", group)
        path = data.get("path")
        if path is not None:
            if path[:1] == "/" or path[-1:] == "/":
                raise ApiError(400, {"path": ["No leading or trailing slashes allowed."]})
            if "" in path.split("/"):
                raise ApiError(400, {"path": ["No empty segments in user path allowed."]})
        if data.get("type") == "internal_service_account" and (current is None or current["type"] != data["type"]):
            raise ApiError(400, {"type": ["Setting a user to internal service account is not allowed."]})

    def new(self, data):
        pk = self.d.next_id()
        now = _now()
        obj = {"pk": pk, "username": data["username"], "name": data["name"], "is_active": True, "last_login": None,
               "date_joined": now, "is_superuser": False, "roles": [], "email": "", "attributes": {},
               "uid": uuid.uuid4().hex, "path": "users", "type": "internal", "uuid": str(uuid.uuid4()),
               "password_change_date": now, "last_updated": now, "password": None}
        self.update(obj, data)
        return obj

    def update(self, obj, data):
        data = dict(data)
        if "groups" in data:
            groups = data.pop("groups")
            self.d.members = {(u, g) for (u, g) in self.d.members if u != obj["pk"]} | {(obj["pk"], g) for g in groups}
        obj.update(data)
        obj["last_updated"] = _now()

    def render(self, obj):
        groups = sorted(g for (u, g) in self.d.members if u == obj["pk"])
        groups_obj = [dict(self.d.groups.objects[g]) for g in groups]
        out = dict(obj, groups=groups, groups_obj=groups_obj, roles_obj=[], avatar="data:image/svg+xml;base64,",
                   is_superuser=any(self.d.groups.objects[g]["is_superuser"] for g in groups))
        out.pop("password")
        return out

    def deleted(self, obj):
        self.d.members = {(u, g) for (u, g) in self.d.members if u != obj["pk"]}
        self.d.bindings.objects = dict((k, b) for k, b in self.d.bindings.objects.items() if b["user"] != obj["pk"])


class Bindings(Resource):
    path = "/policies/bindings/"
    create_model = "PolicyBindingRequest"
    update_model = "PolicyBindingRequest"
    patch_model = "PatchedPolicyBindingRequest"
    response_model = "PolicyBinding"
    ordering = "order"
    search_fields = ()
    filters = {
        "target": lambda o, v: o["target"] == v,
        "target_in": lambda o, v: o["target"] in v.split(","),
        "enabled": lambda o, v: o["enabled"] == _as_bool(v),
        "order": lambda o, v: str(o["order"]) == v,
        "policy": lambda o, v: o["policy"] == v,
        "policy__isnull": lambda o, v: (o["policy"] is None) == _as_bool(v),
    }

    def check(self, data, current=None):
        merged = dict(current or {}, **data)
        if sum(1 for k in ("policy", "group", "user") if merged.get(k) is not None) != 1:
            raise ApiError(400, {"non_field_errors": ["Only one of 'policy', 'group' or 'user' can be set."]})
        if merged.get("group") is not None and merged["group"] not in self.d.groups.objects:
            raise _ref_error("group", merged["group"])
        if merged.get("user") is not None and merged["user"] not in self.d.users.objects:
            raise _ref_error("user", merged["user"])
        targets = {a["pbm_uuid"] for a in self.d.applications.objects.values()} | {
            f["pk"] for f in self.d.flows.objects.values()}
        if merged.get("target") not in targets:
            raise _ref_error("target", merged.get("target"))

    def new(self, data):
        pk = str(uuid.uuid4())
        obj = {"pk": pk, "policy": None, "group": None, "user": None, "negate": False, "enabled": True,
               "timeout": 30, "failure_result": False, "expires": None, "expiring": False}
        obj.update(data)
        return obj

    def render(self, obj):
        group = self.d.groups.objects.get(obj["group"])
        user = self.d.users.objects.get(obj["user"])
        return dict(obj, policy_obj=None,
                    group_obj=group and self.d.groups.render(group),
                    user_obj=user and self.d.users.render(user))


# -- the server ----------------------------------------------------------------------------------------------
class AuthentikDouble:
    DEFAULT_PAGE_SIZE = 20   # authentik's default.yml: pagination.default_page_size? we keep it small on purpose
    MAX_PAGE_SIZE = 100      # authentik's pagination.max_page_size

    def __init__(self, token="double-token-" + _random(24), release=None):
        self.release = release or list(releases.RELEASES)[-1]
        self.client_version = releases.RELEASES[self.release]
        self.M = releases.models(self.client_version)
        self.token = token
        self.lock = threading.RLock()
        self.log = []
        self.members = set()     # (user pk, group uuid)
        self._ids = 0
        self.flows = Flows(self)
        self.certificates = Certificates(self)
        self.scope_mappings = ScopeMappings(self)
        self.providers = OAuth2Providers(self)
        self.applications = Applications(self)
        self.groups = Groups(self)
        self.users = Users(self)
        self.bindings = Bindings(self)
        self.resources = [self.flows, self.certificates, self.scope_mappings, self.providers, self.applications,
                          self.groups, self.users, self.bindings]
        self.faults = []         # (method, path regex, status, body): refuse matching requests
        self.server = None
        self.thread = None

    def refuse(self, method, path_pattern, status=400, body=None):
        """Make authentik refuse requests whose path under /api/v3 matches ``path_pattern`` (a regex), as it would
        for a rule the modules cannot check first."""
        self.faults.append((method, re.compile("^/api/v3" + path_pattern + "$"), status,
                            body or {"non_field_errors": ["refused by the test"]}))

    # bookkeeping
    def next_id(self):
        self._ids += 1
        return self._ids

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    @property
    def writes(self):
        return [r for r in self.log if r["method"] in WRITE_METHODS]

    def clear_log(self):
        with self.lock:
            self.log = []

    def snapshot(self):
        """Every stored object, keyed by resource path: for "nothing else changed" assertions."""
        with self.lock:
            return {r.path: {k: r.rendered(o) for k, o in r.objects.items()} for r in self.resources}

    def seed_defaults(self):
        """What a fresh authentik install has that these modules look up."""
        self.flows.add("default-authentication-flow", "authentication", "Welcome to authentik!")
        self.flows.add("default-provider-authorization-implicit-consent", "authorization", "Authorize Application")
        self.flows.add("default-provider-authorization-explicit-consent", "authorization", "Authorize Application")
        self.flows.add("default-provider-invalidation-flow", "invalidation", "Logged out of application")
        self.flows.add("default-invalidation-flow", "invalidation", "Default invalidation flow")
        self.certificates.add("authentik Self-signed Certificate", managed=None)
        self.certificates.add("authentik Internal JWT Certificate", managed="goauthentik.io/crypto/jwt-managed")
        self.certificates.add("public-only CA", has_key=False)
        for scope in ("openid", "email", "profile", "offline_access", "entitlements"):
            self.scope_mappings.add(f"authentik default OAuth Mapping: OpenID '{scope}'", scope,
                                    managed=f"goauthentik.io/providers/oauth2/scope-{scope}")
        admins = self.groups.add("authentik Admins", is_superuser=True)
        self.users.add("akadmin", groups=[admins["pk"]])
        return self

    # request handling
    def route(self, method, path):
        if not path.startswith("/api/v3/"):
            # authentik's web interface answers paths outside the API with an HTML page
            raise ApiError(404, NOT_FOUND_PAGE)
        rest = path[len("/api/v3"):]
        for res in self.resources:
            if rest == res.path:
                return res, None, None
            if rest.startswith(res.path):
                tail = rest[len(res.path):].strip("/").split("/")
                if len(tail) == 1:
                    return res, tail[0], None
                if len(tail) == 2:
                    return res, tail[0], tail[1]
        raise ApiError(404, {"detail": "Not found."})

    def handle(self, method, raw_path, headers, raw_body):
        parts = urlsplit(raw_path)
        query = dict((k, v[-1]) for k, v in parse_qs(parts.query, keep_blank_values=True).items())
        body = None
        entry = {"method": method, "path": parts.path, "query": query, "body": None}
        with self.lock:
            self.log.append(entry)
            auth = headers.get("Authorization") or ""
            if not auth:
                raise ApiError(403, {"detail": "Authentication credentials were not provided."})
            if auth != "Bearer " + self.token:
                raise ApiError(403, {"detail": "Token invalid/expired"})
            if raw_body:
                try:
                    body = json.loads(raw_body)
                except ValueError:
                    raise ApiError(400, {"detail": "JSON parse error"})
                entry["body"] = body
            for f_method, prefix, status, f_body in self.faults:
                if method == f_method and prefix.match(parts.path):
                    raise ApiError(status, f_body)
            res, key, action = self.route(method, parts.path)
            if key is None:
                if method == "GET":
                    return 200, self.list(res, query)
                if method == "POST" and res.create_model:
                    validate_body(res.model("create_model"), body, self.client_version)
                    res.check(body)
                    obj = res.new(body)
                    res.objects[obj[res.key]] = obj
                    return 201, res.rendered(obj)
                raise ApiError(405, {"detail": f"Method \"{method}\" not allowed."})
            obj = res.get(key)
            if action == "set_password" and res is self.users and method == "POST":
                validate_body(self.M.UserPasswordSetRequest, body, self.client_version)
                obj["password"] = body["password"]
                obj["password_change_date"] = _now()
                return 204, None
            if action == "used_by" and method == "GET":
                return 200, [check_response(self.M.UsedBy, u) for u in self.used_by(res, obj)]
            if action is not None:
                raise ApiError(404, {"detail": "Not found."})
            if method == "GET":
                return 200, res.rendered(obj)
            if method in ("PATCH", "PUT") and res.patch_model:
                validate_body(res.model("patch_model" if method == "PATCH" else "update_model"), body,
                              self.client_version)
                res.check(body, current=obj)
                if hasattr(res, "update"):
                    res.update(obj, body)
                else:
                    obj.update(res.store_form(body) if hasattr(res, "store_form") else body)
                if res.key in body and body[res.key] != key:
                    res.objects[body[res.key]] = res.objects.pop(key)
                return 200, res.rendered(obj)
            if method == "DELETE" and res.create_model:
                del res.objects[res.parse_key(key)]
                res.deleted(obj)
                return 204, None
            raise ApiError(405, {"detail": f"Method \"{method}\" not allowed."})

    def used_by(self, res, obj):
        """What authentik's used_by endpoints answer (only the references these modules care about)."""
        if res is self.scope_mappings:
            return [{"app": "authentik_providers_oauth2", "model_name": "oauth2provider", "pk": str(p["pk"]),
                     "name": p["name"], "action": "cascade_many"}
                    for p in self.providers.objects.values() if obj["pk"] in p["property_mappings"]]
        return []

    def list(self, res, query):
        items = [res.rendered(o) for o in res.objects.values()]
        for name, value in query.items():
            if name in res.filters:
                items = [o for o in items if res.filters[name](o, value)]
            elif name == "search" and value:
                items = [o for o in items if any(value.lower() in str(o.get(f) or "").lower() for f in res.search_fields)]
            # like django-filter, unknown parameters are ignored
        items.sort(key=lambda o: (o.get(res.ordering) is None, o.get(res.ordering)))
        try:
            size = min(int(query.get("page_size", self.DEFAULT_PAGE_SIZE)), self.MAX_PAGE_SIZE)
            page = int(query.get("page", 1))
        except ValueError:
            raise ApiError(404, {"detail": "Invalid page."})
        pages = max(1, -(-len(items) // size))
        if page < 1 or page > pages:
            raise ApiError(404, {"detail": "Invalid page."})
        chunk = items[(page - 1) * size:page * size]
        answer = {
            "pagination": {"next": page + 1 if page < pages else 0, "previous": page - 1 if page > 1 else 0,
                           "count": len(items), "current": page, "total_pages": pages,
                           "start_index": (page - 1) * size + 1 if chunk else 0,
                           "end_index": (page - 1) * size + len(chunk)},
            "results": chunk, "autocomplete": {},
        }
        check_response(self.M.Pagination, answer["pagination"])
        return answer

    def start(self):
        double = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    status, payload = double.handle(self.command, self.path, self.headers, raw)
                except ApiError as e:
                    status, payload = e.status, e.body
                except Exception as e:  # noqa: BLE001 - a double bug becomes a visible 500
                    status, payload = 500, {"detail": f"double error: {e!r}"}
                html = isinstance(payload, str)
                data = b"" if payload is None else payload.encode() if html else json.dumps(payload).encode()
                self.send_response(status)
                if data:
                    self.send_header("Content-Type", "text/html; charset=utf-8" if html else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="authentik-double", daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
