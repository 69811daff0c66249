"""The API double (which stays for the releases one real server cannot be) against the real authentik:
the same requests, in the same order, to both; the answers compared where the modules read them.

The double behaves like the newest release the modules support (its models: authentik-client); the
real server is the release the harness builds. Fields a newer release added (e.g. an application's
pbm_uuid) are not compared; status codes, the fields the modules read and the names of the fields a
400 answer blames are.
"""
import re

import pytest
import requests

from integration.authentik.releases import RELEASES

pytestmark = [pytest.mark.authentik, pytest.mark.contract]

REDIRECT = [{"matching_mode": "strict", "url": "https://zot.example.test/zot/auth/callback/oidc"}]
# What the modules read of each answer (plugins/module_utils/authentik.py and the modules).
READ = {"provider": ["name", "client_type", "redirect_uris", "sub_mode", "issuer_mode", "authorization_flow",
                     "invalidation_flow", "signing_key", "property_mappings", "client_id", "client_secret"],
        "application": ["slug", "name", "provider", "meta_launch_url", "policy_engine_mode", "group", "pk"],
        "group": ["name", "pk", "is_superuser"],
        "user": ["username", "name", "type", "path", "groups", "is_active", "pk"],
        "binding": ["target", "group", "user", "order", "enabled", "negate", "timeout", "pk"],
        "mapping": ["name", "scope_name", "expression", "managed", "pk"]}

# (label, method, path, body, what the answer is); {names} come from earlier answers on the same server.
STEPS = [
    ("flows by slug", "GET", "/flows/instances/?slug=default-provider-authorization-implicit-consent", None, "list"),
    ("unknown flow", "GET", "/flows/instances/?slug=no-such-flow", None, "list"),
    ("signing key", "GET", "/crypto/certificatekeypairs/?name=authentik+Self-signed+Certificate", None, "list"),
    ("managed mappings", "GET", "/propertymappings/provider/scope/?managed=goauthentik.io%2Fproviders%2Foauth2%2F"
     "scope-openid", None, "list"),
    ("groups mapping", "POST", "/propertymappings/provider/scope/",
     {"name": "cmp: groups", "scope_name": "groups", "expression": "return {'groups': []}"}, "mapping"),
    ("provider missing flows", "POST", "/providers/oauth2/", {"name": "cmp", "redirect_uris": REDIRECT}, "error"),
    ("provider bad choice", "POST", "/providers/oauth2/",
     {"name": "cmp", "authorization_flow": "{flow}", "invalidation_flow": "{inv}", "client_type": "secretive",
      "redirect_uris": REDIRECT}, "error"),
    ("provider", "POST", "/providers/oauth2/",
     {"name": "cmp", "authorization_flow": "{flow}", "invalidation_flow": "{inv}", "signing_key": "{key}",
      "redirect_uris": REDIRECT, "property_mappings": ["{mapping}"], "sub_mode": "user_username"}, "provider"),
    ("provider again, same client id", "POST", "/providers/oauth2/",
     {"name": "cmp2", "authorization_flow": "{flow}", "invalidation_flow": "{inv}", "client_id": "{client_id}",
      "redirect_uris": REDIRECT}, "error"),
    ("provider by name", "GET", "/providers/oauth2/?name=cmp", None, "list"),
    ("provider patch", "PATCH", "/providers/oauth2/{provider}/",
     {"redirect_uris": [{"matching_mode": "strict", "url": "https://other.example.test/cb"}]}, "provider"),
    ("application bad slug", "POST", "/core/applications/", {"name": "Cmp", "slug": "not a slug"}, "error"),
    ("application", "POST", "/core/applications/",
     {"name": "Cmp", "slug": "cmp", "provider": "{provider}", "meta_launch_url": "https://zot.example.test",
      "policy_engine_mode": "any", "group": "Infrastructure"}, "application"),
    ("application read", "GET", "/core/applications/cmp/", None, "application"),
    ("group", "POST", "/core/groups/", {"name": "cmp-workloads"}, "group"),
    ("group by name", "GET", "/core/groups/?name=cmp-workloads", None, "list"),
    ("service account", "POST", "/core/users/",
     {"username": "cmp-ci", "name": "cmp CI", "type": "service_account", "path": "goauthentik.io/service-accounts",
      "groups": ["{group}"]}, "user"),
    ("password", "POST", "/core/users/{user}/set_password/", {"password": "cmp-pass-word-1"}, "empty"),
    ("binding", "POST", "/policies/bindings/", {"target": "{app_pk}", "group": "{group}", "order": 0}, "binding"),
    ("bindings of the application", "GET", "/policies/bindings/?target={app_pk}", None, "list"),
    ("unknown object", "GET", "/core/applications/no-such-app/", None, "error"),
    ("bad token", "GET", "/core/groups/", "BADTOKEN", "error"),
    ("delete binding", "DELETE", "/policies/bindings/{binding}/", None, "empty"),
    ("delete user", "DELETE", "/core/users/{user}/", None, "empty"),
    ("delete group", "DELETE", "/core/groups/{group}/", None, "empty"),
    ("delete application", "DELETE", "/core/applications/cmp/", None, "empty"),
    ("delete provider", "DELETE", "/providers/oauth2/{provider}/", None, "empty"),
    ("delete mapping", "DELETE", "/propertymappings/provider/scope/{mapping}/", None, "empty"),
    ("deleted provider", "GET", "/providers/oauth2/{provider}/", None, "error"),
]
# What each answer names for later steps.
NAMES = {"flows by slug": ("flow", lambda a: a["results"][0]["pk"]),
         "signing key": ("key", lambda a: a["results"][0]["pk"]),
         "groups mapping": ("mapping", lambda a: a["pk"]),
         "provider": ("provider", lambda a: a["pk"]),
         "application": ("app_pk", lambda a: a["pk"]),
         "group": ("group", lambda a: a["pk"]),
         "service account": ("user", lambda a: a["pk"]),
         "binding": ("binding", lambda a: a["pk"])}


def fill(value, names):
    if isinstance(value, str):
        whole = re.fullmatch(r"\{(\w+)\}", value)
        if whole:
            return names[whole.group(1)]
        return re.sub(r"\{(\w+)\}", lambda m: str(names[m.group(1)]), value)
    if isinstance(value, list):
        return [fill(v, names) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, names) for k, v in value.items()}
    return value


def run_steps(url, token, inv_flow):
    names = {"inv": inv_flow}
    answers = []
    for label, method, path, body, kind in STEPS:
        if label == "provider":
            names["client_id"] = None
        auth = "not-a-token" if body == "BADTOKEN" else token
        payload = None if body in (None, "BADTOKEN") else fill(body, names)
        answer = requests.request(method, url + "/api/v3" + fill(path, names), json=payload, timeout=60,
                                  headers={"Authorization": f"Bearer {auth}"})
        data = answer.json() if answer.content and "json" in answer.headers.get("Content-Type", "") else None
        if label in NAMES and answer.status_code in (200, 201):
            names[NAMES[label][0]] = NAMES[label][1](data)
            if label == "provider":
                names["client_id"] = data["client_id"]
        answers.append((label, answer.status_code, shape(kind, data, names)))
    return answers


def shape(kind, data, names):
    """The part of an answer the comparison looks at, with this server's own ids replaced by their names."""
    ids = {str(v): f"<{k}>" for k, v in names.items() if v is not None}

    def named(value):
        if isinstance(value, list):
            return [named(v) for v in value]
        if isinstance(value, dict):
            return {k: named(v) for k, v in value.items()}
        return ids.get(str(value), value)

    if kind == "error":
        return sorted(data) if isinstance(data, dict) else None
    if kind == "list":
        return {"count": data["pagination"]["count"], "pagination": sorted(data["pagination"]),
                "fields": sorted(set.intersection(*[set(r) for r in data["results"]])) if data["results"] else []}
    if kind == "empty":
        return data
    read = {}
    for field in READ[kind]:
        value = data.get(field, "<missing>")
        if field in ("client_id", "client_secret"):
            value = "<set>" if value else value
        elif field in ("authorization_flow", "invalidation_flow", "signing_key"):
            value = "<set>" if value else value
        elif field == "redirect_uris" and isinstance(value, list):
            # redirect_uri_type arrived after 2025.12 (the double answers like the newest release)
            value = [{k: v for k, v in uri.items() if k not in NEWER_RELEASE_FIELDS} for uri in value]
        read[field] = named(value)
    return read


@pytest.fixture
def double():
    from integration.authentik.authentik_double import AuthentikDouble
    served = AuthentikDouble(release=list(RELEASES)[-1]).seed_defaults().start()
    yield served
    served.stop()


def test_double_and_real_server_answer_the_modules_requests_alike(real_authentik, double):
    real_inv = real_authentik.api("GET", "/flows/instances/default-provider-invalidation-flow/").json()["pk"]
    double_inv = next(f["pk"] for f in double.flows.objects.values()
                      if f["slug"] == "default-provider-invalidation-flow")
    real = run_steps(real_authentik.server.url, real_authentik.token, real_inv)
    fake = run_steps(double.url, double.token, double_inv)
    differences = []
    for (label, r_status, r_shape), (_label, d_status, d_shape) in zip(real, fake):
        if r_status != d_status:
            differences.append(f"{label}: HTTP {r_status} from authentik, {d_status} from the double")
        elif isinstance(r_shape, dict) and isinstance(d_shape, dict) and "fields" in r_shape:
            # A list's objects: every field the real server returns that the double lacks.
            missing = sorted(set(r_shape["fields"]) - set(d_shape["fields"]))
            if r_shape["count"] != d_shape["count"] or r_shape["pagination"] != d_shape["pagination"]:
                differences.append(f"{label}: {r_shape} from authentik, {d_shape} from the double")
            elif missing and not set(missing) <= NEWER_ONLY_IN_REAL:
                differences.append(f"{label}: the double's objects lack {missing}")
        elif r_shape != d_shape:
            differences.append(f"{label}: {r_shape} from authentik, {d_shape} from the double")
    assert not differences, "\n".join(differences)


# Fields the real 2025.12 server returns that the newest release's models (the double's) no longer have.
NEWER_ONLY_IN_REAL = set()
# Fields the newest release's answers carry that 2025.12 has not yet (found by this test).
NEWER_RELEASE_FIELDS = {"redirect_uri_type"}
