// `ffnn gradcheck`: builds the network that the same flags would train, in double, on a small
// random batch, and compares every gradient of backward with central differences.
//
// Prints one row per tensor (each layer's W and b, and the input) with the relative error
// ||num - ana|| / ||num + ana|| and the worst element, and exits 1 when any relative error
// exceeds the tolerance (1e-7 by default, the assignment's bound).
#include <cstdio>
#include <iostream>

#include "commands.hpp"
#include "ffnn/nn/gradcheck.hpp"
#include "ffnn/tensor/random.hpp"

namespace ffnn::app {

Command add_gradcheck(CLI::App& cmd) {
    struct Flags {
        std::string hidden = "5,7";
        std::string activation = "tanh";
        std::string init = "xavier_uniform";
        std::size_t inputs = 4, classes = 3, batch = 8;
        std::uint64_t seed = 0;
        double tolerance = 1e-7, h = 1e-6;
    };
    auto f = std::make_shared<Flags>();
    cmd.add_option("--hidden", f->hidden, "Hidden layer widths, as for train")
        ->capture_default_str();
    cmd.add_option("--activation", f->activation, "Hidden activation, as for train")
        ->capture_default_str();
    cmd.add_option("--init", f->init, "Weight initialiser, as for train")->capture_default_str();
    cmd.add_option("--inputs", f->inputs, "Input width D of the random batch")
        ->check(count_check())
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd.add_option("--classes", f->classes, "Classes K")
        ->check(count_check())
        ->check(CLI::Range(std::size_t(2), std::size_t(1000)))
        ->capture_default_str();
    cmd.add_option("--batch", f->batch, "Rows N of the random batch")
        ->check(count_check())
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd.add_option("--seed", f->seed, "Seed of the weights, the batch and the labels")
        ->check(count_check())
        ->capture_default_str();
    cmd.add_option("--tolerance", f->tolerance, "Largest relative error accepted")
        ->capture_default_str();
    cmd.add_option("--step", f->h, "Central-difference step h")->capture_default_str();
    return [f]() -> int {
        ModelSpec spec;
        spec.n_inputs = f->inputs;
        spec.hidden = parse_hidden(f->hidden);
        spec.activation = parse_activation(f->activation);
        spec.n_classes = f->classes;
        spec.init = parse_init(f->init);
        spec.seed = f->seed;
        Model<double> model(spec);
        Rng rng(f->seed + 1);
        Tensor<double> x = normal<double>(Shape{f->batch, f->inputs}, 0.0, 1.0, rng);
        std::vector<int> labels(f->batch);
        for (auto& y : labels) y = static_cast<int>(rng.below(f->classes));
        GradCheckOptions opts;
        opts.h = f->h;
        opts.seed = f->seed;
        GradCheckReport report = gradcheck(model, x, labels, opts);
        std::cout << "gradcheck: " << model.summary() << ", batch " << f->batch << ", h " << f->h
                  << "\n\n"
                  << report.to_string();
        const double worst = report.max_rel_error();
        const bool ok = report.passed(f->tolerance);
        std::printf("\nlargest relative error %.3e: %s (tolerance %.1e)\n", worst,
                    ok ? "PASS" : "FAIL", f->tolerance);
        return ok ? 0 : 1;
    };
}

}  // namespace ffnn::app
