"""Cinder: volumes, snapshots, backups and backup quotas."""

import datetime

from openstack import exceptions as sdk_exc

from staffeln.cloud import calls
from staffeln.cloud import errors
from staffeln.cloud import records
from staffeln.common import exception

#: Block storage microversion of Staffeln's calls. Backup metadata needs
#: 3.43; 3.64 adds ``encryption_key_id`` and is supported by every Cinder
#: release Staffeln supports (2023.1 and later answer up to 3.70).
VOLUME_MICROVERSION = '3.64'


class CinderCalls(calls.Calls):

    def _storage(self):
        return self._service.block_storage

    def list_volumes(self) -> list[records.Volume]:
        """Every volume of every project, one paginated listing."""
        return self._list('listing volumes', self._storage,
                          '/volumes/detail', 'volumes', records.volume,
                          microversion=VOLUME_MICROVERSION)

    def list_backups(self, status: records.BackupState | None = None,
                     **filters) -> list[records.Backup]:
        """Backups of all projects matching Cinder's list filters."""
        if status is not None:
            filters['status'] = records.BackupState(status).value
        return self._list('listing backups', self._storage,
                          '/backups/detail', 'backups', records.backup,
                          microversion=VOLUME_MICROVERSION, **filters)

    def list_backups_since(self, since: datetime.datetime
                           ) -> list[records.Backup]:
        """Backups of all projects created since ``since``, newest first.

        Cinder lists newest first; the listing stops at the first page
        that reaches back past ``since``, so its cost follows the backups
        made since then, not all the backups Cinder keeps.
        """
        def enough(page):
            return any(b.created_at is not None and b.created_at < since
                       for b in page)
        return self._list('listing recent backups', self._storage,
                          '/backups/detail', 'backups', records.backup,
                          microversion=VOLUME_MICROVERSION, enough=enough,
                          sort='created_at:desc')

    def get_backup(self, backup_id: str,
                   retry: bool = True) -> records.Backup:
        def fetch():
            response = self._storage().get(f'/backups/{backup_id}',
                                           microversion=VOLUME_MICROVERSION)
            sdk_exc.raise_from_response(response)
            return records.backup(response.json()['backup'])
        return self._call(f'reading backup {backup_id}', fetch, retry=retry)

    def create_backup(self, project_id: str, volume_id: str, name: str,
                      description: str, incremental: bool, force: bool,
                      metadata: dict,
                      snapshot_id: str | None = None) -> records.Backup:
        """Create a backup with a token scoped to the volume's project.

        With ``snapshot_id`` the backup is read from that ``available``
        snapshot of the volume (incremental too), whatever the volume's
        status, and ``force`` is not needed; the snapshot is
        ``backing-up`` meanwhile and cannot be deleted.

        Never sent twice: not retried here, nor by openstacksdk, whose
        proxies send a request again after a connection failure or a
        timeout (``connect_retries``). After an ambiguous failure the
        caller must look for the backup by its marker before trying again.

        :raises QuotaExceeded, NoParentBackup, VolumeBusy, SnapshotBusy:
            Cinder refused.
        """
        body = {'backup': {
            'volume_id': volume_id, 'name': name, 'description': description,
            'incremental': incremental, 'force': force,
            'metadata': metadata}}
        if snapshot_id is not None:
            body['backup']['snapshot_id'] = snapshot_id

        def create(conn):
            response = conn.block_storage.post(
                '/backups', json=body, microversion=VOLUME_MICROVERSION,
                connect_retries=0)
            sdk_exc.raise_from_response(response)
            return response.json()['backup']
        try:
            item = self._project_call(
                project_id, f'creating a backup of volume {volume_id}',
                create)
        except exception.ProjectUnavailable:
            raise
        except exception.CloudError as exc:
            raise errors.backup_create_error(exc) from exc
        # Cinder answers a create with the id, the name and links only.
        item = {'volume_id': volume_id, 'status': 'creating',
                'os-backup-project-attr:project_id': project_id,
                'snapshot_id': snapshot_id, **item}
        return records.backup(item)

    def delete_backup(self, project_id: str, backup_id: str) -> None:
        """Delete a backup in its owner's project scope; gone is fine.

        :raises BackupBusy: Cinder cannot delete it in its status, or
            while incremental backups depend on it.
        """
        def delete(conn):
            conn.block_storage.delete_backup(backup_id, ignore_missing=True)
        try:
            self._project_call(project_id, f'deleting backup {backup_id}',
                               delete)
        except exception.ProjectUnavailable:
            raise
        except exception.CloudError as exc:
            raise errors.backup_delete_error(exc) from exc

    # -- snapshots -----------------------------------------------------------
    def list_snapshots(self, **filters) -> list[records.Snapshot]:
        """Snapshots of all projects matching Cinder's list filters.

        E.g. ``name='snapshot for <image name>'`` finds the snapshots a
        createImage made, ``volume_id`` those of one volume.
        """
        return self._list('listing snapshots', self._storage,
                          '/snapshots/detail', 'snapshots',
                          records.snapshot,
                          microversion=VOLUME_MICROVERSION, **filters)

    def get_snapshot(self, snapshot_id: str,
                     retry: bool = True) -> records.Snapshot | None:
        """Any project's snapshot (an admin call); None once it is gone."""
        def fetch():
            response = self._storage().get(f'/snapshots/{snapshot_id}',
                                           microversion=VOLUME_MICROVERSION)
            if response.status_code == 404:
                return None
            sdk_exc.raise_from_response(response)
            return records.snapshot(response.json()['snapshot'])
        return self._call(f'reading snapshot {snapshot_id}', fetch,
                          retry=retry)

    def delete_snapshot(self, project_id: str, snapshot_id: str) -> None:
        """Delete a snapshot in its project's scope; gone is fine.

        :raises SnapshotBusy: it is being made, or a backup is being made
            from it (Cinder deletes only available or error snapshots).
        """
        def delete(conn):
            response = conn.block_storage.delete(
                f'/snapshots/{snapshot_id}', microversion=VOLUME_MICROVERSION)
            if response.status_code != 404:
                sdk_exc.raise_from_response(response)
        try:
            self._project_call(project_id, f'deleting snapshot {snapshot_id}',
                               delete)
        except exception.ProjectUnavailable:
            raise
        except exception.CloudError as exc:
            raise errors.snapshot_delete_error(exc) from exc

    def get_backup_quota(self, project_id: str,
                         retry: bool = True) -> dict:
        """``backups`` and ``backup_gigabytes`` as limit/in_use/reserved."""
        return self._quota(project_id, ('backups', 'backup_gigabytes'),
                           retry)

    def get_snapshot_quota(self, project_id: str,
                           retry: bool = True) -> dict:
        """``snapshots`` and ``gigabytes`` as limit/in_use/reserved.

        Snapshots count against ``gigabytes`` beside the volumes (unless
        Cinder runs with ``no_snapshot_gb_quota``); Nova's createImage
        needs one ``snapshots`` per volume of the server.
        """
        return self._quota(project_id, ('snapshots', 'gigabytes'), retry)

    def _quota(self, project_id: str, keys: tuple, retry: bool) -> dict:
        quota = self._call(f'reading the quota of project {project_id}',
                           lambda: self._storage().get_quota_set(
                               project_id, usage=True), retry=retry)
        result = {}
        for key in keys:
            value = getattr(quota, key, None)
            usage = (quota.usage or {}).get(key, {})
            reserved = (quota.reservation or {}).get(key, 0)
            if isinstance(value, dict):
                usage, value = value, value.get('limit')
            result[key] = {
                'limit': -1 if value is None else int(value),
                'in_use': int(usage.get('in_use', 0) if isinstance(
                    usage, dict) else usage or 0),
                'reserved': int(reserved or 0),
            }
        return result

    def restore_backup(self, project_id: str, backup_id: str,
                       volume_id: str) -> dict:
        """Restore a backup onto an available volume of its project.

        In the backup's project scope, so that Cinder finds the volume
        only in that project. Never sent twice. Returns Cinder's answer:
        ``backup_id``, ``volume_id`` and ``volume_name``.
        """
        spec = {'volume_id': volume_id}

        def restore(conn):
            response = conn.block_storage.post(
                f'/backups/{backup_id}/restore', json={'restore': spec},
                microversion=VOLUME_MICROVERSION, connect_retries=0)
            sdk_exc.raise_from_response(response)
            return response.json()['restore']
        return self._project_call(
            project_id, f'restoring backup {backup_id}', restore)

    def create_volume_from_backup(self, project_id: str, backup_id: str,
                                  name: str | None = None,
                                  size: int | None = None,
                                  availability_zone: str | None = None,
                                  metadata: dict | None = None) -> dict:
        """A new volume of the backup's project, written from the backup.

        ``POST /volumes`` with ``backup_id`` (microversion 3.47 and later;
        below it Cinder would create an empty volume). Without ``size`` the
        volume has the backup's size. Never sent twice. Returns the
        volume's ``id``, ``name``, ``size`` and ``status``.
        """
        spec = {'backup_id': backup_id}
        for key, value in (('name', name), ('size', size),
                           ('availability_zone', availability_zone),
                           ('metadata', metadata)):
            if value is not None:
                spec[key] = value

        def create(conn):
            response = conn.block_storage.post(
                '/volumes', json={'volume': spec},
                microversion=VOLUME_MICROVERSION, connect_retries=0)
            sdk_exc.raise_from_response(response)
            volume = response.json()['volume']
            return {key: volume.get(key)
                    for key in ('id', 'name', 'size', 'status')}
        return self._project_call(
            project_id, f'creating a volume from backup {backup_id}', create)

    def volume_status(self, volume_id: str) -> str:
        """The status of any project's volume (an admin call)."""
        def fetch():
            response = self._storage().get(f'/volumes/{volume_id}',
                                           microversion=VOLUME_MICROVERSION)
            sdk_exc.raise_from_response(response)
            return response.json()['volume']['status']
        return self._call(f'reading volume {volume_id}', fetch)

    def get_volume(self, volume_id: str,
                   retry: bool = True) -> records.Volume | None:
        """Any project's volume (an admin call); None once it is gone."""
        def fetch():
            response = self._storage().get(f'/volumes/{volume_id}',
                                           microversion=VOLUME_MICROVERSION)
            if response.status_code == 404:
                return None
            sdk_exc.raise_from_response(response)
            return records.volume(response.json()['volume'])
        return self._call(f'reading volume {volume_id}', fetch, retry=retry)

    def list_volumes_named(self, name: str) -> list[records.Volume]:
        """The volumes of every project called exactly ``name``."""
        return self._list(f'looking for volume {name}', self._storage,
                          '/volumes/detail', 'volumes', records.volume,
                          microversion=VOLUME_MICROVERSION, name=name)

    def delete_volume(self, project_id: str, volume_id: str) -> None:
        """Delete a volume in its project's scope; gone is fine.

        Cinder refuses (400) a volume that is being created, attached or
        has snapshots; the caller tries again later.
        """
        def delete(conn):
            response = conn.block_storage.delete(
                f'/volumes/{volume_id}', microversion=VOLUME_MICROVERSION)
            if response.status_code != 404:
                sdk_exc.raise_from_response(response)
        self._project_call(project_id, f'deleting volume {volume_id}',
                           delete)

    def export_backup_record(self, backup_id: str) -> dict:
        """``backup_service`` and ``backup_url`` of a backup (admin).

        Cinder's ``GET /backups/{id}/export_record``, called directly:
        openstacksdk's helpers get it wrong.
        """
        def fetch():
            response = self._storage().get(
                f'/backups/{backup_id}/export_record',
                microversion=VOLUME_MICROVERSION)
            sdk_exc.raise_from_response(response)
            return response.json()['backup-record']
        return self._call(f'exporting the record of backup {backup_id}',
                          fetch)

    def import_backup_record(self, backup_service: str,
                             backup_url: str) -> dict:
        """Import a backup record (admin); Cinder's answer: id and name.

        Never sent twice: a second import of the same record is refused.
        """
        body = {'backup-record': {'backup_service': backup_service,
                                  'backup_url': backup_url}}

        def send():
            response = self._storage().post(
                '/backups/import_record', json=body,
                microversion=VOLUME_MICROVERSION, connect_retries=0)
            sdk_exc.raise_from_response(response)
            return response.json()['backup']
        return self._call('importing a backup record', send, retry=False)

    def backup_services(self) -> list[dict]:
        """Cinder's ``cinder-backup`` services: host, status and state."""
        def fetch():
            response = self._storage().get(
                '/os-services', params={'binary': 'cinder-backup'})
            sdk_exc.raise_from_response(response)
            return [{'host': s.get('host'), 'status': s.get('status'),
                     'state': s.get('state')}
                    for s in response.json().get('services', [])]
        return self._call('listing the cinder-backup services', fetch)
