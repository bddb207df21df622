# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The model is the contract: what the form refuses, RPC refuses too.

A Campaign User (a sales user, not a campaign manager, without an e-mail
address) calls the models over JSON-RPC and XML-RPC as an integration would.
Every rule is tried the way a client could get around it (engine fields
written directly, context keys set by the caller) and each test checks the
refusal, its exception and the record it names, and that nothing changed.
"""

import json

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged

from ..tools.markers import as_engine

MODULE = "crm_campaign_segment"
PASSWORD = "Rpc-Contract-Pw-2026"
ACCESS_ERROR = "odoo.exceptions.AccessError"
USER_ERROR = "odoo.exceptions.UserError"


class RpcContractCase(HttpCase):
    """A logged segment (with a campaign entry) and a draft segment, both of
    the Campaign User, and helpers to call the models over RPC."""

    def setUp(self):
        super().setUp()
        self.db = self.env.cr.dbname
        self.user = new_test_user(
            self.env,
            login="ccs_contract_user",
            name="Contract Sales User",
            password=PASSWORD,
            email=False,
            groups="base.group_user,sales_team.group_sale_salesman",
        )
        self.manager = new_test_user(
            self.env,
            login="ccs_contract_manager",
            name="Contract Campaign Manager",
            password=PASSWORD,
            email="contract.manager@example.com",
            groups="base.group_user,sales_team.group_sale_manager",
        )
        self.assertTrue(
            self.user.has_group(f"{MODULE}.crm_campaign_segment_group_user")
        )
        self.assertFalse(
            self.user.has_group(f"{MODULE}.crm_campaign_segment_group_manager")
        )
        self.group = self.env["crm.interaction.group"].create(
            {"code": "RPCC-LET", "name": "Letters (contract)"}
        )
        self.campaign = self.env["utm.campaign"].create({"title": "Contract campaign"})
        self.template = self.env["crm.interaction.template"].create(
            {
                "code": "RPCC-BUS",
                "name": "Business letter (contract)",
                "group_id": self.group.id,
                "unit_cost": 3.0,
                "unit_duration": 0.5,
                "information_flow": "outbound",
                "initiated_by": "us",
                "correspondence_type": "hard_copy",
                "lang": "en_US",
                "language_ids": [
                    (
                        0,
                        0,
                        {
                            "lang": "en_US",
                            "subject": "Thank you for your visit",
                            "letter_body": "<p>Dear {{ object.name }},</p>",
                        },
                    )
                ],
            }
        )
        self.partners = self.env["res.partner"].create(
            [
                {
                    "name": f"Contract Contact {index}",
                    "email": f"contract.contact{index}@example.com",
                    "lang": "en_US",
                }
                for index in range(4)
            ]
        )
        Segment = self.env["crm.segment"].with_user(self.user)
        self.draft = Segment.create(
            {
                "description": "Contract draft segment",
                "interaction_template_id": self.template.id,
            }
        )
        self.env["crm.segment.line"].with_user(self.user).create(
            [
                {"segment_id": self.draft.id, "partner_id": partner.id}
                for partner in self.partners[:2]
            ]
        )
        source = Segment.create(
            {
                "description": "Contract logged segment",
                "interaction_template_id": self.template.id,
                "campaign_id": self.campaign.id,
                "campaign_target": True,
            }
        )
        self.env["crm.segment.line"].with_user(self.user).create(
            [
                {"segment_id": source.id, "partner_id": partner.id}
                for partner in self.partners[:3]
            ]
        )
        # logged by the Campaign User, who has no e-mail address
        self.logged = self.env["crm.logged.segment"].browse(source.log_segment())
        self.source = source.with_env(self.env)
        self.interactions = self.logged.interaction_ids
        self.entry = self.logged.campaign_entry_ids
        self.assertEqual(len(self.interactions), 3)
        self.assertEqual(len(self.entry), 1)

    # -------------------------------------------------------------------------
    # RPC helpers
    # -------------------------------------------------------------------------
    def jsonrpc(self, user, model, method, *args, **kwargs):
        """Call ``model.method`` over JSON-RPC as ``user``; the whole reply."""
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {
                "service": "object",
                "method": "execute_kw",
                "args": [self.db, user.id, PASSWORD, model, method, list(args), kwargs],
            },
        }
        response = self.url_open(
            "/jsonrpc",
            data=json.dumps(payload),
            headers={"Content-Type": "application/json"},
            timeout=60,
        )
        self.assertEqual(response.status_code, 200)
        return response.json()

    def ok(self, user, model, method, *args, **kwargs):
        reply = self.jsonrpc(user, model, method, *args, **kwargs)
        self.assertNotIn("error", reply, reply.get("error"))
        return reply["result"]

    def refused(self, user, model, method, *args, error=USER_ERROR, names=(), **kw):
        """Assert the call is refused with ``error``, a message naming each
        of ``names``; return the message."""
        reply = self.jsonrpc(user, model, method, *args, **kw)
        self.assertIn("error", reply, f"{model}.{method} was accepted over RPC")
        data = reply["error"]["data"]
        self.assertEqual(data["name"], error, data["message"])
        for name in names:
            self.assertIn(name, data["message"])
        return data["message"]

    def xmlrpc(self, user, model, method, *args, **kwargs):
        return self.xmlrpc_object.execute_kw(
            self.db, user.id, PASSWORD, model, method, list(args), kwargs
        )

    def read_as_user(self, model, ids, fields):
        """Read as the Campaign User over XML-RPC, by id."""
        rows = self.xmlrpc(
            self.user, model, "read", list(ids), fields, context={"active_test": False}
        )
        return {row.pop("id"): row for row in rows}

    def count(self, model, domain):
        return self.xmlrpc(
            self.manager,
            model,
            "search_count",
            domain,
            context={"active_test": False},
        )


@tagged("post_install", "-at_install")
class TestEngineFieldsOverRpc(RpcContractCase):
    """Engine-owned fields are read-only to users on every path, and no
    context key a caller sets lifts a rule."""

    def test_case1_logged_segment_cannot_go_back_to_draft(self):
        """Issue case 1: state back to draft with a new line, in one write."""
        lines_before = self.count(
            "crm.segment.line", [("segment_id", "=", self.source.id)]
        )
        name = self.source.display_name
        self.refused(
            self.user,
            "crm.segment",
            "write",
            [self.source.id],
            {
                "state": "draft",
                "line_ids": [(0, 0, {"partner_id": self.partners[3].id})],
            },
            error=ACCESS_ERROR,
            names=[name],
        )
        # the manager neither: the status belongs to logging
        self.refused(
            self.manager,
            "crm.segment",
            "write",
            [self.source.id],
            {"state": "draft"},
            error=ACCESS_ERROR,
            names=[name],
        )
        # the locked fields of a logged segment, without touching the status
        self.refused(
            self.user,
            "crm.segment",
            "write",
            [self.source.id],
            {"line_ids": [(0, 0, {"partner_id": self.partners[3].id})]},
            names=[name],
        )
        self.refused(
            self.user,
            "crm.segment",
            "write",
            [self.source.id],
            {"unit_cost": 99.0},
            names=[name],
        )
        # nor created logged
        self.refused(
            self.user,
            "crm.segment",
            "create",
            {"description": "Born logged", "state": "logged"},
            error=ACCESS_ERROR,
        )
        # nor from an automated action, which Odoo runs in superuser mode
        action = self.env["ir.actions.server"].create(
            {
                "name": "Back to draft",
                "model_id": self.env["ir.model"]._get_id("crm.segment"),
                "state": "code",
                "code": "record.write({'state': 'draft'})",
            }
        )
        with self.assertRaises(AccessError):
            action.sudo().with_context(
                active_model="crm.segment", active_id=self.source.id
            ).run()
        segment = self.read_as_user(
            "crm.segment", self.source.ids, ["state", "unit_cost"]
        )
        self.assertEqual(segment[self.source.id], {"state": "logged", "unit_cost": 3.0})
        self.assertEqual(
            self.count("crm.segment.line", [("segment_id", "=", self.source.id)]),
            lines_before,
        )
        self.assertFalse(
            self.count("crm.segment", [("description", "=", "Born logged")])
        )

    def test_case2_no_context_key_adds_lines_to_a_logged_segment(self):
        """Issue case 2: the logging context key, and the marker's key with
        any value a client can send, do not unlock a logged segment."""
        lines_before = self.count(
            "crm.segment.line", [("segment_id", "=", self.source.id)]
        )
        for context in (
            {"crm_segment_logging": True},
            {"crm_campaign_segment_engine": True},
            {"crm_campaign_segment_engine": "ENGINE"},
        ):
            with self.subTest(context=context):
                self.refused(
                    self.user,
                    "crm.segment.line",
                    "create",
                    {"segment_id": self.source.id, "partner_id": self.partners[3].id},
                    context=context,
                    names=[self.source.display_name],
                )
                line = self.source.line_ids[:1]
                self.refused(
                    self.user,
                    "crm.segment.line",
                    "unlink",
                    line.ids,
                    context=context,
                    names=[self.source.display_name],
                )
        self.assertEqual(
            self.count("crm.segment.line", [("segment_id", "=", self.source.id)]),
            lines_before,
        )

    def test_segment_engine_key_records_manual_steps_anyway(self):
        """The builder's old context key no longer skips the step history,
        nor lets a line change its contact."""
        steps_before = self.count(
            "crm.segment.step", [("segment_id", "=", self.draft.id)]
        )
        for context in (
            {"crm_segment_engine": True},
            {"crm_campaign_segment_engine": True},
        ):
            with self.subTest(context=context):
                self.ok(
                    self.user,
                    "crm.segment.line",
                    "create",
                    {"segment_id": self.draft.id, "partner_id": self.partners[3].id},
                    context=context,
                )
                line_id = self.xmlrpc(
                    self.user,
                    "crm.segment.line",
                    "search",
                    [
                        ("segment_id", "=", self.draft.id),
                        ("partner_id", "=", self.partners[3].id),
                    ],
                )
                self.refused(
                    self.user,
                    "crm.segment.line",
                    "write",
                    line_id,
                    {"partner_id": self.partners[2].id},
                    context=context,
                    names=[self.partners[3].name, self.draft.display_name],
                )
                self.ok(
                    self.user, "crm.segment.line", "unlink", line_id, context=context
                )
        # an add and a reduce step per attempt, recorded as manual edits
        steps = self.xmlrpc(
            self.user,
            "crm.segment.step",
            "search_read",
            [("segment_id", "=", self.draft.id)],
            ["origin", "mode"],
            order="id",
        )
        self.assertEqual(len(steps), steps_before + 4)
        self.assertEqual(
            [(s["origin"], s["mode"]) for s in steps[-4:]],
            [("manual", "add"), ("manual", "reduce")] * 2,
        )

    def test_case3_no_context_key_restores_canceled_interactions(self):
        """Issue case 3: canceled stays canceled whatever the context says."""
        self.ok(self.manager, "crm.logged.segment", "action_cancel", self.logged.ids)
        for context in ({"crm_cancel_cascade": True}, {}):
            with self.subTest(context=context):
                self.refused(
                    self.user,
                    "crm.interaction",
                    "write",
                    self.interactions.ids,
                    {"canceled": False},
                    context=context,
                    error=ACCESS_ERROR,
                    names=[self.interactions[0].display_name],
                )
        self.refused(
            self.user,
            "crm.interaction",
            "action_restore",
            self.interactions[:1].ids,
            context={"crm_cancel_cascade": True},
            names=[self.interactions[0].display_name],
        )
        self.refused(
            self.user,
            "crm.campaign.entry",
            "write",
            self.entry.ids,
            {"canceled": False},
            error=ACCESS_ERROR,
        )
        # nor superuser code such as an automated action
        with self.assertRaisesRegex(AccessError, "can only be set by"):
            self.interactions.sudo().write({"canceled": False})
        # and not even the engine before their logged segment is restored
        with self.assertRaisesRegex(UserError, "cannot be restored"):
            as_engine(self.interactions.sudo()).write({"canceled": False})
        rows = self.read_as_user("crm.interaction", self.interactions.ids, ["canceled"])
        self.assertEqual({row["canceled"] for row in rows.values()}, {True})
        entry = self.read_as_user("crm.campaign.entry", self.entry.ids, ["canceled"])
        self.assertTrue(entry[self.entry.id]["canceled"])

    def test_case4_mail_id_and_delivery_status_belong_to_the_engine(self):
        """Issue case 4: an interaction cannot be pointed at any e-mail."""
        foreign = self.env["mail.mail"].create(
            {"subject": "Someone else's mail", "body_html": "<p>Private</p>"}
        )
        interaction = self.interactions[0]
        name = interaction.display_name
        for vals in (
            {"mail_id": foreign.id},
            {"delivery_status": "error"},
            {"logged_segment_id": False},
            {"attachment_id": False, "delivery_error": "made up"},
        ):
            with self.subTest(vals=vals):
                self.refused(
                    self.user,
                    "crm.interaction",
                    "write",
                    interaction.ids,
                    vals,
                    error=ACCESS_ERROR,
                    names=[name],
                )
        for vals in ({"mail_id": foreign.id}, {"delivery_status": "delivered"}):
            with self.subTest(vals=vals):
                self.refused(
                    self.user,
                    "crm.interaction",
                    "create",
                    dict(vals, partner_id=self.partners[3].id),
                    error=ACCESS_ERROR,
                )
        # so resending it cannot touch that mail
        self.refused(
            self.user, "crm.interaction", "action_resend", interaction.ids, names=[name]
        )
        row = self.read_as_user(
            "crm.interaction",
            interaction.ids,
            ["mail_id", "delivery_status", "logged_segment_id", "delivery_error"],
        )[interaction.id]
        self.assertFalse(row["mail_id"])
        self.assertEqual(row["delivery_status"], "none")
        self.assertEqual(row["logged_segment_id"][0], self.logged.id)
        self.assertFalse(row["delivery_error"])
        self.assertEqual(foreign.state, "outgoing")
        self.assertFalse(
            self.count("crm.interaction", [("partner_id", "=", self.partners[3].id)])
        )
        # a plain interaction by hand is still fine, with the neutral values
        # the form sends
        new_id = self.ok(
            self.user,
            "crm.interaction",
            "create",
            {
                "partner_id": self.partners[3].id,
                "delivery_status": "none",
                "canceled": False,
                "mail_id": False,
            },
        )
        self.assertTrue(new_id)

    def test_case5_steps_and_history_are_read_only(self):
        """Issue case 5: users read steps and history, never write them."""
        step = self.draft.step_ids[:1]
        self.assertTrue(step)
        count_before = step.inserted_count
        for user in (self.user, self.manager):
            with self.subTest(user=user.login):
                self.refused(
                    user,
                    "crm.segment.step",
                    "create",
                    {"segment_id": self.draft.id, "mode": "add", "sequence": 99},
                    error=ACCESS_ERROR,
                )
                self.refused(
                    user,
                    "crm.segment.step",
                    "write",
                    step.ids,
                    {"inserted_count": 1000},
                    error=ACCESS_ERROR,
                )
                self.refused(
                    user, "crm.segment.step", "unlink", step.ids, error=ACCESS_ERROR
                )
                self.refused(
                    user,
                    "crm.segment.history",
                    "create",
                    {
                        "step_id": step.id,
                        "segment_id": self.draft.id,
                        "partner_id": self.partners[3].id,
                        "operation": "insert",
                    },
                    error=ACCESS_ERROR,
                )
        row = self.read_as_user(
            "crm.segment.step", step.ids, ["inserted_count", "mode"]
        )
        self.assertEqual(row[step.id]["inserted_count"], count_before)
        self.assertEqual(
            self.count("crm.segment.step", [("segment_id", "=", self.draft.id)]),
            len(self.draft.step_ids),
        )
        # reading the history works
        self.assertTrue(
            self.xmlrpc(
                self.user,
                "crm.segment.history",
                "search_read",
                [("step_id", "=", step.id)],
                ["partner_id", "operation"],
            )
        )

    def test_delivery_status_is_not_marked_tracked(self):
        """The mail queue writes the delivery status set-based: the field
        does not claim a tracking it would not get."""
        tracked = self.env["crm.interaction"]._track_get_fields()
        self.assertNotIn("delivery_status", tracked)
        self.assertIn("canceled", tracked)
        self.assertIn(
            "delivery_status",
            self.xmlrpc(
                self.user, "crm.interaction", "fields_get", ["delivery_status"]
            ),
        )
