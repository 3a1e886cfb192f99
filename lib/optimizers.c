/* optimizers.c - SGD with momentum, Adam, L2 weight decay; the update
 * applied by mlp_step. */
#include "mlp_internal.h"
#include "alloc.h"
#include "blas.h"
#include "fpmode.h"
#include "simd.h"

#include <math.h>
#include <string.h>

/* Replaces the optimizer; its state buffers (if any) are allocated first,
 * so a failed allocation leaves the old optimizer in place. */
static mlp_status install(struct mlp *net, struct mlp_optimizer next,
                          bool need_m, bool need_v)
{
    real *m = NULL, *v = NULL;
    if (need_m && !(m = mlp__calloc(net->n_params, sizeof *m)))
        return MLP_ERR_NOMEM;
    if (need_v && !(v = mlp__calloc(net->n_params, sizeof *v))) {
        mlp__free(m);
        return MLP_ERR_NOMEM;
    }
    mlp__free(net->opt.m);
    mlp__free(net->opt.v);
    next.m = m;
    next.v = v;
    next.t = 0;
    next.state_known = true; /* all zeros */
    next.m_max = next.v_max = 0;
    net->opt = next;
    return MLP_OK;
}

/* The setters' rules. Each holds for the value as given and for the value
 * as the update uses it, rounded to the element type: in float a learning
 * rate of 1e-50 is 0, one of 1e39 is Inf, and a momentum or beta of
 * 0.99999999999 is 1 (a bias correction of 0). In double the rounding
 * changes nothing. */
static bool positive(double x) { return isfinite(x) && x > 0.0; }
static bool fraction(double x) { return x >= 0.0 && x < 1.0; }
static bool nonnegative(double x) { return isfinite(x) && x >= 0.0; }

static bool holds(bool (*rule)(double), double x)
{
    return rule(x) && rule((real)x);
}

bool mlp__valid_sgd(double learning_rate, double momentum)
{
    return holds(positive, learning_rate) && holds(fraction, momentum);
}

bool mlp__valid_adam(double learning_rate, double beta1, double beta2,
                     double epsilon)
{
    return holds(positive, learning_rate) && holds(fraction, beta1) &&
           holds(fraction, beta2) && holds(positive, epsilon);
}

bool mlp__valid_weight_decay(double lambda)
{
    return holds(nonnegative, lambda);
}

mlp_status mlp_set_sgd(mlp_t *net, double learning_rate, double momentum)
{
    if (!net || !mlp__valid_sgd(learning_rate, momentum))
        return MLP_ERR_ARG;
    struct mlp_optimizer next = { .kind = MLP_OPT_SGD,
                                  .learning_rate = learning_rate,
                                  .momentum = momentum };
    return install(net, next, momentum != 0.0, false);
}

mlp_status mlp_set_adam(mlp_t *net, double learning_rate, double beta1,
                        double beta2, double epsilon)
{
    if (!net || !mlp__valid_adam(learning_rate, beta1, beta2, epsilon))
        return MLP_ERR_ARG;
    struct mlp_optimizer next = { .kind = MLP_OPT_ADAM,
                                  .learning_rate = learning_rate,
                                  .beta1 = beta1, .beta2 = beta2,
                                  .epsilon = epsilon };
    return install(net, next, true, true);
}

mlp_status mlp_set_weight_decay(mlp_t *net, double lambda)
{
    if (!net || !mlp__valid_weight_decay(lambda))
        return MLP_ERR_ARG;
    net->weight_decay = lambda;
    return MLP_OK;
}

void mlp__reset_optimizer(struct mlp *net)
{
    size_t bytes = net->n_params * sizeof(real);
    if (net->opt.m)
        memset(net->opt.m, 0, bytes);
    if (net->opt.v)
        memset(net->opt.v, 0, bytes);
    net->opt.t = 0;
    net->opt.state_known = true;
    net->opt.m_max = net->opt.v_max = 0;
}

/* The optimizer's constants for one step. */
struct step {
    enum mlp_optimizer_kind kind;
    double lr, mu, b1, b2, eps;
    double step_size, inv_bc2_sqrt;   /* Adam, for this step's t */
};

/* The update of n parameters theta from their gradients g, with L2 decay
 * lambda folded into the gradient (g + lambda*theta), as torch.optim does
 * with weight_decay; m and v are the matching slices of the state.
 *   SGD:  v <- mu v + g (v = g without momentum);  θ <- θ - lr v
 *   Adam: m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;
 *         θ <- θ - (lr / (1-b1^t)) m / (sqrt(v) / sqrt(1-b2^t) + eps)
 *         (torch.optim.Adam's arrangement; the division by sqrt(1-b2^t)
 *         is a multiplication here).
 * Each kernel is one pass that reads every stream once and writes every
 * new value once, with nothing between them but arithmetic, so that it
 * vectorises; every stored value goes through mlp__flush_subnormal. The
 * operations and their order are the same in check_update below, which
 * only reports whether every new value is finite. The passes also keep the
 * largest magnitude bits of the state they store, in mx[0] (m) and mx[1]
 * (v), as running maxima: the next step's proof (step_is_bounded) starts
 * from them instead of reading m and v again. The loops are bound by the
 * divider (Adam) or by memory, so the maxima cost nothing measurable. The hyper-parameters
 * are rounded to the element type once per step (struct step_real), so
 * that a float pass is float arithmetic throughout. */
struct step_real {
    real lr, mu, b1, a1, b2, a2, step_size, inv, eps;
};

static struct step_real step_real(const struct step *c)
{
    struct step_real r = {
        (real)c->lr, (real)c->mu, (real)c->b1, (real)(1.0 - c->b1),
        (real)c->b2, (real)(1.0 - c->b2), (real)c->step_size,
        (real)c->inv_bc2_sqrt, (real)c->eps
    };
    return r;
}

static inline real_bits max_bits(real_bits a, real x)
{
    real_bits b = mlp__magnitude_bits(x);
    return b > a ? b : a;
}

MLP_CLONES
static void adam_pass(const struct step_real *c, real lambda, size_t n,
                      const real *restrict g, real *restrict theta,
                      real *restrict m, real *restrict v, real_bits *mx)
{
    const real b1 = c->b1, a1 = c->a1, b2 = c->b2, a2 = c->a2;
    const real step_size = c->step_size, inv = c->inv, eps = c->eps;
    real_bits m_max = mx[0], v_max = mx[1];
    for (size_t i = 0; i < n; i++) {
        real d = g[i] + lambda * theta[i];
        real mi = b1 * m[i] + a1 * d;
        real vi = b2 * v[i] + a2 * d * d;
        real ti = theta[i] - step_size * mi / (real_sqrt(vi) * inv + eps);
        mi = mlp__flush_subnormal(mi);
        vi = mlp__flush_subnormal(vi);
        m[i] = mi;
        v[i] = vi;
        theta[i] = mlp__flush_subnormal(ti);
        m_max = max_bits(m_max, mi);
        v_max = max_bits(v_max, vi);
    }
    mx[0] = m_max;
    mx[1] = v_max;
}

MLP_CLONES
static void momentum_pass(const struct step_real *c, real lambda, size_t n,
                          const real *restrict g, real *restrict theta,
                          real *restrict m, real_bits *mx)
{
    const real lr = c->lr, mu = c->mu;
    real_bits m_max = mx[0];
    for (size_t i = 0; i < n; i++) {
        real mi = mu * m[i] + (g[i] + lambda * theta[i]);
        real stored = mlp__flush_subnormal(mi);
        m[i] = stored;
        theta[i] = mlp__flush_subnormal(theta[i] - lr * mi);
        m_max = max_bits(m_max, stored);
    }
    mx[0] = m_max;
}

MLP_CLONES
static void sgd_pass(const struct step_real *c, real lambda, size_t n,
                     const real *restrict g, real *restrict theta)
{
    const real lr = c->lr;
    for (size_t i = 0; i < n; i++)
        theta[i] = mlp__flush_subnormal(theta[i] - lr * (g[i] + lambda * theta[i]));
}

/* The exact check for when the bounds below prove nothing: the same
 * arithmetic as the passes above, nothing stored; 0 when every new value
 * is finite (x - x is 0 for finite x, NaN otherwise). */
static double check_update(const struct step_real *c, bool adam, real lambda,
                           size_t n, const real *g, const real *theta,
                           const real *m, const real *v)
{
    double nonfinite = 0.0;
    for (size_t i = 0; i < n; i++) {
        real d = g[i] + lambda * theta[i], mi = d, vi = 0, ti;
        if (adam) {
            mi = c->b1 * m[i] + c->a1 * d;
            vi = c->b2 * v[i] + c->a2 * d * d;
            ti = theta[i] - c->step_size * mi /
                            (real_sqrt(vi) * c->inv + c->eps);
        } else {
            if (m)
                mi = c->mu * m[i] + d;
            ti = theta[i] - c->lr * mi;
        }
        nonfinite += (mi - mi) + (vi - vi) + (ti - ti);
    }
    return nonfinite;
}

/* One pass over every layer, weights then biases: the weights decay, the
 * biases do not. With check set nothing is written and the return value
 * is check_update's verdict; otherwise the update is made, and the state's
 * largest magnitudes are recorded with it. */
static double update_all(struct mlp *net, const struct step *step, bool check)
{
    struct mlp_optimizer *opt = &net->opt;
    const struct step_real r = step_real(step), *c = &r;
    bool adam = step->kind == MLP_OPT_ADAM;
    double nonfinite = 0.0;
    real_bits mx[2] = { 0, 0 };
    for (size_t l = 1; l <= net->n_layers; l++) {
        size_t off = net->offsets[l - 1];
        size_t n_w = net->sizes[l] * net->sizes[l - 1], n_b = net->sizes[l];
        size_t start[2] = { off, off + n_w }, count[2] = { n_w, n_b };
        real lambda[2] = { (real)net->weight_decay, 0 };
        for (int part = 0; part < 2; part++) {
            size_t s = start[part], n = count[part];
            const real *g = net->grads + s;
            real *theta = net->params + s;
            real *m = opt->m ? opt->m + s : NULL;
            real *v = opt->v ? opt->v + s : NULL;
            if (check)
                nonfinite += check_update(c, adam, lambda[part], n, g, theta,
                                          m, v);
            else if (adam)
                adam_pass(c, lambda[part], n, g, theta, m, v, mx);
            else if (m)
                momentum_pass(c, lambda[part], n, g, theta, m, mx);
            else
                sgd_pass(c, lambda[part], n, g, theta);
        }
    }
    if (!check) {
        opt->m_max = mx[0];
        opt->v_max = mx[1];
        opt->state_known = true;
    }
    return nonfinite;
}

/* Whether some |g_i| > lim_g or |θ_i| > lim_t (or one is NaN or
 * infinite), in one read-only pass: magnitude bits against the limits'
 * bits, OR-ed, which vectorises with no chain of maxima. */
MLP_CLONES
static bool any_above(size_t n, const real *g, const real *theta, real lim_g,
                      real lim_t)
{
    real_bits lg = mlp__magnitude_bits(lim_g), lt = mlp__magnitude_bits(lim_t);
    real_bits above = 0; /* as wide as the compares: no narrowing shuffles */
    for (size_t i = 0; i < n; i++)
        above |= -(real_bits)(mlp__magnitude_bits(g[i]) > lg) |
                 -(real_bits)(mlp__magnitude_bits(theta[i]) > lt);
    return above != 0;
}

/* The same for θ alone, when g's bound is known otherwise. */
MLP_CLONES
static bool any_above_one(size_t n, const real *theta, real lim_t)
{
    real_bits lt = mlp__magnitude_bits(lim_t);
    real_bits above = 0;
    for (size_t i = 0; i < n; i++)
        above |= -(real_bits)(mlp__magnitude_bits(theta[i]) > lt);
    return above != 0;
}

/* The largest magnitude bits in x (NaN and Inf above every finite value). */
MLP_CLONES
static real_bits largest_bits(size_t n, const real *x)
{
    real_bits mx = 0;
    for (size_t i = 0; i < n; i++)
        mx = max_bits(mx, x[i]);
    return mx;
}

/* The state's largest magnitudes, measured when no update recorded them:
 * once after loading a model (the file's state) and never again while
 * only this module writes m and v. Not a change a caller can see: the
 * fields cache a fact about the arrays as they are. */
static void know_state(struct mlp_optimizer *opt, size_t n)
{
    if (opt->state_known)
        return;
    opt->m_max = opt->m ? largest_bits(n, opt->m) : 0;
    opt->v_max = opt->v ? largest_bits(n, opt->v) : 0;
    opt->state_known = true;
}

/* A cheap proof that the step stays finite: every gradient, parameter and
 * state value checked against a limit. g and θ are read (one read-only
 * pass over two streams: a caller may write either through the pointers
 * mlp_params and mlp_grads hand out, at any time); m and v are not. Only
 * this module writes them: zeros (install, mlp__reset_optimizer) or the
 * update, which records the largest magnitude it stores; a refused step
 * writes neither the state nor its maxima. mlp_clone copies the state
 * with its maxima; a loaded model's are measured once (know_state); the
 * MPI layer broadcasts parameters, not state. So m_max and v_max are the
 * largest magnitudes in m and v as they are, and are compared with the
 * limits instead. With
 * |g| <= K/2 and lambda |θ| <= K/2, |d| = |g + lambda θ| <= K.
 *   Adam, K <= 1e150: the squares, and so m and v, stay finite; with
 *   |m| <= K too the new |m| is at most K; the denominator is at least
 *   eps, so |Δθ| <= step_size K / eps <= 1e300, and with |θ| <= 1e300,
 *   θ - Δθ is finite. step_size * m is bounded too: the pass forms that
 *   product before it divides (fuzz_train found lr 4.5e279, weight decay
 *   2.4e35, eps 2.4e35, where it overflows while the quotient would not).
 *   SGD: the new |v| is at most |v| + |d| <= 2K, and |Δθ| <= lr 2K.
 * False means "not proven": the exact check then decides. The margins
 * (1e300 against DBL_MAX = 1.8e308) absorb every rounding error here.
 * In float the same proof runs with BIG = 1e36 for 1e300 and
 * SQRT_BIG = 1e18 for 1e150 (FLT_MAX = 3.4e38). */
#ifdef MLP_SINGLE
#define BIG 1e36
#define SQRT_BIG 1e18
#else
#define BIG 1e300
#define SQRT_BIG 1e150
#endif
/* K, from the hyper-parameters as the passes use them: rounded to the
 * element type. The setters and the loader refuse a learning rate or
 * epsilon that rounds to 0 or Inf (fuzz_train_float once found an
 * epsilon of 3e-301: 0 in float, and 0/0 in the update), but the step
 * size lr / (1 - b1^t) can still round to Inf in float (lr near FLT_MAX,
 * b1 near 1); the proof then proves nothing and the exact check decides.
 * In double the rounding changes nothing. */
static double step_limit(const struct step *c)
{
    double lr = (real)c->lr, step = (real)c->step_size, eps = (real)c->eps;
    double k;
    if (c->kind == MLP_OPT_ADAM) {
        if (!(step > 0.0) || !(eps > 0.0) || isinf(step))
            return 0.0;
        k = BIG / step;
        k = k < BIG * (eps / step) ? k : BIG * (eps / step);
        return k < SQRT_BIG ? k : SQRT_BIG;
    }
    k = 0.5 * BIG / lr;
    return k < 0.1 * BIG ? k : 0.1 * BIG;
}

static bool step_is_bounded(struct mlp *net, const struct step *c,
                            double grad_bound)
{
    struct mlp_optimizer *opt = &net->opt;
    size_t n = net->n_params;
    double k = step_limit(c);
    double lambda = (real)net->weight_decay;
    double p_limit = lambda > 0.0 && 0.5 * k / lambda < BIG ? 0.5 * k / lambda
                                                             : BIG;
    /* k NaN or < 1: prove nothing for absurd settings */
    if (!(k >= 1.0) || isinf(lambda))
        return false;
    know_state(opt, n);
    if (opt->m_max > mlp__magnitude_bits((real)k) ||
        opt->v_max > mlp__magnitude_bits((real)BIG))
        return false;
    if (grad_bound <= 0.5 * k) /* NaN: not known */
        return !any_above_one(n, net->params, (real)p_limit);
    return !any_above(n, net->grads, net->params, (real)(0.5 * k),
                      (real)p_limit);
}

/* mlp_step with a bound on |g| (INFINITY or NaN when none is known). */
mlp_status mlp__step_with_grad_bound(struct mlp *net, double grad_bound)
{
    const struct mlp_optimizer *opt = &net->opt;
    struct step c = { .kind = opt->kind, .lr = opt->learning_rate,
                      .mu = opt->momentum, .b1 = opt->beta1,
                      .b2 = opt->beta2, .eps = opt->epsilon };
    if (opt->kind == MLP_OPT_ADAM) {
        double t = (double)(opt->t + 1);
        c.step_size = opt->learning_rate / (1.0 - pow(opt->beta1, t));
        c.inv_bc2_sqrt = 1.0 / sqrt(1.0 - pow(opt->beta2, t));
    }
    /* First prove every new value finite, then write: a failed step
     * changes nothing (also not the step count). The exact check runs in
     * the floating-point mode of the update (subnormals: fpmode.h), so
     * that it computes exactly what the update will. */
    unsigned mode = mlp__fpmode_begin(net);
    bool finite = step_is_bounded(net, &c, grad_bound) ||
                  update_all(net, &c, true) == 0.0;
    if (finite)
        update_all(net, &c, false);
    mlp__fpmode_end(mode);
    if (!finite)
        return MLP_ERR_NONFINITE;
    /* The count stops at 2^64 - 2, the largest a model file holds (the
     * next step from 2^64 - 1 would wrap to 0). The update no longer
     * depends on it long before: from t = 2^63 on, b^t is 0 in double for
     * every b in [0, 1) ((1 - 2^-53)^(2^63) = e^-1024), so both bias
     * corrections are exactly 1. */
    if (net->opt.t < UINT64_MAX - 1)
        net->opt.t++;
    return MLP_OK;
}

mlp_status mlp_step(mlp_t *net)
{
    return net ? mlp__step_with_grad_bound(net, INFINITY) : MLP_ERR_ARG;
}
