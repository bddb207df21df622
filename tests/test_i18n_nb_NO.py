# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Norwegian (nb_NO): the translation is installed, used and consistent."""

import collections
import re

import polib
from lxml import etree

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools.misc import file_path

MODULE = "crm_campaign_segment"
LANG = "nb_NO"

# Python %-format placeholders (%s, %d, %(name)s, ...; %% is a literal percent)
# and the {{ expression }} placeholders of inline templates.
PERCENT_PLACEHOLDER = re.compile(
    r"%(?:\((\w+)\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?([sdifrxXeEgGc%])"
)
INLINE_PLACEHOLDER = re.compile(r"\{\{\s*(.*?)\s*\}\}")


def placeholders(text):
    """The placeholders of a message, with how often each occurs."""
    found = collections.Counter()
    for match in PERCENT_PLACEHOLDER.finditer(text):
        name, conversion = match.groups()
        if conversion != "%":
            found[f"%({name}){conversion}" if name else f"%{conversion}"] += 1
    for expression in INLINE_PLACEHOLDER.findall(text):
        found["{{ " + expression + " }}"] += 1
    return found


@tagged("post_install", "-at_install")
class TestNorwegianPlaceholders(TransactionCase):
    def test_placeholders_are_kept(self):
        """Every Norwegian message keeps its source's placeholders, so that
        formatting it neither fails nor drops a value."""
        po = polib.pofile(file_path(f"{MODULE}/i18n/{LANG}.po"))
        checked = 0
        mistakes = []
        for entry in po.translated_entries():
            expected = placeholders(entry.msgid)
            if expected:
                checked += 1
            if placeholders(entry.msgstr) != expected:
                mistakes.append(
                    f"{entry.msgid!r} -> {entry.msgstr!r}: expected "
                    f"{sorted(expected.elements())}, "
                    f"got {sorted(placeholders(entry.msgstr).elements())}"
                )
        self.assertFalse(mistakes, "\n".join(mistakes))
        self.assertGreater(checked, 20, "the messages with placeholders were seen")

    def test_placeholder_check_finds_mistakes(self):
        self.assertEqual(
            placeholders("Segment %(segment)s: %s of %d, 100%%, {{ object.name }}"),
            collections.Counter(
                ["%(segment)s", "%s", "%d", "{{ object.name }}"],
            ),
        )
        self.assertNotEqual(
            placeholders("Segment %(segment)s har %(count)s linjer"),
            placeholders("Segment %(segment)s has %(counts)s lines"),
        )
        self.assertNotEqual(placeholders("%s og %s"), placeholders("%s and %s %s"))


@tagged("post_install", "-at_install")
class TestNorwegianUser(TransactionCase):
    """A Norwegian user sees the segment form, the log wizard and the
    refusals of logging in Norwegian."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang(LANG)
        cls.env["ir.module.module"]._load_module_terms([MODULE], [LANG], overwrite=True)
        cls.user = new_test_user(
            cls.env,
            login="ccs_nb_manager",
            name="Kari Nordmann",
            groups=f"base.group_user,{MODULE}.crm_campaign_segment_group_manager",
            lang=LANG,
        )
        # the context the web client sends for this user (her preferences)
        user_context = cls.env["res.users"].with_user(cls.user).context_get()
        cls.nb_env = cls.env(user=cls.user, context=dict(user_context))

    def _form(self, model):
        result = self.nb_env[model].get_views([(False, "form")])
        arch = etree.fromstring(result["views"]["form"]["arch"])
        labels = {
            name: description["string"]
            for name, description in result["models"][model]["fields"].items()
        }
        return arch, labels

    def test_user_language(self):
        self.assertEqual(self.nb_env.lang, LANG)

    def test_segment_form_in_norwegian(self):
        arch, labels = self._form("crm.segment")
        buttons = {
            button.get("name"): button.get("string")
            for button in arch.iter("button")
            if button.get("string")
        }
        self.assertEqual(buttons["action_add_contacts"], "Legg til kontakter")
        self.assertEqual(buttons["action_reduce_contacts"], "Reduser kontakter")
        self.assertEqual(buttons["action_refine_contacts"], "Finjuster kontakter")
        self.assertEqual(buttons["action_go_back"], "Gå tilbake")
        self.assertEqual(buttons["action_go_forward"], "Gå fremover")
        self.assertEqual(buttons["action_log"], "Loggfør")
        self.assertEqual(buttons["action_save_criteria"], "Lagre kriterier")
        self.assertEqual(buttons["action_reuse_criteria"], "Gjenbruk kriterier")
        pages = {page.get("name"): page.get("string") for page in arch.iter("page")}
        self.assertEqual(pages["lines"], "Linjer")
        self.assertEqual(pages["criteria"], "Kriterier")
        self.assertEqual(labels["campaign_id"], "Kampanje")
        self.assertEqual(labels["campaign_target"], "Kampanjemål")
        self.assertEqual(labels["interaction_template_id"], "Samhandlingsmal")
        # and nothing of the English header is left
        english = {"Add Contacts", "Reduce Contacts", "Go Back", "Go Forward", "Log"}
        self.assertFalse(english & set(buttons.values()))

    def test_log_wizard_in_norwegian(self):
        segment = self.nb_env["crm.segment"].create({"description": "Messebesøkende"})
        action = segment.action_log()
        self.assertEqual(action["name"], "Loggfør segment")
        arch, labels = self._form("crm.segment.log")
        buttons = {
            button.get("name") or button.get("special"): button.get("string")
            for button in arch.iter("button")
        }
        self.assertEqual(buttons["action_log"], "Loggfør")
        self.assertEqual(buttons["cancel"], "Avbryt")
        self.assertEqual(labels["send"], "Send vedlegg")
        self.assertEqual(labels["create_follow_up"], "Opprett oppfølgingssegment")
        self.assertEqual(labels["missing_email"], "Hvis ingen e-postadresse")
        text = " ".join(" ".join(arch.itertext()).split())
        self.assertIn(
            "kontakter har en e-postlinje, men ingen gyldig e-postadresse.", text
        )

    def test_logging_refusal_in_norwegian(self):
        segment = self.nb_env["crm.segment"].create({"description": "Tomt segment"})
        wizard = self.nb_env["crm.segment.log"].create({"segment_id": segment.id})
        with self.assertRaises(UserError) as refusal:
            wizard.action_log()
        message = str(refusal.exception.args[0])
        self.assertEqual(
            message,
            f"Segment {segment.display_name} har ingen linjer: legg til kontakter "
            "før du loggfører det.",
        )
        self.assertRegex(segment.display_name, r"SM\d+")
        self.assertNotIn("%(", message)
