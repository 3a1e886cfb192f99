/* precision.h - one source, two precisions. Never installed.
 *
 * Every module whose numbers are the model's or the data's is compiled
 * twice (lib/meson.build): as written, it defines the double family
 * (mlp_create, struct mlp, mlp__forward, ...); compiled with -DMLP_SINGLE
 * the same text defines the float family (mlpf_create, struct mlpf,
 * mlpf__forward, ...). The sources use `real` for every number of the
 * model or the data and `double` for hyper-parameters, and keep the
 * double family's names: under MLP_SINGLE the table below renames each of
 * them to its float twin, in the preprocessor, so that the code reads as
 * the documented double API does and a fix is written once (FFTW's X()
 * macro does the same job at every use; a table does it in one place).
 *
 * A name missing from the table is caught: defined in both object sets of
 * the one shared library, it fails to link (duplicate symbol), and the
 * symbols test compares the exported names with mlp.h.
 *
 * Include this after mlp.h (it includes it first itself), never before:
 * mlp.h declares both families with their own names. */
#ifndef MLP_PRECISION_H
#define MLP_PRECISION_H

#include "mlp.h"

#include <float.h>
#include <stdint.h>

#ifdef MLP_SINGLE

typedef float real;
/* A real's bits as a signed and an unsigned integer of its width. */
typedef int32_t real_bits;
typedef uint32_t real_ubits;
#define REAL_BITS_MAX INT32_MAX
#define REAL_BITS_MIN INT32_MIN
#define REAL_MAX FLT_MAX
#define REAL_MIN FLT_MIN            /* smallest normal */
#define REAL_EPSILON FLT_EPSILON
/* A power of two, half the largest finite value. */
#define REAL_HALF_MAX 0x1p126
#define REAL_MANT_DIG FLT_MANT_DIG
/* The bits of +Inf, and of the smallest normal (1.0 * 2^-126). */
#define REAL_INF_BITS ((real_bits)0x7f800000)
#define REAL_MIN_BITS ((real_bits)0x00800000)
/* Names of the element type, for messages and files. */
#define REAL_NAME "float32"
/* libm in the element type. */
#define real_tanh tanhf
#define real_sqrt sqrtf

/* The public functions (mlp.h), in the order mlp.h declares them. The
 * precision-free ones (mlp_version, mlp_strerror, mlp_fit_defaults, the
 * BLAS thread control) exist once and keep their names. */
#define mlp mlpf
#define mlp_t mlpf_t
#define mlp_workspace mlpf_workspace
#define mlp_workspace_t mlpf_workspace_t
#define mlp_create mlpf_create
#define mlp_free mlpf_free
#define mlp_clone mlpf_clone
#define mlp_n_layers mlpf_n_layers
#define mlp_layer_size mlpf_layer_size
#define mlp_layer_activation mlpf_layer_activation
#define mlp_loss_kind mlpf_loss_kind
#define mlp_weights mlpf_weights
#define mlp_biases mlpf_biases
#define mlp_weight_grads mlpf_weight_grads
#define mlp_bias_grads mlpf_bias_grads
#define mlp_n_params mlpf_n_params
#define mlp_params mlpf_params
#define mlp_grads mlpf_grads
#define mlp_predict mlpf_predict
#define mlp_backprop mlpf_backprop
#define mlp_set_scaling mlpf_set_scaling
#define mlp_fit_scaling mlpf_fit_scaling
#define mlp_get_scaling mlpf_get_scaling
#define mlp_set_sgd mlpf_set_sgd
#define mlp_step mlpf_step
#define mlp_train_batch mlpf_train_batch
#define mlp_set_adam mlpf_set_adam
#define mlp_set_weight_decay mlpf_set_weight_decay
#define mlp_init mlpf_init
#define mlp_fit mlpf_fit
#define mlp_saved_size mlpf_saved_size
#define mlp_save_buffer mlpf_save_buffer
#define mlp_save mlpf_save
#define mlp_load mlpf_load
#define mlp_load_buffer mlpf_load_buffer
#define mlp_workspace_create mlpf_workspace_create
#define mlp_workspace_free mlpf_workspace_free
#define mlp_predict_ws mlpf_predict_ws
#define mlp_jacobian mlpf_jacobian
#define mlp_vjp mlpf_vjp
#define mlp_jvp mlpf_jvp

/* The internal functions of the twice-compiled modules (mlp_internal.h
 * and the module headers). */
#define mlp__count_params mlpf__count_params
#define mlp__add_layer_params mlpf__add_layer_params
#define mlp__ws_init mlpf__ws_init
#define mlp__ws_release mlpf__ws_release
#define mlp__ws_fits mlpf__ws_fits
#define mlp__ws_reserve mlpf__ws_reserve
#define mlp__ws_reserve_deriv mlpf__ws_reserve_deriv
#define mlp__reserve mlpf__reserve
#define mlp__check_batch mlpf__check_batch
#define mlp__scale_rows mlpf__scale_rows
#define mlp__unscale_rows mlpf__unscale_rows
#define mlp__scale_batch mlpf__scale_batch
#define mlp__cost mlpf__cost
#define mlp__forward mlpf__forward
#define mlp__backward_deltas mlpf__backward_deltas
#define mlp__max_abs mlpf__max_abs
#define mlp__init_params mlpf__init_params
#define mlp__reset_optimizer mlpf__reset_optimizer
#define mlp__valid_sgd mlpf__valid_sgd
#define mlp__valid_adam mlpf__valid_adam
#define mlp__valid_weight_decay mlpf__valid_weight_decay
#define mlp__step_with_grad_bound mlpf__step_with_grad_bound
#define mlp__activate mlpf__activate
#define mlp__activation_backward mlpf__activation_backward
#define mlp__output_delta mlpf__output_delta
#define mlp__loss_cost mlpf__loss_cost
#define mlp__fit_shuffle mlpf__fit_shuffle
#define mlp__fit_check mlpf__fit_check
#define mlp__fit_run mlpf__fit_run
#define mlp__encode mlpf__encode
#define mlp__check_header mlpf__check_header
/* The test hooks of modelfile.c: each family's saves have their own. */
#define mlp__io_fault_inject mlpf__io_fault_inject
#define mlp__io_force_named_temp mlpf__io_force_named_temp

/* The BLAS shim's generic names (blas.h): blas.c, compiled once, defines
 * the d and s routines. */
#define mlp__gemm_abt mlp__sgemm_abt
#define mlp__gemm_atb mlp__sgemm_atb
#define mlp__gemm_ab mlp__sgemm_ab
#define mlp__gemv_ax mlp__sgemv_ax
#define mlp__gemv_atx mlp__sgemv_atx
#define mlp__ger mlp__sger

#else

typedef double real;
typedef int64_t real_bits;
typedef uint64_t real_ubits;
#define REAL_BITS_MAX INT64_MAX
#define REAL_BITS_MIN INT64_MIN
#define REAL_MAX DBL_MAX
#define REAL_MIN DBL_MIN
#define REAL_EPSILON DBL_EPSILON
#define REAL_HALF_MAX 0x1p1022
#define REAL_MANT_DIG DBL_MANT_DIG
#define REAL_INF_BITS ((real_bits)0x7ff0000000000000)
#define REAL_MIN_BITS ((real_bits)0x0010000000000000)
#define REAL_NAME "float64"
#define real_tanh tanh
#define real_sqrt sqrt

#define mlp__gemm_abt mlp__dgemm_abt
#define mlp__gemm_atb mlp__dgemm_atb
#define mlp__gemm_ab mlp__dgemm_ab
#define mlp__gemv_ax mlp__dgemv_ax
#define mlp__gemv_atx mlp__dgemv_atx
#define mlp__ger mlp__dger

#endif

#endif
