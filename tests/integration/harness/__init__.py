"""Test harness: real services (zot, Keycloak, slapd, moto, chromium, skopeo) on loopback ports.

Each service is started once per pytest session by a fixture in ``tests/integration/conftest.py``
and stopped at the end; only the processes the harness started are ever stopped.
"""
