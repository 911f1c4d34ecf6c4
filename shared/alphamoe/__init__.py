"""alphamoe: (Quant_Signal ∩ Router(Experts)) × Kelly_Position for China A-shares.

Every rule lives in this library so that backtest, replay and live run the same code.
"""

import os
import sys

__version__ = "0.1.0"

# NumPy asks the kernel for 2 MB pages (madvise) on every large array. On virtual machines (Firecracker,
# cloud nodes) faulting in a fresh huge page costs milliseconds, ~8× the 4 KB pages it replaces: a
# 10-year panel and its market arrays (~2 GB) spent seconds in page faults. NUMPY_MADVISE_HUGEPAGE=1
# turns it back on; numpy reads the variable at import, so numpy imported first is told directly.
if "NUMPY_MADVISE_HUGEPAGE" not in os.environ:
    os.environ["NUMPY_MADVISE_HUGEPAGE"] = "0"
    if "numpy" in sys.modules:
        sys.modules["numpy"]._core.multiarray._set_madvise_hugepage(False)
