/* mpi_share.c - the small collective behind every decision of libmlp_mpi
 * and the hash of its check words. Nothing here depends on the element
 * type, so this module is compiled once and serves both families. */
#include "mpi_internal.h"

/* Status codes a rank can report; anything beyond is counted as
 * MLP_ERR_ARG, the code for "used wrongly". */
#define STATUS_SLOTS 16

/* The check word travels as 8 bytes c_k, each as c_k and c_k^2: the ranks
 * passed the same byte iff P * sum(c^2) == (sum c)^2 (Cauchy-Schwarz), a
 * test every rank evaluates on the same reduced bits. The sums are exact
 * integers in doubles while P^2 * 255^2 < 2^53, i.e. below 2^18 ranks;
 * larger communicators skip the check. */
#define CHECK_BYTES 8
#define CHECK_MAX_RANKS (1 << 18)

enum { V_ROWS, V_VALUE, V_STATUS, V_CHECK = V_STATUS + STATUS_SLOTS,
       V_CHECK_SQ = V_CHECK + CHECK_BYTES, V_LEN = V_CHECK_SQ + CHECK_BYTES };

static bool check_differs(const double *v, int n_ranks)
{
    if (n_ranks >= CHECK_MAX_RANKS)
        return false;
    for (int k = 0; k < CHECK_BYTES; k++) {
        double s = v[V_CHECK + k], sq = v[V_CHECK_SQ + k];
        if ((double)n_ranks * sq != s * s)
            return true;
    }
    return false;
}

int mlp__mpi_share(MPI_Comm comm, mlp_status status, double rows,
                   double value, uint64_t check, struct mlp__tally *out)
{
    int n_ranks;
    int rc = MPI_Comm_size(comm, &n_ranks);
    if (rc != MPI_SUCCESS)
        return rc;
    double v[V_LEN] = { [V_ROWS] = rows, [V_VALUE] = value };
    int code = (int)status;
    if (code < 0 || code >= STATUS_SLOTS)
        code = MLP_ERR_ARG;
    v[V_STATUS + code] = 1.0;
    for (int k = 0; k < CHECK_BYTES; k++) {
        double c = (double)((check >> (8 * k)) & 0xff);
        v[V_CHECK + k] = c;
        v[V_CHECK_SQ + k] = c * c;
    }
    rc = MPI_Allreduce(MPI_IN_PLACE, v, V_LEN, MPI_DOUBLE, MPI_SUM, comm);
    if (rc != MPI_SUCCESS)
        return rc;
    out->rows = v[V_ROWS];
    out->value = v[V_VALUE];
    out->status = MLP_OK;
    for (int c = 1; c < STATUS_SLOTS; c++) {
        if (v[V_STATUS + c] > 0.0) {
            out->status = (mlp_status)c;
            break;
        }
    }
    out->mismatch = check_differs(v, n_ranks);
    return MPI_SUCCESS;
}

uint64_t mlp__mpi_hash(uint64_t h, const uint64_t *words, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (int b = 0; b < 8; b++) {
            h ^= (words[i] >> (8 * b)) & 0xff;
            h *= 0x100000001b3u;
        }
    }
    return h;
}

