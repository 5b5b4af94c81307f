"""Request helpers shared by the service blueprints."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

import flask

from staffeln.tests.simcloud.cinder import backups as backups_mod
from staffeln.tests.simcloud.cinder import volumes as volumes_mod
from staffeln.tests.simcloud import context as ctx_mod
from staffeln.tests.simcloud import errors
from staffeln.tests.simcloud.glance import rules as glance_rules
from staffeln.tests.simcloud.nova import images as nova_images
from staffeln.tests.simcloud.nova import rules as nova_rules
from staffeln.tests.simcloud import state

EXTENSION = 'simcloud'


@dataclasses.dataclass
class Services:
    """The cloud and the per-service rules, shared by the blueprints."""

    cloud: state.Cloud
    compute: nova_rules.ComputeService
    volumes: volumes_mod.VolumeService
    backups: backups_mod.BackupService
    images: glance_rules.ImageService
    server_images: nova_images.ServerImageService

    @classmethod
    def for_cloud(cls, cloud: state.Cloud) -> Services:
        volumes = volumes_mod.VolumeService(cloud)
        compute = nova_rules.ComputeService(cloud)
        images = glance_rules.ImageService(cloud)
        return cls(cloud=cloud, compute=compute, volumes=volumes,
                   backups=backups_mod.BackupService(cloud, volumes),
                   images=images,
                   server_images=nova_images.ServerImageService(
                       cloud, compute, volumes, images))


def services() -> Services:
    return flask.current_app.extensions[EXTENSION]


def cloud() -> state.Cloud:
    return services().cloud


def base_url() -> str:
    """Scheme, host and port of this request, without a trailing slash."""
    return flask.request.host_url.rstrip('/')


def json_body() -> Any:
    if not flask.request.get_data():
        return None
    body = flask.request.get_json(silent=True, force=True)
    if body is None:
        raise errors.BadRequest('Malformed request body')
    return body


def authenticate() -> ctx_mod.RequestContext:
    """The caller's context from X-Auth-Token (keystonemiddleware's 401)."""
    sim = cloud()
    with sim.lock:
        token = sim.identity.validate(flask.request.headers.get(
            'X-Auth-Token'))
        if token is None or token.project_id is None:
            raise errors.Unauthorized()
        return ctx_mod.RequestContext(
            user_id=token.user_id, project_id=token.project_id,
            roles=tuple(sim.identity.role_names(token)), token_id=token.id)


def context() -> ctx_mod.RequestContext:
    return flask.g.sim_context


def version() -> ctx_mod.Version:
    return flask.g.sim_version


def params() -> dict[str, str]:
    """Query parameters, the last value of a repeated one winning."""
    return {k: v for k, v in flask.request.args.items(multi=True)}


def no_content(status: int = 202) -> flask.Response:
    response = flask.Response(status=status)
    if status != 204:
        response.headers['Content-Type'] = 'application/json'
    return response


def cinder_time(value: datetime.datetime | None) -> str | None:
    """Cinder's timestamps: naive UTC ISO 8601 with microseconds."""
    if value is None:
        return None
    return value.astimezone(datetime.timezone.utc).replace(
        tzinfo=None).isoformat(timespec='microseconds')


def nova_time(value: datetime.datetime) -> str:
    """Nova's isotime: UTC to the second with a Z."""
    return value.astimezone(datetime.timezone.utc).strftime(
        '%Y-%m-%dT%H:%M:%SZ')


def keystone_time(value: datetime.datetime) -> str:
    return value.astimezone(datetime.timezone.utc).strftime(
        '%Y-%m-%dT%H:%M:%S.000000Z')
