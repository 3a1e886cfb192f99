/* status.c - the library's version and the messages of its status codes. */
#include "mlp.h"

#define MLP_STR_(x) #x
#define MLP_STR(x) MLP_STR_(x)

const char *mlp_version(void)
{
    return MLP_STR(MLP_VERSION_MAJOR) "." MLP_STR(MLP_VERSION_MINOR) "."
           MLP_STR(MLP_VERSION_PATCH);
}

/* One table drives the messages, so a code and its text cannot drift. */
#define MLP_STATUS_TABLE(X)                                                   \
    X(MLP_OK, "success")                                                      \
    X(MLP_ERR_ARG, "invalid argument")                                        \
    X(MLP_ERR_NOMEM, "out of memory")                                         \
    X(MLP_ERR_NONFINITE, "NaN or infinity in inputs, targets, parameters, cost or gradients") \
    X(MLP_ERR_IO, "file could not be opened, read or written")                \
    X(MLP_ERR_FORMAT, "not a libmlp model file, or corrupt, truncated or of an unknown version")

const char *mlp_strerror(mlp_status status)
{
    switch (status) {
#define MLP_STATUS_CASE(code, text) case code: return text;
    MLP_STATUS_TABLE(MLP_STATUS_CASE)
#undef MLP_STATUS_CASE
    }
    return "unknown status";
}
