/* tensor.c - decoding the initializers of a model. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tensor.h"

/* Little-endian on every host: assembled byte by byte. */
static double get_f32(const uint8_t *p)
{
    uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                 (uint32_t)p[3] << 24;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static double get_f64(const uint8_t *p)
{
    uint64_t u = 0;
    for (int i = 7; i >= 0; i--)
        u = u << 8 | p[i];
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* The element count of t's dims; false (with a reason) when the rank is
 * above 2, a dim is negative, or the product is zero or overflows. */
static bool tensor_count(const Onnx__TensorProto *t, size_t *count,
                         struct mlp__onnx_why *why, const char *name)
{
    if (t->n_dims > 2) {
        mlp__onnx_why(why, "tensor '%s' has rank %zu; weights, biases and "
                      "scalings have rank 2 at most", name, t->n_dims);
        return false;
    }
    size_t n = 1;
    for (size_t i = 0; i < t->n_dims; i++) {
        int64_t dim = t->dims[i];
        if (dim <= 0 || (uint64_t)dim > SIZE_MAX / n) {
            mlp__onnx_why(why, "tensor '%s' has a dimension of %lld", name,
                          (long long)dim);
            return false;
        }
        n *= (size_t)dim;
    }
    *count = n;
    return true;
}

/* FLOAT or DOUBLE, with its data in the model. */
static bool tensor_kind(const Onnx__TensorProto *t, struct mlp__onnx_why *why,
                        const char *name)
{
    int type = t->has_data_type ? t->data_type : 0;
    if (type != MLP__ONNX_FLOAT && type != MLP__ONNX_DOUBLE) {
        mlp__onnx_why(why, "tensor '%s' has element type %d; only FLOAT (1) "
                      "and DOUBLE (11) are read", name, type);
        return false;
    }
    if ((t->has_data_location && t->data_location != 0) || t->n_external_data) {
        mlp__onnx_why(why, "tensor '%s' keeps its data in an external file", name);
        return false;
    }
    return true;
}

/* Where t's values are: checks the type and that the data present holds
 * exactly count values. *raw is set when they are in raw_data. */
static bool tensor_source(const Onnx__TensorProto *t, size_t count, bool *raw,
                          struct mlp__onnx_why *why, const char *name)
{
    if (!tensor_kind(t, why, name))
        return false;
    int type = t->data_type;
    size_t width = type == MLP__ONNX_FLOAT ? 4 : 8;
    size_t typed = type == MLP__ONNX_FLOAT ? t->n_float_data : t->n_double_data;
    size_t raw_len = t->has_raw_data ? t->raw_data.len : 0;
    *raw = raw_len > 0;
    if (*raw && typed) {
        mlp__onnx_why(why, "tensor '%s' has both raw_data and typed data", name);
        return false;
    }
    bool fits = *raw ? raw_len / width == count && raw_len % width == 0
                     : typed == count;
    if (!fits) {
        mlp__onnx_why(why, "tensor '%s' holds %zu values where its dims say %zu",
                      name, *raw ? raw_len / width : typed, count);
        return false;
    }
    return true;
}

static void tensor_read(const Onnx__TensorProto *t, bool raw, size_t count,
                        double *v)
{
    const uint8_t *p = t->raw_data.data;
    bool f32 = t->data_type == MLP__ONNX_FLOAT;
    for (size_t i = 0; i < count; i++) {
        if (raw)
            v[i] = f32 ? get_f32(p + 4 * i) : get_f64(p + 8 * i);
        else
            v[i] = f32 ? (double)t->float_data[i] : t->double_data[i];
    }
}

static void set_shape(struct mlp__onnx_mat *m, const Onnx__TensorProto *t,
                      size_t count, bool transpose)
{
    m->rank = t->n_dims;
    m->rows = t->n_dims == 2 ? (size_t)t->dims[0] : 1;
    m->cols = t->n_dims == 2 ? (size_t)t->dims[1] : count;
    if (transpose && m->rank == 2) {
        size_t r = m->rows;
        m->rows = m->cols;
        m->cols = r;
    }
}

mlp_status mlp__onnx_tensor(const Onnx__TensorProto *t, bool transpose,
                            struct mlp__onnx_mat *m, struct mlp__onnx_why *why)
{
    char name[MLP__ONNX_NAME_MAX];
    mlp__onnx_name(name, t->name);
    size_t count;
    bool raw;
    memset(m, 0, sizeof *m);
    if (!tensor_count(t, &count, why, name) ||
        !tensor_source(t, count, &raw, why, name))
        return MLP_ERR_FORMAT;
    double *v = malloc(count * sizeof *v);
    if (!v)
        return MLP_ERR_NOMEM;
    tensor_read(t, raw, count, v);
    for (size_t i = 0; i < count; i++) {
        if (!isfinite(v[i])) {
            free(v);
            mlp__onnx_why(why, "tensor '%s' has a value that is not finite", name);
            return MLP_ERR_FORMAT;
        }
    }
    set_shape(m, t, count, transpose);
    if (transpose && m->rank == 2 && m->rows > 1 && m->cols > 1) {
        double *w = malloc(count * sizeof *w);
        if (!w) {
            free(v);
            return MLP_ERR_NOMEM;
        }
        /* v is cols x rows (the stored order); w = vᵀ is rows x cols. */
        for (size_t i = 0; i < m->rows; i++)
            for (size_t j = 0; j < m->cols; j++)
                w[i * m->cols + j] = v[j * m->rows + i];
        free(v);
        v = w;
    }
    m->v = v;
    return MLP_OK;
}
