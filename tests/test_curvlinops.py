"""Specification of srnbook.optim against an independent implementation: curvlinops (test-only dependency).

curvlinops (``curvlinops-for-pytorch``) builds curvature matrices of any ``nn.Module`` from a loss
criterion of ``torch.nn`` (``MSELoss``, ``CrossEntropyLoss``, ``BCEWithLogitsLoss``). Two facts are
checked, for tiny float64 SRNs:

* the generalized Gauss-Newton matrix that srnbook's ``gnvp`` builds column by column is curvlinops'
  ``GGNLinearOperator`` (up to the loss scaling derived in :data:`GGN_SCALE`);
* the K-FAC factors of the non-recurrent layers (``U`` with ``b``, ``V`` with ``c``) from
  ``srnbook.optim.kfac.kfac_statistics(exact=True)`` are those of curvlinops'
  ``KFACLinearOperator`` (``fisher_type="type-2"``, ``kfac_approx="expand"``), up to the
  normalization derived in :func:`curvlinops_scale`.

Conventions (read from curvlinops 3.0.1's ``ggn.py``, ``kfac.py`` and ``kfac_utils.py``):
with ``reduction="sum"`` and one batch, the GGN is :math:`J^\\top \\nabla^2_z \\ell\\, J` with no
normalization; the KFAC input factor is :math:`\\sum_{n,t} \\bar a \\bar a^\\top / (N\\,T_{\\text{shared}})`
(``"expand"``: the time axis is a weight-sharing axis, averaged over; the bias is the trailing
homogeneous coordinate when ``separate_weight_and_bias=False``), and the gradient factor is
:math:`\\sum_{c}\\sum_{n,t} g^{(c)} g^{(c)\\top}` where :math:`g^{(c)}` back-propagates column
:math:`c` of :math:`S` with :math:`S S^\\top = \\nabla^2_z \\ell` (no normalization for ``"sum"``).
"""

import pytest
import torch
from torch import nn

from srnbook import SRN
from srnbook.optim.hessian_free import gnvp
from srnbook.optim.kfac import kfac_statistics
from srnbook.srn import flatten_parameters

curvlinops = pytest.importorskip("curvlinops")

pytestmark = [
    pytest.mark.usefixtures("one_torch_thread"),
    pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning"),
]

F64 = torch.float64
OUTPUT = {"squared": "identity", "cross_entropy": "softmax", "binary_cross_entropy": "sigmoid"}
CRITERION = {"squared": nn.MSELoss, "cross_entropy": nn.CrossEntropyLoss,
             "binary_cross_entropy": nn.BCEWithLogitsLoss}
LOSSES = tuple(OUTPUT)

#: srnbook's GGN divided by curvlinops' (``reduction="sum"``) for one batch of B sequences.
#: squared: srnbook L = (1/2B) sum ||z - y||^2, MSELoss(sum) = sum ||z - y||^2, so L = MSE / (2B);
#: cross-entropy and binary cross-entropy: srnbook L = (1/B) sum_steps loss, the criterion with
#: reduction="sum" is sum_steps loss, so L = criterion / B. The GGN is linear in the loss.
GGN_SCALE = {"squared": lambda B: 1 / (2 * B), "cross_entropy": lambda B: 1 / B,
             "binary_cross_entropy": lambda B: 1 / B}


def make_srn(loss, u=2, d=3, o=2, seed=0):
    torch.manual_seed(seed)
    return SRN(u, d, o, activation="tanh", output=OUTPUT[loss], grad="autograd", dtype=F64)


def make_data(loss, B=5, T=4, u=2, o=2, per_step=True, seed=1):
    """Inputs ``(B, T, u)`` and srnbook targets ``(B, T, o)`` or ``(B, o)`` (one-hot for cross-entropy)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, T, u, generator=g, dtype=F64)
    shape = (B, T, o) if per_step else (B, o)
    if loss == "squared":
        y = torch.randn(*shape, generator=g, dtype=F64)
    elif loss == "cross_entropy":
        y = nn.functional.one_hot(torch.randint(o, shape[:-1], generator=g), o).to(F64)
    else:
        y = torch.randint(2, shape, generator=g).to(F64)
    return x, y


def criterion_target(loss, y):
    """The target of the torch criterion: class indices for cross-entropy, ``y`` itself otherwise."""
    return y.argmax(-1) if loss == "cross_entropy" else y


# ---------------------------------------------------------------------- GGN


class ReadOut(nn.Module):
    """``x -> z`` at srnbook's read-out steps, stacked as ``(N, o)`` rows (N valid read-outs).

    The read-out steps are those of :func:`srnbook.optim.hessian_free.network_function`: every valid
    step for per-step targets, the last valid step of each sequence for ``(B, o)`` targets. Padded
    steps are dropped, which is what srnbook's zero weights do.
    """

    def __init__(self, srn: SRN, T: int, per_step: bool, lengths=None):
        super().__init__()
        self.srn = srn
        self.lengths, self.per_step, self.T = lengths, per_step, T

    def rows(self, B: int) -> torch.Tensor:
        """``(B, T)`` mask of the read-out steps."""
        t = torch.arange(self.T).unsqueeze(0)
        n = torch.full((B, 1), self.T) if self.lengths is None else self.lengths.view(B, 1)
        return t < n if self.per_step else t == n - 1

    def forward(self, x):
        h = self.srn(x, lengths=self.lengths).h
        z = h @ self.srn.V.t() + self.srn.c  # (B, T, o)
        return z[self.rows(x.shape[0])]


def ggn_from_gnvp(model, x, y, loss, lengths=None):
    """srnbook's GGN, one column ``G e_i`` per call of :func:`gnvp`."""
    n = flatten_parameters(model).numel()
    cols = [gnvp(model, None, x, y, e, loss=loss, lengths=lengths) for e in torch.eye(n, dtype=F64)]
    return torch.stack(cols, 1)


def ggn_from_curvlinops(model, x, y, loss, lengths=None):
    per_step = y.dim() == 3
    net = ReadOut(model, x.shape[1], per_step, lengths)
    yy = y if per_step else y.unsqueeze(1).expand(-1, x.shape[1], -1)  # last-step targets at every step,
    target = criterion_target(loss, yy[net.rows(x.shape[0])])           # then the read-out rows
    op = curvlinops.GGNLinearOperator(net, CRITERION[loss](reduction="sum"), list(net.parameters()),
                                      [(x, target)], check_deterministic=False)
    n = flatten_parameters(model).numel()
    return op @ torch.eye(n, dtype=F64)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("per_step", [True, False], ids=["per-step", "last-step"])
@pytest.mark.parametrize("lengths", [None, [4, 2, 3, 1, 4]], ids=["equal", "unequal"])
def test_gnvp_columns_equal_curvlinops_ggn(loss, per_step, lengths):
    """The GGN :math:`J^\\top \\nabla^2_z L\\, J` assembled from ``gnvp(e_i)`` equals curvlinops'
    ``GGNLinearOperator`` times the identity, scaled by :data:`GGN_SCALE` (1/(2B) for the squared
    error, 1/B for both cross-entropies): the same matrix from an independent implementation,
    for per-step and last-step targets, with and without padding."""
    model = make_srn(loss, u=2, d=3, o=2)
    B, T = 5, 4
    x, y = make_data(loss, B=B, T=T, per_step=per_step)
    lengths = None if lengths is None else torch.tensor(lengths)
    G_srn = ggn_from_gnvp(model, x, y, loss, lengths)
    G_cl = ggn_from_curvlinops(model, x, y, loss, lengths)
    assert torch.linalg.matrix_norm(G_srn) > 1e-3  # a non-trivial matrix
    torch.testing.assert_close(G_srn, GGN_SCALE[loss](B) * G_cl, atol=1e-10, rtol=1e-10)


def test_ggn_comparison_detects_a_wrong_scale():
    """The comparison is sharp: without the 1/2 of srnbook's squared error (1/B instead of
    1/(2B)) the two matrices differ, so the tolerance does not absorb a wrong factor."""
    model = make_srn("squared")
    x, y = make_data("squared", B=4, T=3)
    G_srn = ggn_from_gnvp(model, x, y, "squared")
    G_cl = ggn_from_curvlinops(model, x, y, "squared")
    assert not torch.allclose(G_srn, G_cl / 4, atol=1e-6)  # 1/B instead of 1/(2B)


# ---------------------------------------------------------------------- K-FAC factors


class LinearSRN(nn.Module):
    """The SRN written with ``nn.Linear`` layers that curvlinops' K-FAC recognizes.

    ``inp`` is :math:`x_t \\mapsto U x_t + b` applied to the whole ``(B, T, u)`` input at once (its
    output is :math:`a_t - W h_{t-1}`, so the gradient there is :math:`D a_t`), ``W`` is a plain
    parameter (the recurrence), and ``out`` is :math:`h \\mapsto V h + c`: on every hidden state
    (``steps="all"``, output ``(B, T, o)``), on the last one (``steps="last"``, output ``(B, o)``), or
    on every hidden state but returning step ``s`` only (``steps=s``). Cross-entropy wants the
    classes on axis 1 (``classes_first``).
    """

    def __init__(self, srn: SRN, steps="all", classes_first=False):
        super().__init__()
        d, u, o = srn.hidden_size, srn.input_size, srn.output_size
        self.inp = nn.Linear(u, d, dtype=F64)
        self.out = nn.Linear(d, o, dtype=F64)
        with torch.no_grad():
            self.inp.weight.copy_(srn.U)
            self.inp.bias.copy_(srn.b)
            self.out.weight.copy_(srn.V)
            self.out.bias.copy_(srn.c)
        self.W = nn.Parameter(srn.W.detach().clone())
        self.sigma = srn.activation.fn
        self.steps, self.classes_first = steps, classes_first

    def forward(self, x):
        p = self.inp(x)
        h, hs = x.new_zeros(x.shape[0], self.W.shape[0]), []
        for t in range(x.shape[1]):
            h = self.sigma(p[:, t] + h @ self.W.t())
            hs.append(h)
        if self.steps == "last":
            return self.out(hs[-1])
        z = self.out(torch.stack(hs, 1))
        if self.steps != "all":
            return z[:, self.steps]
        return z.transpose(1, 2) if self.classes_first else z


#: srnbook's likelihood for each loss, and c in S S^T = c * srnbook's H for the criterion with
#: reduction="sum": MSELoss(sum) = sum (z - y)^2 has Hessian 2I (srnbook's gaussian H = I); the
#: cross-entropies' Hessians diag(p) - p p^T and diag(p(1-p)) are srnbook's H exactly.
LIKELIHOOD = {"squared": "gaussian", "cross_entropy": "categorical", "binary_cross_entropy": "bernoulli"}
HESSIAN_FACTOR = {"squared": 2.0, "cross_entropy": 1.0, "binary_cross_entropy": 1.0}


def curvlinops_scale(loss, B, n_shared):
    """curvlinops' gradient factor (``reduction="sum"``) divided by srnbook's :math:`G_0`.

    srnbook averages :math:`g g^\\top` over the B sequences and the ``n_shared`` steps it sums over;
    curvlinops sums them, with :math:`S S^\\top = c\\,H`; hence :math:`c \\cdot B \\cdot n_{\\text{shared}}`.
    The input factors agree without a factor (both average over sequences and shared steps).
    """
    return HESSIAN_FACTOR[loss] * B * n_shared


def curvlinops_factors(net, params, loss, x, target):
    """``{module: (A, G)}`` of curvlinops' type-2 K-FAC-expand with weight and bias joined."""
    op = curvlinops.KFACLinearOperator(
        net, CRITERION[loss](reduction="sum"), params, [(x, target)], fisher_type="type-2",
        kfac_approx="expand", separate_weight_and_bias=False, check_deterministic=False)
    op.compute_kronecker_factors()
    state = op.state_dict()
    return {m: (state["input_covariances"][m], state["gradient_covariances"][m]) for m in state["gradient_covariances"]}


def kfac_target(loss, B, T, o, per_step, seed=3):
    """A valid criterion target (type-2 curvature does not depend on its value)."""
    _, y = make_data(loss, B=B, T=T, o=o, per_step=per_step, seed=seed)
    return criterion_target(loss, y)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("outputs", ["all", "last"])
def test_output_layer_factors_equal_curvlinops(loss, outputs):
    """``V`` (input :math:`(h_t, 1)`, gradient :math:`D z_t`): srnbook's exact :math:`A_0` equals
    curvlinops' input factor and its :math:`G_0` equals curvlinops' gradient factor divided by
    :func:`curvlinops_scale`, with per-step likelihood (``outputs="all"``, time shared) and with the
    last step only (``outputs="last"``, no shared axis)."""
    B, T, o = 5, 4, 2
    model = make_srn(loss, u=3, d=4, o=o)
    x, _ = make_data(loss, B=B, T=T, u=3, o=o)
    ours = kfac_statistics(model, x, likelihood=LIKELIHOOD[loss], exact=True, outputs=outputs)["V"]
    net = LinearSRN(model, steps=outputs, classes_first=loss == "cross_entropy")
    target = kfac_target(loss, B, T, o, per_step=outputs == "all")
    A, G = curvlinops_factors(net, [net.out.weight, net.out.bias], loss, x, target)["out"]
    n_shared = T if outputs == "all" else 1
    torch.testing.assert_close(ours.A0, A, atol=1e-10, rtol=1e-10)
    torch.testing.assert_close(ours.G0, G / curvlinops_scale(loss, B, n_shared), atol=1e-10, rtol=1e-10)


@pytest.mark.parametrize("loss", LOSSES)
def test_input_layer_factors_equal_curvlinops_last_step(loss):
    """``U`` (input :math:`(x_t, 1)`, gradient :math:`D a_t`) with the likelihood of the last step
    only: one loss term per sequence, so curvlinops' type-2 back-propagation of the columns of
    :math:`S` is the exact expectation that srnbook takes; :math:`A_0` agrees exactly and
    :math:`G_0` after :func:`curvlinops_scale` with the T shared steps of the time axis."""
    B, T, o = 6, 5, 2
    model = make_srn(loss, u=3, d=3, o=o)
    x, _ = make_data(loss, B=B, T=T, u=3, o=o)
    ours = kfac_statistics(model, x, likelihood=LIKELIHOOD[loss], exact=True, outputs="last")["U"]
    net = LinearSRN(model, steps="last")
    target = kfac_target(loss, B, T, o, per_step=False)
    A, G = curvlinops_factors(net, [net.inp.weight, net.inp.bias], loss, x, target)["inp"]
    torch.testing.assert_close(ours.A0, A, atol=1e-10, rtol=1e-10)
    torch.testing.assert_close(ours.G0, G / curvlinops_scale(loss, B, T), atol=1e-10, rtol=1e-10)


@pytest.mark.parametrize("loss", LOSSES)
def test_input_layer_factors_equal_curvlinops_summed_over_loss_steps(loss):
    """``U`` with the likelihood of every step. srnbook's exact :math:`G_0` is
    :math:`\\overline{\\sum_s J_{ts}^\\top H_s J_{ts}}` (targets of different steps independent, so no
    cross terms). curvlinops' type-2 with all steps in one output back-propagates column :math:`c`
    of every step's :math:`S_s` together and so adds the cross terms
    :math:`\\sum_{s \\ne s'} J_{ts}^\\top S_s S_{s'}^\\top J_{ts'}` (not an expectation over targets);
    running it once per loss step ``s`` (output :math:`z_s` alone) and summing removes them. That
    sum equals srnbook's :math:`G_0` times :func:`curvlinops_scale`, and the single joint run does not."""
    B, T, o = 4, 3, 2
    model = make_srn(loss, u=2, d=3, o=o)
    x, _ = make_data(loss, B=B, T=T, u=2, o=o)
    ours = kfac_statistics(model, x, likelihood=LIKELIHOOD[loss], exact=True, outputs="all")["U"]
    G_sum = 0.0
    for s in range(T):
        net = LinearSRN(model, steps=s)
        A, G = curvlinops_factors(net, [net.inp.weight, net.inp.bias], loss, x,
                                  kfac_target(loss, B, T, o, per_step=False, seed=10 + s))["inp"]
        torch.testing.assert_close(ours.A0, A, atol=1e-10, rtol=1e-10)
        G_sum = G_sum + G
    scale = curvlinops_scale(loss, B, T)
    torch.testing.assert_close(ours.G0, G_sum / scale, atol=1e-10, rtol=1e-10)
    net = LinearSRN(model, steps="all", classes_first=loss == "cross_entropy")
    _, G_joint = curvlinops_factors(net, [net.inp.weight, net.inp.bias], loss, x,
                                    kfac_target(loss, B, T, o, per_step=True))["inp"]
    assert not torch.allclose(ours.G0, G_joint / scale, atol=1e-6)


def test_linear_srn_is_the_srn():
    """The ``nn.Linear`` rewrite used above computes the same pre-outputs as the SRN it copies."""
    model = make_srn("squared", u=3, d=4)
    x, _ = make_data("squared", B=3, T=5, u=3)
    z = model(x).y  # identity output: y = z
    torch.testing.assert_close(LinearSRN(model)(x), z, atol=1e-12, rtol=0)
    torch.testing.assert_close(LinearSRN(model, steps="last")(x), z[:, -1], atol=1e-12, rtol=0)
