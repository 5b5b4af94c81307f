"""Version discovery documents, shaped like the real services answer them.

Checked against Keystone 29 (2026.1), Nova and Cinder of the same release:
the unversioned Keystone root answers 300 with ``versions.values``; Nova's
root answers 200 with both versions (self links only) and ``/v2.1`` the
full document; Cinder's root answers 300, and ``/v3/`` (authenticated) the
same list with 200.
"""

from __future__ import annotations

from typing import Any

from staffeln.tests.simcloud import context as ctx_mod

NOVA_MIN: ctx_mod.Version = (2, 1)
NOVA_MAX: ctx_mod.Version = (2, 96)
CINDER_MIN: ctx_mod.Version = (3, 0)
CINDER_MAX: ctx_mod.Version = (3, 70)


def identity_version(base: str) -> dict[str, Any]:
    return {
        'id': 'v3.14',
        'status': 'stable',
        'updated': '2020-04-07T00:00:00Z',
        'links': [{'rel': 'self', 'href': f'{base}/identity/v3/'}],
        'media-types': [{
            'base': 'application/json',
            'type': 'application/vnd.openstack.identity-v3+json'}],
    }


def identity_root(base: str) -> dict[str, Any]:
    return {'versions': {'values': [identity_version(base)]}}


def _nova_v21(base: str, full: bool) -> dict[str, Any]:
    doc: dict[str, Any] = {
        'id': 'v2.1',
        'status': 'CURRENT',
        'version': ctx_mod.version_str(NOVA_MAX),
        'min_version': ctx_mod.version_str(NOVA_MIN),
        'updated': '2013-07-23T11:33:21Z',
        'links': [{'rel': 'self', 'href': f'{base}/compute/v2.1/'}],
    }
    if full:
        doc['links'].append({'rel': 'describedby', 'type': 'text/html',
                             'href': 'http://docs.openstack.org/'})
        doc['media-types'] = [{
            'base': 'application/json',
            'type': 'application/vnd.openstack.compute+json;version=2.1'}]
    return doc


def compute_root(base: str) -> dict[str, Any]:
    v20 = {
        'id': 'v2.0',
        'status': 'DEPRECATED',
        'version': '',
        'min_version': '',
        'updated': '2025-07-04T12:00:00Z',
        'links': [{'rel': 'self', 'href': f'{base}/compute/v2/'}],
    }
    return {'versions': [v20, _nova_v21(base, full=False)]}


def compute_version(base: str) -> dict[str, Any]:
    return {'version': _nova_v21(base, full=True)}


def volume_versions(base: str) -> dict[str, Any]:
    return {'versions': [{
        'id': 'v3.0',
        'status': 'CURRENT',
        'version': ctx_mod.version_str(CINDER_MAX),
        'min_version': ctx_mod.version_str(CINDER_MIN),
        'updated': '2023-08-31T00:00:00Z',
        'links': [
            {'rel': 'describedby', 'type': 'text/html',
             'href': 'https://docs.openstack.org/'},
            {'rel': 'self', 'href': f'{base}/volume/v3/'},
        ],
        'media-types': [{
            'base': 'application/json',
            'type': 'application/vnd.openstack.volume+json;version=3'}],
    }]}
