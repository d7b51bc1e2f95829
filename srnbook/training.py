r"""One small training loop for the long-time-lag tasks of :mod:`srnbook.tasks`.

:func:`train` fits an :class:`~srnbook.SRN` to a task with one of five methods,

* ``"sgd"`` -- plain gradient descent, :math:`\theta \leftarrow \theta - \eta \nabla L`;
* ``"sgd_clip"`` -- the same after gradient norm clipping
  (:func:`srnbook.gradients.clip_grad_norm_`, Pascanu et al. 2013, Algorithm 1);
* ``"sgd_clip_omega"`` -- clipping plus Pascanu's regularizer, :math:`L + \lambda\Omega`
  (:func:`srnbook.gradients.omega`, thesis eq. 2.16);
* ``"normalized"`` -- Galvan's normalized temporal components
  (:class:`srnbook.gradients.NormalizedComponents` on
  :func:`srnbook.gradients.temporal_components`);
* ``"adam"`` -- :class:`torch.optim.Adam`, as a reference (optionally after clipping, ``clip``);
* ``"hf"`` -- Hessian-free optimization (:class:`srnbook.optim.HessianFree`), with the squared loss
  or the cross-entropy of the logits;
* ``"kfac_independent"``, ``"kfac_option1"``, ``"kfac_option2"`` -- K-FAC
  (:class:`srnbook.optim.KFAC`) with that temporal model for :math:`W`, the gaussian or categorical
  likelihood of the last output (``outputs="last"``),

drawing a fresh, seeded minibatch from the task generator at every step. The loss is
read at the last step :math:`T` only: the mean squared error
:math:`\frac1B\sum_i \|\hat y_T^{(i)} - y^{(i)}\|^2 / o` for regression tasks and the
cross-entropy of the softmax of :math:`\hat y_T` for classification tasks. So the model's
output function :math:`g` must be the identity (:func:`make_model` builds it so): the
outputs are the prediction (regression) or the logits (classification).

The same loop trains a gated network (:class:`srnbook.gated.Readout`, built by
:func:`make_gated_model`) with the methods that need only its gradient,
:data:`GATED_METHODS`.

Training stops when the success rate (:func:`srnbook.tasks.success`) on a fixed, seeded
validation batch reaches ``target`` ("solved"), or when the budget runs out: a number of
training sequences and, optionally, CPU seconds measured with :func:`time.process_time`,
so that a "fixed CPU budget" does not depend on how busy the machine is.

Sequences all have length exactly :math:`T` (``variable_length=False`` of the generators):
:func:`~srnbook.gradients.temporal_components` and :func:`~srnbook.gradients.omega` work on
unpadded batches.

>>> model = make_model("adding_slides", 8, init="orthogonal", seed=0)
>>> result = train(model, "adding_slides", 2, "adam", seed=0, max_sequences=64, batch_size=32)
>>> result.sequences_seen
64
"""

from __future__ import annotations

import inspect
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

import numpy as np

from ._validation import (
    check_bool,
    check_choice,
    check_instance,
    check_memory,
    check_positive_float,
    check_positive_int,
    check_seed,
)
from .gradients import (
    NormalizedComponents,
    clip_grad_norm_,
    init_esn,
    init_identity,
    init_orthogonal,
    init_small_random,
    init_sparse,
    omega,
    temporal_components,
)
from .gated import GRU, LSTM, SCRN, Readout
from .optim import KFAC, HessianFree
from .optim.hessian_free import Minibatch
from .srn import SRN, _parameter_bytes
from .tasks import _MIN_T, TASKS, TOLERANCE, Batch, _batch_bytes, _make_task, make_task, success_rate

Tensor = torch.Tensor

METHODS = ("sgd", "sgd_clip", "sgd_clip_omega", "normalized", "adam", "hf",
           "kfac_independent", "kfac_option1", "kfac_option2")
"""The training methods of :func:`train`."""

GATED_METHODS = ("sgd", "sgd_clip", "adam")
"""The methods of :func:`train` for a gated network (those that need nothing but the gradient)."""

GATED_KINDS = ("lstm1997", "lstm", "gru", "scrn")
"""The gated networks of :func:`make_gated_model`."""

INITS = ("small", "sparse", "esn", "identity", "orthogonal", "martens_sutskever", "pascanu")
"""The initializations of :func:`make_model`."""

DEFAULT_LR = {"sgd": 0.1, "sgd_clip": 0.1, "sgd_clip_omega": 0.1, "normalized": 0.1, "adam": 0.01, "hf": 1.0,
              "kfac_independent": 0.1, "kfac_option1": 0.1, "kfac_option2": 0.1}
"""The learning rate :math:`\\eta` of each method when ``lr`` is not given."""

DEFAULT_CLIP = 1.0
"""The clipping threshold of ``"sgd_clip"`` and ``"sgd_clip_omega"`` when ``clip`` is not given."""

DEFAULT_OMEGA_WEIGHT = 1.0
"""The weight :math:`\\lambda` of :math:`\\Omega` for ``"sgd_clip_omega"`` when ``omega_weight`` is 0."""


class Summarized:
    """For a result dataclass with ``history``, ``wall_seconds`` and ``cpu_seconds``: :meth:`summary`."""

    def summary(self) -> dict:
        """A JSON-able dict of everything but the times (they depend on the machine)."""
        out = asdict(self)
        del out["wall_seconds"], out["cpu_seconds"]
        out["history"] = [list(row) for row in self.history]
        return out


@dataclass
class TrainResult(Summarized):
    """What :func:`train` returns.

    Attributes
    ----------
    solved
        Whether the validation success rate reached ``target``.
    sequences_to_solve
        The number of training sequences seen when it did (``None`` if not solved).
    sequences_seen
        Training sequences seen in all.
    success_rate
        The last validation success rate.
    loss
        The last training loss (of the last minibatch, without :math:`\\lambda\\Omega`): the mean
        squared error or the cross-entropy; for ``"hf"``, the objective HF minimizes, which for a
        regression task is half the squared error summed over the outputs (half the mean squared
        error for one output).
    history
        ``(sequences_seen, loss, success_rate)`` at each evaluation.
    diverged
        Whether training stopped on a NaN or infinite loss, or on a numerical failure of the
        optimizer (see ``error``).
    error
        ``None``, or why the optimizer failed (the exception's type and message: a linear-algebra
        error of K-FAC's factors, a curvature that CG found not positive definite): training
        stops there and the history up to that step is kept.
    wall_seconds, cpu_seconds
        Time taken; machine dependent, so left out of :meth:`summary` (and of anything a
        notebook prints).
    """

    solved: bool
    sequences_to_solve: int | None
    sequences_seen: int
    success_rate: float
    loss: float
    history: list[tuple[int, float, float]]
    diverged: bool = False
    error: str | None = None
    wall_seconds: float = field(default=0.0, repr=False)
    cpu_seconds: float = field(default=0.0, repr=False)



# ---------------------------------------------------------------------- the model


def task_sizes(task: str) -> tuple[int, int]:
    """``(u, o)``: the input and output sizes of ``task`` (a key of :data:`srnbook.tasks.TASKS`)."""
    check_choice(task, "task", tuple(TASKS))
    batch = make_task(task, 1, _MIN_T[task][0], seed=0)
    return batch.x.shape[2], batch.y.shape[1]


def make_model(task: str, d: int, activation: str = "tanh", init: str = "orthogonal", seed: int = 0,
               grad: str = "bptt") -> SRN:
    r"""An SRN with :math:`d` hidden units sized for ``task``, output :math:`g` = identity, initialized by name.

    ``init`` (seeded by ``seed``) is one of :data:`INITS`:

    * ``"small"`` -- :func:`~srnbook.gradients.init_small_random`, :math:`\mathcal N(0, 0.01^2)` weights;
    * ``"sparse"`` -- :func:`~srnbook.gradients.init_sparse`, 15 nonzeros per unit, :math:`\rho(W) = 1.1`;
    * ``"esn"`` -- :func:`~srnbook.gradients.init_esn`, :math:`\rho(W) = 0.95`;
    * ``"identity"`` -- small random weights, then :math:`W = I` (:func:`~srnbook.gradients.init_identity`);
    * ``"orthogonal"`` -- :func:`~srnbook.gradients.init_orthogonal`, a random orthogonal :math:`W`;
    * ``"martens_sutskever"`` -- the initialization of the HF code released with Martens & Sutskever
      (2011) (Sutskever's "release A", ``opt/r/demo.py``, read through the code search): 15 nonzero
      incoming weights per unit from :math:`\mathcal N(0, 1/15)` (:func:`~srnbook.gradients.init_sparse`
      with scale :math:`1/\sqrt{15}`, no spectral-radius rescaling), then :math:`U \leftarrow U/4`;
    * ``"pascanu"`` -- the "smart tanh" initialization of Pascanu, Mikolov & Bengio (2013, sec. 4.1):
      :math:`W` sparse, 15 nonzero incoming weights per unit, rescaled to :math:`\rho(W) = 0.95`;
      :math:`U` and :math:`V` from :math:`\mathcal N(0, 0.01^2)`; biases 0.

    Where an initialization only sets :math:`W`, the other parameters keep the default
    uniform :math:`[-1/\sqrt d, 1/\sqrt d]` draw, made with the same seed. ``grad`` is the SRN's
    backward (:class:`~srnbook.SRN`).
    """
    u, o = task_sizes(task)
    d = check_positive_int(d, "d")
    check_memory(_parameter_bytes(u, d, o, torch.get_default_dtype()),
                 f"the parameters of an SRN with {d} units", "d")
    check_choice(init, "init", INITS)
    seed = check_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = SRN(u, d, o, activation=activation, output="identity", grad=grad)
    g = torch.Generator().manual_seed(seed)
    if init == "small":
        init_small_random(model, generator=g)
    elif init == "sparse":
        init_sparse(model, spectral_radius=1.1, generator=g)
    elif init == "esn":
        init_esn(model, generator=g)
    elif init == "identity":
        init_identity(init_small_random(model, generator=g))
    elif init == "pascanu":
        init_sparse(model, nonzero=15, spectral_radius=0.95, generator=g)
        with torch.no_grad():
            for p in (model.U, model.V):
                p.copy_(0.01 * torch.randn(p.shape, generator=g, dtype=p.dtype))
    elif init == "martens_sutskever":
        init_sparse(model, nonzero=15, scale=15 ** -0.5, generator=g)
        with torch.no_grad():
            model.U.mul_(0.25)
    else:
        init_orthogonal(model, generator=g)
    return model


def make_gated_model(task: str, kind: str, d: int, seed: int = 0) -> Readout:
    r"""A gated network sized for ``task``: a layer of ``kind`` with :math:`d` units, read out linearly.

    ``kind`` is one of :data:`GATED_KINDS`: ``"lstm1997"`` (:class:`~srnbook.gated.LSTM` without the
    forget gate, Hochreiter & Schmidhuber 1997), ``"lstm"`` (with it, Gers et al. 2000), ``"gru"``
    (:class:`~srnbook.gated.GRU`) or ``"scrn"`` (:class:`~srnbook.gated.SCRN` with :math:`d` sigmoid
    and :math:`d` context units). Parameters are drawn as :class:`torch.nn.LSTM` draws them, seeded by
    ``seed``; the readout (:class:`~srnbook.gated.Readout`) is linear, as :func:`make_model`'s output.

    ``"lstm1997"`` is initialized as in 1997 (their section 5.4 and Table 10): every weight and bias
    uniform in :math:`[-0.1, 0.1]`, then the input gates of the cells, in blocks of two, biased
    negative so that the cells start closed and the carousels do not fill with noise: block
    :math:`k = 0, 1, \dots` gets :math:`-\beta(1 + k \bmod 2)`, with :math:`\beta = 2` for
    ``"temporal_order"`` (their :math:`-2, -4`) and :math:`\beta = 3` otherwise (their :math:`-3, -6`
    for the adding problem).
    """
    u, o = task_sizes(task)
    check_choice(kind, "kind", GATED_KINDS)
    d = check_positive_int(d, "d")
    check_memory(4 * d * (u + d + 1) * torch.get_default_dtype().itemsize,
                 f"the parameters of a gated layer with {d} units", "d")
    seed = check_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if kind == "scrn":
            layer = SCRN(u, d, d)
        elif kind == "gru":
            layer = GRU(u, d)
        else:
            layer = LSTM(u, d, forget_gate=kind == "lstm")
        network = Readout(layer, o)
        if kind == "lstm1997":
            _init_hochreiter_1997_(network, 2.0 if task == "temporal_order" else 3.0)
        return network


@torch.no_grad()
def _init_hochreiter_1997_(network: Readout, beta: float) -> None:
    """Weights and biases uniform in [-0.1, 0.1]; input-gate biases -beta, -2 beta by blocks of two cells."""
    for p in network.parameters():
        p.uniform_(-0.1, 0.1)
    d = network.layer.hidden_size
    blocks = torch.arange(d) // 2
    network.layer.bias[:d] = -beta * (1 + blocks % 2).to(network.layer.bias.dtype)  # the i rows of [i; g; o]


# ---------------------------------------------------------------------- the loss


def loss_function(batch: Batch) -> Callable[[Tensor], Tensor]:
    r"""The loss of ``batch`` as a function of the last outputs :math:`\hat y_T`, ``(B, o)``.

    Mean squared error for a regression task, cross-entropy of :math:`\operatorname{softmax}(\hat y_T)`
    for a classification task (the outputs are logits).
    """
    check_instance(batch, "batch", Batch, "a srnbook.tasks.Batch")
    if batch.kind == "classification":
        labels = batch.labels
        return lambda y_last: F.cross_entropy(y_last, labels)
    return lambda y_last: F.mse_loss(y_last, batch.y)


# ---------------------------------------------------------------------- training


def train(model: SRN | Readout, task: str, T: int, method: str, *, seed: int = 0, max_sequences: int,
          budget_seconds: float | None = None, batch_size: int = 32, lr: float | None = None,
          clip: float | None = None, omega_weight: float = 0.0, target: float = 0.99,
          eval_every: int = 1024, eval_size: int = 512, tol: float = TOLERANCE, progress: bool = False,
          options: dict | None = None) -> TrainResult:
    r"""Train ``model`` in place on ``task`` with minimal length ``T`` by ``method`` (one of :data:`METHODS`).

    Each step draws ``batch_size`` fresh sequences of length :math:`T` (seeded by ``seed`` and
    the step number) and takes one step of the method with learning rate ``lr``
    (:data:`DEFAULT_LR` if not given). ``clip`` is the clipping threshold: applied whenever given,
    :data:`DEFAULT_CLIP` for the ``"sgd_clip*"`` methods if not (it does not apply to
    ``"normalized"``, whose step has the norm of the gradient by construction).
    ``omega_weight`` is :math:`\lambda` in :math:`L + \lambda\Omega`, only for
    ``"sgd_clip_omega"`` (:data:`DEFAULT_OMEGA_WEIGHT` if 0).

    Every ``eval_every`` sequences (and at the end) the success rate on a fixed validation batch
    of ``eval_size`` sequences (seeded by ``seed``, drawn apart from the training batches) is
    measured, a regression output counting as right within ``tol`` of its target
    (:func:`srnbook.tasks.success`); training stops once it is at least ``target``, after ``max_sequences`` training
    sequences, after ``budget_seconds`` of CPU time (:func:`time.process_time`, checked after
    each step), or on a NaN or infinite loss. With ``progress=True`` a tqdm bar shows the
    sequences seen. ``options`` are keyword arguments of the optimizer of ``"hf"``
    (:class:`~srnbook.optim.HessianFree`, e.g. ``damping``, ``structural_damping``,
    ``curvature_size``) or of the ``"kfac_*"`` methods (:class:`~srnbook.optim.KFAC`, e.g.
    ``damping``, ``inverse_every``); the minibatch of ``batch_size`` sequences is the gradient
    minibatch of HF.
    """
    model, task, T, method = _check_problem(model, task, T, method)
    seed = check_seed(seed)
    max_sequences = check_positive_int(max_sequences, "max_sequences")
    batch_size = check_positive_int(batch_size, "batch_size")
    eval_every = check_positive_int(eval_every, "eval_every")
    eval_size = check_positive_int(eval_size, "eval_size")
    u = model.input_size
    check_memory(_batch_bytes(batch_size, T, u, False), f"a batch of {batch_size} sequences of length {T}",
                 "batch_size and T")
    check_memory(_batch_bytes(eval_size, T, u, False),
                 f"a validation batch of {eval_size} sequences of length {T}", "eval_size and T")
    budget_seconds = None if budget_seconds is None else check_positive_float(budget_seconds, "budget_seconds")
    lr = DEFAULT_LR[method] if lr is None else check_positive_float(lr, "lr")
    if lr > torch.finfo(next(model.parameters()).dtype).max:
        raise ValueError(f"lr = {lr!r} overflows the model's dtype {next(model.parameters()).dtype}: "
                         f"every step would be infinite")
    if clip is None and method in ("sgd_clip", "sgd_clip_omega"):
        clip = DEFAULT_CLIP
    clip = None if clip is None else check_positive_float(clip, "clip")
    omega_weight = check_positive_float(omega_weight, "omega_weight", allow_zero=True)
    if omega_weight > 0 and method != "sgd_clip_omega":
        raise ValueError(f"omega_weight is for method 'sgd_clip_omega' only, got {omega_weight!r} with {method!r}")
    if method == "sgd_clip_omega" and omega_weight == 0:
        omega_weight = DEFAULT_OMEGA_WEIGHT
    tol = check_positive_float(tol, "tol")
    target = check_positive_float(target, "target")
    if target > 1:
        raise ValueError(f"target must be a success rate in (0, 1], got {target!r}")
    options = _check_options(options, method, model)
    progress = check_bool(progress, "progress")

    start_wall, start_cpu = time.perf_counter(), time.process_time()
    validation = _draw(task, eval_size, T, np.random.default_rng([seed, 1]))
    step = _make_step(model, method, lr, clip, omega_weight, seed, validation.kind, options)
    history: list[tuple[int, float, float]] = []
    seen, loss, rate, solved_at, diverged, error = 0, math.nan, 0.0, None, False, None
    next_eval = eval_every
    with tqdm(total=max_sequences, unit="seq", disable=not progress, leave=False) as bar:
        while True:
            batch = _draw(task, batch_size, T, np.random.default_rng([seed, 0, seen]))
            try:
                loss = step(batch)
            except (RuntimeError, ValueError) as failure:  # torch.linalg.LinAlgError is a RuntimeError
                error, loss = f"{type(failure).__name__} at {seen} sequences: {failure}", math.nan
            seen += batch_size
            bar.update(batch_size)
            diverged = not math.isfinite(loss)
            out_of_budget = seen >= max_sequences or diverged or (
                budget_seconds is not None and time.process_time() - start_cpu >= budget_seconds)
            if seen >= next_eval or out_of_budget:
                rate = evaluate(model, validation, tol)
                history.append((seen, loss, rate))
                bar.set_postfix(loss=f"{loss:.3g}", success=f"{rate:.2f}")
                next_eval = seen + eval_every
                if rate >= target:
                    solved_at = seen
                    break
            if out_of_budget:
                break
    return TrainResult(solved_at is not None, solved_at, seen, rate, loss, history, diverged, error,
                       time.perf_counter() - start_wall, time.process_time() - start_cpu)


def draw(task: str, n: int, T: int, seed: int) -> Batch:
    """``n`` sequences of ``task``, all of length exactly ``T`` (no padding), seeded by ``seed``."""
    return _draw(task, n, T, np.random.default_rng(check_seed(seed)))


def _draw(task: str, n: int, T: int, rng: np.random.Generator) -> Batch:
    """:func:`draw` from ``rng`` (:func:`train` derives one stream per step: ``[seed, 0, seen]``)."""
    check_choice(task, "task", tuple(TASKS))
    options = {} if task == "adding_slides" else {"variable_length": False}  # adding_slides: always T
    return _make_task(task, n, T, rng, **options)


@torch.no_grad()
def evaluate(model: SRN | Readout, batch: Batch, tol: float = TOLERANCE) -> float:
    """The success rate of ``model`` on ``batch`` (:func:`srnbook.tasks.success_rate` with tolerance
    ``tol``); the batch's float32 inputs are cast to the model's dtype."""
    check_instance(model, "model", (SRN, Readout), "an srnbook.SRN or an srnbook.gated.Readout")
    check_instance(batch, "batch", Batch, "a srnbook.tasks.Batch")
    if batch.x.shape[2] != model.input_size or batch.y.shape[1] != model.output_size:
        raise ValueError(f"batch must have inputs of size {model.input_size} and targets of size "
                         f"{model.output_size} for model, got {batch.x.shape[2]} and {batch.y.shape[1]}")
    dtype = next(model.parameters()).dtype
    return success_rate(batch, model(batch.x.to(dtype), batch.lengths).y, tol)


def _make_step(model: SRN, method: str, lr: float, clip: float | None, omega_weight: float,
               seed: int, kind: str = "regression", options: dict | None = None) -> Callable[[Batch], float]:
    """A function taking one step of ``method`` on a batch and returning its loss (before the step)."""
    params = list(model.parameters())
    options = options or {}
    if method == "hf":
        loss = "squared" if kind == "regression" else "cross_entropy"
        hf = HessianFree(model, loss=loss, lr=lr, **options)

        def step(batch: Batch) -> float:  # the loss on the gradient minibatch, before the step
            return float(hf.step(lambda: Minibatch(batch.x, batch.y)))

        return step
    if method.startswith("kfac_"):
        likelihood = "gaussian" if kind == "regression" else "categorical"
        kfac = KFAC(model, lr=lr, temporal=method.removeprefix("kfac_"), likelihood=likelihood, outputs="last",
                    seed=seed, **options)

        def step(batch: Batch) -> float:
            kfac.zero_grad()
            out = model(batch.x)
            loss = loss_function(batch)(out.y[:, -1])
            if not torch.isfinite(loss):
                return float(loss.detach())
            loss.backward()
            kfac.step(x=batch.x, output=out)
            return float(loss.detach())

        return step
    if method == "normalized":
        generator = torch.Generator().manual_seed(seed)
        opt = NormalizedComponents(model.named_parameters(), lr=lr, generator=generator)

        def step(batch: Batch) -> float:
            loss_fn = loss_function(batch)
            with torch.no_grad():
                loss = float(loss_fn(model(batch.x).y[:, -1]))
            if math.isfinite(loss):
                opt.step(temporal_components(model, batch.x, loss_fn))
            return loss

        return step

    opt = torch.optim.Adam(params, lr=lr) if method == "adam" else torch.optim.SGD(params, lr=lr)

    def step(batch: Batch) -> float:
        loss_fn = loss_function(batch)
        opt.zero_grad()
        loss = loss_fn(model(batch.x).y[:, -1])
        total = loss + omega_weight * omega(model, batch.x, loss_fn) if omega_weight > 0 else loss
        if not torch.isfinite(total):
            return math.inf if torch.isfinite(loss) else float(loss.detach())
        total.backward()
        if clip is not None:
            clip_grad_norm_(params, clip)
        opt.step()
        return float(loss.detach())

    return step


# ---------------------------------------------------------------------- checks


def _check_options(options, method: str, model: SRN) -> dict:
    if options is None:
        options = {}
    if not isinstance(options, dict):
        raise ValueError(f"options must be a dict of optimizer keyword arguments or None, got {type(options).__name__}")
    if not options:
        return {}
    if method != "hf" and not method.startswith("kfac_"):
        raise ValueError(f"options are for the methods 'hf' and 'kfac_*' only, got {sorted(options)} with {method!r}")
    if method == "hf":
        optimizer, own = HessianFree, {"loss"}
    else:
        optimizer, own = KFAC, {"temporal", "likelihood", "outputs", "seed"}
    known = set(inspect.signature(optimizer).parameters) - {"model", "lr"} - own
    for key in options:
        if key not in known:
            raise ValueError(f"options: {key!r} is not an option of {optimizer.__name__} that train "
                             f"leaves open (those are {', '.join(sorted(known))})")
    return dict(options)


def _check_problem(model, task, T, method):
    if not isinstance(model, (SRN, Readout)):
        raise ValueError(f"model must be an srnbook.SRN or an srnbook.gated.Readout, got {type(model).__name__}")
    check_choice(task, "task", tuple(TASKS))
    check_choice(method, "method", METHODS)
    if isinstance(model, Readout) and method not in GATED_METHODS:
        raise ValueError(f"method must be one of {GATED_METHODS} for a gated network, got {method!r}")
    if isinstance(model, SRN) and model.output != "identity":
        raise ValueError(f"model.output must be 'identity' (the loss applies softmax itself), got {model.output!r}")
    u, o = task_sizes(task)
    if (model.input_size, model.output_size) != (u, o):
        raise ValueError(f"model must have input size {u} and output size {o} for {task!r}, "
                         f"got {model.input_size} and {model.output_size} (use make_model)")
    T = check_positive_int(T, "T")
    minimum, reason = _MIN_T[task]
    if T < minimum:
        raise ValueError(f"T must be at least {minimum} for {task!r} ({reason}), got {T}")
    return model, task, T, method


