/* adam-routes - the Adam update's square root and division three ways,
 * timed interleaved in one process: on the divider (what libmlp does),
 * from AVX-512's 14-bit starting points with FMA Newton steps, and with
 * neither FMA nor those starting points (what every build of a pass could
 * run alike). It answers one question: how much of the digits step's
 * divider time could leave the divider. docs/bench.md reports the result.
 *
 * Usage: adam-routes [--params N] [--budget MS]. Run it on one core
 * (taskset). Needs x86-64 and AVX-512F; elsewhere it says so and exits 0.
 *
 * The arithmetic is libmlp's Adam update without the subnormal flush and
 * the running maxima (which the divider hides):
 *   d = g + lambda theta;  m = b1 m + (1-b1) d;  v = b2 v + (1-b2) d^2;
 *   theta -= step_size m / (sqrt(v) inv + eps).
 * Each route is checked against the divider after one step from the same
 * state: the FMA route within 4 ulps of theta, the FMA-free one within 8
 * (neither is correctly rounded; the bounds only catch a broken route). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>
#define HAVE_ROUTES 1
#define AVX512 __attribute__((target("avx512f"), noinline))
#else
#define HAVE_ROUTES 0
#endif

struct hyper {
    double b1, a1, b2, a2, step_size, inv, eps, lambda;
};

struct state {
    size_t n;
    double *g, *theta, *m, *v;
};

static const struct hyper hyper = {
    0.9, 0.1, 0.999, 0.001, 1e-3, 1.0, 1e-8, 1e-4
};

#if HAVE_ROUTES
/* The moments' updates, the same in every route. */
static inline void moments(const struct hyper *h, double g, double theta,
                           double *m, double *v)
{
    double d = g + h->lambda * theta;
    *m = h->b1 * *m + h->a1 * d;
    *v = h->b2 * *v + h->a2 * d * d;
}

/* One scalar pass (the compiler vectorises it), the update's quotient
 * step_size m / (sqrt(v) inv + eps) computed by `quotient`: inlined into
 * each route, so that each route's loop is its own. */
typedef double quotient_fn(const struct hyper *h, double m, double v);

static inline __attribute__((always_inline)) void
scalar_pass(const struct hyper *h, struct state *s, quotient_fn *quotient)
{
    const double *restrict g = s->g;
    double *restrict t = s->theta, *restrict m = s->m, *restrict v = s->v;
    for (size_t i = 0; i < s->n; i++) {
        double mi = m[i], vi = v[i];
        moments(h, g[i], t[i], &mi, &vi);
        t[i] = t[i] - quotient(h, mi, vi);
        m[i] = mi;
        v[i] = vi;
    }
}

static inline double divider_quotient(const struct hyper *h, double m,
                                      double v)
{
    return h->step_size * m / (sqrt(v) * h->inv + h->eps);
}

static inline double from_bits(uint64_t b)
{
    double x;
    memcpy(&x, &b, sizeof x);
    return x;
}

static inline uint64_t to_bits(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

/* The Newton steps, written out at the call so that the loop vectorises
 * at -O2 too (which does not unroll a loop inside it). */
static inline double rsqrt_step(double half_v, double y)
{
    return y * (1.5 - (half_v * y) * y);
}

static inline double recip_step(double den, double r)
{
    return r * (2.0 - den * r);
}

/* 1/sqrt(v) from the bit-pattern guess (relative error <= 3.5e-2) by four
 * Newton steps y <- y (3/2 - (v/2) y^2), each squaring the error; 1/den
 * from its guess (<= 1.3e-1) by five steps r <- r (2 - den r). v/2 is
 * multiplied by y before y again so that v = 0 gives 0, not 0 * Inf. */
static inline double plain_newton_quotient(const struct hyper *h, double m,
                                           double v)
{
    double y = from_bits(0x5fe6eb50c7b537a9u - (to_bits(v) >> 1));
    double half = 0.5 * v;
    y = rsqrt_step(half, rsqrt_step(half, rsqrt_step(half, y)));
    y = rsqrt_step(half, y);
    double den = (v * y) * h->inv + h->eps;
    double r = from_bits(0x7fde623822fc16e6u - to_bits(den));
    r = recip_step(den, recip_step(den, recip_step(den, r)));
    r = recip_step(den, recip_step(den, r));
    return (h->step_size * m) * r;
}

AVX512 static void divider_pass(const struct hyper *h, struct state *s)
{
    scalar_pass(h, s, divider_quotient);
}

AVX512 static void plain_newton_pass(const struct hyper *h, struct state *s)
{
    scalar_pass(h, s, plain_newton_quotient);
}

/* s ~ sqrt(v) and q ~ step_size m / den on the FMA units: 14-bit starting
 * points, two Newton steps each (28, then 56 bits), then one FMA
 * correction of the square root (s + (v - s^2) y/2) and of the quotient
 * (q + (num - den q) r). */
AVX512 static __m512d fma_update(const struct hyper *h, __m512d vi,
                                 __m512d num)
{
    const __m512d half = _mm512_set1_pd(0.5), one = _mm512_set1_pd(1.0);
    __m512d y = _mm512_rsqrt14_pd(vi), hv = _mm512_mul_pd(half, vi);
    for (int k = 0; k < 2; k++) {
        __m512d e = _mm512_fnmadd_pd(_mm512_mul_pd(hv, y), y, half);
        y = _mm512_fmadd_pd(y, e, y);
    }
    __m512d s = _mm512_mul_pd(vi, y);
    s = _mm512_fmadd_pd(_mm512_mul_pd(_mm512_fnmadd_pd(s, s, vi), half), y, s);
    __m512d den = _mm512_fmadd_pd(s, _mm512_set1_pd(h->inv),
                                  _mm512_set1_pd(h->eps));
    __m512d r = _mm512_rcp14_pd(den);
    for (int k = 0; k < 2; k++)
        r = _mm512_fmadd_pd(r, _mm512_fnmadd_pd(den, r, one), r);
    __m512d q = _mm512_mul_pd(num, r);
    return _mm512_fmadd_pd(_mm512_fnmadd_pd(den, q, num), r, q);
}

AVX512 static void fma_newton_pass(const struct hyper *h, struct state *s)
{
    const __m512d b1 = _mm512_set1_pd(h->b1), a1 = _mm512_set1_pd(h->a1);
    const __m512d b2 = _mm512_set1_pd(h->b2), a2 = _mm512_set1_pd(h->a2);
    const __m512d lambda = _mm512_set1_pd(h->lambda);
    const __m512d step = _mm512_set1_pd(h->step_size);
    for (size_t i = 0; i < s->n; i += 8) {
        size_t left = s->n - i;
        __mmask8 k = left >= 8 ? 0xff : (__mmask8)((1u << left) - 1);
        __m512d t = _mm512_maskz_loadu_pd(k, s->theta + i);
        __m512d d = _mm512_fmadd_pd(lambda, t, _mm512_maskz_loadu_pd(k, s->g + i));
        __m512d mi = _mm512_fmadd_pd(b1, _mm512_maskz_loadu_pd(k, s->m + i),
                                     _mm512_mul_pd(a1, d));
        __m512d vi = _mm512_fmadd_pd(b2, _mm512_maskz_loadu_pd(k, s->v + i),
                                     _mm512_mul_pd(_mm512_mul_pd(a2, d), d));
        __m512d q = fma_update(h, vi, _mm512_mul_pd(step, mi));
        _mm512_mask_storeu_pd(s->theta + i, k, _mm512_sub_pd(t, q));
        _mm512_mask_storeu_pd(s->m + i, k, mi);
        _mm512_mask_storeu_pd(s->v + i, k, vi);
    }
}

typedef void (*route_fn)(const struct hyper *, struct state *);

static const struct route {
    const char *name;
    route_fn pass;
    double max_ulps; /* against the divider after one step */
} routes[] = {
    { "divider", divider_pass, 0 },
    { "fma-newton", fma_newton_pass, 4 },
    { "plain-newton", plain_newton_pass, 8 },
};
enum { N_ROUTES = sizeof routes / sizeof routes[0] };
#endif /* HAVE_ROUTES */

#if HAVE_ROUTES
static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A gradient scale like the digits run's (|g| <= 5e-3), theta in
 * [-0.5, 0.5], and moments as after some steps; a fixed LCG, so every
 * route and every run starts from the same state. */
static int state_init(struct state *s, size_t n)
{
    s->n = n;
    s->g = malloc(4 * n * sizeof(double));
    if (!s->g)
        return -1;
    s->theta = s->g + n;
    s->m = s->theta + n;
    s->v = s->m + n;
    uint64_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        double u = (double)(x >> 11) * 0x1p-53 - 0.5;
        s->g[i] = 1e-2 * u;
        s->theta[i] = 0.5 - u * u;
        s->m[i] = 0.5 * s->g[i];
        s->v[i] = 0.3 * s->g[i] * s->g[i];
    }
    return 0;
}

/* The largest distance, in ulps of the divider's value, between theta
 * after one step of the route and after one step on the divider. */
static double ulps_after_one_step(const struct route *r, size_t n)
{
    struct state a, b;
    if (state_init(&a, n))
        return INFINITY;
    if (state_init(&b, n)) {
        free(a.g);
        return INFINITY;
    }
    routes[0].pass(&hyper, &a);
    r->pass(&hyper, &b);
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double ulp = nextafter(fabs(a.theta[i]), INFINITY) - fabs(a.theta[i]);
        double dist = fabs(a.theta[i] - b.theta[i]) / ulp;
        worst = dist > worst || dist != dist ? dist : worst;
    }
    free(a.g);
    free(b.g);
    return worst;
}

/* Best time per parameter of each route over interleaved rounds of
 * `reps` passes, until budget_s has gone by (at least 5 rounds). */
static void time_routes(struct state *s, double budget_s, double *best)
{
    size_t reps = 1 + 200000 / s[0].n;
    for (int r = 0; r < N_ROUTES; r++)
        best[r] = INFINITY;
    double end = seconds() + budget_s;
    for (int round = 0; round < 5 || seconds() < end; round++)
        for (int r = 0; r < N_ROUTES; r++) {
            double t0 = seconds();
            for (size_t k = 0; k < reps; k++)
                routes[r].pass(&hyper, &s[r]);
            double ns = (seconds() - t0) * 1e9 / (double)(reps * s[r].n);
            best[r] = ns < best[r] ? ns : best[r];
        }
}

static int report(struct state *s, double budget_s)
{
    double best[N_ROUTES];
    int failed = 0;
    time_routes(s, budget_s, best);
    printf("%-14s %10s %11s %14s\n", "route", "ns/param", "/divider",
           "ulps vs div.");
    for (int r = 0; r < N_ROUTES; r++) {
        double ulps = ulps_after_one_step(&routes[r], s[r].n);
        int bad = !(ulps <= routes[r].max_ulps);
        failed |= bad;
        printf("%-14s %10.3f %11.3f %14.1f%s\n", routes[r].name, best[r],
               best[r] / best[0], ulps, bad ? "  TOO FAR" : "");
    }
    return failed;
}
#endif /* HAVE_ROUTES */

static int parse_args(int argc, char **argv, size_t *n, double *budget_ms)
{
    for (int i = 1; i < argc; i++) {
        char *end = NULL;
        if (i + 1 < argc && !strcmp(argv[i], "--params")) {
            long long v = strtoll(argv[++i], &end, 10);
            if (*end || v < 1 || v > 100000000)
                return -1;
            *n = (size_t)v;
        } else if (i + 1 < argc && !strcmp(argv[i], "--budget")) {
            *budget_ms = strtod(argv[++i], &end);
            if (*end || !(*budget_ms >= 0 && *budget_ms <= 3.6e6))
                return -1;
        } else {
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    size_t n = 9610; /* the digits network 64-128-10 */
    double budget_ms = 2000;
    if (parse_args(argc, argv, &n, &budget_ms)) {
        fprintf(stderr, "usage: adam-routes [--params N] [--budget MS]\n");
        return 2;
    }
#if HAVE_ROUTES
    if (!__builtin_cpu_supports("avx512f")) {
        printf("adam-routes: this CPU has no AVX-512F; nothing measured\n");
        return 0;
    }
    struct state s[N_ROUTES];
    for (int r = 0; r < N_ROUTES; r++)
        if (state_init(&s[r], n)) {
            fprintf(stderr, "adam-routes: out of memory\n");
            return 1;
        }
    printf("Adam's update over %zu parameters, one thread, routes "
           "interleaved\n", n);
    int failed = report(s, budget_ms / 1000);
    for (int r = 0; r < N_ROUTES; r++)
        free(s[r].g);
    return failed;
#else
    printf("adam-routes: needs x86-64 and GCC; nothing measured\n");
    return 0;
#endif
}
