"""What Nova's createImage refusals and Cinder's snapshot refusals mean."""

from openstack import exceptions as sdk_exc

from staffeln.cloud import errors
from staffeln.common import exception
from staffeln.tests import base
from staffeln.tests.unit.cloud import test_errors


def cloud_error(status: int, text: str) -> exception.CloudError:
    return errors.cloud_error(test_errors.http_error(status, text), 'doing')


class TestCreateImageRefusals(base.TestCase):

    def refusal(self, status: int, text: str) -> exception.CloudError:
        return errors.server_image_error(cloud_error(status, text))

    def test_snapshot_quota(self):
        error = self.refusal(403, 'Quota exceeded for resources: snapshots')
        self.assertIsInstance(error, exception.QuotaExceeded)
        self.assertIn('snapshot quota exceeded', str(error))

    def test_policy_stays_a_refusal(self):
        error = self.refusal(
            403, "Policy doesn't allow os_compute_api:servers:create_image:"
                 "allow_volume_backed to be performed.")
        self.assertIs(type(error), exception.CloudError)
        self.assertEqual(403, error.status)

    def test_server_state(self):
        error = self.refusal(409, "Cannot 'createImage' instance x while it "
                                  "is in vm_state error")
        self.assertIsInstance(error, exception.ServerBusy)

    def test_freeze_refused(self):
        for status, text in ((400, 'QEMU guest agent is not enabled'),
                             (409, 'Failed to quiesce instance: timeout')):
            error = self.refusal(status, text)
            self.assertIsInstance(error, exception.QuiesceFailed)
            self.assertEqual(status, error.status)

    def test_a_volume_cinder_cannot_snapshot(self):
        error = self.refusal(
            400, 'Invalid input received: Invalid volume: Volume v status '
                 'must be available, in-use, but current status is: '
                 'backing-up. (HTTP 400) (Request-ID: req-1)')
        self.assertIsInstance(error, exception.VolumeBusy)

    def test_missing_server(self):
        error = errors.server_image_error(errors.cloud_error(
            sdk_exc.NotFoundException(
                message='Instance x could not be found.',
                details='Instance x could not be found.', http_status=404),
            'doing'))
        self.assertIsInstance(error, exception.NotFound)


class TestSnapshotRefusals(base.TestCase):

    def test_backup_from_a_busy_snapshot(self):
        error = errors.backup_create_error(cloud_error(
            400, 'Invalid snapshot: Snapshot to be backed up must be '
                 'available, but the current status is "creating".'))
        self.assertIsInstance(error, exception.SnapshotBusy)

    def test_snapshot_of_another_volume_stays_a_refusal(self):
        error = errors.backup_create_error(cloud_error(
            400, 'Invalid volume: Volume a does not match with '
                 'snapshot.volume_id b.'))
        self.assertIs(type(error), exception.CloudError)

    def test_delete_of_a_busy_snapshot(self):
        error = errors.snapshot_delete_error(cloud_error(
            400, 'Invalid snapshot: Snapshot status must be available or '
                 'error and must not be part of a group.'))
        self.assertIsInstance(error, exception.SnapshotBusy)
        other = errors.snapshot_delete_error(cloud_error(503, 'down'))
        self.assertTrue(other.retriable)
