"""Examples for srnbook.gated."""

import torch

from srnbook import gated as m
from tests.api_contract import example, record

F64 = torch.float64
ALPHA_ZERO = "alpha = 0 is the limit case s_t = B x_t (context units without memory), a valid SCRN"

record("srnbook.gated.LSTMOutput")
record("srnbook.gated.GRUOutput")
record("srnbook.gated.SCRNOutput")


def _lstm(**kw):
    torch.manual_seed(0)
    return m.LSTM(2, 3, dtype=F64, **kw)


def _gru():
    torch.manual_seed(0)
    return m.GRU(2, 3, dtype=F64)


def _scrn():
    torch.manual_seed(0)
    return m.SCRN(2, 3, 2, dtype=F64)


def _x():
    return torch.randn(2, 4, 2, dtype=F64)


@example("srnbook.gated.LSTM")
def _():
    return m.LSTM, dict(input_size=2, hidden_size=3, forget_gate=False, dtype=F64)


@example("srnbook.gated.LSTM.forward")
def _():
    return _lstm().forward, dict(x=_x(), lengths=torch.tensor([4, 2]),
                                 state=(torch.zeros(2, 3, dtype=F64), torch.zeros(3, dtype=F64)))


@example("srnbook.gated.LSTM.reset_parameters")
def _():
    return _lstm().reset_parameters, dict()


@example("srnbook.gated.LSTM.extra_repr")
def _():
    return _lstm().extra_repr, dict()


@example("srnbook.gated.GRU")
def _():
    return m.GRU, dict(input_size=2, hidden_size=3, dtype=F64)


@example("srnbook.gated.GRU.forward")
def _():
    return _gru().forward, dict(x=_x(), lengths=torch.tensor([4, 2]), state=torch.zeros(2, 3, dtype=F64))


@example("srnbook.gated.GRU.reset_parameters")
def _():
    return _gru().reset_parameters, dict()


@example("srnbook.gated.GRU.extra_repr")
def _():
    return _gru().extra_repr, dict()


@example("srnbook.gated.SCRN", valid={"alpha": {"zero": ALPHA_ZERO}})
def _():
    return m.SCRN, dict(input_size=2, hidden_size=3, context_size=2, alpha=0.95, dtype=F64)


@example("srnbook.gated.SCRN.forward")
def _():
    return _scrn().forward, dict(x=_x(), lengths=torch.tensor([4, 2]),
                                 state=(torch.zeros(2, 3, dtype=F64), torch.zeros(2, 2, dtype=F64)))


@example("srnbook.gated.SCRN.reset_parameters")
def _():
    return _scrn().reset_parameters, dict()


@example("srnbook.gated.SCRN.extra_repr")
def _():
    return _scrn().extra_repr, dict()


record("srnbook.gated.ReadoutOutput")


def _readout():
    torch.manual_seed(0)
    return m.Readout(m.SCRN(2, 3, 2, dtype=F64), 1)


@example("srnbook.gated.Readout")
def _():
    return m.Readout, dict(layer=_lstm(), output_size=2)


@example("srnbook.gated.Readout.forward")
def _():
    return _readout().forward, dict(x=_x(), lengths=torch.tensor([4, 2]))


record("srnbook.gated.LSTMTrace")


@example("srnbook.gated.state_jacobians")
def _():
    return m.state_jacobians, dict(model=_lstm(forget_gate=False), x=_x(), truncated=True)


@example("srnbook.gated.cell_jacobian_norms")
def _():
    return m.cell_jacobian_norms, dict(model=_lstm(), x=_x(), part="memory", ord=2, truncated=False)


@example("srnbook.gated.lstm_trace")
def _():
    return m.lstm_trace, dict(model=_lstm(), x=_x())
