/* Built through mlp::mlp_onnx alone, which must bring mlp_onnx.h, mlp.h and
 * the libraries: a network written as ONNX and read back predicts the
 * same. Usage: onnx_consumer SCRATCH_FILE */
#include <mlp_onnx.h>

#include <stdio.h>

int main(int argc, char **argv)
{
    const size_t sizes[] = { 2, 3, 1 };
    const double X[] = { 0.25, -0.5 };
    double y = 0, y_back = 1;
    char why[200] = "";
    mlp_t *net = NULL, *back = NULL;
    if (argc != 2)
        return 2;
    mlp_status s = mlp_create(&net, 2, sizes, NULL, MLP_MSE, 1);
    if (s == MLP_OK) s = mlp_onnx_export(net, argv[1]);
    if (s == MLP_OK) s = mlp_onnx_import(&back, argv[1], MLP_MSE, why, sizeof why);
    if (s == MLP_OK) s = mlp_predict(net, 1, X, &y);
    if (s == MLP_OK) s = mlp_predict(back, 1, X, &y_back);
    int ok = s == MLP_OK && y == y_back;
    printf("%s: ONNX export and import: %s %s\n", ok ? "PASS" : "FAIL",
           mlp_strerror(s), why);
    mlp_free(net);
    mlp_free(back);
    return !ok;
}
