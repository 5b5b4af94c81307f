"""Conductor liveness and leadership in /metrics, read from real Redis."""

from oslo_config import cfg
from prometheus_client import exposition
from prometheus_client import parser
from prometheus_client import registry as prom_registry

from staffeln.api import metrics_conductors
from staffeln import conf as staffeln_conf
from staffeln.tests.functional.faults import test_coordination


class Families(prom_registry.Collector):
    def __init__(self, conf, reader):
        self.conf = conf
        self.reader = reader

    def collect(self):
        return metrics_conductors.families(self.conf, self.reader)


class TestConductorMetrics(test_coordination.RedisTestCase):

    def api_conf(self, url: str) -> cfg.ConfigOpts:
        conf = cfg.ConfigOpts()
        staffeln_conf.register_opts(conf)
        conf([], project='staffeln', default_config_files=[],
             default_config_dirs=[])
        conf.set_override('host', 'api-1')
        conf.set_override('backend_url', url, group='coordination')
        conf.set_override('namespace', self.namespace, group='coordination')
        conf.set_override('leader_timeout', '4s', group='coordination')
        conf.set_override('heartbeat_interval', 1.0, group='coordination')
        conf.set_override('coordination_timeout', '1s', group='metrics')
        return conf

    def scrape(self, url: str = test_coordination.REDIS_URL) -> dict:
        conf = self.api_conf(url)
        registry = prom_registry.CollectorRegistry(auto_describe=False)
        registry.register(Families(conf, metrics_conductors.Reader(conf)))
        text = exposition.generate_latest(registry).decode()
        return {(s.name, tuple(sorted(s.labels.items()))): s.value
                for f in parser.text_string_to_metric_families(text)
                for s in f.samples}

    def test_no_conductor_then_a_leader_then_a_dead_one(self):
        found = self.scrape()
        self.assertEqual(1, found[('staffeln_coordination_up', ())])
        self.assertEqual(0, found[('staffeln_leader_elected', ())])
        self.assertEqual(0, found[('staffeln_conductors_alive', ())])
        a = self.coordinator('a')
        a.start()
        a.heartbeat()
        b = self.coordinator('b')
        b.start()
        b.heartbeat()
        found = self.scrape()
        self.assertEqual(1, found[('staffeln_leader_elected', ())])
        self.assertEqual(2, found[('staffeln_conductors_alive', ())])
        leaders = {host for (name, labels), v in found.items()
                   if name == 'staffeln_conductor_leader' and v
                   for _, host in labels}
        self.assertEqual(1, len(leaders))
        # The leader's locks expire (a paused or killed conductor).
        [leader] = leaders
        self.expire(leader)
        found = self.scrape()
        self.assertEqual(0, found[('staffeln_leader_elected', ())])
        self.assertEqual(1, found[('staffeln_conductors_alive', ())])
        self.assertEqual(0, found[('staffeln_conductor_up',
                                   (('host', leader),))])

    def test_a_backend_that_cannot_be_read(self):
        found = self.scrape('redis://127.0.0.1:1')
        self.assertEqual({('staffeln_coordination_up', ()): 0}, found)

    def test_nothing_without_a_backend(self):
        self.assertEqual({}, self.scrape(url=''))
