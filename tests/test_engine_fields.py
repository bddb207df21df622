# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""One mechanism guards the engine's fields: a Python marker no client can
send (``tools.markers``), not the superuser flag that automated actions and
sudo'ed code also have."""

from odoo.exceptions import AccessError
from odoo.tests import tagged

from ..tools.markers import ENGINE_KEY, as_engine
from .test_segment_log import SegmentLogCase


@tagged("post_install", "-at_install")
class TestEngineFields(SegmentLogCase):
    def _logged(self):
        segment = self._make_segment("hard_copy", send_word_as_attachment=False)
        return self.env["crm.logged.segment"].browse(
            segment.with_user(self.user).log_segment()
        )

    def test_superuser_code_cannot_write_engine_fields(self):
        logged = self._logged()
        interaction = logged.interaction_ids[:1]
        entry = logged.campaign_entry_ids[:1]
        cases = [
            (logged.sudo(), {"job_state": "queued"}),
            (logged.sudo(), {"log_fanned_out": True}),
            (logged.sudo(), {"log_cursor": 0}),
            (interaction.sudo(), {"delivery_status": "delivered"}),
            (interaction.sudo(), {"covered_by_id": interaction.id}),
            (interaction.sudo(), {"opened_at": "2026-01-01 10:00:00"}),
            (interaction.sudo(), {"clicked_at": "2026-01-01 10:00:00"}),
            (interaction.sudo(), {"click_count": 3}),
            (logged.sudo(), {"source_id": False}),
            (entry.sudo(), {"canceled": True}),
        ]
        for records, vals in cases:
            with self.subTest(model=records._name, vals=vals):
                with self.assertRaises(AccessError):
                    records.write(vals)
                # a context key with any JSON value a client could send
                with self.assertRaises(AccessError):
                    records.with_context(**{ENGINE_KEY: True}).write(vals)
        # the engine itself may
        as_engine(logged.sudo()).write({"log_cursor": 0})
        self.assertEqual(logged.log_cursor, 0)

    def test_new_records_cannot_carry_engine_fields(self):
        logged = self._logged()
        with self.assertRaises(AccessError):
            self.env["crm.interaction"].sudo().create(
                {
                    "partner_id": self.partners[0].id,
                    "template_id": self.template.id,
                    "logged_segment_id": logged.id,
                }
            )
        with self.assertRaises(AccessError):
            self.env["crm.logged.segment"].sudo().create(
                {"description": "Forged", "job_state": "queued"}
            )
        # what the forms send is accepted
        interaction = self.env["crm.interaction"].create(
            {
                "partner_id": self.partners[0].id,
                "template_id": self.template.id,
                "delivery_status": "none",
            }
        )
        self.assertEqual(interaction.delivery_status, "none")
