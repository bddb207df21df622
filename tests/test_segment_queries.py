# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging

from odoo.tests import tagged
from odoo.tests.common import TransactionCase

from .bench_data import bench_steps, create_contacts

_logger = logging.getLogger(__name__)


@tagged("post_install", "-at_install")
class TestStepQueryCount(TransactionCase):
    """Each step costs the same number of SQL statements on 2,000 contacts and
    on 20,000: nothing loops over the contacts (queries are counted, not
    timed)."""

    def measure(self, count):
        job, relation = create_contacts(self.env, count)
        # warm the caches (record rules, registry) on a first segment
        warm = self.env["crm.segment"].create({"description": "Warm-up"})
        bench_steps(self.env, warm, job, relation)
        segment = self.env["crm.segment"].create({"description": f"{count}"})
        results = bench_steps(self.env, segment, job, relation)
        return results

    def test_queries_per_step_do_not_grow_with_contacts(self):
        env = self.env(context=dict(self.env.context, tracking_disable=True))
        self.env = env
        small = self.measure(2_000)
        large = self.measure(18_000)  # 20,000 contacts in all
        for (name, small_lines, __, small_queries, __), (
            __,
            large_lines,
            __,
            large_queries,
            __,
        ) in zip(small, large, strict=True):
            _logger.info(
                "%-38s %6s queries on %6s lines, %6s queries on %6s lines",
                name,
                small_queries,
                small_lines,
                large_queries,
                large_lines,
            )
            self.assertEqual(small_queries, large_queries, name)
        # the large segment really is larger
        self.assertGreater(large[0][1], 5 * small[0][1])
