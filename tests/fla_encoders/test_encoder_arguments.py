"""A misspelled argument is refused by name by every built-in encoder, ``dual``'s per-branch
layer arguments included: nothing is silently ignored."""

import pytest

from tests.fla_encoders.builtin import REFERENCES, SMALL, small

MISSPELLED = [
    ("gru", TypeError, "unexpected keyword argument 'num_head'"),
    ("transformer", TypeError, "unexpected keyword argument 'num_head'"),
    ("dual", TypeError, "unexpected keyword argument 'num_head'"),
    ("linear", TypeError, "unexpected keyword argument 'num_head'"),
    ("gated_deltanet", ValueError, "gated_deltanet: unknown layer argument 'num_head'"),
    ("gla", ValueError, "gla: unknown layer argument 'num_head'"),
    ("rwkv7", ValueError, "rwkv7: unknown layer argument 'num_head'"),
]


def test_every_built_in_encoder_is_covered():
    assert {name for name, _, _ in MISSPELLED} == {*SMALL, *REFERENCES}


@pytest.mark.parametrize("name, error, reason", MISSPELLED)
def test_a_misspelled_argument_is_refused_by_name(name, error, reason):
    with pytest.raises(error, match=reason):
        small(name, num_head=2)


@pytest.mark.parametrize(
    "branch, kwargs, reason",
    [
        ("rwkv7_kwargs", {"head_dim": 8, "num_head": 2}, "rwkv7: unknown layer argument 'num_he"),
        ("gated_deltanet_kwargs", {"num_head": 2}, "gated_deltanet: unknown layer argument 'num"),
        ("gated_deltanet_kwargs", {"hidden_size": 8}, "'hidden_size' is set by the encoder"),
    ],
)
def test_dual_refuses_a_misspelled_branch_argument_by_name(branch, kwargs, reason):
    with pytest.raises(ValueError, match=reason):
        small("dual", **{branch: kwargs})
