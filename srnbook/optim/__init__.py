"""Second-order optimizers for SRNs, as ``torch.optim.Optimizer`` subclasses.

* :mod:`srnbook.optim.hessian_free` -- Hessian-free optimization with exact Gauss-Newton-vector
  products, conjugate gradient, Levenberg-Marquardt damping and structural damping
  (Martens 2010; Martens & Sutskever 2011);
* :mod:`srnbook.optim.kfac` -- Kronecker-factored curvature for the SRN's weights, with the
  temporal models of Martens, Ba & Johnson (2018) for the recurrent matrix.
"""

from .hessian_free import HessianFree
from .kfac import KFAC

__all__ = ["KFAC", "HessianFree"]
