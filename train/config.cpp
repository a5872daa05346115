// The training configuration; see config.hpp.
#include "ffnn/train/config.hpp"

#include <charconv>
#include <cmath>
#include <filesystem>

#include "ffnn/io/csv.hpp"
#include "ffnn/nn/config_error.hpp"

namespace ffnn {

void DataConfig::validate() const {
    const char* d = "data";
    require_config(val_split >= 0 && val_split < 1, d, "val_split", "a fraction in [0, 1)",
                   val_split);
    require_config(test_split >= 0 && test_split < 1, d, "test_split", "a fraction in [0, 1)",
                   test_split);
    if (!(val_split + test_split < 1)) {
        std::string msg = "val_split + test_split must leave training data, got ";
        msg += format_number(val_split);
        msg += " + ";
        msg += format_number(test_split);
        throw ConfigError("data.val_split", msg);
    }
    if (regression()) {
        if (csv.empty())
            throw ConfigError("data.task",
                              "regression needs a CSV file of numeric columns (--data); " +
                                  to_string(dataset) + " is a classification data set");
        (void)target_columns();
    } else if (label.find(',') != std::string::npos) {
        throw ConfigError("data.label", "several label columns ('" + label +
                                            "') are regression targets: add --task regression");
    }
}

std::vector<std::string> DataConfig::target_columns() const {
    std::vector<std::string> out;
    if (label.empty()) return out;
    std::size_t start = 0;
    while (start <= label.size()) {
        const std::size_t comma = std::min(label.find(',', start), label.size());
        const std::string name = label.substr(start, comma - start);
        const auto b = name.find_first_not_of(" \t");
        if (b == std::string::npos)
            throw ConfigError("data.label", "empty column name in '" + label + "'");
        const auto e = name.find_last_not_of(" \t");
        out.push_back(name.substr(b, e - b + 1));
        for (std::size_t i = 0; i + 1 < out.size(); ++i)
            if (out[i] == out.back())
                throw ConfigError("data.label",
                                  "target column '" + out.back() + "' is named twice");
        start = comma + 1;
    }
    return out;
}

std::string DataConfig::name() const {
    if (!csv.empty()) return std::filesystem::path(csv).stem().string();
    return to_string(dataset);
}

void EarlyStoppingConfig::validate() const {
    require_config(std::isfinite(min_delta) && min_delta >= 0, "early_stopping", "min_delta",
                   "non-negative and finite", min_delta);
}

Monitor EarlyStoppingConfig::resolved_monitor(bool has_validation) const {
    if (monitor == Monitor::Auto) return has_validation ? Monitor::ValLoss : Monitor::TrainLoss;
    if (!has_validation && monitor != Monitor::TrainLoss)
        throw ConfigError("early_stopping.monitor",
                          to_string(monitor) +
                              " needs a validation part, and this run has none (a positive "
                              "--val-split gives one; train_loss needs none)");
    return monitor;
}

ModelSpec TrainConfig::default_model() {
    ModelSpec m;
    m.hidden = {16};
    m.activation = ActivationKind::ReLU;
    return m;
}

OptimizerConfig TrainConfig::default_optimizer() {
    OptimizerConfig o;
    o.kind = OptimizerKind::SGD;
    o.lr = 0.05;
    o.momentum = 0.9;
    return o;
}

ScheduleConfig TrainConfig::default_schedule() {
    ScheduleConfig s;
    s.step_size = 30;
    s.t_max = 0;  // cosine: the number of epochs
    return s;
}

void TrainConfig::validate() const {
    data.validate();
    model.validate();
    optimizer.validate();
    schedule.validate();
    early_stopping.validate();
    const char* t = "train";
    require_config(batch_size > 0, t, "batch_size", "positive", double(batch_size));
    require_config(epochs > 0, t, "epochs", "at least 1", double(epochs));
    require_config(threads >= 0, t, "threads", "0 (every core) or a positive count", threads);
    require_config(shards <= batch_size, t, "shards",
                   "at most batch_size (0: one per " + std::to_string(kRowsPerShard) + " rows)",
                   double(shards));
    if (data.regression()) {
        if (!class_weight.empty() && class_weight != "none")
            throw ConfigError("class_weight",
                              "class weights are for classification; a regression run has no "
                              "classes (leave --class-weight out)");
        if (early_stopping.monitor == Monitor::ValAccuracy)
            throw ConfigError("early_stopping.monitor",
                              "val_accuracy is a classification metric; a regression run "
                              "monitors val_loss or train_loss");
    }
}

std::size_t TrainConfig::shard_count() const {
    return shards ? shards : default_shards(batch_size);
}

nlohmann::json TrainConfig::to_json() const {
    nlohmann::json j{{"dataset", to_string(data.dataset)},
                     {"data", data.csv},
                     {"label", data.label},
                     {"val_split", data.val_split},
                     {"test_split", data.test_split},
                     {"standardize", data.standardize},
                     {"standardize_targets", data.standardize_targets},
                     {"task", std::string(name_of<LabelTask>(kLabelTaskNames, data.task))},
                     {"delimiter", delimiter_text(data.delimiter)},
                     {"comment", comment_text(data.comment)},
                     {"ignore_columns", data.ignore_columns},
                     {"id_column", data.id_column},
                     {"hidden", model.hidden},
                     {"activation", to_string(model.activation)},
                     {"init", to_string(model.init)},
                     {"optimizer", to_string(optimizer.kind)},
                     {"lr", optimizer.lr},
                     {"momentum", optimizer.momentum},
                     {"nesterov", optimizer.nesterov},
                     {"weight_decay", optimizer.weight_decay},
                     {"beta1", optimizer.beta1},
                     {"beta2", optimizer.beta2},
                     {"eps", optimizer.eps},
                     {"clip_norm", optimizer.clip_norm},
                     {"schedule", to_string(schedule.kind)},
                     {"gamma", schedule.gamma},
                     {"step_size", schedule.step_size},
                     {"batch_size", batch_size},
                     {"epochs", epochs},
                     {"seed", seed},
                     {"threads", threads},
                     {"shards", shard_count()},
                     {"reduce", to_string(reduce)},
                     {"monitor", to_string(early_stopping.monitor)},
                     {"patience", early_stopping.patience},
                     {"min_delta", early_stopping.min_delta},
                     {"class_weight", class_weight.empty() ? std::string("none") : class_weight}};
    if (early_stopping.restore_best) j["restore_best"] = *early_stopping.restore_best;
    return j;
}

namespace {

// Reads the values of one flat configuration object, each checked for its JSON type.
class JsonFields {
  public:
    explicit JsonFields(const nlohmann::json& j) : j_(j) {
        if (!j.is_object()) throw ConfigError("config", "a configuration must be a JSON object");
    }
    ConfigError bad(const std::string& key, const std::string& what) const {
        return ConfigError("config." + key, "configuration key '" + key + "': expected " + what +
                                                ", got " + j_.at(key).dump());
    }
    bool has(const std::string& key) const { return j_.contains(key); }
    template <class F>
    void text(const std::string& key, F&& use) const {
        if (!has(key)) return;
        if (!j_.at(key).is_string()) throw bad(key, "a string");
        try {
            use(j_.at(key).get<std::string>());
        } catch (const std::invalid_argument& e) {
            throw ConfigError("config." + key, "configuration key '" + key + "': " + e.what());
        }
    }
    void number(const std::string& key, double& out) const {
        if (!has(key)) return;
        if (!j_.at(key).is_number()) throw bad(key, "a number");
        out = j_.at(key).get<double>();
    }
    template <class U>
    void count(const std::string& key, U& out) const {
        if (!has(key)) return;
        if (!j_.at(key).is_number_unsigned()) throw bad(key, "a non-negative integer");
        out = j_.at(key).get<U>();
    }
    void integer(const std::string& key, int& out) const {
        if (!has(key)) return;
        const nlohmann::json& v = j_.at(key);
        if (!v.is_number_integer() || v.get<long long>() < -(1ll << 30) ||
            v.get<long long>() > (1ll << 30))
            throw bad(key, "an integer");
        out = v.get<int>();
    }
    void flag(const std::string& key, bool& out) const {
        if (!has(key)) return;
        if (!j_.at(key).is_boolean()) throw bad(key, "true or false");
        out = j_.at(key).get<bool>();
    }

  private:
    const nlohmann::json& j_;
};

}  // namespace

TrainConfig TrainConfig::from_json(const nlohmann::json& j) {
    static const char* const kKeys[] = {"dataset",      "data",
                                        "label",        "val_split",
                                        "test_split",   "standardize",
                                        "task",         "hidden",
                                        "activation",   "init",
                                        "optimizer",    "lr",
                                        "momentum",     "nesterov",
                                        "weight_decay", "beta1",
                                        "beta2",        "eps",
                                        "clip_norm",    "schedule",
                                        "gamma",        "step_size",
                                        "batch_size",   "epochs",
                                        "seed",         "threads",
                                        "monitor",      "patience",
                                        "min_delta",    "restore_best",
                                        "class_weight", "delimiter",
                                        "comment",      "ignore_columns",
                                        "id_column",    "shards",
                                        "reduce",       "standardize_targets"};
    JsonFields f(j);
    for (auto it = j.begin(); it != j.end(); ++it) {
        bool known = false;
        for (const char* k : kKeys) known = known || it.key() == k;
        if (!known)
            throw ConfigError("config." + it.key(),
                              "configuration key '" + it.key() + "' is not a training setting");
    }
    TrainConfig c;
    DataConfig& d = c.data;
    f.text("dataset", [&](const std::string& t) {
        d.dataset = parse_name<NamedDataset>(kDatasetNames, t, "data set");
    });
    f.text("data", [&](const std::string& t) { d.csv = t; });
    f.text("label", [&](const std::string& t) { d.label = t; });
    f.number("val_split", d.val_split);
    f.number("test_split", d.test_split);
    f.flag("standardize", d.standardize);
    f.flag("standardize_targets", d.standardize_targets);
    f.text("task", [&](const std::string& t) {
        d.task = parse_name<LabelTask>(kLabelTaskNames, t, "task");
    });
    f.text("delimiter", [&](const std::string& t) { d.delimiter = parse_delimiter(t); });
    f.text("comment", [&](const std::string& t) { d.comment = parse_comment(t); });
    if (f.has("ignore_columns")) {
        const nlohmann::json& cols = j.at("ignore_columns");
        if (!cols.is_array()) throw f.bad("ignore_columns", "an array of column names");
        d.ignore_columns.clear();
        for (const auto& name : cols) {
            if (!name.is_string() || name.get<std::string>().empty())
                throw f.bad("ignore_columns", "an array of column names");
            d.ignore_columns.push_back(name.get<std::string>());
        }
    }
    f.text("id_column", [&](const std::string& t) { d.id_column = t; });
    if (f.has("hidden")) {
        const nlohmann::json& h = j.at("hidden");
        if (!h.is_array()) throw f.bad("hidden", "an array of layer widths");
        c.model.hidden.clear();
        for (const auto& w : h) {
            if (!w.is_number_unsigned() || w.get<std::size_t>() == 0)
                throw f.bad("hidden", "an array of positive layer widths");
            c.model.hidden.push_back(w.get<std::size_t>());
        }
    }
    f.text("activation", [&](const std::string& t) { c.model.activation = parse_activation(t); });
    f.text("init", [&](const std::string& t) { c.model.init = parse_init(t); });
    OptimizerConfig& o = c.optimizer;
    f.text("optimizer", [&](const std::string& t) {
        o.kind = parse_name<OptimizerKind>(kOptimizerNames, t, "optimizer");
    });
    // SGD's momentum default is not an Adam setting (as on the command line).
    if (o.kind != OptimizerKind::SGD) o.momentum = 0.0;
    f.number("lr", o.lr);
    f.number("momentum", o.momentum);
    f.flag("nesterov", o.nesterov);
    f.number("weight_decay", o.weight_decay);
    f.number("beta1", o.beta1);
    f.number("beta2", o.beta2);
    f.number("eps", o.eps);
    f.number("clip_norm", o.clip_norm);
    ScheduleConfig& s = c.schedule;
    f.text("schedule", [&](const std::string& t) {
        s.kind = parse_name<ScheduleKind>(kScheduleNames, t, "schedule");
    });
    f.number("gamma", s.gamma);
    f.count("step_size", s.step_size);
    f.count("batch_size", c.batch_size);
    f.count("epochs", c.epochs);
    f.count("seed", c.seed);
    f.integer("threads", c.threads);
    f.count("shards", c.shards);
    f.text("reduce", [&](const std::string& t) {
        c.reduce = parse_name<ReduceKind>(kReduceNames, t, "reduce");
    });
    EarlyStoppingConfig& es = c.early_stopping;
    f.text("monitor", [&](const std::string& t) {
        es.monitor = parse_name<Monitor>(kMonitorNames, t, "monitor");
    });
    f.count("patience", es.patience);
    f.number("min_delta", es.min_delta);
    f.text("class_weight", [&](const std::string& t) { c.class_weight = t == "none" ? "" : t; });
    if (f.has("restore_best")) {
        bool b = false;
        f.flag("restore_best", b);
        es.restore_best = b;
    }
    c.validate();
    return c;
}

std::vector<std::size_t> parse_hidden(const std::string& text) {
    std::vector<std::size_t> out;
    if (text.empty() || text == "none") return out;  // no hidden layer: a linear classifier
    std::size_t pos = 0;
    while (pos <= text.size()) {
        std::size_t end = text.find_first_of(",x", pos);
        if (end == std::string::npos) end = text.size();
        std::string part = text.substr(pos, end - pos);
        std::size_t v = 0;
        auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
        if (part.empty() || ec != std::errc() || p != part.data() + part.size() || v == 0)
            throw std::invalid_argument(
                "expected positive layer widths separated by commas "
                "(for example 64,32), got '" +
                text + "'");
        out.push_back(v);
        pos = end + 1;
    }
    return out;
}

std::string hidden_label(const std::vector<std::size_t>& hidden) {
    if (hidden.empty()) return "none";
    std::string s;
    for (std::size_t w : hidden) {
        if (!s.empty()) s += 'x';
        s += std::to_string(w);
    }
    return s;
}
}  // namespace ffnn
