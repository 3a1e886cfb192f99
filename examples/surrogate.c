/* surrogate.c - a trained network as the right-hand side of an ODE, and its
 * Jacobian in an implicit solver, evaluated by many OpenMP threads on one
 * shared network.
 *
 * The system is the Hopf normal form
 *     x' = x (1 - x^2 - y^2) - y,      y' = y (1 - x^2 - y^2) + x,
 * whose trajectories spiral onto the unit circle; in polar form r' =
 * r (1 - r^2), theta' = 1, so the exact solution is known:
 *     r(t) = 1 / sqrt(1 + (1/r0^2 - 1) e^(-2t)),  theta(t) = theta0 + t.
 *
 * 1. A 2-32-32-2 tanh network learns f(x, y) from 4000 random samples of
 *    the disc of radius 1.5 (input and output scaling fitted to the data).
 * 2. A grid of initial points (polar: radius 0.2 .. 1.4, 16 angles) is
 *    integrated to t = T with backward Euler,
 *    z_(n+1) = z_n + h f(z_(n+1)), each step solved by Newton's method on
 *    g(z) = z - z_n - h f(z), whose Jacobian I - h J_f(z) comes from
 *    mlp_jacobian. The grid is an OpenMP loop: every thread reads the one
 *    network through its own workspace (mlp_predict_ws, mlp_jacobian).
 * 3. Checks (the exit status is 1 when one fails):
 *    - every trajectory ends within TOL_EXACT = 0.08 of the exact
 *      solution (the radius ends near 1). The same scheme with the true f
 *      and its true Jacobian is run alongside: its error (~0.012) is the
 *      scheme's own O(h) part, the rest is the surrogate's (~0.045: a
 *      relative error of ~1e-2 in f, integrated over t = 2);
 *    - Newton converges (|g| < 1e-10) within NEWTON_MAX = 3 iterations at
 *      every step, which needs the exact Jacobian of the surrogate:
 *      Newton's error squares at each iteration (2 suffice here), while
 *      with a Jacobian 10% wrong it only shrinks by ~h |dJ| per iteration
 *      and misses the limit at some steps (tried: 48 failures);
 *    - the threaded run gives bitwise the results of a one-thread run.
 *
 * Threads: OpenBLAS (pthreads) keeps a pool of its own; OpenMP threads
 * that each call BLAS would fight it for the cores, so the example asks
 * for one BLAS thread (mlp_set_blas_threads(1), process-wide) and lets
 * OpenMP own the parallelism. Run: build/examples/surrogate [THREADS],
 * THREADS a whole number from 1 to 256 (the grid's points; default:
 * OpenMP's); anything else is named on stderr with the usage, status 2. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "mlp.h"

enum { N_TRAIN = 4000, GRID = 16, N_POINTS = GRID * GRID, NEWTON_MAX = 3 };
static const double T_END = 2.0, STEP = 0.01, BOX = 1.5;
static const double TOL_EXACT = 0.08, TOL_NEWTON = 1e-10;

static void rhs(const double z[2], double f[2])
{
    double s = 1.0 - z[0] * z[0] - z[1] * z[1];
    f[0] = z[0] * s - z[1];
    f[1] = z[1] * s + z[0];
}

/* df_i/dz_j of rhs, row-major 2 x 2 */
static void rhs_jacobian(const double z[2], double J[4])
{
    double s = 1.0 - z[0] * z[0] - z[1] * z[1];
    J[0] = s - 2 * z[0] * z[0];
    J[1] = -2 * z[0] * z[1] - 1;
    J[2] = -2 * z[0] * z[1] + 1;
    J[3] = s - 2 * z[1] * z[1];
}

static void exact(const double z0[2], double t, double z[2])
{
    double r0 = hypot(z0[0], z0[1]), th = atan2(z0[1], z0[0]) + t;
    double r = 1.0 / sqrt(1.0 + (1.0 / (r0 * r0) - 1.0) * exp(-2.0 * t));
    z[0] = r * cos(th);
    z[1] = r * sin(th);
}

/* A deterministic generator, so the example gives the same numbers on
 * every run. */
static double uniform(unsigned long long *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 9007199254740992.0;
}

static mlp_t *train_surrogate(void)
{
    const size_t sizes[] = { 2, 32, 32, 2 };
    const mlp_activation acts[] = { MLP_TANH, MLP_TANH, MLP_IDENTITY };
    static double X[N_TRAIN * 2], T[N_TRAIN * 2];
    unsigned long long s = 42;
    for (size_t i = 0; i < N_TRAIN; i++) {
        /* uniform on the disc of radius BOX */
        double r = BOX * sqrt(uniform(&s)), th = 6.283185307179586 * uniform(&s);
        X[2 * i] = r * cos(th);
        X[2 * i + 1] = r * sin(th);
        rhs(X + 2 * i, T + 2 * i);
    }
    mlp_t *net = NULL;
    mlp_fit_options o;
    mlp_fit_defaults(&o);
    o.epochs = 50;
    o.batch_size = 32;
    mlp_fit_result r;
    if (mlp_create(&net, 3, sizes, acts, MLP_MSE, 1) != MLP_OK ||
        mlp_fit_scaling(net, N_TRAIN, X, T) != MLP_OK) {
        mlp_free(net);
        return NULL;
    }
    /* Adam with a learning rate divided by 3 every 50 epochs: the
     * smaller steps at the end take the cost from ~1e-3 to ~1e-4. */
    double lr = 1e-2;
    for (int phase = 0; phase < 6; phase++, lr /= 3) {
        o.seed = 7 + (uint64_t)phase;
        if (mlp_set_adam(net, lr, 0.9, 0.999, 1e-8) != MLP_OK ||
            mlp_fit(net, N_TRAIN, X, T, &o, &r) != MLP_OK) {
            mlp_free(net);
            return NULL;
        }
    }
    printf("trained 2-32-32-2 on %d samples: cost %.2e (scaled units)\n",
           N_TRAIN, r.train_cost);
    return net;
}

/* One backward Euler step from z to z_new with Newton's method; f and
 * its Jacobian from the network (net != NULL, through ws) or the true
 * rhs. Returns the iterations used, or NEWTON_MAX + 1 if |g| stayed above
 * TOL_NEWTON, or -1 on a library error. */
static int backward_euler(const mlp_t *net, mlp_workspace_t *ws,
                          const double z[2], double z_new[2])
{
    double w[2] = { z[0], z[1] }, f[2], J[4];
    for (int it = 0; it <= NEWTON_MAX; it++) {
        if (net) {
            if (mlp_predict_ws(net, ws, 1, w, f) != MLP_OK ||
                mlp_jacobian(net, ws, 1, w, J) != MLP_OK)
                return -1;
        } else {
            rhs(w, f);
            rhs_jacobian(w, J);
        }
        double g0 = w[0] - z[0] - STEP * f[0], g1 = w[1] - z[1] - STEP * f[1];
        if (hypot(g0, g1) < TOL_NEWTON) {
            memcpy(z_new, w, sizeof w);
            return it;
        }
        /* (I - h J) dw = -g, solved by Cramer's rule */
        double a = 1 - STEP * J[0], b = -STEP * J[1];
        double c = -STEP * J[2], d = 1 - STEP * J[3], det = a * d - b * c;
        w[0] -= (d * g0 - b * g1) / det;
        w[1] -= (a * g1 - c * g0) / det;
    }
    return NEWTON_MAX + 1;
}

/* Grid point p's initial state: radius 0.2 .. 1.4, GRID angles. The
 * radius of a trajectory moves monotonically towards 1, so every
 * trajectory stays inside the training box. */
static void start(int p, double z[2])
{
    double r = 0.2 + 1.2 * (p % GRID) / (GRID - 1);
    double th = 6.283185307179586 * (p / GRID) / GRID;
    z[0] = r * cos(th);
    z[1] = r * sin(th);
}

struct run {
    double z[N_POINTS][2];  /* the states at T_END */
    int max_iterations;
    int failures;           /* library errors or Newton not converged */
};

/* Integrates every grid point to T_END, in an OpenMP loop over the grid
 * on `threads` threads; net NULL integrates the true rhs. */
static void integrate(const mlp_t *net, int threads, struct run *out)
{
    int steps = (int)lround(T_END / STEP), max_it = 0, failures = 0;
#pragma omp parallel num_threads(threads) reduction(max : max_it) \
    reduction(+ : failures)
    {
        mlp_workspace_t *ws = NULL;
        if (net && mlp_workspace_create(&ws, net, 1) != MLP_OK)
            failures++;
#pragma omp for schedule(dynamic, 4)
        for (int p = 0; p < N_POINTS; p++) {
            double *z = out->z[p];
            start(p, z);
            for (int n = 0; n < steps && (ws || !net); n++) {
                int it = backward_euler(net, ws, z, z);
                if (it < 0 || it > NEWTON_MAX) {
                    failures++;
                    break;
                }
                max_it = it > max_it ? it : max_it;
            }
        }
        mlp_workspace_free(ws);
    }
    out->max_iterations = max_it;
    out->failures = failures;
}

/* max over the grid of |z - exact| */
static double error_to_exact(const struct run *run)
{
    double worst = 0.0;
    for (int p = 0; p < N_POINTS; p++) {
        double z0[2], e[2];
        start(p, z0);
        exact(z0, T_END, e);
        double err = hypot(run->z[p][0] - e[0], run->z[p][1] - e[1]);
        worst = err > worst ? err : worst;
    }
    return worst;
}

/* The OpenMP threads of the grid loop: argv[1], a whole number from 1 to
 * N_POINTS (a thread more would have no grid point to integrate), or
 * OpenMP's default without it. Returns 0, or -1 after saying what is
 * wrong and printing the usage. */
static int parse_threads(int argc, char **argv, int *threads)
{
    const char *s = argc > 1 ? argv[1] : NULL;
    char *end = NULL;
    errno = 0;
    long v = s ? strtol(s, &end, 10) : 0;
    if (argc > 2)
        fprintf(stderr, "surrogate: %s: one argument at most\n", argv[2]);
    else if (s && (s[0] < '0' || s[0] > '9' || *end))
        fprintf(stderr, "surrogate: threads: \"%s\" is not a whole number\n", s);
    else if (s && (errno == ERANGE || v > N_POINTS))
        fprintf(stderr, "surrogate: threads: %s is too large (at most %d, the "
                "grid's points)\n", s, N_POINTS);
    else if (s && v < 1)
        fprintf(stderr, "surrogate: threads: %s is out of range (must be at "
                "least 1)\n", s);
    else {
        *threads = s ? (int)v : omp_get_max_threads();
        return 0;
    }
    fprintf(stderr, "usage: surrogate [THREADS]   (1 to %d; default: OpenMP's)\n",
            N_POINTS);
    return -1;
}

/* Exit status 0; 2 for a bad command line; 1 when a check fails. */
int main(int argc, char **argv)
{
    int threads;
    if (parse_threads(argc, argv, &threads) != 0)
        return 2;
    /* One BLAS thread: OpenMP owns the cores (see the top of the file). */
    mlp_set_blas_threads(1);
    mlp_t *net = train_surrogate();
    if (!net) {
        fprintf(stderr, "surrogate: training failed\n");
        return 1;
    }
    static struct run truth, serial, parallel;
    integrate(NULL, 1, &truth);
    integrate(net, 1, &serial);
    double t0 = omp_get_wtime();
    integrate(net, threads, &parallel);
    double elapsed = omp_get_wtime() - t0;

    double err_truth = error_to_exact(&truth);
    double err_net = error_to_exact(&parallel);
    int same = memcmp(serial.z, parallel.z, sizeof serial.z) == 0;
    printf("%d x %d grid, backward Euler h = %g to t = %g, %d threads: "
           "%.2f s\n", GRID, GRID, STEP, T_END, threads, elapsed);
    printf("max |z - exact| at t = %g: true f %.2e, surrogate %.2e "
           "(tolerance %.2g)\n", T_END, err_truth, err_net, TOL_EXACT);
    printf("Newton iterations per step: at most %d (limit %d), failures %d\n",
           parallel.max_iterations, NEWTON_MAX, parallel.failures);
    printf("%d threads vs 1 thread: %s\n", threads,
           same ? "bitwise equal" : "DIFFERENT");
    mlp_free(net);
    int ok = err_net <= TOL_EXACT && parallel.failures == 0 &&
             truth.failures == 0 && serial.failures == 0 && same;
    printf("surrogate: %s\n", ok ? "OK" : "FAILED");
    return ok ? 0 : 1;
}
