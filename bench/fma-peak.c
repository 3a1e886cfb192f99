/*
 * fma-peak - the core's float64 and float32 limits: a loop of fused
 * multiply-adds on registers only (no memory traffic), with enough
 * independent chains to cover the FMA latency on every current x86 core (12
 * accumulators; an FMA has a latency of 4-5 cycles and 2 units issue one
 * each per cycle). Run with 256-bit (AVX2) and 512-bit (AVX-512) vectors
 * when the CPU has them, in double (4 or 8 lanes) and in float (8 or 16
 * lanes: the same instructions on twice the lanes, so about twice the
 * rate). GFLOP/s counts 2 per lane per FMA. Single thread: pin it
 * (taskset -c 1) for a stable number.
 *
 * usage: fma-peak [--seconds S] [--csv FILE]
 *   Prints one line per width and type (0 when the CPU lacks the
 *   instructions):
 *     fma-peak avx2 GFLOPS            float64
 *     fma-peak avx512 GFLOPS          float64
 *     fma-peak float32 avx2 GFLOPS
 *     fma-peak float32 avx512 GFLOPS
 *   With --csv appends width,gflops,type rows (type float64 or float32;
 *   files written before the float32 rows existed have two columns, all
 *   float64).
 */
#define _POSIX_C_SOURCE 199309L /* clock_gettime */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "args.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define HAVE_X86 1

enum { CHAINS = 12 };

/* iters rounds of CHAINS independent FMAs x = x * a + b, 4 lanes each. The
 * values stay finite and normal: a < 1 and b > 0 converge to b / (1 - a). */
__attribute__((target("avx2,fma"))) static double fma_avx2(long iters)
{
    __m256d a = _mm256_set1_pd(0.999999), b = _mm256_set1_pd(1e-6);
    __m256d x[CHAINS];
    for (int k = 0; k < CHAINS; k++)
        x[k] = _mm256_set1_pd(1.0 + k);
    for (long i = 0; i < iters; i++)
#pragma GCC unroll 12
        for (int k = 0; k < CHAINS; k++)
            x[k] = _mm256_fmadd_pd(x[k], a, b);
    __m256d s = x[0];
    for (int k = 1; k < CHAINS; k++)
        s = _mm256_add_pd(s, x[k]);
    double out[4];
    _mm256_storeu_pd(out, s);
    return out[0] + out[1] + out[2] + out[3];
}

__attribute__((target("avx512f"))) static double fma_avx512(long iters)
{
    __m512d a = _mm512_set1_pd(0.999999), b = _mm512_set1_pd(1e-6);
    __m512d x[CHAINS];
    for (int k = 0; k < CHAINS; k++)
        x[k] = _mm512_set1_pd(1.0 + k);
    for (long i = 0; i < iters; i++)
#pragma GCC unroll 12
        for (int k = 0; k < CHAINS; k++)
            x[k] = _mm512_fmadd_pd(x[k], a, b);
    __m512d s = x[0];
    for (int k = 1; k < CHAINS; k++)
        s = _mm512_add_pd(s, x[k]);
    return _mm512_reduce_add_pd(s);
}

/* The same loops in float: 8 and 16 lanes per FMA. */
__attribute__((target("avx2,fma"))) static double fma_avx2_f32(long iters)
{
    __m256 a = _mm256_set1_ps(0.999f), b = _mm256_set1_ps(1e-3f);
    __m256 x[CHAINS];
    for (int k = 0; k < CHAINS; k++)
        x[k] = _mm256_set1_ps(1.0f + (float)k);
    for (long i = 0; i < iters; i++)
#pragma GCC unroll 12
        for (int k = 0; k < CHAINS; k++)
            x[k] = _mm256_fmadd_ps(x[k], a, b);
    __m256 s = x[0];
    for (int k = 1; k < CHAINS; k++)
        s = _mm256_add_ps(s, x[k]);
    float out[8];
    _mm256_storeu_ps(out, s);
    double sum = 0.0;
    for (int k = 0; k < 8; k++)
        sum += out[k];
    return sum;
}

__attribute__((target("avx512f"))) static double fma_avx512_f32(long iters)
{
    __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(1e-3f);
    __m512 x[CHAINS];
    for (int k = 0; k < CHAINS; k++)
        x[k] = _mm512_set1_ps(1.0f + (float)k);
    for (long i = 0; i < iters; i++)
#pragma GCC unroll 12
        for (int k = 0; k < CHAINS; k++)
            x[k] = _mm512_fmadd_ps(x[k], a, b);
    __m512 s = x[0];
    for (int k = 1; k < CHAINS; k++)
        s = _mm512_add_ps(s, x[k]);
    return (double)_mm512_reduce_add_ps(s);
}
#endif

static volatile double sink;

/* The best GFLOP/s of 7 samples, each about seconds/7 long: other work on
 * the core can only slow a register-only loop down, so the fastest sample
 * is the least disturbed one. */
static double measure(double (*fn)(long), int lanes, double seconds)
{
    long iters = 1000;
    for (;;) { /* calibrate: a sample of >= seconds / 7 */
        double t0 = now();
        sink = fn(iters);
        if (now() - t0 >= seconds / 7.0 || iters > (1L << 40))
            break;
        iters *= 2;
    }
    double rate[7];
    for (int s = 0; s < 7; s++) {
        double t0 = now();
        sink = fn(iters);
        double dt = now() - t0;
        rate[s] = 2.0 * lanes * 12.0 * (double)iters / dt / 1e9;
    }
    for (int i = 1; i < 7; i++) /* insertion sort */
        for (int j = i; j > 0 && rate[j] < rate[j - 1]; j--) {
            double t = rate[j];
            rate[j] = rate[j - 1];
            rate[j - 1] = t;
        }
    return rate[6];
}

int main(int argc, char **argv)
{
    double seconds = 1.0;
    const char *csv = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = bench_real_arg("--seconds", argv[++i], 0.001, 3600);
        else if (strcmp(argv[i], "--csv") == 0 && i + 1 < argc)
            csv = argv[++i];
        else {
            fprintf(stderr, "usage: fma-peak [--seconds S] [--csv FILE]\n");
            return 2;
        }
    }
    double avx2 = 0.0, avx512 = 0.0, avx2_f32 = 0.0, avx512_f32 = 0.0;
#ifdef HAVE_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        avx2 = measure(fma_avx2, 4, seconds);
        avx2_f32 = measure(fma_avx2_f32, 8, seconds);
    }
    if (__builtin_cpu_supports("avx512f")) {
        avx512 = measure(fma_avx512, 8, seconds);
        avx512_f32 = measure(fma_avx512_f32, 16, seconds);
    }
#endif
    printf("fma-peak avx2 %.1f\nfma-peak avx512 %.1f\n", avx2, avx512);
    printf("fma-peak float32 avx2 %.1f\nfma-peak float32 avx512 %.1f\n",
           avx2_f32, avx512_f32);
    if (csv) {
        FILE *f = fopen(csv, "a");
        if (!f) {
            perror(csv);
            return 1;
        }
        fprintf(f, "avx2,%.2f,float64\navx512,%.2f,float64\n"
                   "avx2,%.2f,float32\navx512,%.2f,float32\n",
                avx2, avx512, avx2_f32, avx512_f32);
        fclose(f);
    }
    return 0;
}
