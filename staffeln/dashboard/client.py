"""A small client of staffeln-api for the dashboard, without Horizon.

It calls ``/v1/...`` at an endpoint with a Keystone token and turns the
API's error documents into :class:`ApiError`, whose ``field`` names the
form field a 400 is about when the reason starts with one
(``schedule: hour 25 is not within 0-23``).
"""

from __future__ import annotations

import re

import requests

#: The catalog's service type of staffeln-api.
SERVICE_TYPE = 'backup-automation'
TIMEOUT = 30.0

_FIELD = re.compile(r'^([a-z_]+): (.+)$', re.DOTALL)


class ApiError(Exception):
    """staffeln-api refused a request; ``str()`` is its one-line reason."""

    def __init__(self, status: int, message: str,
                 request_id: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.request_id = request_id

    @property
    def field(self) -> str | None:
        """The field a 400's reason is about, if it starts with one."""
        match = _FIELD.match(self.message) if self.status == 400 else None
        return match.group(1) if match else None

    @property
    def field_message(self) -> str:
        """The reason without the field's name in front of it."""
        match = _FIELD.match(self.message)
        return match.group(2) if match and self.field else self.message


class Client:
    """Calls staffeln-api at ``endpoint`` as the holder of ``token``."""

    def __init__(self, endpoint: str, token: str, verify=True,
                 session: requests.Session | None = None):
        self.endpoint = endpoint.rstrip('/')
        self.token = token
        self.verify = verify
        self.session = session or requests.Session()

    def request(self, method: str, path: str, params: dict | None = None,
                body: dict | None = None):
        params = {k: v for k, v in (params or {}).items()
                  if v not in (None, '')}
        response = self.session.request(
            method, self.endpoint + path, params=params, json=body,
            timeout=TIMEOUT, verify=self.verify,
            headers={'X-Auth-Token': self.token,
                     'Accept': 'application/json'})
        if response.status_code >= 400:
            raise _error(response)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def get(self, path: str, **params):
        return self.request('GET', path, params=params)

    def post(self, path: str, body: dict):
        return self.request('POST', path, body=body)

    def patch(self, path: str, body: dict):
        return self.request('PATCH', path, body=body)

    def delete(self, path: str):
        return self.request('DELETE', path)


def _error(response: requests.Response) -> ApiError:
    try:
        error = response.json()['error']
        return ApiError(response.status_code, str(error['message']),
                        error.get('request_id'))
    except (ValueError, KeyError, TypeError):
        return ApiError(response.status_code,
                        response.text.strip() or str(response.reason),
                        response.headers.get('X-OpenStack-Request-Id'))
