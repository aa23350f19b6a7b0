"""Rule maths: hand-computed 2x2 cases for every rule variant, and the table itself."""

from __future__ import annotations

import numpy as np
import pytest

from hebbkit.runtime import RULES, ConfigError, NetworkSpec, fold_coefficients, get_rule, hebbian_update

PRE = np.array([0.5, -1.0], dtype=np.float32)
POST = np.array([2.0, 0.25], dtype=np.float32)
W0 = np.array([[1.0, -2.0], [0.5, 0.0]], dtype=np.float32)
# Per-synapse values of every role; a rule picks the roles it evolves, in its storage order.
ROLE_VALUES = {
    "A": np.array([[1.0, 2.0], [-1.0, 0.5]]),
    "B": np.array([[0.1, -0.2], [0.3, 0.0]]),
    "C": np.array([[-0.5, 1.0], [2.0, -1.0]]),
    "D": np.array([[0.01, 0.02], [-0.03, 0.04]]),
    "eta": np.array([[0.1, 0.5], [1.0, 2.0]]),
    "D_out": np.array([[1.0, -1.0], [0.5, -0.5]]),
}


def pack(rule_name: str) -> np.ndarray:
    rule = get_rule(rule_name)
    return np.stack([ROLE_VALUES[role] for role in rule.coefficients], axis=-1).astype(np.float32)


# dw written out synapse by synapse, each from the rule's own formula (pre = [0.5, -1], post = [2, 0.25]).
A, B, C, D, eta, D_out = (ROLE_VALUES[r] for r in ("A", "B", "C", "D", "eta", "D_out"))
pp = np.array([[0.5 * 2.0, 0.5 * 0.25], [-1.0 * 2.0, -1.0 * 0.25]])  # [[1, 0.125], [-2, -0.25]]
pre_m = np.array([[0.5, 0.5], [-1.0, -1.0]])
post_m = np.array([[2.0, 0.25], [2.0, 0.25]])
HAND_DELTAS = {
    # A*pp: [[1*1, 2*0.125], [-1*-2, 0.5*-0.25]]
    "A": np.array([[1.0, 0.25], [2.0, -0.125]]),
    # + D
    "AD": np.array([[1.01, 0.27], [1.97, -0.085]]),
    # eta*(A*pp + D)
    "AD_lr": np.array([[0.101, 0.135], [1.97, -0.17]]),
    # A*pp + B*pre + C*post: [[1 + 0.05 - 1, 0.25 - 0.1 + 0.25], [2 - 0.3 + 4, -0.125 + 0 - 0.25]]
    "ABC": np.array([[0.05, 0.4], [5.7, -0.375]]),
    "ABC_lr": np.array([[0.005, 0.2], [5.7, -0.75]]),
    "ABCD": np.array([[0.06, 0.42], [5.67, -0.335]]),
    "ABCD_lr": np.array([[0.006, 0.21], [5.67, -0.67]]),
    "ABCD_lr_D_out": np.array([[1.005, -0.8], [6.2, -1.25]]),
    "ABCD_lr_D_in_and_out": np.array([[1.006, -0.79], [6.17, -1.17]]),
}


def test_every_variant_of_the_original_work_is_in_the_table():
    assert set(RULES) == set(HAND_DELTAS) | {"static"}
    assert RULES["static"].n_coefficients == 0
    assert get_rule("ABCD_lr").coefficients == ("A", "B", "C", "eta", "D")
    assert get_rule("ABCD_lr_D_in_and_out").n_coefficients == 6


def test_hand_deltas_agree_with_each_rules_formula():
    formulas = {
        "A": A * pp,
        "AD": A * pp + D,
        "AD_lr": eta * (A * pp + D),
        "ABC": A * pp + B * pre_m + C * post_m,
        "ABC_lr": eta * (A * pp + B * pre_m + C * post_m),
        "ABCD": A * pp + B * pre_m + C * post_m + D,
        "ABCD_lr": eta * (A * pp + B * pre_m + C * post_m + D),
        "ABCD_lr_D_out": eta * (A * pp + B * pre_m + C * post_m) + D_out,
        "ABCD_lr_D_in_and_out": eta * (A * pp + B * pre_m + C * post_m + D) + D_out,
    }
    for name, expected in HAND_DELTAS.items():
        np.testing.assert_allclose(formulas[name], expected, rtol=0, atol=1e-12, err_msg=name)


def test_static_rule_leaves_weights_unchanged():
    updated = hebbian_update(get_rule("static"), W0, np.zeros((2, 2, 0), np.float32), PRE, POST)
    np.testing.assert_array_equal(updated, W0)


@pytest.mark.parametrize("rule_name", sorted(HAND_DELTAS))
def test_reference_update_matches_hand_computation(rule_name):
    updated = hebbian_update(get_rule(rule_name), W0, pack(rule_name), PRE, POST)
    assert updated.dtype == np.float32
    np.testing.assert_allclose(updated, W0 + HAND_DELTAS[rule_name], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("rule_name", sorted(HAND_DELTAS))
def test_folded_form_matches_hand_computation(rule_name):
    folded = fold_coefficients(get_rule(rule_name), pack(rule_name))
    delta = PRE[:, None] * (folded.a * POST + folded.b) + (folded.c * POST + folded.d)
    np.testing.assert_allclose(delta, HAND_DELTAS[rule_name], rtol=1e-6, atol=1e-6)


def test_reference_update_leaves_its_input_untouched():
    before = W0.copy()
    hebbian_update(get_rule("ABCD_lr"), W0, pack("ABCD_lr"), PRE, POST)
    np.testing.assert_array_equal(W0, before)


def test_ant_network_has_the_papers_coefficient_count():
    assert NetworkSpec().n_coefficients == 61_440
    assert NetworkSpec(rule="A").n_coefficients == 12_288


def test_unknown_rule_names_the_known_ones():
    with pytest.raises(ConfigError, match="ABCD_lr"):
        get_rule("ABCDE")
