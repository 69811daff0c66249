# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Whether an AWS-style endpoint (DynamoDB, as zot's cache driver names it) answers at all."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import socket
import ssl

try:
    from http.client import HTTPConnection, HTTPSConnection, HTTPException
    from urllib.parse import urlparse
except ImportError:  # pragma: no cover - Python 2 is not supported by the collection
    raise

from ansible_collections.zotops.zot.plugins.module_utils._check_error import CheckError


class EndpointCheckError(CheckError):
    """``cause`` is endpoint: nothing answered."""


def endpoint_status(endpoint, service, timeout=10):
    """The HTTP status an AWS-style endpoint answers a bare GET / with (any answer means it is there)."""
    url = urlparse(endpoint)
    connection = (HTTPSConnection if url.scheme == 'https' else HTTPConnection)(url.netloc, timeout=timeout)
    try:
        connection.request('GET', url.path or '/')
        response = connection.getresponse()
        response.read()
        return response.status
    except (socket.error, ssl.SSLError, HTTPException, OSError) as error:
        raise EndpointCheckError('endpoint', 'the %s endpoint %s does not answer: %s' % (service, endpoint, error))
    finally:
        connection.close()
