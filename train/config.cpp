// The training configuration; see config.hpp.
#include "ffnn/train/config.hpp"

#include <charconv>
#include <cmath>
#include <filesystem>

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
}

std::string DataConfig::name() const {
    if (!csv.empty()) return std::filesystem::path(csv).stem().string();
    return to_string(dataset);
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
    const char* t = "train";
    require_config(batch_size > 0, t, "batch_size", "positive", double(batch_size));
    require_config(epochs > 0, t, "epochs", "at least 1", double(epochs));
    require_config(threads >= 0, t, "threads", "0 (every core) or a positive count", threads);
    require_config(shards <= batch_size, t, "shards",
                   "at most batch_size (0: one per " + std::to_string(kRowsPerShard) + " rows)",
                   double(shards));
}

std::size_t TrainConfig::shard_count() const {
    return shards ? shards : default_shards(batch_size);
}

nlohmann::json TrainConfig::to_json() const {
    return nlohmann::json{{"dataset", to_string(data.dataset)},
                          {"data", data.csv},
                          {"label", data.label},
                          {"val_split", data.val_split},
                          {"test_split", data.test_split},
                          {"standardize", data.standardize},
                          {"task", std::string(name_of<LabelTask>(kLabelTaskNames, data.task))},
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
                          {"reduce", to_string(reduce)}};
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
