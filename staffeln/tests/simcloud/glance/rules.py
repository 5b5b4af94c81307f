"""Glance's rules for the images Nova makes: show, list and delete.

Checked against Glance 32 (2026.1): a project sees its own images (an
admin sees every image); an image it cannot see, or one that is gone, is a
404 "No image found with ID <id>" (and "Failed to find image <id> to
delete" on a delete). Deleting an image deletes only the Glance record:
the volume snapshots its ``block_device_mapping`` names stay in Cinder.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from staffeln.tests.simcloud import context as ctx_mod
from staffeln.tests.simcloud import errors
from staffeln.tests.simcloud import models
from staffeln.tests.simcloud import state

DEFAULT_LIMIT = 25  # glance limit_param_default
MAX_LIMIT = 1000  # glance api_limit_max
#: The filters of GET /v2/images that the simulator applies.
FILTERS = ('name', 'owner', 'status', 'visibility')


def not_found(image_id: str) -> errors.NotFound:
    return errors.NotFound(f'No image found with ID {image_id}')


class ImageService:
    def __init__(self, cloud: state.Cloud) -> None:
        self.cloud = cloud

    def get(self, ctx: ctx_mod.RequestContext, image_id: str) -> models.Image:
        image = self.cloud.images.get(image_id)
        if image is None or not ctx.owns(image.owner):
            raise not_found(image_id)
        return image

    def list(self, ctx: ctx_mod.RequestContext, params: Mapping[str, str]
             ) -> tuple[list[models.Image], int]:
        """A page of the images the caller sees, newest first; the limit."""
        try:
            limit = int(params.get('limit', DEFAULT_LIMIT))
        except ValueError:
            raise errors.BadRequest('limit param must be an integer') from None
        if limit < 0:
            raise errors.BadRequest('limit param must be positive')
        limit = min(limit, MAX_LIMIT)
        marker = None
        if 'marker' in params:
            marker = self.cloud.images.get(params['marker'])
            if marker is None or not ctx.owns(marker.owner):
                raise errors.BadRequest(
                    f"Invalid marker. Image {params['marker']} could not "
                    "be found.")
        wanted = {key: params[key] for key in FILTERS if key in params}

        def visible(image: models.Image) -> bool:
            return ctx.owns(image.owner) and all(
                str(getattr(image, key)) == value
                for key, value in wanted.items())
        page: list[models.Image] = []
        if limit == 0:
            return page, limit
        for image in self.cloud.images.newest_first(after=marker,
                                                    where=visible):
            page.append(image)
            if len(page) >= limit:
                break
        return page, limit

    def delete(self, ctx: ctx_mod.RequestContext, image_id: str) -> None:
        """Delete the record at once; the snapshots it names stay."""
        image = self.cloud.images.get(image_id)
        if image is None or not ctx.owns(image.owner):
            raise errors.NotFound(f'Failed to find image {image_id} to '
                                  'delete')
        if image.protected:
            raise errors.Forbidden(f'Image {image_id} is protected and '
                                   'cannot be deleted.')
        self.cloud.images.remove(image)

    def add(self, owner: str, name: str, status: str,
            properties: Mapping[str, Any], **fields: Any) -> models.Image:
        """An image as Nova creates it (Glance's own create is not here)."""
        now = self.cloud.now()
        image = models.Image(
            id=self.cloud.ids.uuid(), name=name, owner=owner, status=status,
            created_at=now, updated_at=now,
            properties={k: v for k, v in properties.items()}, **fields)
        self.cloud.images.add(image)
        return image
