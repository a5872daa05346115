// Predictor: a checkpoint loaded for embedding gives the probabilities of the model applied to
// the standardised rows, by position, by name and in batches.
#include <gtest/gtest.h>

#include <cmath>

#include "ffnn/io/csv.hpp"
#include "ffnn/io/predictor.hpp"
#include "ffnn/tensor/random.hpp"
#include "test_helpers.hpp"

namespace ffnn {
namespace {

const std::vector<std::string> kFeatures = {"sepal_length", "sepal_width", "petal_length",
                                            "petal_width"};
const std::vector<std::string> kClasses = {"setosa", "versicolor", "virginica"};

// A 4-6-3 tanh network with random weights, a fitted standardiser, saved and loaded back.
struct Saved {
    ffnn_test::TempDir dir;
    std::string path = dir.file("model.safetensors");
    Model<float> model{ModelSpec{.n_inputs = 4,
                                 .hidden = {6},
                                 .activation = ActivationKind::TanH,
                                 .n_classes = 3,
                                 .seed = 3}};
    Standardizer standardizer{Tensor<float>{5.8f, 3.0f, 3.7f, 1.2f},
                              Tensor<float>{0.8f, 0.4f, 1.7f, 0.75f}};
    Saved() { save_checkpoint(path, model, standardizer, kClasses, kFeatures, "species"); }
};

// The reference: the rows standardised by hand in double, then the model's probabilities.
std::vector<float> reference(Saved& s, const std::vector<float>& raw) {
    Tensor<float> x = Tensor<float>::empty(Shape{1, 4});
    for (std::size_t j = 0; j < 4; ++j)
        x(0, j) = static_cast<float>((double(raw[j]) - double(s.standardizer.mean()[j])) /
                                     double(s.standardizer.scale()[j]));
    const Tensor<float>& p = s.model.predict_proba(x);
    return {p.data(), p.data() + 3};
}

TEST(Predictor, ByPositionByNameAndInBatchesAgreeWithTheModel) {
    Saved s;
    Predictor p = Predictor::load(s.path);
    EXPECT_EQ(p.feature_names(), kFeatures);
    EXPECT_EQ(p.class_names(), kClasses);
    const std::vector<float> row = {5.1f, 3.5f, 1.4f, 0.2f};
    const std::vector<float> ref = reference(s, row);

    Prediction by_pos = p.predict(std::span<const float>(row));
    // The braced form of README's example picks the by-name overload.
    Prediction by_name = p.predict({{"petal_width", 0.2f},
                                    {"sepal_length", 5.1f},
                                    {"petal_length", 1.4f},
                                    {"sepal_width", 3.5f}});
    ASSERT_EQ(by_pos.probabilities.size(), 3u);
    float sum = 0;
    for (std::size_t k = 0; k < 3; ++k) {
        // One float rounding of (x - mean) / scale apart from the double reference: a few ulps.
        EXPECT_NEAR(by_pos.probabilities[k], ref[k], 1e-6f);
        EXPECT_EQ(by_name.probabilities[k], by_pos.probabilities[k]);
        sum += by_pos.probabilities[k];
    }
    EXPECT_NEAR(sum, 1.0f, 1e-6f);
    std::size_t best = 0;
    for (std::size_t k = 1; k < 3; ++k)
        if (ref[k] > ref[best]) best = k;
    EXPECT_EQ(by_pos.label, static_cast<int>(best));
    EXPECT_EQ(by_pos.class_name, kClasses[best]);

    // A batch of the same row twice and another row: one forward pass, the same numbers.
    Tensor<float> batch{
        {5.1f, 3.5f, 1.4f, 0.2f}, {6.7f, 3.0f, 5.2f, 2.3f}, {5.1f, 3.5f, 1.4f, 0.2f}};
    std::vector<Prediction> all = p.predict(batch);
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].probabilities, by_pos.probabilities);
    EXPECT_EQ(all[2].probabilities, by_pos.probabilities);
    const std::vector<float> ref1 = reference(s, {6.7f, 3.0f, 5.2f, 2.3f});
    for (std::size_t k = 0; k < 3; ++k) EXPECT_NEAR(all[1].probabilities[k], ref1[k], 1e-6f);
    // The caller's rows are not modified by the standardisation.
    EXPECT_EQ(batch(1, 2), 5.2f);
}

TEST(Predictor, BadRowsNameWhatIsWrong) {
    Saved s;
    Predictor p = Predictor::load(s.path);
    const std::vector<float> three = {1, 2, 3};
    EXPECT_THROW_CONTAINS(p.predict(std::span<const float>(three)), std::invalid_argument,
                          "3 values", "4 features");
    using Row = std::map<std::string, float>;
    const Row missing = {{"sepal_length", 1}};
    EXPECT_THROW_CONTAINS(p.predict(missing), std::invalid_argument, "no feature 'sepal_width'");
    const Row extra = {{"sepal_length", 1},
                       {"sepal_width", 1},
                       {"petal_length", 1},
                       {"petal_width", 1},
                       {"colour", 1}};
    EXPECT_THROW_CONTAINS(p.predict(extra), std::invalid_argument, "no feature 'colour'");
    const Tensor<float> wide = Tensor<float>::zeros(Shape{2, 5});
    EXPECT_THROW_CONTAINS(p.predict_proba(wide), std::invalid_argument, "2x5", "(N, 4)");
    const std::string absent = s.dir.file("missing.safetensors");
    EXPECT_THROW_CONTAINS(Predictor::load(absent), std::runtime_error, "missing.safetensors");
}

}  // namespace
}  // namespace ffnn
