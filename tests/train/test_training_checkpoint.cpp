// Training checkpoints (train/training_checkpoint.hpp) in the library: a saved run restores
// its optimiser state, history and early-stopping state exactly, and resuming it with fit()
// gives the uninterrupted run's weights bit for bit; the reader refuses, with a message
// naming the key or tensor, every kind of damage a file can have (bad JSON fields, a
// configuration that is not the tensors' network, missing, misshapen or extra state
// tensors, best weights without a best epoch), and a model file.
#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <string>

#include "ffnn/io/atomic_file.hpp"
#include "ffnn/io/safetensors.hpp"
#include "ffnn/train/training_checkpoint.hpp"
#include "test_helpers.hpp"

using namespace ffnn;

namespace {

TrainConfig small_config(OptimizerKind kind) {
    TrainConfig c;
    c.model.hidden = {5};
    c.optimizer.kind = kind;
    if (kind != OptimizerKind::SGD) {
        c.optimizer.momentum = 0;
        c.optimizer.lr = 0.01;
    }
    c.epochs = 6;
    c.threads = 1;
    c.early_stopping.patience = 50;
    return c;
}

bool same_bits(const Tensor<float>& a, const Tensor<float>& b) {
    return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// A run of `epochs` epochs checkpointed at the end, as bytes.
std::string checkpoint_after(const TrainConfig& c, std::size_t epochs, const std::string& path) {
    TrainConfig part = c;
    part.epochs = epochs;
    PreparedData data = prepare_data(part);
    Model<float> model = build_model(part, data.train.num_features(), data.train.num_classes());
    EarlyStopping es(model, part.early_stopping, true);
    FitState state;
    FitCallbacks cb = es.callbacks();
    fit(model, data, part, state, cb);
    save_run_checkpoint(path, c, model, data, state, es);
    return read_file_bytes(path);
}

// The checkpoint's bytes with its training_state JSON changed by `edit`.
std::string with_state(const std::string& bytes, void (*edit)(nlohmann::json&)) {
    SafetensorsFile f = parse_safetensors(bytes, "x");
    nlohmann::json st = nlohmann::json::parse(f.metadata.at("training_state"));
    edit(st);
    f.metadata["training_state"] = st.dump();
    return serialize_safetensors(f.tensors, f.metadata);
}

// The checkpoint's bytes with its tensors changed by `edit`.
template <class F>
std::string with_tensors(const std::string& bytes, F edit) {
    SafetensorsFile f = parse_safetensors(bytes, "x");
    edit(f.tensors);
    return serialize_safetensors(f.tensors, f.metadata);
}

}  // namespace

TEST(TrainingCheckpoint, ResumedFitGivesTheUninterruptedWeightsForEachOptimiser) {
    ffnn_test::TempDir dir;
    for (OptimizerKind kind : {OptimizerKind::SGD, OptimizerKind::Adam, OptimizerKind::AdamW}) {
        const TrainConfig c = small_config(kind);
        PreparedData data = prepare_data(c);
        Model<float> once = build_model(c, data.train.num_features(), data.train.num_classes());
        fit(once, data, c);

        const std::string path = (dir.path() / "ck.safetensors").string();
        checkpoint_after(c, 2, path);
        RunCheckpoint ck = load_run_checkpoint(path);
        EXPECT_EQ(ck.epochs_done, 2u);
        EXPECT_EQ(ck.history.size(), 2u);
        Model<float> resumed = build_model(c, data.train.num_features(), data.train.num_classes());
        EarlyStopping es(resumed, c.early_stopping, true);
        FitState state = resume_run(ck, c, resumed, data, es);
        EXPECT_EQ(state.optimizer->step_count(), static_cast<long long>(2 * 7));  // 105 / 16
        TrainOutcome out = fit(resumed, data, c, state);
        EXPECT_EQ(out.history.size(), 6u);
        const auto& a = once.parameter_list();
        const auto& b = resumed.parameter_list();
        for (std::size_t i = 0; i < a.size(); ++i)
            EXPECT_TRUE(same_bits(*a[i].value, *b[i].value)) << to_string(kind) << " " << a[i].name;
    }
}

TEST(TrainingCheckpoint, DamagedStateIsRefusedNamingWhatIsWrong) {
    ffnn_test::TempDir dir;
    const std::string path = (dir.path() / "ck.safetensors").string();
    const std::string good = checkpoint_after(small_config(OptimizerKind::Adam), 2, path);
    EXPECT_NO_THROW(parse_run_checkpoint(good, "ck"));

    struct Case {
        void (*edit)(nlohmann::json&);
        const char* named;
    };
    const Case cases[] = {
        {[](nlohmann::json& j) { j.erase("epochs_done"); }, "epochs_done"},
        {[](nlohmann::json& j) { j["epochs_done"] = -1; }, "epochs_done"},
        {[](nlohmann::json& j) { j["epochs_done"] = 3; }, "history"},
        {[](nlohmann::json& j) { j["history"][1]["epoch"] = 7; }, "history[1].epoch"},
        {[](nlohmann::json& j) { j["history"][0]["lr"] = "fast"; }, "history[0].lr"},
        {[](nlohmann::json& j) { j["version"] = 2; }, "version"},
        {[](nlohmann::json& j) { j["config"]["lr"] = -1; }, "lr"},
        {[](nlohmann::json& j) { j["config"]["colour"] = 1; }, "colour"},
        {[](nlohmann::json& j) { j["config"]["hidden"] = {100000000}; }, "config.hidden"},
        {[](nlohmann::json& j) { j["early_stopping"]["wait"] = 9; }, "wait"},
        {[](nlohmann::json& j) { j["early_stopping"]["best"]["epoch"] = 5; }, "best.epoch"},
        {[](nlohmann::json& j) { j["early_stopping"]["best"] = nullptr; }, "best"},
        {[](nlohmann::json& j) { j["data"]["fingerprint"] = "xyz"; }, "fingerprint"},
        {[](nlohmann::json& j) { j = nlohmann::json::array(); }, "object"},
    };
    for (const Case& c : cases)
        EXPECT_THROW_CONTAINS(parse_run_checkpoint(with_state(good, c.edit), "ck"),
                              std::runtime_error, "ck", c.named);
}

TEST(TrainingCheckpoint, StateTensorsMustBeExactlyTheOptimisersAndTheBestWeights) {
    ffnn_test::TempDir dir;
    const TrainConfig c = small_config(OptimizerKind::Adam);
    const std::string path = (dir.path() / "ck.safetensors").string();
    const std::string good = checkpoint_after(c, 2, path);
    PreparedData data = prepare_data(c);
    auto restore = [&](const std::string& bytes) {
        RunCheckpoint ck = parse_run_checkpoint(bytes, "ck");
        Model<float> model = build_model(c, data.train.num_features(), data.train.num_classes());
        EarlyStopping es(model, c.early_stopping, true);
        return resume_run(ck, c, model, data, es);
    };
    EXPECT_NO_THROW(restore(good));

    auto drop = [](const std::string& name) {
        return [name](std::vector<StoredTensor>& ts) {
            std::erase_if(ts, [&](const StoredTensor& t) { return t.name == name; });
        };
    };
    EXPECT_THROW_CONTAINS(restore(with_tensors(good, drop("optimizer.layers.0.W.exp_avg"))),
                          std::runtime_error, "optimizer.layers.0.W.exp_avg", "missing");
    EXPECT_THROW_CONTAINS(restore(with_tensors(good, drop("best.layers.1.b"))), std::runtime_error,
                          "best.layers.1.b", "missing");
    EXPECT_THROW_CONTAINS(restore(with_tensors(good,
                                               [](std::vector<StoredTensor>& ts) {
                                                   for (StoredTensor& t : ts)
                                                       if (t.name == "optimizer.layers.0.b.exp_avg")
                                                           t.value = Tensor<float>::zeros({4});
                                               })),
                          std::runtime_error, "optimizer.layers.0.b.exp_avg", "expected F32 5");
    EXPECT_THROW_CONTAINS(
        restore(with_tensors(
            good,
            [](std::vector<StoredTensor>& ts) {
                ts.push_back({"optimizer.layers.0.W.momentum", Tensor<float>::zeros({4, 5})});
            })),
        std::runtime_error, "unexpected tensor", "optimizer.layers.0.W.momentum");
    // A tensor without a state prefix is checked as a model file's would be.
    EXPECT_THROW_CONTAINS(
        parse_run_checkpoint(
            with_tensors(good,
                         [](std::vector<StoredTensor>& ts) {
                             ts.push_back({"layers.9.W", Tensor<float>::zeros({1, 1})});
                         }),
            "ck"),
        std::runtime_error, "layers.9.W");
    // The same file resumed as an SGD run: the configuration differs.
    TrainConfig sgd = small_config(OptimizerKind::SGD);
    RunCheckpoint ck = parse_run_checkpoint(good, "ck");
    Model<float> model = build_model(sgd, data.train.num_features(), data.train.num_classes());
    EarlyStopping es(model, sgd.early_stopping, true);
    EXPECT_THROW_CONTAINS(resume_run(ck, sgd, model, data, es), std::runtime_error,
                          "another configuration", "optimizer");
}

TEST(TrainingCheckpoint, ModelFilesAndCheckpointsAreNotMistakenForEachOther) {
    ffnn_test::TempDir dir;
    const std::string path = (dir.path() / "ck.safetensors").string();
    const std::string ck = checkpoint_after(small_config(OptimizerKind::SGD), 1, path);
    EXPECT_THROW_CONTAINS(parse_checkpoint(ck, "ck"), std::runtime_error,
                          "ffnn-training-checkpoint", "--resume");
    RunCheckpoint run = parse_run_checkpoint(ck, "ck");
    const std::string model_path = (dir.path() / "model.safetensors").string();
    save_checkpoint(model_path, run.file.model.model, run.file.model.standardizer,
                    run.file.model.class_names, run.file.model.feature_names, "label");
    EXPECT_THROW_CONTAINS(load_run_checkpoint(model_path), std::runtime_error,
                          "not an ffnn training checkpoint", "model file");
}

TEST(TrainingCheckpoint, ConfigJsonRoundTrips) {
    TrainConfig c = small_config(OptimizerKind::AdamW);
    c.data.standardize = false;
    c.early_stopping.restore_best = false;
    c.early_stopping.monitor = Monitor::ValAccuracy;
    c.model.activation = parse_activation("leaky_relu:0.2");
    const TrainConfig back = TrainConfig::from_json(c.to_json());
    EXPECT_EQ(back.to_json(), c.to_json());
    EXPECT_TRUE(config_differences(c, back).empty());
    TrainConfig more = c;
    more.epochs = 1000;
    more.threads = 2;
    EXPECT_TRUE(config_differences(c, more).empty());
    more.batch_size = 3;
    EXPECT_EQ(config_differences(c, more), std::vector<std::string>{"batch_size"});
}
