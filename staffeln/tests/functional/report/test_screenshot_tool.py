"""tools/render_digest_screenshot.py and the picture it made for the docs."""

import os
import struct
import subprocess
import sys

import fixtures

from staffeln.tests import base

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..',
                                    '..', '..'))
TOOL = os.path.join(ROOT, 'tools', 'render_digest_screenshot.py')
PICTURE = os.path.join(ROOT, 'doc', 'source', '_static', 'email-digest.png')


class TestScreenshotTool(base.TestCase):

    def test_renders_the_sample_digest(self):
        html = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'digest.html')
        subprocess.run([sys.executable, TOOL, '--html-only', '--html', html],
                       check=True, timeout=60, cwd=ROOT)
        with open(html, encoding='utf-8') as f:
            text = f.read()
        self.assertIn('webshop-prod', text)
        self.assertIn('data-resource="backups" data-level="yellow"', text)
        self.assertIn('data-resource="backup_gigabytes" data-level="red"',
                      text)

    def test_the_docs_show_a_picture_of_a_digest(self):
        with open(PICTURE, 'rb') as f:
            header = f.read(24)
        self.assertEqual(b'\x89PNG\r\n\x1a\n', header[:8])
        width, height = struct.unpack('>II', header[16:24])
        self.assertEqual((900, 1200), (width, height))
        with open(os.path.join(ROOT, 'doc', 'source', 'admin',
                               'email-digest.rst')) as f:
            self.assertIn('_static/email-digest.png', f.read())
