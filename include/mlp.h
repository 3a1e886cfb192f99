/*
 * mlp.h - libmlp, multilayer perceptrons trained by backpropagation on CBLAS.
 *
 * This header is the whole public API. Everything not declared here is
 * internal and may change without notice.
 *
 * Conventions used throughout
 * ---------------------------
 * - Every matrix is row-major and made of doubles. A batch of B samples with
 *   n features is a B x n array: sample i is the row X[i*n .. i*n + n-1].
 * - A network has L weight layers, numbered 1..L as in docs/derivation.md;
 *   layer 0 is the input. Layer l has n_l units, weights W^(l) of shape
 *   n_l x n_(l-1) (out x in) and biases b^(l) of n_l entries.
 * - Functions that can fail return an mlp_status. On failure the network's
 *   parameters, scaling, gradients and optimizer state are exactly as they
 *   were before the call, and nothing leaks. The one exception is the
 *   gradient buffers of the training functions that may write them on the
 *   way: after mlp_train_batch or mlp_fit, failed or not, their content is
 *   unspecified (see mlp_train_batch).
 * - Caller arrays are only read or written during the call; the library
 *   keeps no pointer to them.
 * - The library never prints, never aborts and never exits. It has no global
 *   mutable state: distinct networks may be used from distinct threads at the
 *   same time. Functions that take a const mlp_t * only read the network,
 *   so any number of threads may call them on one network at once (with
 *   mlp_predict_ws and its workspaces; see "Sharing one network between
 *   threads" below); every other use of one network by two threads at once
 *   needs the caller's own lock.
 * - mlp_predict, mlp_backprop, mlp_step and mlp_train_batch allocate memory
 *   only when a batch larger than every batch seen before arrives (the
 *   workspace grows to the largest batch and stays there); so do
 *   mlp_predict_ws, mlp_jacobian, mlp_vjp and mlp_jvp, in the workspace
 *   they are given.
 * - Those two promises (never exiting, allocating only to grow) are about
 *   libmlp's own code; the BLAS library it calls keeps its own rules. With
 *   the reference BLAS, or with OpenBLAS on one thread
 *   (mlp_set_blas_threads(1) or OPENBLAS_NUM_THREADS=1), they hold for the
 *   whole call: nothing else allocates after growth, and every allocation
 *   failure is a status. With more threads, OpenBLAS allocates in every
 *   GEMM it splits between threads and, if that allocation fails, prints
 *   "malloc failed in gemm_driver" and calls exit(1), which libmlp cannot
 *   prevent. BLIS (through the OpenMP runtime) and ATLAS also allocate
 *   inside BLAS calls and end the process on some failures.
 *   docs/blas-threads.md lists what was measured.
 * - With the same seed, inputs and a single BLAS thread, results are bitwise
 *   reproducible from run to run.
 */
#ifndef MLP_H
#define MLP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(MLP_BUILDING) && defined(__GNUC__)
#define MLP_API __attribute__((visibility("default")))
#else
#define MLP_API
#endif

#define MLP_VERSION_MAJOR 0
#define MLP_VERSION_MINOR 2
#define MLP_VERSION_PATCH 0

/* One network together with its workspace and optimizer state. Opaque. */
typedef struct mlp mlp_t;

/* Status codes. A released value never changes meaning. */
typedef enum mlp_status {
    MLP_OK = 0,
    MLP_ERR_ARG,       /* NULL where a pointer is needed, zero or overflowing
                          size, unknown enum value, layer index out of range,
                          bad hyper-parameter */
    MLP_ERR_NOMEM,     /* an allocation failed; the network is as it was */
    MLP_ERR_NONFINITE, /* NaN or Inf in inputs, targets, parameters, cost
                          or gradients; the parameters are as they were
                          before the call */
    MLP_ERR_IO,        /* a file could not be opened, read or written */
    MLP_ERR_FORMAT     /* not a libmlp model file, or corrupt, truncated,
                          or of an unknown version */
} mlp_status;

/* Activation of a layer. The derivative each one uses is written from its
 * output A: sigmoid A(1-A), tanh 1-A^2, ReLU 1[A>0], identity 1.
 * MLP_SOFTMAX is only valid on the last layer of an MLP_CROSS_ENTROPY
 * network, where the softmax/cross-entropy pair gives dZ = (Y^ - Y)/B. */
typedef enum mlp_activation {
    MLP_SIGMOID = 0,
    MLP_TANH,
    MLP_RELU,
    MLP_IDENTITY,
    MLP_SOFTMAX
} mlp_activation;

/* Cost of a batch of B samples with targets Y and predictions Y^ = A^(L):
 *   MLP_MSE:           C = (1/B) sum_samples (1/n_L) sum_i (y^_i - y_i)^2
 *   MLP_CROSS_ENTROPY with an MLP_SOFTMAX output (one class per sample):
 *                      C = (1/B) sum_samples -sum_i y_i log y^_i
 *   MLP_CROSS_ENTROPY with an MLP_SIGMOID output (binary cross-entropy,
 *   each output an independent yes/no probability, multi-label):
 *                      C = (1/B) sum_samples
 *                          sum_i -[y_i log y^_i + (1 - y_i) log(1 - y^_i)]
 * Both cross-entropies give dC/dZ^(L) = (Y^ - Y)/B (softmax: for targets
 * whose rows sum to 1). Cross-entropy needs outputs that are
 * probabilities, so it is accepted only with a MLP_SOFTMAX or MLP_SIGMOID
 * output layer; targets are expected in [0, 1]. Each log y^_i and
 * log(1 - y^_i) is computed from the output layer's pre-activations (the
 * logits), to a few roundings, also where y^_i itself has rounded to 0 or
 * 1 (a sigmoid from z ~ 37 in double, ~ 17 in float): a confident wrong
 * output costs about its logit, or for softmax its gap to the largest,
 * never an Inf or a clamped value; a term whose weight (y_i, or 1 - y_i)
 * is 0 contributes nothing. The cost is Inf, and MLP_ERR_NONFINITE
 * reported, only when it exceeds the largest double (float for mlpf_). */
typedef enum mlp_loss {
    MLP_MSE = 0,
    MLP_CROSS_ENTROPY
} mlp_loss;

/* ------------------------------------------------------------------------ */
/* Library information                                                      */

/* The library's version as "MAJOR.MINOR.PATCH". Static storage, never NULL. */
MLP_API const char *mlp_version(void);

/* A one-line English description of `status`. Never NULL: an unknown value
 * gives "unknown status". Static storage; do not free. */
MLP_API const char *mlp_strerror(mlp_status status);

/* ------------------------------------------------------------------------ */
/* Lifecycle                                                                */

/* Creates a network of n_layers weight layers.
 *
 * sizes has n_layers + 1 entries: sizes[0] inputs, sizes[l] units of layer
 * l, sizes[n_layers] outputs. acts has n_layers entries, acts[l - 1] being
 * layer l's activation; acts == NULL means MLP_SIGMOID on every layer (the
 * all-sigmoid network of docs/derivation.md). Both arrays are copied.
 *
 * Weights are initialised from `seed` with the library's own generator:
 * Glorot/Xavier uniform, U(-a, a) with a = sqrt(6 / (n_in + n_out)), for
 * sigmoid, tanh, identity and softmax layers; He uniform, a = sqrt(6 / n_in),
 * for ReLU layers. Biases start at 0. The same seed gives the same bits on
 * every host. The optimizer starts as SGD with learning rate 0.01 and no
 * momentum.
 *
 * Returns MLP_OK and sets *net, or on failure sets *net to NULL (when net is
 * not NULL) and returns:
 *   MLP_ERR_ARG    net or sizes NULL, n_layers == 0, a size of 0, a size or
 *                  parameter count that overflows (every size must fit in an
 *                  int, the BLAS index type), an unknown activation or loss,
 *                  MLP_SOFTMAX anywhere but the last layer or without
 *                  MLP_CROSS_ENTROPY, MLP_CROSS_ENTROPY without a softmax or
 *                  sigmoid output;
 *   MLP_ERR_NOMEM  an allocation failed.
 * The network is released with mlp_free. */
MLP_API mlp_status mlp_create(mlp_t **net, size_t n_layers,
                              const size_t *sizes,
                              const mlp_activation *acts, mlp_loss loss,
                              uint64_t seed);

/* Releases the network and everything it owns. NULL is a no-op. Pointers
 * obtained from the accessors below become invalid. */
MLP_API void mlp_free(mlp_t *net);

/* A deep copy of net into a new network (*copy, released with mlp_free):
 * shape, parameters, gradients, scaling, optimizer with its settings and
 * state, weight decay, and a workspace of the same capacity. The copy
 * shares nothing with net: it predicts and trains bitwise as net would
 * from here on, and either may be freed first. net is only read.
 * Returns MLP_OK and sets *copy, or sets *copy to NULL (when copy is not
 * NULL) and returns MLP_ERR_ARG (copy or net NULL) or MLP_ERR_NOMEM. */
MLP_API mlp_status mlp_clone(mlp_t **copy, const mlp_t *net);

/* ------------------------------------------------------------------------ */
/* Shape                                                                    */

/* The number of weight layers L; 0 if net is NULL. */
MLP_API size_t mlp_n_layers(const mlp_t *net);

/* n_l, the number of units of layer l for l = 0..L (layer 0 is the input);
 * 0 if net is NULL or l > L. */
MLP_API size_t mlp_layer_size(const mlp_t *net, size_t l);

/* The activation of layer l = 1..L, or -1 if net is NULL or l is out of
 * range. */
MLP_API int mlp_layer_activation(const mlp_t *net, size_t l);

/* The network's loss, or -1 if net is NULL. */
MLP_API int mlp_loss_kind(const mlp_t *net);

/* ------------------------------------------------------------------------ */
/* Parameters and gradients                                                 */

/* W^(l) (n_l x n_(l-1), row-major) and b^(l) (n_l entries) for l = 1..L;
 * NULL if net is NULL or l is out of range. The pointers stay valid until
 * mlp_free; writing through them sets the parameters. They point into
 * mlp_params. */
MLP_API double *mlp_weights(mlp_t *net, size_t l);
MLP_API double *mlp_biases(mlp_t *net, size_t l);

/* dC/dW^(l) and dC/db^(l), same shapes and lifetime as above, as left by the
 * last successful mlp_backprop (zeros before any). They point into
 * mlp_grads. After mlp_train_batch their content is unspecified. */
MLP_API double *mlp_weight_grads(mlp_t *net, size_t l);
MLP_API double *mlp_bias_grads(mlp_t *net, size_t l);

/* The number of parameters, sum over l of n_l * n_(l-1) + n_l; 0 if net is
 * NULL. */
MLP_API size_t mlp_n_params(const mlp_t *net);

/* Every parameter in one contiguous array of mlp_n_params entries, laid out
 * W^(1), b^(1), W^(2), b^(2), ..., and every gradient in the same layout:
 * for optimizers, checkpoints and MPI_Allreduce. NULL if net is NULL.
 * Lifetime as for mlp_weights. */
MLP_API double *mlp_params(mlp_t *net);
MLP_API double *mlp_grads(mlp_t *net);

/* ------------------------------------------------------------------------ */
/* Forward and backward                                                     */

/* Forward pass: Y = A^(L) for the inputs X, with the network's scaling
 * applied (see mlp_set_scaling: X is in the caller's units, Y too).
 * X is batch x n_0 and Y is batch x n_L, row-major, caller-owned; they must
 * not overlap. Returns
 *   MLP_OK;
 *   MLP_ERR_ARG       net, X or Y NULL, batch == 0, batch > INT_MAX (the
 *                     BLAS index type), or batch * n_l overflows;
 *   MLP_ERR_NONFINITE X holds a NaN or Inf (or a value that overflows when
 *                     scaled), or the outputs are not finite (Y is then
 *                     unspecified);
 *   MLP_ERR_NOMEM     the workspace for a larger batch could not be had. */
MLP_API mlp_status mlp_predict(mlp_t *net, size_t batch, const double *X,
                               double *Y);

/* Forward and backward pass over one batch: sets every gradient to dC/dθ of
 * the batch cost C (see mlp_loss) and stores C in *cost unless cost is NULL.
 * X is batch x n_0 and T (the targets) batch x n_L, row-major, in the
 * caller's units; with scaling (mlp_set_scaling) C is the cost of the
 * scaled targets against the network's scaled outputs. Statuses as
 * mlp_predict, plus MLP_ERR_NONFINITE when T, the cost or a gradient is not
 * finite, or a gradient could overflow (|dC/dz * a| summed over the batch
 * near DBL_MAX; checked from bounds before any gradient is written). On any
 * failure the parameters, the gradients and *cost are left as they were. */
MLP_API mlp_status mlp_backprop(mlp_t *net, size_t batch, const double *X,
                                const double *T, double *cost);

/* ------------------------------------------------------------------------ */
/* Input and output scaling                                                 */

/* Fixed affine maps around the network, stored in it: predictions are
 *   Y = net((X - in_mean) / in_std) * out_std + out_mean
 * (column by column), and mlp_backprop, mlp_train_batch and mlp_fit scale
 * X the same way and the targets as T_scaled = (T - out_mean) / out_std
 * before use, so the cost and the gradients are in scaled units. Each
 * call sets all four arrays: a NULL mean means mean 0 and a NULL std
 * means std 1 for every column, also when an earlier call had set them
 * (all four NULL = no scaling, the state of a new network). in_mean and
 * in_std have n_0 entries, out_mean and out_std n_L; they are copied.
 * Every std must be finite and > 0 and every mean finite. Saved in model
 * files, copied by mlp_clone. Scaling changes no parameter: a network
 * trained without scaling keeps predicting what it did only while the
 * scaling stays the identity.
 * Returns MLP_OK, or MLP_ERR_ARG (net NULL, a mean not finite, a std not
 * finite or <= 0) with nothing changed. Allocates nothing. */
MLP_API mlp_status mlp_set_scaling(mlp_t *net, const double *in_mean,
                                   const double *in_std,
                                   const double *out_mean,
                                   const double *out_std);

/* Sets the scaling to the mean and standard deviation of each column of
 * X (n x n_0) and, unless T is NULL, of T (n x n_L), with the population
 * standard deviation (divide by n), each within a few roundings of the
 * exact value for the numbers given, however large the mean is beside
 * the spread (sums in double in both families); a column whose values
 * are all equal (or whose spread is too small to square, below ~1e-154
 * of its largest value) gets std 1. Output scaling is only set for MLP_IDENTITY output
 * layers (regression); other outputs, and every output when T is NULL,
 * get mean 0 and std 1. X and T are only read. Returns
 *   MLP_OK;
 *   MLP_ERR_ARG       net or X NULL, n == 0, or n * n_0 or n * n_L
 *                     overflows;
 *   MLP_ERR_NONFINITE a value of X (or of T, when output scaling is set)
 *                     is NaN or Inf, or a column's standard deviation
 *                     overflows;
 *   MLP_ERR_NOMEM     a scratch array of 2 (n_0 + n_L) doubles could not
 *                     be had.
 * On failure the scaling is unchanged. */
MLP_API mlp_status mlp_fit_scaling(mlp_t *net, size_t n, const double *X,
                                   const double *T);

/* Copies the current scaling into each array that is not NULL: in_mean
 * and in_std get n_0 entries, out_mean and out_std n_L (mean 0 and std 1
 * where unset). Returns MLP_OK, or MLP_ERR_ARG if net is NULL. */
MLP_API mlp_status mlp_get_scaling(const mlp_t *net, double *in_mean,
                                   double *in_std, double *out_mean,
                                   double *out_std);

/* ------------------------------------------------------------------------ */
/* Optimizers                                                               */

/* Selects SGD: with momentum mu, v <- mu*v + g; θ <- θ - lr*v, v starting at
 * 0 (as torch.optim.SGD). mu = 0 is plain SGD. Resets the optimizer state.
 * Momentum needs a velocity of mlp_n_params doubles, allocated here. Returns
 *   MLP_ERR_ARG   net is NULL, learning_rate is not finite and > 0, or
 *                 momentum is not in [0, 1);
 *   MLP_ERR_NOMEM the velocity could not be allocated.
 * On failure the previous optimizer and its state are kept. */
MLP_API mlp_status mlp_set_sgd(mlp_t *net, double learning_rate,
                               double momentum);

/* Applies one optimizer update to mlp_params from mlp_grads. Allocates
 * nothing. MLP_ERR_ARG if net is NULL; MLP_ERR_NONFINITE if a gradient, an
 * updated parameter or optimizer state would not be finite: every new value
 * is checked before any is written, so nothing changes then.
 * Subnormal numbers: a parameter, velocity or moment whose new magnitude is
 * below DBL_MIN (2.2e-308) is stored as a zero of its sign, on every
 * platform; on x86-64, mlp_step and mlp_train_batch (so also mlp_fit) run
 * with the SSE flush-to-zero mode, so any intermediate result below
 * DBL_MIN is 0 as well. Weights of inputs that are always zero decay
 * towards 0 and would otherwise make long runs several times slower. The
 * mode is set in the calling thread only for the call and put back on
 * return (exception flags raised stay raised): the caller's arithmetic is
 * never changed. Not set for Adam with an epsilon below DBL_MIN. Results
 * differ from plain IEEE arithmetic only below DBL_MIN. mlp_predict and
 * mlp_backprop compute in plain IEEE arithmetic. */
MLP_API mlp_status mlp_step(mlp_t *net);

/* mlp_backprop followed by mlp_step, giving the same parameters (to rounding)
 * and cost. For plain SGD it folds the update into the backward GEMMs
 * (W <- (1 - lr*lambda) W - lr * dZ^T A, beta = 1 - lr*lambda, 1 on the
 * biases) whenever the magnitudes seen in the pass prove the update finite
 * and the factor 1 - lr*lambda, rounded to the element type, decays at the
 * rate asked to within 2^-20 relative (see mlp_set_weight_decay), so the
 * gradient buffers are unspecified afterwards: to read gradients, call
 * mlp_backprop. Statuses as mlp_backprop and mlp_step; on failure the
 * parameters and optimizer state are unchanged, but the gradient buffers
 * are not kept: when the update goes through mlp_step (momentum, Adam, a
 * decay factor too coarse to fold, or a step too large to fold) the
 * gradients of this batch are written first, and mlp_step may then refuse
 * the update, so gradients left by an earlier mlp_backprop are
 * overwritten whether this call succeeds or fails. */
MLP_API mlp_status mlp_train_batch(mlp_t *net, size_t batch, const double *X,
                                   const double *T, double *cost);

/* ======================================================================== */
/* Training conveniences: Adam, weight decay, initialisers, the fit loop     */

/* Selects Adam (Kingma & Ba, with bias correction) as torch.optim.Adam:
 *   m <- b1*m + (1-b1)*g;  v <- b2*v + (1-b2)*g^2;  t <- t + 1;
 *   θ <- θ - (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps),
 * with m, v and t starting at 0. Usual values: lr 1e-3, b1 0.9, b2 0.999,
 * eps 1e-8. Resets the optimizer state. The step count t stops at
 * 2^64 - 2, the largest a model file holds, so that every network saves
 * to a file that loads; from t = 2^63 on, b^t is 0 in double for every
 * beta in [0, 1), both bias corrections are exactly 1, and the update is
 * the same as with an unbounded count. mlp_train_batch computes the
 * gradients and then applies this update (it is not fused).
 * Returns MLP_OK, MLP_ERR_NOMEM (the old optimizer is kept), or MLP_ERR_ARG
 * if net is NULL, learning_rate is not finite and > 0, beta1 or beta2 is
 * not in [0, 1), or epsilon is not finite and > 0. */
MLP_API mlp_status mlp_set_adam(mlp_t *net, double learning_rate,
                                double beta1, double beta2, double epsilon);

/* L2 weight decay: every optimizer then uses g + lambda*W in place of the
 * gradient g of each weight W (as torch.optim's weight_decay, the coupled
 * L2 form, not AdamW). It applies to the weights W^(l) only, never to the
 * biases, which are not regularised. lambda = 0 (the default) turns it off.
 * It is a setting of its own: it survives mlp_set_sgd/mlp_set_adam and does
 * not reset the optimizer state. mlp_step rounds g + lambda*W parameter by
 * parameter, as torch.optim does. mlp_train_batch with plain SGD folds the
 * decay into the update GEMM as a factor 1 - lr*lambda on W only where
 * that factor, rounded once to the element type and applied at every
 * step, gives the decay rate lr*lambda to within 2^-20 relative: in double
 * for every lr*lambda >= 2^-34, in float (where it would be off by up to
 * 3e-8 / (lr*lambda)) only for lr*lambda >= 1/32 or a factor that happens
 * to round well; otherwise it goes through mlp_step. Either way a float
 * network decays at the rate asked, as its double twin does.
 * MLP_ERR_ARG if net is NULL or lambda is not finite and >= 0. */
MLP_API mlp_status mlp_set_weight_decay(mlp_t *net, double lambda);

/* How mlp_init draws the weights. fan_in = n_(l-1), fan_out = n_l. */
typedef enum mlp_init_kind {
    MLP_INIT_DEFAULT = 0,    /* what mlp_create does: Glorot uniform, or He
                                uniform for ReLU layers; same bits on every
                                host */
    MLP_INIT_GLOROT_UNIFORM, /* U(-a, a), a = sqrt(6 / (fan_in + fan_out)) */
    MLP_INIT_GLOROT_NORMAL,  /* N(0, 2 / (fan_in + fan_out)) */
    MLP_INIT_HE_UNIFORM,     /* U(-a, a), a = sqrt(6 / fan_in) */
    MLP_INIT_HE_NORMAL,      /* N(0, 2 / fan_in) */
    MLP_INIT_ORTHOGONAL      /* the Q factor of a Gaussian matrix's QR
                                decomposition (LAPACK), signs fixed so that
                                diag(R) >= 0: W W^T = I when n_l <= n_(l-1),
                                W^T W = I otherwise; gain 1 */
} mlp_init_kind;

/* Re-initialises every weight with `kind`, drawn from `seed` layer by
 * layer, and sets every bias to 0; resets the optimizer state (velocity,
 * moments, step count), keeping the optimizer and its settings. The same
 * seed gives the same parameters; the normal and orthogonal kinds go
 * through libm (log, cos) and LAPACK, so their bits may differ between
 * hosts, while MLP_INIT_DEFAULT's do not.
 * Returns MLP_OK; MLP_ERR_ARG if net is NULL or kind unknown (or LAPACK
 * rejects the problem); MLP_ERR_NOMEM. On failure nothing changes. */
MLP_API mlp_status mlp_init(mlp_t *net, mlp_init_kind kind, uint64_t seed);

/* What mlp_fit tells its callback. */
typedef struct mlp_fit_progress {
    size_t epoch;        /* the current epoch, 1-based */
    size_t epochs;       /* epochs planned (mlp_fit_options.epochs) */
    size_t batch;        /* batches done in this epoch */
    size_t batches;      /* batches per epoch */
    double train_cost;   /* mean cost of the training samples seen so far
                            in this epoch (each batch's cost as it was
                            trained, weighted by its size) */
    double val_cost;     /* the validation cost after this epoch; NaN
                            between batches and without validation */
    double elapsed;      /* seconds since mlp_fit began (monotonic clock) */
    int epoch_done;      /* 1 at the end of an epoch, after validation;
                            0 for the calls between batches */
} mlp_fit_progress;

/* Called by mlp_fit (and by mlp_mpi_fit on rank 0 only, its answer
 * obeyed by every rank); returning non-zero stops training (mlp_fit then
 * returns MLP_OK with result->stop == MLP_FIT_STOPPED_BY_CALLBACK). The
 * progress pointer is valid only during the call. The callback must not
 * use the network being trained. */
typedef int (*mlp_fit_callback)(const mlp_fit_progress *progress,
                                void *user);

typedef struct mlp_fit_options {
    size_t epochs;           /* passes over the training part; >= 1 */
    size_t batch_size;       /* >= 1; larger than the training part means
                                one batch per epoch; the last batch of an
                                epoch may be smaller */
    uint64_t seed;           /* drives the validation split and the
                                reshuffling of every epoch */
    double validation;       /* fraction in [0, 1) of the samples held out
                                for validation, chosen at random from the
                                seed once for the whole fit; 0 = none */
    size_t patience;         /* early stopping: stop after this many epochs
                                whose validation cost did not improve on the
                                best by more than min_delta; 0 = never */
    double min_delta;        /* >= 0 */
    int restore_best;        /* with validation: end with the parameters of
                                the epoch of lowest validation cost */
    size_t report_every;     /* also call back every this many batches
                                within an epoch; 0 = only after epochs */
    mlp_fit_callback callback; /* NULL = none */
    void *user;              /* passed to the callback */
} mlp_fit_options;

/* Fills *options with the defaults: 10 epochs, batches of 32, seed 0, no
 * validation, no early stopping (patience 0, min_delta 0), restore_best 1,
 * report_every 0, no callback. Start from these and change what you need,
 * so that fields added later get sensible values. NULL is a no-op. */
MLP_API void mlp_fit_defaults(mlp_fit_options *options);

typedef enum mlp_fit_stop {
    MLP_FIT_COMPLETED = 0,       /* every epoch ran */
    MLP_FIT_EARLY_STOPPED,       /* the validation cost stopped improving */
    MLP_FIT_STOPPED_BY_CALLBACK,
    MLP_FIT_FAILED               /* mlp_fit returned an error */
} mlp_fit_stop;

typedef struct mlp_fit_result {
    size_t epochs_run;     /* epochs completed */
    size_t best_epoch;     /* epoch of the lowest validation cost; 0 if none */
    double train_cost;     /* mean training cost of the last full epoch */
    double val_cost;       /* validation cost after the last full epoch, NaN
                              without validation */
    double best_val_cost;  /* NaN without validation */
    mlp_fit_stop stop;
} mlp_fit_result;

/* Trains the network on n samples with the current optimizer: X is n x n_0
 * and T n x n_L, row-major, caller-owned and only read. Each epoch visits
 * the training samples once, in an order reshuffled from the seed, in
 * mini-batches of options->batch_size, each one an mlp_train_batch. With
 * validation, the held-out cost is computed after each epoch (forward
 * pass and loss, in chunks of batch_size rows, as a mean over the held-out
 * samples, in scaled units like the training cost: see mlp_set_scaling)
 * and drives early stopping. options NULL means the defaults;
 * result may be NULL.
 *
 * The order (the same in mlp_mpi_fit, over the global row numbers): one
 * SplitMix64 stream whose state starts at options->seed; a shuffle of
 * idx[0..m) is Fisher-Yates, for i = m-1 down to 1 swapping idx[i] with
 * idx[j], j = r mod (i+1), where r is the stream's next output, outputs
 * r < 2^64 mod (i+1) being skipped so that j is unbiased. With validation,
 * idx = 0..n-1 is shuffled once and its first floor(validation * n)
 * entries are the held-out rows, in that order; the rest is the training
 * part, shuffled again at the start of every epoch and cut into batches
 * in order (the last one shorter when batch_size does not divide it).
 * Without validation only the per-epoch shuffles are drawn.
 *
 * Memory: mlp_fit allocates its buffers (n indices, one batch of X and T,
 * a copy of the best parameters) when it starts and frees them before it
 * returns; nothing is allocated per batch. The same
 * network, data, options, optimizer state and a single BLAS thread give
 * bitwise the same result. The gradient buffers are unspecified afterwards.
 *
 * Returns MLP_OK when training ends (all epochs, early stop, or the
 * callback); otherwise
 *   MLP_ERR_ARG       net, X or T NULL, n == 0, epochs or batch_size 0,
 *                     validation not in [0, 1), min_delta < 0 or NaN, a
 *                     split that leaves no training or no validation sample,
 *                     an n so large that n indices or the n rows of X or
 *                     T cannot be addressed (a size that overflows size_t),
 *                     or batches of more than INT_MAX rows (batch_size and
 *                     the training part both larger);
 *   MLP_ERR_NOMEM     nothing has been trained;
 *   MLP_ERR_NONFINITE a sample is not finite, or the cost or a gradient
 *                     became NaN or Inf: training stops there and the
 *                     parameters are those after the last good step.
 * result is filled in every case where it is not NULL. */
MLP_API mlp_status mlp_fit(mlp_t *net, size_t n, const double *X,
                           const double *T, const mlp_fit_options *options,
                           mlp_fit_result *result);

/* ------------------------------------------------------------------------ */
/* BLAS threads                                                             */

/* Sets how many threads the BLAS backend uses for every later BLAS call of
 * the whole process, libmlp's and anyone else's: OpenBLAS and BLIS keep
 * their thread count process-wide, so this is not a per-network setting
 * and libmlp stores nothing. It calls openblas_set_num_threads and
 * bli_thread_set_num_threads, each one whose backend is loaded, and overrides
 * OPENBLAS_NUM_THREADS / BLIS_NUM_THREADS / OMP_NUM_THREADS, which only set
 * the starting value when the backend loads. n is capped at the number of
 * processors online (sysconf): OpenBLAS would otherwise start every thread
 * asked for, up to its build's maximum (64 in Debian's), on any number of
 * cores, and keep them alive after a smaller request; more threads than
 * processors only slow the GEMMs down. mlp_blas_threads then reports the
 * capped count. Not safe to call while another thread is inside a BLAS
 * call. Results stay bitwise reproducible only with one thread.
 * Returns MLP_OK, or MLP_ERR_ARG if n == 0, n > INT_MAX, or n > 1 with a
 * backend that has no run-time thread control (ATLAS as Debian builds it,
 * the reference BLAS: both are serial, and n == 1 is accepted). */
MLP_API mlp_status mlp_set_blas_threads(size_t n);

/* The BLAS backend's current thread count: 1 for a serial backend. */
MLP_API size_t mlp_blas_threads(void);

/* ------------------------------------------------------------------------ */
/* Model files                                                              */

/* Model files hold the layer sizes, activations, loss, input and output
 * scaling, optimizer with its hyper-parameters and state, and every
 * parameter, in a versioned, checksummed (CRC-32C), little-endian format
 * that is the same on every host; docs/format.md specifies it byte by
 * byte. This library writes format version 2 and reads versions 1 and 2
 * (a version 1 file has no scaling: it loads with none). Saving then
 * loading gives a network that predicts and trains bitwise as the saved
 * one did, and saving that again gives the same bytes. Workspace and
 * gradients are not saved: a loaded network's gradients are zero.
 *
 * These functions only read the network they save, so several threads
 * may save one network at once, or distinct networks. */

/* The exact size in bytes of net's model file: what mlp_save writes and
 * mlp_save_buffer needs. 0 if net is NULL; SIZE_MAX if the size does not
 * fit in a size_t (no buffer can hold it). */
MLP_API size_t mlp_saved_size(const mlp_t *net);

/* Writes net's model file, mlp_saved_size(net) bytes, the same bytes
 * mlp_save writes to a file, into data[0 .. capacity-1]. Returns MLP_OK,
 * or with data untouched MLP_ERR_ARG (net or data NULL, or capacity <
 * mlp_saved_size(net)) or MLP_ERR_NONFINITE (a parameter is NaN or Inf,
 * as only writing through mlp_params or mlp_weights can make one:
 * mlp_load_buffer would refuse the file). Allocates nothing. */
MLP_API mlp_status mlp_save_buffer(const mlp_t *net, void *data,
                                   size_t capacity);

/* Writes net to `path`, replacing any file there atomically: the model is
 * written to a temporary file in the same directory, flushed with fsync,
 * and renamed over `path`, and then the directory is fsynced. A crash or a
 * failure at any point leaves either the old file or the complete new one
 * at `path`, never a mix.
 *
 * The temporary file: on Linux it is created unnamed (O_TMPFILE) and gets
 * a name, `.mlp-save-XXXXXX` (six random characters) in the target's
 * directory, only once it is complete and flushed, just before the
 * rename (signals that can be blocked wait from naming to renaming); a
 * crash while writing leaves nothing behind. Where O_TMPFILE is
 * not available (other systems, file systems without it) the file is
 * created under that name from the start, and a crash while saving can
 * leave it behind: `find DIR -name '.mlp-save-*'` lists such leftovers,
 * which are safe to delete when no save is running. On failure the
 * temporary file is removed. Its descriptor is close-on-exec, so a
 * program that forks and execs meanwhile inherits nothing. Any legal file
 * name works (the temporary name is short and fixed in length).
 *
 * Symbolic links are followed, as editors do: when `path` is a link
 * (or a chain of up to 40), the file it points to is replaced and the
 * link stays; a dangling link's target is created. The replaced file's
 * permission bits are kept; a new file gets 0644. net is only read.
 * Returns
 *   MLP_OK;
 *   MLP_ERR_ARG       net or path NULL, or path empty;
 *   MLP_ERR_NONFINITE a parameter is NaN or Inf (as for mlp_save_buffer:
 *                     the file could not be loaded); no file is touched;
 *   MLP_ERR_NOMEM     an allocation failed;
 *   MLP_ERR_IO        `path` (or the file a link names) exists and is not
 *                     a regular file (a directory, FIFO, device or socket
 *                     is never replaced), the link could not be followed,
 *                     or the temporary file could not be created, written,
 *                     flushed, named or renamed (the old file is
 *                     untouched), or the directory could not be flushed
 *                     after the rename (the new file is in place but may
 *                     not survive a power cut). */
MLP_API mlp_status mlp_save(const mlp_t *net, const char *path);

/* Reads a network saved by mlp_save from `path` into a new network, which
 * the caller releases with mlp_free. The file's header (every field
 * before the numbers of the model) is read first, in small blocks, and
 * judged as by mlp_load_buffer, together with the file's length: a file
 * that does not begin with the format's magic bytes, whose header has an
 * invalid field, or whose header declares layer sizes that do not add up
 * to exactly the file's length (docs/format.md gives the sum) is refused
 * from the header (MLP_ERR_FORMAT, however large the file is: nothing of
 * its size is allocated or read). Any other file is read whole, then
 * judged as by mlp_load_buffer. Returns MLP_OK and sets *net, or sets
 * *net to NULL (when net is not NULL) and returns
 *   MLP_ERR_ARG    net or path NULL;
 *   MLP_ERR_IO     the file could not be opened or read, or is not a
 *                  regular file;
 *   MLP_ERR_NOMEM  an allocation failed (only for a file whose header
 *                  declares its own length);
 *   MLP_ERR_FORMAT as mlp_load_buffer, or the header's declared length
 *                  is not the file's.
 * Nothing leaks on any path. */
MLP_API mlp_status mlp_load(mlp_t **net, const char *path);

/* Reads a network from the `size` bytes at `data` (the bytes of a model
 * file; borrowed for the call only). Every field is checked before it is
 * trusted: magic, version, checksum, sizes against the bytes that remain
 * (no allocation is larger than a small multiple of `size`), enum values,
 * the pairing rules of mlp_create, the optimizer's hyper-parameters (and
 * an Adam step count below 2^64 - 1, so that training can go on; mlp_step
 * never counts past 2^64 - 2, see mlp_set_adam), the
 * scaling under mlp_set_scaling's rules, and that every parameter and
 * state value is finite. Files of format version 1 and 2 are read, with
 * float64 or float32 elements (float32 widened exactly). Any input, however
 * damaged or hostile, gives a status, never a crash or a read outside
 * data[0 .. size-1]. Returns MLP_OK and sets *net, or sets *net to NULL
 * (when net is not NULL) and returns
 *   MLP_ERR_ARG    net NULL, or data NULL with size > 0;
 *   MLP_ERR_NOMEM  an allocation failed;
 *   MLP_ERR_FORMAT not a libmlp model file (wrong magic), a format version
 *                  this library does not know (a file from a newer
 *                  libmlp), a checksum mismatch, a truncated or overlong
 *                  file, or any invalid field.
 * Nothing leaks on any path. */
MLP_API mlp_status mlp_load_buffer(mlp_t **net, const void *data,
                                   size_t size);

/* ------------------------------------------------------------------------ */
/* Sharing one network between threads                                      */

/* Which functions only read the network
 * ---------------------------------------
 * Every function that takes a const mlp_t * never writes to that network,
 * so any number of threads may call these on one network at the same
 * time, as long as no thread changes the network meanwhile (nothing that
 * takes a non-const mlp_t *: training, optimizer and scaling settings,
 * mlp_init, writing through mlp_params or mlp_weights, mlp_free):
 *   mlp_predict_ws, mlp_jacobian, mlp_vjp, mlp_jvp (each thread with its
 *   own workspace), mlp_workspace_create, mlp_save, mlp_get_scaling,
 *   mlp_n_layers, mlp_layer_size, mlp_layer_activation, mlp_loss_kind,
 *   mlp_n_params, and any later function declared with a const mlp_t *.
 * mlp_predict, mlp_backprop, mlp_step and mlp_train_batch write the
 * network (its own workspace, gradients or parameters): one thread at a
 * time per network. */

/* Per-thread scratch for the functions above: the activations and
 * deltas of one batch. Opaque. */
typedef struct mlp_workspace mlp_workspace_t;

/* Creates a workspace for networks of net's layer sizes (net is only
 * read, for its sizes), ready for batches of up to max_batch rows: the
 * read-only passes on a batch no larger allocate nothing. A larger batch
 * makes the workspace grow, as the network's own does. mlp_jacobian needs
 * more scratch (2 * batch * min(n_0, n_L) * max(n_1..n_L) doubles), which
 * it allocates on its first call with a batch larger than before.
 * Any network of the same layer sizes may use the workspace; one
 * workspace must not be used by two threads at once. Returns MLP_OK and
 * sets *ws, or sets *ws to NULL (when ws is not NULL) and returns
 *   MLP_ERR_ARG   ws or net NULL, max_batch == 0, max_batch > INT_MAX
 *                 (the BLAS index type), or max_batch * n_l overflows;
 *   MLP_ERR_NOMEM an allocation failed.
 * Release it with mlp_workspace_free. */
MLP_API mlp_status mlp_workspace_create(mlp_workspace_t **ws, const mlp_t *net,
                                        size_t max_batch);

/* Releases a workspace. NULL is a no-op. */
MLP_API void mlp_workspace_free(mlp_workspace_t *ws);

/* As mlp_predict (the same outputs, bitwise, for the same network and
 * inputs), with the scratch in ws instead of the network, which is only
 * read: any number of threads may predict with one network at once, each
 * with its own workspace. X is batch x n_0, Y batch x n_L, caller-owned,
 * not overlapping. Returns
 *   MLP_OK;
 *   MLP_ERR_ARG       net, ws, X or Y NULL, ws made for other layer sizes,
 *                     batch == 0, batch > INT_MAX, or batch * n_l
 *                     overflows;
 *   MLP_ERR_NONFINITE X holds a NaN or Inf, or the outputs are not finite
 *                     (Y is then unspecified);
 *   MLP_ERR_NOMEM     ws could not grow to a larger batch (ws is as it
 *                     was, still usable). */
MLP_API mlp_status mlp_predict_ws(const mlp_t *net, mlp_workspace_t *ws,
                                  size_t batch, const double *X, double *Y);

/* Derivatives of the predictions with respect to the inputs
 * ----------------------------------------------------------
 * For each sample b of a batch, J_b = dY[b]/dX[b] is the n_L x n_0
 * Jacobian of the outputs mlp_predict gives for row b of X with respect
 * to that row: per layer the weights and the activation's derivative
 * (written from its output as in training: sigmoid A(1-A), tanh 1-A^2,
 * ReLU 1[A>0], so 0 at a kink; a softmax output layer contributes its
 * full Jacobian diag(y) - y y^T, not its diagonal). Samples are
 * independent: J_b holds no cross-sample terms. The network's input and
 * output scaling (mlp_set_scaling) is included, as in the predictions:
 * J_b = diag(out_std) J_net diag(1 / in_std), in the caller's units.
 *
 *   mlp_jacobian: J is batch x n_L x n_0, J[(b*n_L + i)*n_0 + j] = dy_i/dx_j
 *   mlp_vjp:      G[b] = V[b]^T J_b   (V: batch x n_L, G: batch x n_0),
 *                 reverse mode: backpropagation of V carried down to X
 *   mlp_jvp:      U[b] = J_b D[b]     (D: batch x n_0, U: batch x n_L),
 *                 forward mode
 *
 * mlp_vjp and mlp_jvp cost about two mlp_predict calls (the forward
 * pass, then one product per layer), whatever the shape. mlp_jacobian forms every J_b by carrying min(n_0, n_L) directions
 * per sample through the layers at once (n_L rows in reverse mode when
 * n_L <= n_0, else n_0 columns in forward mode), one matrix product per
 * layer for the whole batch; its scratch (2 * batch * min(n_0, n_L) *
 * max(n_1..n_L) doubles) is allocated in ws on its first call with a
 * batch larger than before, and kept.
 *
 * All three only read net, like mlp_predict_ws: any number of threads may
 * call them on one network at once, each with its own workspace (made for
 * net's layer sizes). Arrays are row-major, caller-owned and must not
 * overlap. Results are deterministic for a given batch (with one BLAS
 * thread bitwise); a sample's derivatives may differ in the last bits
 * between a batch of 1 and a larger batch, as mlp_predict's outputs may.
 * Returns
 *   MLP_OK;
 *   MLP_ERR_ARG       net, ws, X or an array argument NULL, ws made for
 *                     other layer sizes, batch == 0, batch > INT_MAX (for
 *                     mlp_jacobian batch * min(n_0, n_L) > INT_MAX), or a
 *                     size that overflows (batch * n_l, or for
 *                     mlp_jacobian batch * n_L * n_0);
 *   MLP_ERR_NONFINITE X, V or D holds a NaN or Inf, or an activation, a
 *                     derivative or a result is not finite (the output
 *                     array is then unspecified);
 *   MLP_ERR_NOMEM     ws could not grow (ws is as it was, still usable). */
MLP_API mlp_status mlp_jacobian(const mlp_t *net, mlp_workspace_t *ws,
                                size_t batch, const double *X, double *J);
MLP_API mlp_status mlp_vjp(const mlp_t *net, mlp_workspace_t *ws,
                           size_t batch, const double *X, const double *V,
                           double *G);
MLP_API mlp_status mlp_jvp(const mlp_t *net, mlp_workspace_t *ws,
                           size_t batch, const double *X, const double *D,
                           double *U);

/* ------------------------------------------------------------------------ */
/* Single precision: the mlpf_ family                                       */

/* Every function above whose numbers are the model's or the data's has a
 * single-precision twin, named mlpf_ instead of mlp_, working on an mlpf_t
 * (and an mlpf_workspace_t) with float wherever its double twin takes or
 * gives data, parameters, gradients, scaling, derivatives or a cost.
 * Hyper-parameters (learning rate, momentum, Adam's betas and epsilon,
 * weight decay) stay double, and the enums, mlp_fit_options,
 * mlp_fit_result and mlp_fit_progress (whose costs are doubles holding
 * the float costs exactly) are shared. Each mlpf_ function means exactly
 * what its mlp_ twin's contract above says: the same shapes, ownership,
 * statuses and thread-safety, its arithmetic done in float (sums
 * accumulate in float, as the single-precision BLAS does). The two
 * families are built from one source and live side by side: a program
 * may use both, but a network of one family is never passed to the
 * other. mlpf_create gives the float-rounded parameters mlp_create gives
 * for the same arguments. The float family computes with the
 * hyper-parameters rounded to the nearest float, so every rule its
 * setters apply (learning rate and epsilon finite and > 0, momentum and
 * betas in [0, 1), weight decay finite and >= 0) must hold both for the
 * value given and for that value rounded to float: mlpf_set_sgd,
 * mlpf_set_adam and mlpf_set_weight_decay return MLP_ERR_ARG, changing
 * nothing, for a value the double setter accepts that breaks a rule once
 * rounded (a learning rate of 1e-50, which rounds to 0, or 1e39, which
 * rounds to Inf; an epsilon of 1e-300; a momentum or beta of
 * 0.99999999999, which rounds to 1; a weight decay of 1e39, which
 * rounds to Inf).
 * Model files record their element type: mlp_load and mlp_load_buffer
 * read float files too (widening exactly), and mlpf_load and
 * mlpf_load_buffer read double files, rounding each value to the nearest
 * float; a value beyond float's range, or a hyper-parameter that breaks
 * the setters' rules once rounded to float, is MLP_ERR_FORMAT. mlpf_save
 * writes float files. */
typedef struct mlpf mlpf_t;
typedef struct mlpf_workspace mlpf_workspace_t;

MLP_API mlp_status mlpf_create(mlpf_t **net, size_t n_layers,
                               const size_t *sizes, const mlp_activation *acts,
                               mlp_loss loss, uint64_t seed);
MLP_API void mlpf_free(mlpf_t *net);
MLP_API mlp_status mlpf_clone(mlpf_t **copy, const mlpf_t *net);
MLP_API size_t mlpf_n_layers(const mlpf_t *net);
MLP_API size_t mlpf_layer_size(const mlpf_t *net, size_t l);
MLP_API int mlpf_layer_activation(const mlpf_t *net, size_t l);
MLP_API int mlpf_loss_kind(const mlpf_t *net);
MLP_API float *mlpf_weights(mlpf_t *net, size_t l);
MLP_API float *mlpf_biases(mlpf_t *net, size_t l);
MLP_API float *mlpf_weight_grads(mlpf_t *net, size_t l);
MLP_API float *mlpf_bias_grads(mlpf_t *net, size_t l);
MLP_API size_t mlpf_n_params(const mlpf_t *net);
MLP_API float *mlpf_params(mlpf_t *net);
MLP_API float *mlpf_grads(mlpf_t *net);
MLP_API mlp_status mlpf_predict(mlpf_t *net, size_t batch, const float *X,
                                float *Y);
MLP_API mlp_status mlpf_backprop(mlpf_t *net, size_t batch, const float *X,
                                 const float *T, float *cost);
MLP_API mlp_status mlpf_set_scaling(mlpf_t *net, const float *in_mean,
                                    const float *in_std,
                                    const float *out_mean,
                                    const float *out_std);
MLP_API mlp_status mlpf_fit_scaling(mlpf_t *net, size_t n, const float *X,
                                    const float *T);
MLP_API mlp_status mlpf_get_scaling(const mlpf_t *net, float *in_mean,
                                    float *in_std, float *out_mean,
                                    float *out_std);
MLP_API mlp_status mlpf_set_sgd(mlpf_t *net, double learning_rate,
                                double momentum);
MLP_API mlp_status mlpf_step(mlpf_t *net);
MLP_API mlp_status mlpf_train_batch(mlpf_t *net, size_t batch,
                                    const float *X, const float *T,
                                    float *cost);
MLP_API mlp_status mlpf_set_adam(mlpf_t *net, double learning_rate,
                                 double beta1, double beta2, double epsilon);
MLP_API mlp_status mlpf_set_weight_decay(mlpf_t *net, double lambda);
MLP_API mlp_status mlpf_init(mlpf_t *net, mlp_init_kind kind, uint64_t seed);
MLP_API mlp_status mlpf_fit(mlpf_t *net, size_t n, const float *X,
                            const float *T, const mlp_fit_options *options,
                            mlp_fit_result *result);
MLP_API size_t mlpf_saved_size(const mlpf_t *net);
MLP_API mlp_status mlpf_save_buffer(const mlpf_t *net, void *data,
                                    size_t capacity);
MLP_API mlp_status mlpf_save(const mlpf_t *net, const char *path);
MLP_API mlp_status mlpf_load(mlpf_t **net, const char *path);
MLP_API mlp_status mlpf_load_buffer(mlpf_t **net, const void *data,
                                    size_t size);
MLP_API mlp_status mlpf_workspace_create(mlpf_workspace_t **ws,
                                         const mlpf_t *net, size_t max_batch);
MLP_API void mlpf_workspace_free(mlpf_workspace_t *ws);
MLP_API mlp_status mlpf_predict_ws(const mlpf_t *net, mlpf_workspace_t *ws,
                                   size_t batch, const float *X, float *Y);
MLP_API mlp_status mlpf_jacobian(const mlpf_t *net, mlpf_workspace_t *ws,
                                 size_t batch, const float *X, float *J);
MLP_API mlp_status mlpf_vjp(const mlpf_t *net, mlpf_workspace_t *ws,
                            size_t batch, const float *X, const float *V,
                            float *G);
MLP_API mlp_status mlpf_jvp(const mlpf_t *net, mlpf_workspace_t *ws,
                            size_t batch, const float *X, const float *D,
                            float *U);

#ifdef __cplusplus
}
#endif

#endif /* MLP_H */
