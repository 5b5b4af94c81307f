"""Who is calling (from the token) and which microversion they asked for."""

from __future__ import annotations

import dataclasses
import functools
import re

from staffeln.tests.simcloud import errors

Version = tuple[int, int]

_VERSION_RE = re.compile(r'^([1-9]\d*)\.([1-9]\d*|0)$')


@dataclasses.dataclass(frozen=True)
class RequestContext:
    user_id: str
    project_id: str | None
    roles: tuple[str, ...]
    token_id: str

    @property
    def is_admin(self) -> bool:
        return 'admin' in self.roles

    def owns(self, project_id: str) -> bool:
        return self.is_admin or self.project_id == project_id


@functools.lru_cache(maxsize=256)
def parse_version(text: str) -> Version:
    match = _VERSION_RE.match(text.strip())
    if not match:
        raise errors.BadRequest(
            f'API Version String {text} is of invalid format. Must be of '
            'format MajorNum.MinorNum.')
    return int(match.group(1)), int(match.group(2))


def version_str(version: Version) -> str:
    return f'{version[0]}.{version[1]}'


def negotiate(headers: dict[str, str], service: str, minimum: Version,
              maximum: Version, legacy_header: str | None = None) -> Version:
    """The requested microversion; the minimum when none is asked for.

    ``headers`` is a case-insensitive mapping. Out of range answers 406 with
    the text Nova and Cinder use.
    """
    requested: str | None = None
    for part in (headers.get('OpenStack-API-Version') or '').split(','):
        words = part.split()
        if len(words) == 2 and words[0].lower() == service:
            requested = words[1]
            break
    if requested is None and legacy_header:
        requested = headers.get(legacy_header)
    if requested is None:
        return minimum
    if requested.strip().lower() == 'latest':
        return maximum
    version = parse_version(requested)
    if not minimum <= version <= maximum:
        raise errors.NotAcceptable(
            f'Version {version_str(version)} is not supported by the API. '
            f'Minimum is {version_str(minimum)} and maximum is '
            f'{version_str(maximum)}.')
    return version
