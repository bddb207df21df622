# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Random step sequences against a plain Python model of the segment."""

from contextlib import closing

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo.exceptions import UserError
from odoo.tests import tagged

from .segment_common import SegmentCase

N_PARTNERS = 9  # the fair contacts of SegmentCase

subsets = st.lists(st.integers(0, N_PARTNERS - 1), min_size=1, max_size=5)
operations = st.one_of(
    st.tuples(st.just("add"), subsets, st.booleans(), st.booleans(), st.booleans()),
    st.tuples(st.sampled_from(["reduce", "refine"]), subsets, st.booleans()),
    st.tuples(st.sampled_from(["back", "forward"])),
    # go back k times, then forward j times
    st.tuples(st.just("travel"), st.integers(1, 3), st.integers(0, 3)),
    # manual_del and edit pick among the current lines (index modulo their number)
    st.tuples(
        st.sampled_from(["manual_add", "manual_del", "edit"]),
        st.integers(0, N_PARTNERS - 1),
    ),
)


class SegmentModel:
    """What the segment must hold: {partner: subject} and the steps."""

    def __init__(self, info):
        self.info = info  # partner id: (commercial id, active, excluded)
        self.lines = {}
        self.steps = []  # [{"ins": {p: subject}, "del": {p: subject}}]
        self.active = 0  # steps[:active] are applied

    def _new_step(self, inserted, removed):
        del self.steps[self.active :]
        step = {
            "ins": {p: self.lines.get(p) for p in inserted},
            "del": {p: self.lines[p] for p in removed},
        }
        for p in removed:
            del self.lines[p]
        for p in inserted:
            self.lines[p] = None
        self.steps.append(step)
        self.active += 1

    def add(self, partners, expand, include, ignore):
        info = self.info
        found = {p for p in partners if info[p][1]}
        companies = {info[p][0] for p in found}
        result = set(found)
        if expand:
            result |= {p for p in info if info[p][0] in companies}
        if include:
            result |= companies
        result = {p for p in result if info[p][1] and (ignore or not info[p][2])}
        self._new_step(result - set(self.lines), set())

    def narrow(self, mode, partners, entire):
        if entire:
            companies = {self.info[p][0] for p in partners}
            matches = {p for p in self.lines if self.info[p][0] in companies}
        else:
            matches = set(self.lines) & set(partners)
        removed = matches if mode == "reduce" else set(self.lines) - matches
        self._new_step(set(), removed)

    def back(self):
        if not self.active:
            return False
        step = self.steps[self.active - 1]
        for p in step["ins"]:
            step["ins"][p] = self.lines.pop(p)
        self.lines.update(step["del"])
        self.active -= 1
        return True

    def forward(self):
        if self.active == len(self.steps):
            return False
        step = self.steps[self.active]
        for p in step["del"]:
            step["del"][p] = self.lines.pop(p)
        self.lines.update(step["ins"])
        self.active += 1
        return True


@tagged("post_install", "-at_install")
class TestRandomStepSequences(SegmentCase):
    @settings(
        max_examples=30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(st.lists(operations, min_size=4, max_size=14))
    def test_random_steps_match_a_set_model(self, ops):
        partners = self.fair_partners.with_context(active_test=False)
        ids = partners.ids
        info = {
            p.id: (p.commercial_partner_id.id, p.active, p.exclude_from_segment)
            for p in partners
        }
        with closing(self.env.cr.savepoint()):
            segment = self.env["crm.segment"].create({"description": "Random"})
            model = SegmentModel(info)
            for counter, op in enumerate(ops):
                self._run(segment, model, ids, counter, op)
                self.assertEqual(self._state(segment), model.lines, op)
                # and edit a line after every operation, so that line values
                # must survive every undo and redo
                self._run(segment, model, ids, counter, ("edit", counter))
                self.assertEqual(self._state(segment), model.lines, op)
        self.env.invalidate_all()

    def _run(self, segment, model, ids, counter, op):
        kind = op[0]
        if kind == "add":
            partners = [ids[i] for i in op[1]]
            segment._apply_step(
                "add",
                {
                    "partner_ids": partners,
                    "expand_company": op[2],
                    "include_company": op[3],
                    "ignore_exclusion": op[4],
                },
            )
            model.add(partners, op[2], op[3], op[4])
        elif kind in ("reduce", "refine"):
            partners = [ids[i] for i in op[1]]
            segment._apply_step(
                kind, {"partner_ids": partners, "entire_companies": op[2]}
            )
            model.narrow(kind, partners, op[2])
        elif kind in ("back", "forward"):
            expected = model.back() if kind == "back" else model.forward()
            action = (
                segment.action_go_back if kind == "back" else segment.action_go_forward
            )
            if expected:
                action()
            else:
                with self.assertRaises(UserError):
                    action()
        elif kind == "travel":
            for __ in range(op[1]):
                self._run(segment, model, ids, counter, ("back",))
                self.assertEqual(self._state(segment), model.lines, op)
            for __ in range(op[2]):
                self._run(segment, model, ids, counter, ("forward",))
                self.assertEqual(self._state(segment), model.lines, op)
        elif kind == "manual_add":
            partner = ids[op[1]]
            if partner not in model.lines:
                segment.write({"line_ids": [(0, 0, {"partner_id": partner})]})
                model._new_step({partner}, set())
        elif kind == "manual_del":
            if model.lines:
                partner = sorted(model.lines)[op[1] % len(model.lines)]
                segment.line_ids.filtered(
                    lambda line: line.partner_id.id == partner
                ).unlink()
                model._new_step(set(), {partner})
        elif kind == "edit" and model.lines:
            partner = sorted(model.lines)[op[1] % len(model.lines)]
            subject = f"edit {counter}"
            segment.line_ids.filtered(
                lambda line: line.partner_id.id == partner
            ).subject = subject
            model.lines[partner] = subject

    def _state(self, segment):
        self.env.invalidate_all()
        return {line.partner_id.id: line.subject or None for line in segment.line_ids}
