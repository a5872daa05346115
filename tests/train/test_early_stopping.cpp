// Early stopping (train/early_stopping.hpp) and fit()'s epoch decisions: a run whose
// validation loss rises stops exactly `patience` epochs after its best epoch, the restored
// weights are bit for bit those of a run trained for just the best epoch's number of epochs,
// and the rules of the best (min_delta, accuracy rises, non-finite values, patience 0) hold
// on hand-made records.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "ffnn/nn/config_error.hpp"
#include "ffnn/train/early_stopping.hpp"

using namespace ffnn;

namespace {

TrainConfig iris_config() {
    TrainConfig c;
    c.epochs = 60;
    c.threads = 1;
    return c;
}

// Iris with the validation labels shifted by one class: the better the model learns the
// training part, the worse its validation loss, which therefore rises after a few epochs.
PreparedData rising_validation_data(const TrainConfig& c) {
    PreparedData data = prepare_data(c);
    const int K = static_cast<int>(data.train.num_classes());
    for (int& y : data.val.labels) y = (y + 1) % K;
    return data;
}

EpochRecord record(std::size_t epoch, double val_loss, double val_accuracy = 0.5) {
    EpochRecord r;
    r.epoch = epoch;
    r.train_loss = 1.0;
    r.val_loss = val_loss;
    r.val_accuracy = val_accuracy;
    return r;
}

bool same_bits(const Tensor<float>& a, const Tensor<float>& b) {
    return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

TEST(EarlyStopping, RisingValidationLossStopsPatienceEpochsAfterTheBest) {
    TrainConfig c = iris_config();
    c.early_stopping.patience = 5;
    PreparedData data = rising_validation_data(c);
    Model<float> model = build_model(c, data.train.num_features(), data.train.num_classes());
    EarlyStopping es(model, c.early_stopping, true);
    TrainOutcome out = fit(model, data, c, es.callbacks());

    ASSERT_EQ(out.stop_reason, StopReason::EarlyStop) << out.message;
    // The best epoch computed independently: the first minimum of the validation loss.
    std::size_t best = 1;
    for (const EpochRecord& r : out.history)
        if (r.val_loss < out.history[best - 1].val_loss) best = r.epoch;
    EXPECT_LT(best, 10u) << "the validation loss should rise early on";
    EXPECT_EQ(es.best_epoch(), best);
    EXPECT_EQ(out.history.size(), best + c.early_stopping.patience);
    EXPECT_EQ(es.wait(), c.early_stopping.patience);
    EXPECT_NE(out.message.find("epoch " + std::to_string(best)), std::string::npos) << out.message;
}

TEST(EarlyStopping, RestoredWeightsAreTheBestEpochsBitForBit) {
    TrainConfig c = iris_config();
    c.early_stopping.patience = 4;
    PreparedData data = rising_validation_data(c);
    Model<float> model = build_model(c, data.train.num_features(), data.train.num_classes());
    EarlyStopping es(model, c.early_stopping, true);
    TrainOutcome out = fit(model, data, c, es.callbacks());
    ASSERT_EQ(out.stop_reason, StopReason::EarlyStop);
    ASSERT_GT(es.best_epoch(), 0u);

    // The reference: the same run, stopped by its epoch count at the best epoch.
    TrainConfig short_run = c;
    short_run.early_stopping = {};
    short_run.epochs = es.best_epoch();
    Model<float> reference =
        build_model(short_run, data.train.num_features(), data.train.num_classes());
    TrainOutcome ref = fit(reference, data, short_run);
    ASSERT_EQ(ref.history.size(), es.best_epoch());

    const auto& got = model.parameter_list();
    const auto& want = reference.parameter_list();
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i)
        EXPECT_TRUE(same_bits(*got[i].value, *want[i].value)) << got[i].name;
    // The final metrics are those of the restored weights.
    EXPECT_EQ(out.val.loss, ref.val.loss);
    EXPECT_EQ(out.val.loss, es.best().val_loss);
}

TEST(EarlyStopping, WithoutRestoreTheModelKeepsTheLastEpochsWeights) {
    TrainConfig c = iris_config();
    c.early_stopping.patience = 3;
    c.early_stopping.restore_best = false;
    PreparedData data = rising_validation_data(c);
    Model<float> model = build_model(c, data.train.num_features(), data.train.num_classes());
    EarlyStopping es(model, c.early_stopping, true);
    TrainOutcome out = fit(model, data, c, es.callbacks());
    ASSERT_EQ(out.stop_reason, StopReason::EarlyStop);
    EXPECT_EQ(out.val.loss, out.history.back().val_loss);
    EXPECT_NE(out.val.loss, es.best().val_loss);
}

TEST(EarlyStopping, RulesOnHandMadeRecords) {
    Model<float> model = build_model(iris_config(), 4, 3);
    EarlyStoppingConfig cfg;
    cfg.patience = 2;
    cfg.min_delta = 0.1;
    EarlyStopping es(model, cfg, true);
    EXPECT_EQ(es.monitor(), Monitor::ValLoss);
    EXPECT_FALSE(es.on_epoch(record(1, 1.0)).stop);
    EXPECT_EQ(es.best_epoch(), 1u);
    EXPECT_FALSE(es.on_epoch(record(2, 0.95)).stop);  // better, but not by more than 0.1
    EXPECT_EQ(es.best_epoch(), 1u);
    EXPECT_FALSE(es.on_epoch(record(3, 0.85)).stop);  // by 0.15: the new best
    EXPECT_EQ(es.best_epoch(), 3u);
    EXPECT_FALSE(es.on_epoch(record(4, std::nan(""))).stop);  // NaN never improves
    EXPECT_TRUE(es.on_epoch(record(5, 0.80)).stop);
    EXPECT_EQ(es.best_epoch(), 3u);

    EarlyStoppingConfig acc;
    acc.monitor = Monitor::ValAccuracy;
    EarlyStopping by_accuracy(model, acc, true);
    by_accuracy.on_epoch(record(1, 1.0, 0.5));
    by_accuracy.on_epoch(record(2, 2.0, 0.7));  // higher accuracy wins, whatever the loss
    EXPECT_EQ(by_accuracy.best_epoch(), 2u);
    for (std::size_t e = 3; e < 100; ++e)  // patience 0: never stops
        EXPECT_FALSE(by_accuracy.on_epoch(record(e, 1.0, 0.1)).stop);
    EXPECT_FALSE(acc.restores_best());
    EXPECT_TRUE(cfg.restores_best());
}

TEST(EarlyStopping, ValidationMetricWithoutValidationPartIsAConfigError) {
    Model<float> model = build_model(iris_config(), 4, 3);
    EarlyStoppingConfig cfg;
    EXPECT_EQ(EarlyStopping(model, cfg, false).monitor(), Monitor::TrainLoss);
    cfg.monitor = Monitor::ValAccuracy;
    try {
        EarlyStopping es(model, cfg, false);
        FAIL() << "expected a ConfigError";
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.field(), "early_stopping.monitor");
    }
}

TEST(FitState, ACallbackStopIsReportedWithItsReason) {
    TrainConfig c = iris_config();
    PreparedData data = prepare_data(c);
    Model<float> model = build_model(c, data.train.num_features(), data.train.num_classes());
    FitCallbacks cb;
    cb.on_epoch = [](const EpochRecord& r, const FitState& s) {
        EXPECT_EQ(s.epochs_done, r.epoch);
        EXPECT_EQ(s.history.size(), r.epoch);
        return r.epoch == 3 ? EpochDecision::stop_because("enough") : EpochDecision::next();
    };
    TrainOutcome out = fit(model, data, c, cb);
    EXPECT_EQ(out.stop_reason, StopReason::EarlyStop);
    EXPECT_EQ(out.message, "enough");
    EXPECT_EQ(out.history.size(), 3u);
}
