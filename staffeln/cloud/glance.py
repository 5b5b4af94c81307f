"""Glance: the images Nova's createImage leaves, read and deleted."""

from openstack import exceptions as sdk_exc

from staffeln.cloud import calls
from staffeln.cloud import records


class GlanceCalls(calls.Calls):

    def _image(self):
        return self._service.image

    def get_image(self, image_id: str,
                  retry: bool = True) -> records.Image | None:
        """Any project's image (an admin call); None once it is gone.

        Its ``snapshots`` are the volume snapshots a createImage of a
        volume-backed server made, read from its block device mapping.
        """
        def fetch():
            response = self._image().get(f'/images/{image_id}')
            if response.status_code == 404:
                return None
            sdk_exc.raise_from_response(response)
            return records.image(response.json())
        return self._call(f'reading image {image_id}', fetch, retry=retry)

    def list_images_named(self, name: str) -> list[records.Image]:
        """The images of every project called exactly ``name``.

        An admin sees every project's images. Glance pages with a
        ``next`` link (a path under the image endpoint's root).
        """
        def fetch():
            found = []
            url, query = '/images', {'name': name,
                                     'limit': self.page_size}
            while url:
                response = self._image().get(url, params=query)
                sdk_exc.raise_from_response(response)
                body = response.json()
                page = body.get('images', [])
                found.extend(records.image(item) for item in page)
                link = body.get('next')
                url = link.removeprefix('/v2') if (
                    link and len(page) >= self.page_size) else None
                query = None
            return found
        return self._call(f'looking for image {name}', fetch)

    def delete_image(self, project_id: str, image_id: str) -> None:
        """Delete an image in its project's scope; gone is fine.

        Only the Glance record goes: the snapshots it names stay in Cinder
        and are deleted on their own.
        """
        def delete(conn):
            response = conn.image.delete(f'/images/{image_id}')
            if response.status_code != 404:
                sdk_exc.raise_from_response(response)
        self._project_call(project_id, f'deleting image {image_id}', delete)
