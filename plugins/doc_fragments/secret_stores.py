# -*- coding: utf-8 -*-
# Copyright (c) zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # Suboptions of one store entry; used by the ``stores`` (list) and ``store`` (dict) options.
    DOCUMENTATION = r'''
options:
  stores:
    description:
      - Where the secret is written. Each entry is one store; every store is idempotent where it
        can read the stored value (no write when it already holds the value).
      - V(github), V(forgejo) and V(gitea) Actions secrets are write-only (their APIs never
        return a value), so they are written whenever a new value is set (every rotation) and
        never on a run that changes nothing. To roll back a failed rotation they get the
        previous key back when it is known (from the C(api_key) the module authenticated with, or a
        readable store earlier in the list); readable stores are always handled first.
      - No store ever prints, logs or returns the value.
    type: list
    elements: dict
    default: []
    suboptions:
      type:
        description:
          - The kind of store.
          - V(file) writes a local file on the managed node atomically (temporary file and
            rename), mode O(stores[].mode).
          - V(aws_secretsmanager) needs C(boto3)/C(botocore) on the node running the module;
            credentials come from the options or the usual AWS environment and files.
          - V(vault_kv2) is a HashiCorp Vault KV version 2 secret (read, then a check-and-set
            write that keeps the secret's other keys).
          - V(forgejo)/V(gitea) is a repository (O(stores[].owner) and O(stores[].repo)),
            organization (O(stores[].org)) or user (O(stores[].user_level)) Actions secret.
          - V(github) is a repository or organization Actions secret, sealed with the
            repository's or organization's public key (needs C(PyNaCl)).
          - V(onepassword_connect) is one field of an existing item, through a 1Password
            Connect server.
          - V(kubernetes) is one key of a Secret's C(data), through the API server.
        type: str
        required: true
        choices: [file, aws_secretsmanager, vault_kv2, forgejo, gitea, github, onepassword_connect, kubernetes]
      name:
        description: A name for the store in results and messages (default derived from its location).
        type: str
      path:
        description:
          - V(file) the file's path. V(vault_kv2) the secret's path below the mount.
          - V(file) a missing directory (and missing parents) is created mode 0700, owned as the file
            (O(stores[].owner), O(stores[].group)); check mode and the step before a key is made fail
            when it could not be created or written.
        type: str
      mode:
        description: V(file) the file's mode, an octal string.
        type: str
        default: '0600'
      owner:
        description:
          - V(file) the file's owner. V(forgejo), V(gitea), V(github) the repository's owner.
        type: str
      group:
        description: V(file) the file's group.
        type: str
      secret_id:
        description: V(aws_secretsmanager) the secret's name or ARN (created when missing, by name).
        type: str
      region:
        description: V(aws_secretsmanager) the AWS region.
        type: str
      endpoint_url:
        description: V(aws_secretsmanager) a different endpoint (for example a VPC endpoint or a local test server).
        type: str
      access_key:
        description: V(aws_secretsmanager) access key id (else the AWS environment).
        type: str
      secret_key:
        description: V(aws_secretsmanager) secret access key.
        type: str
      session_token:
        description: V(aws_secretsmanager) session token.
        type: str
      profile:
        description: V(aws_secretsmanager) a profile of the AWS config files.
        type: str
      json_key:
        description:
          - V(aws_secretsmanager) store the value under this key of a JSON object in the
            secret string, keeping the other keys; without it the secret string is the value.
        type: str
      kms_key_id:
        description: V(aws_secretsmanager) KMS key for a secret the module creates.
        type: str
      url:
        description:
          - The service's base URL. V(vault_kv2) Vault's address; V(forgejo)/V(gitea) the
            instance (C(/api/v1) is added); V(github) the REST API (default
            C(https://api.github.com)); V(onepassword_connect) the Connect server; V(kubernetes)
            the API server.
        type: str
      token:
        description:
          - The service's token. Vault token, Forgejo/Gitea access token, GitHub token,
            1Password Connect token, Kubernetes bearer token.
        type: str
      mount:
        description: V(vault_kv2) the KV v2 mount.
        type: str
        default: secret
      key:
        description: V(vault_kv2) the key in the secret's data; V(kubernetes) the key in the Secret's data.
        type: str
        default: value
      namespace:
        description: V(vault_kv2) the Vault Enterprise namespace; V(kubernetes) the Secret's namespace.
        type: str
      validate_certs:
        description: Verify the service's TLS certificate.
        type: bool
        default: true
      ca_path:
        description: A CA bundle for the service's certificate.
        type: path
      secret_name:
        description: V(forgejo), V(gitea), V(github) the Actions secret's name.
        type: str
      repo:
        description: V(forgejo), V(gitea), V(github) a repository secret in this repository (with O(stores[].owner)).
        type: str
      org:
        description: V(forgejo), V(gitea), V(github) an organization secret.
        type: str
      user_level:
        description: V(forgejo), V(gitea) a secret of the token's user.
        type: bool
      visibility:
        description: V(github) organization secret visibility.
        type: str
        choices: [all, private, selected]
      vault:
        description: V(onepassword_connect) the vault's id or name.
        type: str
      item:
        description: V(onepassword_connect) the item's id or title; the item must exist.
        type: str
      field:
        description: V(onepassword_connect) the field's label or id (added, concealed, when missing).
        type: str
        default: password
      secret:
        description: V(kubernetes) the Secret's name (created, type O(stores[].secret_type), when missing).
        type: str
      secret_type:
        description: V(kubernetes) the type of a Secret the module creates.
        type: str
        default: Opaque
requirements:
  - boto3 and botocore for O(stores[].type=aws_secretsmanager)
  - PyNaCl for O(stores[].type=github)
'''
