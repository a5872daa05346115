// classify: loads a checkpoint written by `ffnn train` (or the train_csv example) and
// classifies one row of raw features given on the command line, in the model's feature order.
//
//   classify MODEL.safetensors VALUE...
//
// Prints the predicted class and every class probability. The Predictor applies the
// standardisation stored in the checkpoint, so the values are in the training data's units.
#include <cstdio>
#include <exception>
#include <ffnn/io/predictor.hpp>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s MODEL.safetensors VALUE...\n", argv[0]);
        return 2;
    }
    try {
        ffnn::Predictor predictor = ffnn::Predictor::load(argv[1]);
        std::vector<float> row;
        for (int i = 2; i < argc; ++i) row.push_back(std::stof(argv[i]));
        if (row.size() != predictor.num_features()) {
            std::fprintf(stderr,
                         "classify: the model takes %zu features:", predictor.num_features());
            for (const auto& f : predictor.feature_names()) std::fprintf(stderr, " %s", f.c_str());
            std::fprintf(stderr, "\n");
            return 2;
        }
        const ffnn::Prediction p = predictor.predict(std::span<const float>(row));
        std::printf("%s\n", p.class_name.c_str());
        for (std::size_t k = 0; k < predictor.num_classes(); ++k)
            std::printf("  p(%s) = %.6f\n", predictor.class_names()[k].c_str(), p.probabilities[k]);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "classify: %s\n", e.what());
        return 1;
    }
    return 0;
}
