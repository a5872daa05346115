// train_csv: trains a 2-layer classifier on a CSV file with ffnn's typed API and the explicit
// training loop, then saves a checkpoint that `ffnn predict` and the classify example read.
//
//   train_csv DATA.csv MODEL.safetensors [EPOCHS]
//
// The label is the CSV's last column. 80 % of the rows train, 20 % test (stratified).
#include <cstdio>
#include <exception>
#include <ffnn/ffnn.hpp>
#include <string>

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s DATA.csv MODEL.safetensors [EPOCHS]\n", argv[0]);
        return 2;
    }
    const std::size_t epochs = argc > 3 ? std::stoul(argv[3]) : 100;
    try {
        // Data: read, split, standardise with the training rows' statistics.
        ffnn::Dataset all = ffnn::read_csv(argv[1]);
        ffnn::SplitIndices split = ffnn::stratified_split(all.labels, 0.0, 0.2, /*seed=*/42);
        ffnn::Dataset train = ffnn::select_rows(all, split.train);
        ffnn::Dataset test = ffnn::select_rows(all, split.test);
        ffnn::Standardizer standardizer;
        standardizer.fit(train.X);
        standardizer.transform(train.X);
        standardizer.transform(test.X);

        // The network, from types: D -> 16 (ReLU) -> K logits; softmax cross-entropy.
        const std::size_t D = train.num_features(), K = train.num_classes();
        auto model = ffnn::Model<float>::sequential(
            ffnn::linear<float>(D, 16, ffnn::ActivationKind::ReLU, {}, /*seed=*/1),
            ffnn::linear<float>(16, K, ffnn::ActivationKind::Identity, {}, /*seed=*/2));
        ffnn::SGD<float> optimizer(model.parameters(), /*lr=*/0.05, /*momentum=*/0.9);

        // The explicit loop: zero_grad, forward, loss, then the backward with the optimiser's
        // update fused into it (the same numbers as model.backward, then optimizer.step()).
        ffnn::DataLoader loader(train.X, train.labels, {.batch_size = 16, .seed = 42});
        ffnn::Tensor<float> xb;
        std::vector<int> yb;
        for (std::size_t epoch = 0; epoch < epochs; ++epoch) {
            loader.start_epoch(epoch);
            while (loader.next(xb, yb)) {
                model.zero_grad();
                model.loss().forward(model.forward(xb), yb);
                model.backward_and_step(model.loss().backward(), optimizer);
            }
        }

        const ffnn::EvalResult r = model.evaluate(test.X, test.labels);
        std::printf("%s: %zu-16-%zu MLP, %zu epochs: test accuracy %.4f (%zu of %zu), loss %.4f\n",
                    argv[1], D, K, epochs, r.accuracy, r.correct, r.n, r.loss);
        ffnn::save_checkpoint(argv[2], model, standardizer, all.class_names, all.feature_names,
                              "label", {{"created_by", "examples/train_csv"}});
        std::printf("saved %s\n", argv[2]);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "train_csv: %s\n", e.what());
        return 1;
    }
    return 0;
}
