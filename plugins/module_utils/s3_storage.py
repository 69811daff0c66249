# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""S3 as zot's storage driver sees it: one signed HeadBucket decides whether zot could use a bucket.

Pure standard library (the hosts that run zot need no boto3): AWS Signature Version 4 over the one
request, the way zot's driver (aws-sdk-go) signs it.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import hashlib
import hmac
import socket
import ssl

try:
    from http.client import HTTPConnection, HTTPSConnection, HTTPException
    from urllib.parse import quote, urlparse
except ImportError:  # pragma: no cover - Python 2 is not supported by the collection
    raise

from ansible_collections.zotops.zot.plugins.module_utils._check_error import CheckError

EMPTY_SHA256 = hashlib.sha256(b'').hexdigest()


def parse_shared_credentials(text, profile='default'):
    """(access key, secret key, session token or None) from an AWS shared credentials file's text."""
    section, values = None, {}
    for raw in (text or '').splitlines():
        line = raw.strip()
        if not line or line[0] in '#;':
            continue
        if line.startswith('[') and line.endswith(']'):
            section = line[1:-1].strip()
            continue
        if section == profile and '=' in line:
            key, value = line.split('=', 1)
            values[key.strip().lower()] = value.strip()
    if values.get('aws_access_key_id') and values.get('aws_secret_access_key'):
        return values['aws_access_key_id'], values['aws_secret_access_key'], values.get('aws_session_token')
    return None


def _sign(key, message):
    return hmac.new(key, message.encode('utf-8'), hashlib.sha256).digest()


def sigv4_headers(method, host, path, region, credentials, now=None, service='s3'):
    """Headers of a SigV4-signed request with an empty body (``credentials`` may be None: unsigned)."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    amz_date = now.strftime('%Y%m%dT%H%M%SZ')
    headers = {'host': host, 'x-amz-date': amz_date, 'x-amz-content-sha256': EMPTY_SHA256}
    if not credentials:
        return headers
    access_key, secret_key, token = credentials
    if token:
        headers['x-amz-security-token'] = token
    names = sorted(headers)
    canonical = '\n'.join([method, quote(path, safe='/-_.~'), '',
                           ''.join('%s:%s\n' % (n, headers[n]) for n in names), ';'.join(names), EMPTY_SHA256])
    scope = '%s/%s/%s/aws4_request' % (amz_date[:8], region, service)
    to_sign = '\n'.join(['AWS4-HMAC-SHA256', amz_date, scope, hashlib.sha256(canonical.encode('utf-8')).hexdigest()])
    key = _sign(_sign(_sign(_sign(('AWS4' + secret_key).encode('utf-8'), amz_date[:8]), region), service), 'aws4_request')
    signature = hmac.new(key, to_sign.encode('utf-8'), hashlib.sha256).hexdigest()
    headers['authorization'] = 'AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s' % (
        access_key, scope, ';'.join(names), signature)
    return headers


class BucketCheckError(CheckError):
    """``cause`` is one of endpoint, bucket, credentials, region."""


def head_bucket(driver, credentials=None, timeout=10):
    """HeadBucket for zot's storage.storageDriver dict; returns the HTTP status (200) or raises
    BucketCheckError saying why zot could not use the bucket."""
    region = driver.get('region') or 'us-east-1'
    bucket = driver['bucket']
    endpoint = driver.get('regionendpoint') or 'https://s3.%s.amazonaws.com' % region
    if '://' not in endpoint:
        endpoint = ('https://' if driver.get('secure', True) else 'http://') + endpoint
    url = urlparse(endpoint)
    if driver.get('forcepathstyle') or driver.get('regionendpoint'):
        host, path = url.netloc, (url.path.rstrip('/') or '') + '/' + bucket
    else:
        host, path = '%s.%s' % (bucket, url.netloc), url.path.rstrip('/') or '/'
    if url.scheme == 'https':
        context = ssl.create_default_context()
        if driver.get('skipverify'):
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        connection = HTTPSConnection(host, timeout=timeout, context=context)
    else:
        connection = HTTPConnection(host, timeout=timeout)
    try:
        connection.request('HEAD', path, headers=sigv4_headers('HEAD', host, path, region, credentials))
        response = connection.getresponse()
        status = response.status
        response.read()
    except (socket.error, ssl.SSLError, HTTPException, OSError) as error:
        raise BucketCheckError('endpoint', 'the S3 endpoint %s://%s does not answer: %s' % (url.scheme, host, error))
    finally:
        connection.close()
    if status == 200 or (status == 403 and not credentials):
        # Unsigned, a 403 still tells the bucket exists; the keys zot gets from its environment or an
        # instance role cannot be tried from here.
        return status
    if status == 404:
        raise BucketCheckError('bucket', 'bucket %r does not exist at %s://%s' % (bucket, url.scheme, host))
    if status in (301, 400) and not driver.get('regionendpoint'):
        raise BucketCheckError('region', 'bucket %r is not in region %r (S3 answered %d)' % (bucket, region, status))
    if status == 403:
        raise BucketCheckError('credentials', 'S3 refused access to bucket %r (403): %s' % (
            bucket, 'check the access keys and their policy'))
    raise BucketCheckError('endpoint', 'S3 answered %d for bucket %r at %s://%s' % (status, bucket, url.scheme, host))
