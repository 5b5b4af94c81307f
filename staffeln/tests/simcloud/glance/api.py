"""The simulated Glance v2: the images Nova's createImage makes.

Show, list (newest first, ``next`` links, ``name``/``owner``/``status``/
``visibility`` filters) and delete; Glance's own image create and upload
are not simulated. Errors are Glance's HTML pages (see
:func:`staffeln.tests.simcloud.errors.glance_page`).
"""

from __future__ import annotations

from typing import Any
import urllib.parse

import flask

from staffeln.tests.simcloud import models
from staffeln.tests.simcloud import web

bp = flask.Blueprint('glance', __name__, url_prefix='/image')
#: Glance 32's version list (CURRENT first here; Glance lists v2.17 after
#: the older ones).
_VERSIONS = ('2.17', '2.15', '2.13', '2.12', '2.11', '2.10', '2.9', '2.8',
             '2.7', '2.6', '2.5', '2.4', '2.3', '2.2', '2.1', '2.0')
_EMPTY_MD5 = 'd41d8cd98f00b204e9800998ecf8427e'
_EMPTY_SHA512 = (
    'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13'
    'c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e')


@bp.before_request
def _before() -> None:
    if flask.request.endpoint == 'glance.root':
        return
    flask.g.sim_context = web.authenticate()


@bp.get('')
@bp.get('/')
def root() -> tuple[dict[str, Any], int]:
    href = f'{web.base_url()}/image/v2/'
    return {'versions': [
        {'id': f'v{v}', 'status': 'CURRENT' if v == _VERSIONS[0]
         else 'SUPPORTED', 'links': [{'rel': 'self', 'href': href}]}
        for v in _VERSIONS]}, 300


def image_view(image: models.Image) -> dict[str, Any]:
    """Glance's image: extra properties flat beside the core fields."""
    view: dict[str, Any] = dict(image.properties)
    empty = image.status == 'active' and image.size == 0
    view.update({
        'name': image.name, 'disk_format': image.disk_format,
        'container_format': image.container_format,
        'visibility': image.visibility, 'size': image.size,
        'virtual_size': None, 'status': image.status,
        'checksum': _EMPTY_MD5 if empty else None,
        'protected': image.protected, 'min_ram': image.min_ram,
        'min_disk': image.min_disk, 'owner': image.owner,
        'os_hidden': False,
        'os_hash_algo': 'sha512' if empty else None,
        'os_hash_value': _EMPTY_SHA512 if empty else None,
        'id': image.id,
        'created_at': web.nova_time(image.created_at),
        'updated_at': web.nova_time(image.updated_at),
        'tags': [], 'self': f'/v2/images/{image.id}',
        'file': f'/v2/images/{image.id}/file',
        'schema': '/v2/schemas/image'})
    return view


@bp.get('/v2/images')
def list_images() -> dict[str, Any]:
    params = web.params()
    page, limit = web.services().images.list(web.context(), params)
    query = {k: v for k, v in params.items() if k != 'marker'}
    body: dict[str, Any] = {
        'images': [image_view(i) for i in page],
        'first': '/v2/images' + (
            f'?{urllib.parse.urlencode(query)}' if query else ''),
        'schema': '/v2/schemas/images'}
    if page and len(page) == limit:
        body['next'] = '/v2/images?' + urllib.parse.urlencode(
            dict(query, marker=page[-1].id))
    return body


@bp.get('/v2/images/<image_id>')
def show_image(image_id: str) -> dict[str, Any]:
    return image_view(web.services().images.get(web.context(), image_id))


@bp.delete('/v2/images/<image_id>')
def delete_image(image_id: str) -> flask.Response:
    web.services().images.delete(web.context(), image_id)
    return web.no_content(204)
