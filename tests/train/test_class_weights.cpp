// Class weights (train/class_weights.hpp): the balanced formula against a hand count, the
// weight file's format and each of its errors (naming the file and line), and a training
// run on imbalanced data where balanced weights raise the minority class's recall.
#include <gtest/gtest.h>

#include <fstream>

#include "ffnn/tensor/random.hpp"
#include "ffnn/train/class_weights.hpp"
#include "ffnn/train/metrics.hpp"
#include "ffnn/train/trainer.hpp"
#include "test_helpers.hpp"

using namespace ffnn;

namespace {

Dataset labels_only(std::vector<int> labels, std::vector<std::string> names) {
    Dataset d;
    d.X = Tensor<float>::zeros({labels.size(), 1});
    d.labels = std::move(labels);
    d.class_names = std::move(names);
    return d;
}

}  // namespace

TEST(ClassWeights, BalancedIsNOverKTimesTheClassCount) {
    // 6 of a, 2 of b, 1 of c: N = 9, K = 3 -> 9/18, 9/6, 9/3.
    Dataset d = labels_only({0, 0, 0, 0, 0, 0, 1, 1, 2}, {"a", "b", "c"});
    const std::vector<double> w = class_weights("balanced", d);
    ASSERT_EQ(w.size(), 3u);
    EXPECT_DOUBLE_EQ(w[0], 0.5);
    EXPECT_DOUBLE_EQ(w[1], 1.5);
    EXPECT_DOUBLE_EQ(w[2], 3.0);
    // Every class carries the same total weight: n_k w_k = N / K.
    EXPECT_DOUBLE_EQ(6 * w[0], 2 * w[1]);
    EXPECT_TRUE(class_weights("none", d).empty());
    EXPECT_TRUE(class_weights("", d).empty());
    Dataset missing = labels_only({0, 0}, {"a", "b"});
    EXPECT_THROW_CONTAINS(class_weights("balanced", missing), std::runtime_error, "'b'");
}

TEST(ClassWeights, FileOfClassWeightLines) {
    ffnn_test::TempDir dir;
    Dataset d = labels_only({0, 1, 2}, {"setosa", "versicolor", "virginica"});
    auto write = [&](const std::string& text) {
        const std::string p = dir.file("w.csv");
        std::ofstream(p) << text;
        return p;
    };
    const std::vector<double> w =
        class_weights(write("# weights\nvirginica, 2\n\nsetosa,0.5\nversicolor,1\n"), d);
    EXPECT_EQ(w, (std::vector<double>{0.5, 1.0, 2.0}));
    EXPECT_THROW_CONTAINS(class_weights(write("setosa,1\nversicolor,1\n"), d), std::runtime_error,
                          "w.csv", "virginica");
    EXPECT_THROW_CONTAINS(class_weights(write("setosa,1\nrose,1\n"), d), std::runtime_error,
                          "w.csv:2", "rose");
    EXPECT_THROW_CONTAINS(class_weights(write("setosa,1\nsetosa,2\n"), d), std::runtime_error,
                          "w.csv:2", "twice");
    EXPECT_THROW_CONTAINS(class_weights(write("setosa,-1\n"), d), std::runtime_error, "w.csv:1",
                          "positive");
    EXPECT_THROW_CONTAINS(class_weights(write("setosa 1\n"), d), std::runtime_error, "w.csv:1",
                          "class,weight");
    EXPECT_THROW_CONTAINS(class_weights(dir.file("absent.csv"), d), std::runtime_error,
                          "absent.csv", "balanced");
}

TEST(ClassWeights, BalancedWeightsRaiseTheMinorityRecallOnImbalancedData) {
    // Two overlapping Gaussian blobs, 190 of class "big" and 10 of "small".
    ffnn_test::TempDir dir;
    const std::string csv = dir.file("imbalanced.csv");
    {
        std::ofstream out(csv);
        out << "x,y,label\n";
        Rng rng(3);
        for (int i = 0; i < 200; ++i) {
            const bool small = i % 20 == 0;
            const double c = small ? 1.0 : 0.0;
            out << c + rng.normal() * 0.8 << "," << c + rng.normal() * 0.8 << ","
                << (small ? "small" : "big") << "\n";
        }
    }
    auto recall_small = [&](const std::string& weight) {
        TrainConfig c;
        c.data.csv = csv;
        c.data.val_split = 0;
        c.data.test_split = 0;
        c.epochs = 60;
        c.threads = 1;
        c.class_weight = weight;
        PreparedData data = prepare_data(c);
        Model<float> model = build_model(c, data.train.num_features(), data.train.num_classes());
        fit(model, data, c);
        ConfusionMatrix cm(data.train.num_classes());
        cm.add(data.train.labels, model.predict(data.train.X));
        std::size_t small = 0;
        while (data.train.class_names[small] != "small") ++small;
        return cm.class_metrics(small).recall;
    };
    const double plain = recall_small("none"), balanced = recall_small("balanced");
    EXPECT_GT(balanced, plain + 0.3)
        << "recall of the minority class: unweighted " << plain << ", balanced " << balanced;
}
