# The compiled engine: every kernel family's bridge in one extension module,
# linked once against the kernel objects of every ISA level (setup.py).  One
# module means one copy of the kernels in memory and one place holding the
# ISA level.  A new family adds csrc/<family>.c and an include line here.
#
# The bridges are thin: arrays arrive validated by the Python layer
# (C-contiguous, compute dtype, consistent sizes); they take pointers, release
# the GIL and call the kernel of the selected ISA level.
import numpy as _np
cimport numpy as cnp
cnp.import_array()

include "_bridge_common.pxi"
include "_bridge_outbuf.pxi"
include "_bridge_vmath.pxi"
include "_bridge_lse.pxi"
include "_bridge_pointwise.pxi"
include "_bridge_margin.pxi"
include "_bridge_binary.pxi"
include "_bridge_ctc.pxi"
include "_bridge_optim.pxi"
include "_bridge_linear_ce.pxi"
