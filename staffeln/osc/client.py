"""A small client of Staffeln's REST API over the CLI's Keystone session."""

from osc_lib import exceptions


class Client:
    """Calls ``/v1/...`` at ``endpoint`` with the session's token."""

    def __init__(self, session, endpoint: str):
        self.session = session
        self.endpoint = endpoint.rstrip('/')

    def request(self, method: str, path: str, params: dict | None = None,
                body: dict | None = None):
        params = {k: v for k, v in (params or {}).items() if v is not None}
        response = self.session.request(
            self.endpoint + path, method, params=params, json=body,
            raise_exc=False, headers={'Accept': 'application/json'})
        if response.status_code >= 400:
            raise exceptions.CommandError(_error(response))
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


def _error(response) -> str:
    try:
        error = response.json()['error']
        message, request_id = error['message'], error.get('request_id')
    except (ValueError, KeyError, TypeError):
        message = response.text.strip() or response.reason
        request_id = response.headers.get('X-OpenStack-Request-Id')
    suffix = f', request {request_id}' if request_id else ''
    return f'{message} (HTTP {response.status_code}{suffix})'
