// Checkpoint reader: a file assembled by hand (tensors and metadata through the safetensors
// writer, not save_checkpoint) loads into a model holding exactly those values, and crafted
// files whose metadata does not match their tensors are rejected with a message naming the
// file, before any model is built (issue 13: "[4611686018427387904,1]" with no tensors
// wrote past a 64-byte block; '["-1","4"]' was read by std::stoul as 2^64 - 1).
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "ffnn/io/checkpoint.hpp"
#include "ffnn/io/predictor.hpp"
#include "ffnn/io/safetensors.hpp"
#include "test_helpers.hpp"

using namespace ffnn;

namespace {

// The metadata save_checkpoint writes, for a model with the given sizes (as JSON text) and
// activations, 3 classes and 4 features.
Metadata model_metadata(const std::string& layer_sizes, const std::string& activations) {
    return {{"format", "ffnn-classifier"},
            {"architecture", "crafted"},
            {"layer_sizes", layer_sizes},
            {"activations", activations},
            {"loss", "cross_entropy"},
            {"class_names", R"(["a","b","c"])"},
            {"feature_names", R"(["f0","f1","f2","f3"])"},
            {"label_column", "label"}};
}

// Tensors layers.0.W (4, 3) and layers.0.b (3): W(i, j) = i - j / 4, b(j) = 10 + j.
std::vector<StoredTensor> linear_4_3() {
    Tensor<float> W = Tensor<float>::empty(Shape{4, 3});
    for (std::size_t i = 0; i < 4; ++i)
        for (std::size_t j = 0; j < 3; ++j) W(i, j) = float(i) - float(j) / 4.f;
    std::vector<StoredTensor> t;
    t.push_back({"layers.0.W", std::move(W)});
    t.push_back({"layers.0.b", Tensor<float>{10.f, 11.f, 12.f}});
    return t;
}

std::string load_error(const std::string& bytes) {
    return ffnn_test::message_of<std::runtime_error>(
        [&] { parse_checkpoint(bytes, "crafted.safetensors"); });
}

}  // namespace

TEST(Checkpoint, HandBuiltFileLoadsItsValues) {
    const std::string bytes =
        serialize_safetensors(linear_4_3(), model_metadata("[4,3]", R"(["identity"])"));
    Checkpoint ck = parse_checkpoint(bytes, "m.safetensors");
    auto params = ck.model.parameters();
    ASSERT_EQ(params.size(), 2u);
    EXPECT_EQ(params[0].name, "layers.0.W");
    ASSERT_EQ(params[0].value->shape(), Shape({4, 3}));
    for (std::size_t i = 0; i < 4; ++i)
        for (std::size_t j = 0; j < 3; ++j)
            EXPECT_EQ((*params[0].value)(i, j), float(i) - float(j) / 4.f);
    ASSERT_EQ(params[1].value->shape(), Shape{3});
    for (std::size_t j = 0; j < 3; ++j) EXPECT_EQ((*params[1].value)(j), 10.f + float(j));
    EXPECT_EQ(ck.class_names, (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_FALSE(ck.standardizer.fitted());
    // String widths of digits are accepted too.
    EXPECT_NO_THROW(parse_checkpoint(
        serialize_safetensors(linear_4_3(), model_metadata(R"(["4","3"])", R"(["identity"])")),
        "m.safetensors"));
}

// The two inputs of the issue: no tensors at all, and sizes that overflow size_t once
// multiplied by sizeof(float), or that std::stoul misreads.
TEST(Checkpoint, HugeOrNegativeLayerSizesAreRejectedBeforeTheModelIsBuilt) {
    const std::string huge =
        serialize_safetensors({}, model_metadata("[4611686018427387904,1]", R"(["identity"])"));
    ffnn_test::expect_contains(load_error(huge),
                               {"crafted.safetensors", "layer_sizes", "4611686018427387904"});
    const std::string minus =
        serialize_safetensors({}, model_metadata(R"(["-1","4"])", R"(["identity"])"));
    ffnn_test::expect_contains(load_error(minus),
                               {"crafted.safetensors", "layer_sizes", "'-1'", "digits"});
    for (const char* sizes : {R"(["+4","3"])", R"([" 4","3"])", R"(["4x","3"])", R"(["","3"])",
                              R"(["0x10","3"])", "[0,3]", "[16777217,3]"})
        ffnn_test::expect_contains(load_error(serialize_safetensors(
                                       linear_4_3(), model_metadata(sizes, R"(["identity"])"))),
                                   {"crafted.safetensors", "layer_sizes"});
}

TEST(Checkpoint, SizesThatFitButHaveNoTensorsAreRejected) {
    // 4 x 30000 x 30000 would be a 3.6 GB matrix, 100000 x 100000 x 3 a 40 GB one.
    for (const char* sizes : {"[4,30000,30000]", "[100000,100000,3]", "[4,5000000,3]"})
        ffnn_test::expect_contains(
            load_error(serialize_safetensors({}, model_metadata(sizes, R"(["relu","identity"])"))),
            {"crafted.safetensors", "tensor 'layers.0.W' is missing"});
}

TEST(Checkpoint, TensorsOfOtherShapesThanTheSizesAreRejected) {
    // The file holds a 4x3 layer; the metadata claims a 5000000-wide hidden layer.
    ffnn_test::expect_contains(
        load_error(serialize_safetensors(
            linear_4_3(), model_metadata("[4,5000000,3]", R"(["relu","identity"])"))),
        {"crafted.safetensors", "'layers.0.W' is 4x3", "needs 4x5000000"});
    // Right W, second layer missing.
    ffnn_test::expect_contains(
        load_error(serialize_safetensors(linear_4_3(),
                                         model_metadata("[4,3,3]", R"(["relu","identity"])"))),
        {"tensor 'layers.1.W' is missing"});
    // A bias of the wrong length.
    std::vector<StoredTensor> t = linear_4_3();
    t[1].value = Tensor<float>{1.f, 2.f};
    ffnn_test::expect_contains(
        load_error(serialize_safetensors(t, model_metadata("[4,3]", R"(["identity"])"))),
        {"'layers.0.b' is 2 but layer_sizes needs 3"});
}

namespace {

// The metadata of a regressor with 3 targets t0..t2 on the 4 features of linear_4_3.
Metadata regressor_metadata() {
    Metadata m = model_metadata("[4,3]", R"(["identity"])");
    m.erase("class_names");
    m["format"] = "ffnn-regressor";
    m["task"] = "regression";
    m["loss"] = "mse";
    m["target_names"] = R"(["t0","t1","t2"])";
    return m;
}

}  // namespace

TEST(Checkpoint, ARegressorKeepsItsTargetsAndTheirScaling) {
    std::vector<StoredTensor> t = linear_4_3();
    t.push_back({"target.mean", Tensor<float>{1.f, 2.f, 3.f}});
    t.push_back({"target.scale", Tensor<float>{10.f, 20.f, 30.f}});
    Checkpoint ck = parse_checkpoint(serialize_safetensors(t, regressor_metadata()), "r");
    EXPECT_EQ(ck.task, ModelTask::Regression);
    EXPECT_EQ(ck.target_names, (std::vector<std::string>{"t0", "t1", "t2"}));
    EXPECT_TRUE(ck.class_names.empty());
    ASSERT_TRUE(ck.target_standardizer.fitted());
    EXPECT_EQ(ck.target_standardizer.scale()(2), 30.f);

    // save_checkpoint writes what parse_checkpoint read, and it reads back the same.
    ffnn_test::TempDir tmp;
    const std::string path = tmp.file("r.safetensors");
    save_checkpoint(path, ck.model, ck.standardizer,
                    {ModelTask::Regression, ck.target_names, &ck.target_standardizer},
                    ck.feature_names, "t0,t1,t2");
    Checkpoint back = load_checkpoint(path);
    EXPECT_EQ(back.metadata.at("format"), "ffnn-regressor");
    EXPECT_EQ(back.metadata.at("task"), "regression");
    EXPECT_EQ(back.target_names, ck.target_names);
    EXPECT_EQ(back.target_standardizer.mean()(1), 2.f);
    EXPECT_EQ(back.label_column, "t0,t1,t2");

    // Without target.* the outputs are the targets themselves.
    Checkpoint plain =
        parse_checkpoint(serialize_safetensors(linear_4_3(), regressor_metadata()), "r");
    EXPECT_FALSE(plain.target_standardizer.fitted());
    // A file of before regression (no "task") is a classifier.
    Checkpoint old = parse_checkpoint(
        serialize_safetensors(linear_4_3(), model_metadata("[4,3]", R"(["identity"])")), "c");
    EXPECT_EQ(old.task, ModelTask::Classification);
    EXPECT_EQ(old.class_names.size(), 3u);
}

TEST(Checkpoint, InconsistentRegressorFilesAreRefused) {
    auto with = [](const std::vector<StoredTensor>& t, const Metadata& m) {
        return load_error(serialize_safetensors(t, m));
    };
    std::vector<StoredTensor> scaled = linear_4_3();
    scaled.push_back({"target.mean", Tensor<float>{1.f, 2.f, 3.f}});
    scaled.push_back({"target.scale", Tensor<float>{1.f, 1.f, 1.f}});
    // Target scaling in a classifier.
    ffnn_test::expect_contains(with(scaled, model_metadata("[4,3]", R"(["identity"])")),
                               {"crafted.safetensors", "target.mean", "classification"});
    // One of the pair.
    std::vector<StoredTensor> half = linear_4_3();
    half.push_back({"target.mean", Tensor<float>{1.f, 2.f, 3.f}});
    ffnn_test::expect_contains(with(half, regressor_metadata()), {"must come together"});
    // Of the wrong length.
    std::vector<StoredTensor> wrong = linear_4_3();
    wrong.push_back({"target.mean", Tensor<float>{1.f, 2.f}});
    wrong.push_back({"target.scale", Tensor<float>{1.f, 2.f}});
    ffnn_test::expect_contains(with(wrong, regressor_metadata()), {"must be (3)"});
    // Names and outputs disagree; task and format disagree; an unknown task.
    Metadata two = regressor_metadata();
    two["target_names"] = R"(["t0","t1"])";
    ffnn_test::expect_contains(with(linear_4_3(), two), {"2 target names for 3 outputs"});
    Metadata mixed = regressor_metadata();
    mixed["format"] = "ffnn-classifier";
    ffnn_test::expect_contains(with(linear_4_3(), mixed),
                               {"'format' is 'ffnn-classifier'", "'task' is 'regression'"});
    Metadata unknown = regressor_metadata();
    unknown["task"] = "ranking";
    ffnn_test::expect_contains(with(linear_4_3(), unknown), {"metadata", "ranking"});
    Metadata nameless = regressor_metadata();
    nameless.erase("target_names");
    ffnn_test::expect_contains(with(linear_4_3(), nameless), {"no 'target_names'"});
}

TEST(Checkpoint, APredictorOfARegressorGivesValuesInTheTargetsUnits) {
    std::vector<StoredTensor> t = linear_4_3();
    t.push_back({"target.mean", Tensor<float>{1.f, 2.f, 3.f}});
    t.push_back({"target.scale", Tensor<float>{10.f, 20.f, 30.f}});
    Predictor p(parse_checkpoint(serialize_safetensors(t, regressor_metadata()), "r"));
    ASSERT_TRUE(p.regression());
    EXPECT_EQ(p.target_names().size(), 3u);
    // x = (1, 0, 0, 2): output j = W(0, j) + 2 W(3, j) + b(j) = -j/4 + 2 (3 - j/4) + 10 + j
    // = 16 + j/4 in the network's units; y = output * scale + mean. Small integers and
    // quarters: exact in float.
    Tensor<float> x = Tensor<float>::zeros(Shape{1, 4});
    x(0, 0) = 1;
    x(0, 3) = 2;
    const Tensor<float>& y = p.predict_values(x);
    ASSERT_EQ(y.shape(), Shape({1, 3}));
    const float scale[3] = {10, 20, 30}, mean[3] = {1, 2, 3};
    for (std::size_t j = 0; j < 3; ++j)
        EXPECT_EQ(y(0, j), (16.f + float(j) / 4.f) * scale[j] + mean[j]);
    EXPECT_THROW(p.predict(x), std::logic_error);
    EXPECT_THROW(p.predict_proba(x), std::logic_error);
}
