/* A program outside the library: trains a 2-4-1 sigmoid network
 * on XOR through the installed libmlp and checks that it learned. */
#include <mlp.h>

#include <stdio.h>

int main(void)
{
    const size_t sizes[] = { 2, 4, 1 };
    const double X[] = { 0, 0, 0, 1, 1, 0, 1, 1 };
    const double T[] = { 0, 1, 1, 0 };
    mlp_t *net;
    mlp_status s = mlp_create(&net, 2, sizes, NULL, MLP_MSE, 1);
    if (s == MLP_OK)
        s = mlp_set_sgd(net, 2.0, 0.9);
    double first = 0.0, cost = 0.0;
    for (int i = 0; i < 2000 && s == MLP_OK; i++) {
        s = mlp_train_batch(net, 4, X, T, &cost);
        if (i == 0)
            first = cost;
    }
    double Y[4];
    if (s == MLP_OK)
        s = mlp_predict(net, 4, X, Y);
    if (s != MLP_OK) {
        fprintf(stderr, "FAIL: %s\n", mlp_strerror(s));
        mlp_free(net);
        return 1;
    }
    int right = 0;
    for (int i = 0; i < 4; i++)
        right += (Y[i] > 0.5) == (T[i] > 0.5);
    printf("libmlp %s: cost %.3g -> %.3g, %d/4 right\n", mlp_version(), first,
           cost, right);
    mlp_free(net);
    if (right != 4 || !(cost < first / 10)) {
        fprintf(stderr, "FAIL: XOR not learned\n");
        return 1;
    }
    printf("PASS: XOR learned\n");
    return 0;
}
