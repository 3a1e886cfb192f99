/* fpmode.h - the floating-point mode of the library's training calls.
 * Never installed.
 *
 * Policy on subnormal numbers (documented for users at mlp_step and
 * mlp_train_batch in mlp.h): the training calls, mlp_step and
 * mlp_train_batch (and so mlp_fit), run with the processor's flush-to-zero
 * mode on x86-64: a result smaller in magnitude than DBL_MIN (2.2e-308) is
 * stored as zero instead of a subnormal number. A long run otherwise
 * crawls: weights of inputs that are always zero, and the optimizer's
 * moments of them, decay geometrically, and products with them and with
 * the tiny deltas of confident softmax outputs fall below DBL_MIN, each
 * costing a microcode assist of ~100 cycles. The mode is set in the
 * calling thread on entry and put back on return, the mode bit only, so
 * exception flags raised inside stay raised; the caller's arithmetic is
 * never changed. Denormals-are-zero is never set: subnormal inputs are
 * read as they are. mlp_predict and mlp_backprop are plain IEEE
 * arithmetic. BLAS worker threads (more than one BLAS thread) keep their
 * own modes. On other processors nothing is set, and the optimizers still
 * store no subnormal parameter or state (simd.h, mlp__flush_subnormal). */
#ifndef MLP_FPMODE_H
#define MLP_FPMODE_H

#include "mlp_internal.h"

#include <float.h>

#if defined(__x86_64__) && defined(__SSE2__)
#include <xmmintrin.h>

enum { MLP_MXCSR_FLUSH_TO_ZERO = 0x8000 };

/* Sets flush-to-zero for a training call on net and returns what to pass
 * to mlp__fpmode_end. Not with a subnormal Adam epsilon: Adam divides by
 * sqrt(v)/sqrt(1-b2^t) + eps, which is at least eps and must not be
 * flushed to 0. Subnormal in the element type: an epsilon below FLT_MIN
 * is one for the float family (it is rounded to float for the update). */
static inline unsigned mlp__fpmode_begin(const struct mlp *net)
{
    unsigned old = _mm_getcsr();
    if (net->opt.kind != MLP_OPT_ADAM || net->opt.epsilon >= REAL_MIN)
        _mm_setcsr(old | MLP_MXCSR_FLUSH_TO_ZERO);
    return old;
}

static inline void mlp__fpmode_end(unsigned old)
{
    _mm_setcsr((_mm_getcsr() & ~(unsigned)MLP_MXCSR_FLUSH_TO_ZERO) |
               (old & MLP_MXCSR_FLUSH_TO_ZERO));
}
#else
static inline unsigned mlp__fpmode_begin(const struct mlp *net)
{
    (void)net;
    return 0;
}

static inline void mlp__fpmode_end(unsigned old) { (void)old; }
#endif

#endif
