/* xor.c - the network docs/derivation.md starts from (the "seed"): two
 * sigmoid layers and the MSE cost, trained by plain batch gradient descent
 * on XOR. Build: meson compile -C build, run: build/examples/xor */
#include <stdio.h>

#include "mlp.h"

int main(void)
{
    const double X[4 * 2] = { 0, 0, 0, 1, 1, 0, 1, 1 };
    const double T[4] = { 0, 1, 1, 0 };
    const size_t sizes[] = { 2, 3, 1 };     /* 2 inputs, 3 hidden, 1 output */
    mlp_t *net = NULL;
    double cost = 0.0, Y[4];

    /* acts == NULL: sigmoid on both layers, as in the seed's network. */
    if (mlp_create(&net, 2, sizes, NULL, MLP_MSE, 1) != MLP_OK ||
        mlp_set_sgd(net, 2.0, 0.0) != MLP_OK)
        return 1;
    for (int step = 0; step < 5000; step++)
        if (mlp_train_batch(net, 4, X, T, &cost) != MLP_OK)
            return 1;
    if (mlp_predict(net, 4, X, Y) != MLP_OK)
        return 1;
    printf("after 5000 steps the cost is %.2e\n", cost);
    for (int i = 0; i < 4; i++)
        printf("%g xor %g = %.3f (want %g)\n", X[2 * i], X[2 * i + 1], Y[i], T[i]);
    mlp_free(net);
    return 0;
}
