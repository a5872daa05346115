// Early stopping and the best epoch; see early_stopping.hpp.
#include "ffnn/train/early_stopping.hpp"

#include <cmath>
#include <stdexcept>

namespace ffnn {

EarlyStopping::EarlyStopping(Model<float>& model, const EarlyStoppingConfig& config,
                             bool has_validation)
    : model_(model), config_(config), monitor_(config.resolved_monitor(has_validation)) {
    config_.validate();
}

double EarlyStopping::value(const EpochRecord& r) const {
    switch (monitor_) {
        case Monitor::ValAccuracy:
            return r.val_accuracy;
        case Monitor::TrainLoss:
            return r.train_loss;
        default:
            return r.val_loss;
    }
}

bool EarlyStopping::improves(double v) const {
    if (!std::isfinite(v)) return false;
    if (best_.epoch == 0) return true;
    const double best = value(best_);
    if (monitor_ == Monitor::ValAccuracy) return v > best + config_.min_delta;
    return v < best - config_.min_delta;
}

EpochDecision EarlyStopping::on_epoch(const EpochRecord& record) {
    if (improves(value(record))) {
        best_ = record;
        wait_ = 0;
        const auto& params = model_.parameter_list();
        if (best_weights_.size() != params.size()) {
            best_weights_.clear();
            for (const Param<float>& p : params) best_weights_.push_back(p.value->clone());
        } else {
            for (std::size_t i = 0; i < params.size(); ++i)
                best_weights_[i].copy_from(*params[i].value);
        }
        return EpochDecision::next();
    }
    ++wait_;
    if (config_.patience > 0 && wait_ >= config_.patience)
        return EpochDecision::stop_because(
            "early stop after epoch " + std::to_string(record.epoch) + ": " + to_string(monitor_) +
            " has not improved by more than " + format_number(config_.min_delta) + " for " +
            std::to_string(wait_) + " epochs (best: epoch " + std::to_string(best_.epoch) + ")");
    return EpochDecision::next();
}

void EarlyStopping::on_train_end() {
    if (!config_.restores_best() || best_weights_.empty()) return;
    const auto& params = model_.parameter_list();
    for (std::size_t i = 0; i < params.size(); ++i) params[i].value->copy_from(best_weights_[i]);
}

FitCallbacks EarlyStopping::callbacks() {
    FitCallbacks cb;
    cb.on_epoch = [this](const EpochRecord& r, const FitState&) { return on_epoch(r); };
    cb.on_train_end = [this](Model<float>&) { on_train_end(); };
    return cb;
}

void EarlyStopping::restore(const EpochRecord& best, std::size_t wait,
                            std::vector<Tensor<float>> weights) {
    const auto& params = model_.parameter_list();
    if (best.epoch > 0 && weights.size() != params.size())
        throw std::invalid_argument("EarlyStopping::restore: " + std::to_string(weights.size()) +
                                    " best weights for " + std::to_string(params.size()) +
                                    " parameters");
    for (std::size_t i = 0; i < weights.size(); ++i)
        if (!(weights[i].shape() == params[i].value->shape()))
            throw std::invalid_argument("EarlyStopping::restore: best weight of '" +
                                        params[i].name + "' is " + weights[i].shape().to_string() +
                                        ", the parameter " + params[i].value->shape().to_string());
    best_ = best;
    wait_ = wait;
    best_weights_ = std::move(weights);
}

}  // namespace ffnn
