// Training checkpoints; see training_checkpoint.hpp.
#include "ffnn/train/training_checkpoint.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "ffnn/io/atomic_file.hpp"
#include "ffnn/nn/config_error.hpp"

namespace ffnn {

namespace {

constexpr int kStateVersion = 1;
constexpr const char* kOptimizerPrefix = "optimizer.";
constexpr const char* kBestPrefix = "best.";

using json = nlohmann::json;

json metric(double v) {
    return std::isfinite(v) ? json(v) : json();
}

// A regression run's records also hold train_metrics and val_metrics: {mse, rmse, mae, r2}.
json metrics_json(const TargetMetrics& m) {
    return {{"mse", metric(m.mse)},
            {"rmse", metric(m.rmse)},
            {"mae", metric(m.mae)},
            {"r2", metric(m.r2)}};
}

json record_json(const EpochRecord& r, bool regression) {
    json j{{"epoch", r.epoch},
           {"lr", r.lr},
           {"train_loss", metric(r.train_loss)},
           {"train_accuracy", metric(r.train_accuracy)},
           {"val_loss", metric(r.val_loss)},
           {"val_accuracy", metric(r.val_accuracy)},
           {"seconds", r.seconds}};
    if (regression) {
        j["train_metrics"] = metrics_json(r.train_metrics);
        j["val_metrics"] = metrics_json(r.val_metrics);
        json tt = json::array(), vt = json::array();
        for (const TargetMetrics& m : r.train_targets) tt.push_back(metrics_json(m));
        for (const TargetMetrics& m : r.val_targets) vt.push_back(metrics_json(m));
        j["train_targets"] = tt;
        j["val_targets"] = vt;
    }
    return j;
}

// Strict reading of the training state: every problem names the file and the key.
class StateReader {
  public:
    explicit StateReader(const std::string& path) : path_(path) {}

    std::runtime_error error(const std::string& key, const std::string& what) const {
        return std::runtime_error(path_ + ": training_state '" + key + "': " + what);
    }
    const json& member(const json& obj, const std::string& key, const std::string& where) const {
        if (!obj.is_object()) throw error(where, "expected a JSON object");
        auto it = obj.find(key);
        if (it == obj.end()) throw error(where + "." + key, "missing");
        return *it;
    }
    std::size_t count(const json& obj, const std::string& key, const std::string& where) const {
        const json& v = member(obj, key, where);
        if (!v.is_number_unsigned()) throw error(where + "." + key, "expected a count");
        return v.get<std::size_t>();
    }
    // A number, or null for a metric that does not exist (NaN).
    double number(const json& obj, const std::string& key, const std::string& where,
                  bool nullable) const {
        const json& v = member(obj, key, where);
        if (nullable && v.is_null()) return std::nan("");
        if (!v.is_number()) throw error(where + "." + key, "expected a number");
        return v.get<double>();
    }
    TargetMetrics metrics(const json& obj, const std::string& key, const std::string& where) const {
        const json& m = member(obj, key, where);
        const std::string w = where + "." + key;
        return {number(m, "mse", w, true), number(m, "rmse", w, true), number(m, "mae", w, true),
                number(m, "r2", w, true)};
    }
    std::vector<TargetMetrics> metrics_list(const json& obj, const std::string& key,
                                            const std::string& where) const {
        const json& a = member(obj, key, where);
        if (!a.is_array()) throw error(where + "." + key, "expected an array");
        std::vector<TargetMetrics> out;
        for (std::size_t i = 0; i < a.size(); ++i) {
            const std::string w = where + "." + key + "[" + std::to_string(i) + "]";
            out.push_back({number(a[i], "mse", w, true), number(a[i], "rmse", w, true),
                           number(a[i], "mae", w, true), number(a[i], "r2", w, true)});
        }
        return out;
    }
    EpochRecord record(const json& r, const std::string& where, bool regression) const {
        EpochRecord e;
        e.epoch = count(r, "epoch", where);
        e.lr = number(r, "lr", where, false);
        e.train_loss = number(r, "train_loss", where, true);
        e.train_accuracy = number(r, "train_accuracy", where, true);
        e.val_loss = number(r, "val_loss", where, true);
        e.val_accuracy = number(r, "val_accuracy", where, true);
        e.seconds = number(r, "seconds", where, false);
        if (regression) {
            e.train_metrics = metrics(r, "train_metrics", where);
            e.val_metrics = metrics(r, "val_metrics", where);
            e.train_targets = metrics_list(r, "train_targets", where);
            e.val_targets = metrics_list(r, "val_targets", where);
        }
        return e;
    }

  private:
    std::string path_;
};

void fnv1a(std::uint64_t& h, const void* data, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < n; ++i) {
        h ^= p[i];
        h *= 0x100000001b3ull;  // the 64-bit FNV prime
    }
}

std::string hex64(std::uint64_t v) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

const StoredTensor* find_state(const std::vector<StoredTensor>& tensors, const std::string& name) {
    for (const StoredTensor& t : tensors)
        if (t.name == name) return &t;
    return nullptr;
}

}  // namespace

std::vector<std::string> config_differences(const TrainConfig& a, const TrainConfig& b) {
    const json ja = a.to_json(), jb = b.to_json();
    std::vector<std::string> out;
    auto resumable = [](const std::string& key) {
        for (const char* k : kResumableKeys)
            if (key == k) return true;
        return false;
    };
    for (auto it = ja.begin(); it != ja.end(); ++it)
        if (!resumable(it.key()) && (!jb.contains(it.key()) || jb.at(it.key()) != it.value()))
            out.push_back(it.key());
    for (auto it = jb.begin(); it != jb.end(); ++it)
        if (!resumable(it.key()) && !ja.contains(it.key())) out.push_back(it.key());
    return out;
}

std::uint64_t data_fingerprint(const PreparedData& data) {
    std::uint64_t h = 0xcbf29ce484222325ull;  // the 64-bit FNV offset basis
    for (const Dataset* part : {&data.train, &data.val, &data.test}) {
        const std::uint64_t sizes[2] = {part->size(), part->num_features()};
        fnv1a(h, sizes, sizeof sizes);
        if (part->size()) fnv1a(h, part->X.data(), part->X.size() * sizeof(float));
        if (part->size() && part->has_targets())
            fnv1a(h, part->targets.data(), part->targets.size() * sizeof(float));
        fnv1a(h, part->labels.data(), part->labels.size() * sizeof(int));
    }
    return h;
}

void save_run_checkpoint(const std::string& path, const TrainConfig& config, Model<float>& model,
                         const PreparedData& data, const FitState& state,
                         const EarlyStopping& early,
                         const std::map<std::string, std::string>& extra) {
    if (!state.optimizer)
        throw std::invalid_argument("save_run_checkpoint: the state has no optimiser yet");
    json history = json::array();
    const bool regression = data.regression();
    for (const EpochRecord& r : state.history) history.push_back(record_json(r, regression));
    json st{{"version", kStateVersion},
            {"config", config.to_json()},
            {"epochs_done", state.epochs_done},
            {"history", history},
            {"early_stopping",
             {{"best", early.best_epoch() > 0 ? record_json(early.best(), regression) : json()},
              {"wait", early.wait()}}},
            {"data",
             {{"train", data.train.size()},
              {"validation", data.val.size()},
              {"test", data.test.size()},
              {"fingerprint", hex64(data_fingerprint(data))}}}};
    std::vector<StoredTensor> tensors;
    for (const NamedTensor<float>& t : state.optimizer->state())
        tensors.push_back({kOptimizerPrefix + t.name, t.value->view()});
    const auto& params = model.parameter_list();
    if (early.best_epoch() > 0)
        for (std::size_t i = 0; i < params.size(); ++i)
            tensors.push_back({kBestPrefix + params[i].name, early.best_weights()[i].view()});
    save_training_checkpoint(path, model, data.standardizer, data.outputs(),
                             data.train.feature_names, data.label_column, std::move(tensors),
                             st.dump(), extra);
}

RunCheckpoint load_run_checkpoint(const std::string& path) {
    return parse_run_checkpoint(read_file_bytes(path), path);
}

RunCheckpoint parse_run_checkpoint(std::string_view bytes, const std::string& path) {
    RunCheckpoint ck;
    ck.path = path;
    ck.file = parse_training_checkpoint(bytes, path);
    StateReader r(path);
    json st;
    try {
        st = json::parse(ck.file.training_state);
    } catch (const json::parse_error& e) {
        throw std::runtime_error(path + ": training_state is not valid JSON: " + e.what());
    }
    const json& version = r.member(st, "version", "training_state");
    if (version != kStateVersion)
        throw r.error("version", "is " + version.dump() + "; this ffnn reads version " +
                                     std::to_string(kStateVersion));
    try {
        ck.config = TrainConfig::from_json(r.member(st, "config", "training_state"));
    } catch (const std::invalid_argument& e) {
        throw r.error("config", e.what());
    }
    const bool regression = ck.config.data.regression();
    if (regression != (ck.file.model.task == ModelTask::Regression))
        throw r.error("config.task",
                      "the configuration's task is " +
                          std::string(name_of<LabelTask>(kLabelTaskNames, ck.config.data.task)) +
                          " but the checkpoint's model is a " +
                          (regression ? "classifier" : "regressor"));
    ck.epochs_done = r.count(st, "epochs_done", "training_state");
    const json& history = r.member(st, "history", "training_state");
    if (!history.is_array() || history.size() != ck.epochs_done)
        throw r.error("history", "expected an array of " + std::to_string(ck.epochs_done) +
                                     " epoch records (one per completed epoch)");
    for (std::size_t i = 0; i < history.size(); ++i) {
        const std::string where = "history[" + std::to_string(i) + "]";
        ck.history.push_back(r.record(history[i], where, regression));
        if (ck.history.back().epoch != i + 1)
            throw r.error(where + ".epoch", "expected " + std::to_string(i + 1));
    }
    const json& es = r.member(st, "early_stopping", "training_state");
    const json& best = r.member(es, "best", "early_stopping");
    if (!best.is_null()) {
        ck.best = r.record(best, "early_stopping.best", regression);
        if (ck.best.epoch == 0 || ck.best.epoch > ck.epochs_done)
            throw r.error("early_stopping.best.epoch", "expected a completed epoch (1 to " +
                                                           std::to_string(ck.epochs_done) + ")");
    }
    ck.wait = r.count(es, "wait", "early_stopping");
    if (ck.wait > ck.epochs_done)
        throw r.error("early_stopping.wait", "is " + std::to_string(ck.wait) + " after only " +
                                                 std::to_string(ck.epochs_done) + " epochs");
    const json& data = r.member(st, "data", "training_state");
    ck.n_train = r.count(data, "train", "data");
    ck.n_val = r.count(data, "validation", "data");
    ck.n_test = r.count(data, "test", "data");
    const json& fp = r.member(data, "fingerprint", "data");
    if (!fp.is_string() || fp.get<std::string>().size() != 16 ||
        fp.get<std::string>().find_first_not_of("0123456789abcdef") != std::string::npos)
        throw r.error("data.fingerprint", "expected 16 hexadecimal digits");
    ck.data_fingerprint = std::stoull(fp.get<std::string>(), nullptr, 16);
    // The configuration's network must be the one of the tensors (whose sizes the file's
    // bytes bound): a model built from the configuration then allocates no more than that.
    const ModelSpec& saved = ck.file.model.model.spec();
    if (ck.config.model.hidden != saved.hidden ||
        (!saved.hidden.empty() &&
         !(to_string(ck.config.model.activation) == to_string(saved.activation))))
        throw r.error("config.hidden", "the configuration's network (hidden " +
                                           hidden_label(ck.config.model.hidden) + ", " +
                                           to_string(ck.config.model.activation) +
                                           ") is not the checkpoint's (" +
                                           ck.file.model.model.summary() + ")");
    // The best weights come with a best epoch, and only then.
    bool any_best = false;
    for (const StoredTensor& t : ck.file.state_tensors)
        any_best = any_best || t.name.rfind(kBestPrefix, 0) == 0;
    if (any_best != (ck.best.epoch > 0))
        throw std::runtime_error(path + (any_best ? ": best.* tensors without a best epoch"
                                                  : ": a best epoch without its best.* tensors"));
    return ck;
}

FitState resume_run(RunCheckpoint& ck, const TrainConfig& config, Model<float>& model,
                    const PreparedData& data, EarlyStopping& early) {
    const std::string& path = ck.path;
    std::vector<std::string> differ = config_differences(ck.config, config);
    if (!differ.empty()) {
        const json was = ck.config.to_json(), now = config.to_json();
        std::string what;
        for (const std::string& k : differ) {
            if (!what.empty()) what += "; ";
            what += k + " " + (was.contains(k) ? was.at(k).dump() : "(unset)") + " -> " +
                    (now.contains(k) ? now.at(k).dump() : "(unset)");
        }
        throw std::runtime_error(path + ": the run was trained with another configuration (" +
                                 what + ")");
    }
    if (config.epochs < ck.epochs_done)
        throw ConfigError("config.epochs",
                          "the run in " + path + " has done " + std::to_string(ck.epochs_done) +
                              " epochs already; --epochs " + std::to_string(config.epochs) +
                              " would end it before that");
    if (data_fingerprint(data) != ck.data_fingerprint || data.train.size() != ck.n_train ||
        data.val.size() != ck.n_val || data.test.size() != ck.n_test)
        throw std::runtime_error(
            path + ": the data differs from the run's (" + std::to_string(ck.n_train) + "/" +
            std::to_string(ck.n_val) + "/" + std::to_string(ck.n_test) +
            " train/validation/test examples then, " + std::to_string(data.train.size()) + "/" +
            std::to_string(data.val.size()) + "/" + std::to_string(data.test.size()) +
            " now; fingerprint " + hex64(ck.data_fingerprint) + " then, " +
            hex64(data_fingerprint(data)) + " now): was the data file changed?");

    return restore_training_state(ck, config, model, early);
}

FitState restore_training_state(RunCheckpoint& ck, const TrainConfig& config, Model<float>& model,
                                EarlyStopping& early) {
    const std::string& path = ck.path;
    // Weights: the checkpoint's model has the architecture of its metadata; the run's model
    // must have the same parameters.
    std::vector<Param<float>> saved = ck.file.model.model.parameters();
    const auto& params = model.parameter_list();
    if (saved.size() != params.size())
        throw std::runtime_error(path + ": the checkpoint's model has " +
                                 std::to_string(saved.size()) + " parameters, this run's " +
                                 std::to_string(params.size()));
    for (std::size_t i = 0; i < params.size(); ++i) {
        if (saved[i].name != params[i].name ||
            !(saved[i].value->shape() == params[i].value->shape()))
            throw std::runtime_error(path + ": tensor '" + saved[i].name + "' " +
                                     saved[i].value->shape().to_string() + " does not fit '" +
                                     params[i].name + "' " + params[i].value->shape().to_string());
        params[i].value->copy_from(*saved[i].value);
    }

    FitState state;
    state.epochs_done = ck.epochs_done;
    state.history = ck.history;
    state.optimizer = make_optimizer<float>(config.optimizer, model.parameters());
    std::size_t used = 0;
    for (const NamedTensor<float>& t : state.optimizer->state()) {
        const std::string name = kOptimizerPrefix + t.name;
        const StoredTensor* s = find_state(ck.file.state_tensors, name);
        if (!s)
            throw std::runtime_error(path + ": tensor '" + name + "' is missing (the " +
                                     to_string(config.optimizer.kind) + " optimiser's state)");
        if (s->dtype() != DType::F32 || !(s->shape() == t.value->shape()))
            throw std::runtime_error(path + ": tensor '" + name + "' is " + dtype_name(s->dtype()) +
                                     " " + s->shape().to_string() + ", expected F32 " +
                                     t.value->shape().to_string());
        t.value->copy_from(std::get<Tensor<float>>(s->value));
        ++used;
    }
    std::vector<Tensor<float>> best;
    if (ck.best.epoch > 0)
        for (const Param<float>& p : params) {
            const std::string name = kBestPrefix + p.name;
            const StoredTensor* s = find_state(ck.file.state_tensors, name);
            if (!s) throw std::runtime_error(path + ": tensor '" + name + "' is missing");
            if (s->dtype() != DType::F32 || !(s->shape() == p.value->shape()))
                throw std::runtime_error(path + ": tensor '" + name + "' is " +
                                         dtype_name(s->dtype()) + " " + s->shape().to_string() +
                                         ", expected F32 " + p.value->shape().to_string());
            best.push_back(std::get<Tensor<float>>(s->value).clone());
            ++used;
        }
    if (used != ck.file.state_tensors.size())
        for (const StoredTensor& s : ck.file.state_tensors) {
            bool known = false;
            for (const NamedTensor<float>& t : state.optimizer->state())
                known = known || s.name == kOptimizerPrefix + t.name;
            for (const Param<float>& p : params) known = known || s.name == kBestPrefix + p.name;
            if (!known)
                throw std::runtime_error(path + ": unexpected tensor '" + s.name + "' for a " +
                                         to_string(config.optimizer.kind) + " run");
        }
    early.restore(ck.best, ck.wait, std::move(best));
    // A run that early stopping had ended stays ended, unless a larger patience reopens it.
    const std::size_t patience = config.early_stopping.patience;
    state.stopped = patience > 0 && ck.wait >= patience;
    return state;
}

}  // namespace ffnn
