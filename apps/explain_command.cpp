// `ffnn explain`: one training step of the configured network, printed layer by layer.
//
// Takes the flags of `ffnn train` and runs what its first step runs: the same data split and
// standardisation (prepare_data), the same weights (build_model), the first mini-batch of
// epoch 1 from a DataLoader with the same batch size and seed. It then does that step through
// the public calls one at a time, so that it can print between them:
//   forward    for each layer, z = x W + b and y = act(z), with shapes and Frobenius norms;
//   loss       the value on the logits and dlogits = d loss / d logits;
//   backward   for each layer from the last, dy, dz = act'(z) * dy, dW = x^T dz,
//              db = colsum(dz), dx = dz W^T (the first layer's dx is computed here only for
//              the printout: train_step skips it);
//   update     the optimiser step, and per parameter tensor ||p||, ||grad||, ||delta p|| and
//              the ratio ||delta p|| / ||p||, the relative change of each tensor in one step.
// The numbers are those of `ffnn train` with the same flags: zero_grad then backward gives
// the bits of train_step's deferred zeroing
// (FullyConnected.DeferredZeroGradEqualsZeroGradThenBackward). Flags that only matter after the
// first step (--epochs, --schedule, --out) are accepted and ignored.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "commands.hpp"
#include "ffnn/io/loader.hpp"
#include "ffnn/nn/optim.hpp"
#include "ffnn/tensor/parallel.hpp"

namespace ffnn::app {

namespace {

// "(16, 4)": the shape as the docs and the shape comments write it.
std::string shape_of(const Tensor<float>& t) {
    std::string s = "(";
    for (std::size_t i = 0; i < t.rank(); ++i) s += (i ? ", " : "") + std::to_string(t.dim(i));
    return s + ")";
}

// Frobenius norm, accumulated in double.
double norm(const Tensor<float>& t) {
    double s = 0.0;
    for (float v : t) s += static_cast<double>(v) * static_cast<double>(v);
    return std::sqrt(s);
}

double norm_of_difference(const Tensor<float>& a, const Tensor<float>& b) {
    double s = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double d = static_cast<double>(a[i]) - static_cast<double>(b[i]);
        s += d * d;
    }
    return std::sqrt(s);
}

// One row of the forward and backward listings: what, shape, norm.
void row(const std::string& what, const Tensor<float>& t, const std::string& note = "") {
    std::printf("    %-34s %-10s %10.4g%s\n", what.c_str(), shape_of(t).c_str(), norm(t),
                note.c_str());
}

}  // namespace

Command add_explain(CLI::App& cmd) {
    auto config = std::make_shared<TrainConfig>();
    add_train_flags(cmd, *config);
    return [config]() -> int {
        TrainConfig& c = *config;
        c.validate();
        if (c.data.regression())
            throw ConfigError("data.task",
                              "ffnn explain traces a classifier's training step (logits, softmax "
                              "cross-entropy, accuracy); a regressor's step is the same with the "
                              "mse loss of docs/derivations.md");
        if (c.threads > 0) set_threads(c.threads);

        PreparedData data = prepare_data(c);
        Model<float> model = build_model(c, data.train.num_features(), data.train.num_classes());
        // fit's optimiser, at the learning rate its schedule gives epoch 0 (every schedule
        // starts at the configured rate).
        std::unique_ptr<Optimizer<float>> optimizer =
            make_optimizer<float>(c.optimizer, model.parameters());

        // The first mini-batch of `ffnn train`: fit's loader, epoch index 0.
        LoaderOptions lo;
        lo.batch_size = c.batch_size;
        lo.seed = c.seed;
        DataLoader loader(data.train.X, data.train.labels, lo);
        loader.start_epoch(0);
        Tensor<float> xb;
        std::vector<int> yb;
        if (!loader.next(xb, yb)) throw std::runtime_error("explain: no training rows");

        std::printf("explain: one training step of %s\n", model.summary().c_str());
        std::printf(
            "data: %s, %zu training rows%s; batch 1 of %zu in epoch 1 (seed %llu): %zu rows\n",
            data.name.c_str(), data.train.size(), c.data.standardize ? " (standardised)" : "",
            loader.batches_per_epoch(), static_cast<unsigned long long>(c.seed), xb.dim(0));
        const OptimizerConfig& o = c.optimizer;
        std::printf("optimiser: %s lr %g", to_string(o.kind).c_str(), o.lr);
        if (o.kind == OptimizerKind::SGD)
            std::printf(" momentum %g%s", o.momentum, o.nesterov ? " nesterov" : "");
        if (o.weight_decay > 0) std::printf(" weight decay %g", o.weight_decay);
        if (o.clip_norm > 0) std::printf(" clip norm %g", o.clip_norm);
        std::printf("\n\n%-38s %-10s %10s\n", "forward", "shape", "norm");

        const std::vector<FullyConnected<float>*> layers = model.layers();
        model.zero_grad();
        const Tensor<float>& logits = model.forward(xb);
        row("x (the batch)", xb);
        for (std::size_t i = 0; i < layers.size(); ++i) {
            const FullyConnected<float>& l = *layers[i];
            const std::string act = to_string(l.activation().spec());
            std::printf("  layer %zu: %s\n", i, l.name().c_str());
            row("z = x W + b   W " + shape_of(l.W()) + ", b " + shape_of(l.b()), l.z());
            row("y = " + act + "(z)", l.y());
        }

        const float loss = model.loss().forward(logits, yb);
        const Tensor<float>& dlogits = model.loss().backward();
        std::printf("\nloss\n    %s(logits %s, labels (%zu)) = %.6g\n", model.loss().name().c_str(),
                    shape_of(logits).c_str(), yb.size(), static_cast<double>(loss));
        row("dlogits = d loss / d logits", dlogits);

        std::printf("\n%-38s %-10s %10s\n", "backward", "shape", "norm");
        const Tensor<float>* dy = &dlogits;
        Tensor<float> dz;
        layers.front()->set_input_grad(true);  // printed here, although training skips it
        for (std::size_t i = layers.size(); i-- > 0;) {
            FullyConnected<float>& l = *layers[i];
            const std::string act = to_string(l.activation().spec());
            std::printf("  layer %zu: %s\n", i, l.name().c_str());
            row("dy", *dy);
            // dz through the activation's public backward, for the printout only.
            l.activation().apply_backward(l.z(), l.y(), *dy, dz);
            const Tensor<float>& dx = l.backward(*dy);
            row("dz = " + act + "'(z) * dy", dz);
            row("dW = x^T dz", l.dW());
            row("db = colsum(dz)", l.db());
            row("dx = dz W^T", dx, i == 0 ? "   (train_step skips this one)" : "");
            dy = &dx;
        }

        // The update: values before, the step (clipping first when configured), after.
        const std::vector<Param<float>>& params = model.parameter_list();
        std::vector<Tensor<float>> before;
        before.reserve(params.size());
        for (const auto& p : params) before.push_back(p.value->clone());
        std::printf("\nupdate (%s step)\n", optimizer->name().c_str());
        optimizer->step();
        if (o.clip_norm > 0)
            std::printf("    global gradient norm %.4g, clipped to %.4g\n",
                        optimizer->last_grad_norm(), global_grad_norm(params));
        std::printf("    %-14s %-10s %10s %10s %12s %18s\n", "tensor", "shape", "||p||", "||grad||",
                    "||delta p||", "||delta p||/||p||");
        for (std::size_t i = 0; i < params.size(); ++i) {
            const Param<float>& p = params[i];
            const double pn = norm(before[i]);
            const double dn = norm_of_difference(*p.value, before[i]);
            char ratio[32] = "-";
            if (pn > 0) std::snprintf(ratio, sizeof ratio, "%.3g", dn / pn);
            std::printf("    %-14s %-10s %10.4g %10.4g %12.4g %18s\n", p.name.c_str(),
                        shape_of(*p.value).c_str(), pn, norm(*p.grad), dn, ratio);
        }
        return 0;
    };
}

}  // namespace ffnn::app
