// mlp-latency-torch.cc - the libtorch peer of mlp-latency: microseconds
// per forward call of Linear + sigmoid layers, in its own process.
//
// Usage: mlp-latency-torch f64|f32 SHAPE BATCH BUDGET_SECONDS
// SHAPE is 64-32-10 or 784-128-10. Prints the median of 5 timings of
// calls in rounds of doubling size, each spending BUDGET_SECONDS, under
// torch::NoGradGuard with one intra-op thread (as mlp-latency runs).
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

int main(int argc, char **argv)
{
    if (argc < 5)
        return 2;
    bool f64 = std::strcmp(argv[1], "f64") == 0;
    std::vector<int64_t> sizes;
    if (std::strcmp(argv[2], "64-32-10") == 0)
        sizes = { 64, 32, 10 };
    else if (std::strcmp(argv[2], "784-128-10") == 0)
        sizes = { 784, 128, 10 };
    else
        return 2;
    int64_t batch = std::atol(argv[3]);
    double budget = std::atof(argv[4]);
    torch::set_num_threads(1);
    torch::manual_seed(1);
    torch::NoGradGuard no_grad;
    auto dtype = f64 ? torch::kFloat64 : torch::kFloat32;
    torch::nn::Sequential net(
        torch::nn::Linear(sizes[0], sizes[1]), torch::nn::Sigmoid(),
        torch::nn::Linear(sizes[1], sizes[2]), torch::nn::Sigmoid());
    net->to(dtype);
    auto x = torch::rand({ batch, sizes[0] }, torch::TensorOptions().dtype(dtype));
    auto y = net->forward(x); // warm up
    using clock = std::chrono::steady_clock;
    std::vector<double> t;
    for (int r = 0; r < 5; r++) {
        long calls = 0, n = 1;
        auto start = clock::now();
        double elapsed = 0;
        while (elapsed < budget) {
            for (long i = 0; i < n; i++)
                y = net->forward(x);
            calls += n;
            n *= 2;
            elapsed = std::chrono::duration<double>(clock::now() - start).count();
        }
        t.push_back(elapsed / (double)calls * 1e6);
    }
    std::sort(t.begin(), t.end());
    std::printf("%.4f\n", t[2]);
    return 0;
}
