"""Seed scenarios: ``demo`` (a small, readable cloud), ``bench`` (many
servers, fast even at 100,000) and ``empty`` (only the admin)."""

from __future__ import annotations

import itertools
from typing import Any

from staffeln.tests.simcloud import models
from staffeln.tests.simcloud import state

SERVICE_USER = 'staffeln'
PASSWORD = 'secret'
OPT_IN = {'backup': 'yes'}


def seed(cloud: state.Cloud, scenario: str = 'demo', projects: int = 10,
         servers: int = 1000, tagged: int | None = None,
         volumes_per_server: int = 2) -> dict[str, Any]:
    """Fill the cloud; answer a summary with the names and ids created."""
    if scenario == 'empty':
        return {'scenario': 'empty', 'projects': {}}
    if scenario == 'demo':
        return seed_demo(cloud)
    if scenario == 'bench':
        return seed_bench(cloud, projects, servers,
                          servers // 2 if tagged is None else tagged,
                          volumes_per_server)
    raise ValueError(f'unknown scenario {scenario!r}')


def add_service_user(cloud: state.Cloud) -> models.User:
    """Staffeln's user: admin in 'service', member of every project."""
    existing = cloud.identity.find_user(SERVICE_USER)
    if existing is not None:
        return existing
    return cloud.add_user(
        SERVICE_USER, PASSWORD, email='staffeln@example.org',
        roles={cloud.service_project.id: ['admin']},
        inherited_roles=['member'])


def seed_demo(cloud: state.Cloud) -> dict[str, Any]:
    """Three projects with a member each and opted-in and -out servers.

    One volume is opted out (``backup_skip=yes``), one is in ``error``.
    """
    with cloud.lock:
        service_user = add_service_user(cloud)
        summary: dict[str, Any] = {'scenario': 'demo',
                                   'service_user': service_user.name,
                                   'projects': {}}
        layout = {
            'alpha': ('alice', [
                ('web-1', OPT_IN, [(10, True, None), (20, False, None)]),
                ('web-2', OPT_IN, [(10, True, None),
                                   (5, False, {'backup_skip': 'yes'})]),
                ('db-1', {}, [(40, True, None)]),
            ]),
            'beta': ('bob', [
                ('app-1', {'backup': 'Yes', 'backup_retention': '2w'},
                 [(10, True, None)]),
                ('app-2', {'backup': 'no'}, [(10, True, None)]),
            ]),
            'gamma': ('carol', [
                ('worker-1', {'backup': 'true'}, [(10, True, None),
                                                  (15, False, None)]),
            ]),
        }
        for project_name, (user_name, server_specs) in layout.items():
            project = cloud.add_project(project_name)
            cloud.add_user(user_name, PASSWORD,
                           email=f'{user_name}@example.org',
                           roles={project.id: ['member']})
            entry: dict[str, Any] = {'id': project.id, 'user': user_name,
                                     'servers': {}}
            for server_name, metadata, disks in server_specs:
                volume_ids = [cloud.add_volume(
                    project.id, size=size, bootable=boot,
                    name=f'{server_name}-{"boot" if boot else "data"}',
                    metadata=meta).id for size, boot, meta in disks]
                server = cloud.add_server(project.id, server_name,
                                          metadata=metadata,
                                          volume_ids=volume_ids)
                entry['servers'][server_name] = {'id': server.id,
                                                 'volumes': volume_ids}
            summary['projects'][project_name] = entry
        # gamma's data volume has failed: backups of it must be refused.
        gamma = summary['projects']['gamma']['servers']['worker-1']
        broken = cloud.volumes.get(gamma['volumes'][1])
        assert broken is not None
        broken.status = 'error'
        summary['error_volume'] = broken.id
        spare = cloud.add_volume(summary['projects']['alpha']['id'], size=1,
                                 name='spare')
        summary['spare_volume'] = spare.id
        return summary


def seed_bench(cloud: state.Cloud, projects: int, servers: int, tagged: int,
               volumes_per_server: int) -> dict[str, Any]:
    """``servers`` spread over ``projects``, built in bulk.

    The first ``tagged`` opt in (metadata ``backup=yes`` and tag ``backup``).
    """
    if projects < 1 or servers < 0 or not 0 <= tagged <= servers:
        raise ValueError('need projects >= 1 and 0 <= tagged <= servers')
    with cloud.lock:
        add_service_user(cloud)
        owners = [cloud.add_project(f'bench-{i:05d}') for i in range(projects)]
        for project in owners:
            cloud.set_quota(project.id, backups=-1, backup_gigabytes=-1,
                            volumes=-1, gigabytes=-1, snapshots=-1)
        user_id = cloud.admin_user.id
        now = cloud.now()
        server_ids = cloud.ids.uuids(servers)
        volume_ids = iter(cloud.ids.uuids(servers * volumes_per_server))
        attachment_ids = iter(cloud.ids.uuids(servers * volumes_per_server))
        new_servers: list[models.Server] = []
        new_volumes: list[models.Volume] = []
        owner_cycle = itertools.cycle(owners)
        for n, server_id in enumerate(server_ids):
            project = next(owner_cycle)
            opted = n < tagged
            vols = []
            for v in range(volumes_per_server):
                volume_id = next(volume_ids)
                vols.append(volume_id)
                new_volumes.append(models.Volume(
                    id=volume_id, project_id=project.id, user_id=user_id,
                    name=f'bench-{n}-{v}', size=1, status='in-use',
                    bootable=v == 0, created_at=now, updated_at=now,
                    attachments=[models.VolumeAttachment(
                        id=next(attachment_ids), server_id=server_id,
                        device=f'/dev/vd{"abcdefghijklmnop"[v]}',
                        attached_at=now)]))
            new_servers.append(models.Server(
                id=server_id, project_id=project.id, user_id=user_id,
                name=f'bench-{n}', created_at=now, updated_at=now,
                metadata=dict(OPT_IN) if opted else {},
                tags=['backup'] if opted else [], volume_ids=vols))
        cloud.servers.add_many(new_servers)
        cloud.volumes.add_many(new_volumes)
        for i, project in enumerate(owners):
            owned = servers // projects + (1 if i < servers % projects
                                           else 0)
            count = owned * volumes_per_server
            cloud.quotas.use(project.id, volumes=count, gigabytes=count)
        return {'scenario': 'bench', 'projects': len(owners),
                'servers': servers, 'tagged': tagged,
                'volumes': len(new_volumes),
                'service_user': SERVICE_USER}
