// Model checkpoints in safetensors; see checkpoint.hpp.
#include "ffnn/io/checkpoint.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "ffnn/io/atomic_file.hpp"
#include "ffnn/io/safetensors.hpp"
#include "ffnn/version.hpp"

namespace ffnn {

namespace {

constexpr const char* kFormat = "ffnn-classifier";
constexpr const char* kRegressorFormat = "ffnn-regressor";
constexpr const char* kTrainingFormat = "ffnn-training-checkpoint";
constexpr const char* kTrainingStatePrefixes[] = {"optimizer.", "best."};
constexpr const char* kTrainingStateKey = "training_state";
// Widest layer a checkpoint may declare: 2^24 units, 20,000 times the 784 inputs of
// Fashion-MNIST. The tensor shapes bound the real size; this bound keeps the arithmetic on
// the widths far from overflow (a 2^24 x 2^24 matrix is 2^48 elements).
constexpr std::size_t kMaxLayerWidth = std::size_t(1) << 24;
constexpr std::size_t kMaxLayerWidthDigits = 9;  // 16777216 has 8

std::vector<std::string> json_list(const std::string& file, const Metadata& meta,
                                   const std::string& key) {
    auto it = meta.find(key);
    if (it == meta.end()) throw std::runtime_error(file + ": metadata has no '" + key + "'");
    try {
        auto j = nlohmann::json::parse(it->second);
        std::vector<std::string> out;
        for (const auto& v : j) {
            if (v.is_string())
                out.push_back(v.get<std::string>());
            else if (v.is_number_unsigned())
                out.push_back(std::to_string(v.get<std::size_t>()));
            else
                throw std::runtime_error("element is neither a string nor a count");
        }
        if (!j.is_array()) throw std::runtime_error("not an array");
        return out;
    } catch (const std::exception& e) {
        throw std::runtime_error(file + ": metadata '" + key + "' must be a JSON array, got '" +
                                 it->second + "' (" + e.what() + ")");
    }
}

// Layer widths are written by save_checkpoint as JSON numbers; strings of digits are read
// too. Anything else (a sign, a space, "1e3", 0, more than kMaxLayerWidth) is rejected:
// std::stoul would take "-1" as 2^64 - 1.
std::size_t parse_layer_width(const std::string& file, const std::string& text, std::size_t i) {
    auto bad = [&](const std::string& why) {
        return std::runtime_error(file + ": metadata 'layer_sizes' entry " + std::to_string(i) +
                                  " is '" + text + "': " + why);
    };
    if (text.empty() || text.size() > kMaxLayerWidthDigits)
        throw bad("expected a positive integer of at most " + std::to_string(kMaxLayerWidth));
    std::size_t v = 0;
    for (char c : text) {
        if (c < '0' || c > '9') throw bad("expected digits only");
        v = v * 10 + static_cast<std::size_t>(c - '0');  // at most 9 digits: cannot overflow
    }
    if (v == 0 || v > kMaxLayerWidth)
        throw bad("expected a positive integer of at most " + std::to_string(kMaxLayerWidth));
    return v;
}

// Before any model is built from the metadata: the file must hold layers.<i>.W (D_i, H_i)
// and layers.<i>.b (H_i) for every layer the sizes describe. The model then allocates no
// more than the file itself holds (plus the same again for gradients): a 174-byte file can
// no longer ask for a 2^62-element or a 40 GB matrix.
void check_layer_tensors(const std::string& file, const SafetensorsFile& st,
                         const std::vector<std::size_t>& sizes) {
    auto require = [&](const std::string& name, const Shape& shape) {
        const StoredTensor* t = st.find(name);
        if (!t)
            throw std::runtime_error(file + ": tensor '" + name + "' is missing (layer_sizes " +
                                     "declares " + std::to_string(sizes.size() - 1) + " layers)");
        if (!(t->shape() == shape))
            throw std::runtime_error(file + ": tensor '" + name + "' is " + t->shape().to_string() +
                                     " but layer_sizes needs " + shape.to_string());
    };
    for (std::size_t i = 0; i + 1 < sizes.size(); ++i) {
        const std::string layer = "layers." + std::to_string(i);
        require(layer + ".W", Shape{sizes[i], sizes[i + 1]});
        require(layer + ".b", Shape{sizes[i + 1]});
    }
}

std::string meta_string(const std::string& file, const Metadata& meta, const std::string& key) {
    auto it = meta.find(key);
    if (it == meta.end()) throw std::runtime_error(file + ": metadata has no '" + key + "'");
    return it->second;
}

std::vector<std::string> activation_texts(const Model<float>& model) {
    std::vector<std::string> out;
    for (const ActivationSpec& a : model.layer_activations()) out.push_back(to_string(a));
    return out;
}

}  // namespace

namespace {

// The tensors and metadata of a model file (the parameters are views: no copy).
void model_contents(Model<float>& model, const Standardizer& standardizer,
                    const ModelOutputs& outputs, const std::vector<std::string>& feature_names,
                    const std::string& label_column,
                    const std::map<std::string, std::string>& extra,
                    std::vector<StoredTensor>& tensors, Metadata& meta) {
    const bool regression = outputs.task == ModelTask::Regression;
    if (outputs.names.size() != model.layer_sizes().back())
        throw std::invalid_argument("save_checkpoint: " + std::to_string(outputs.names.size()) +
                                    (regression ? " target" : " class") + " names for " +
                                    std::to_string(model.layer_sizes().back()) + " outputs");
    if (!regression && outputs.scales_targets())
        throw std::invalid_argument("save_checkpoint: a classifier has no target scaling");
    for (const Param<float>& p : model.parameters()) tensors.push_back({p.name, p.value->view()});
    if (standardizer.fitted()) {
        tensors.push_back({"standardize.mean", standardizer.mean().view()});
        tensors.push_back({"standardize.scale", standardizer.scale().view()});
    }
    if (outputs.scales_targets()) {
        tensors.push_back({"target.mean", outputs.target_standardizer->mean().view()});
        tensors.push_back({"target.scale", outputs.target_standardizer->scale().view()});
    }
    std::vector<std::size_t> sizes = model.layer_sizes();
    std::string arch;
    for (std::size_t s : sizes) {
        if (!arch.empty()) arch += '-';
        arch += std::to_string(s);
    }
    meta = Metadata{
        {"format", regression ? kRegressorFormat : kFormat},
        {"task", std::string(name_of<ModelTask>(kModelTaskNames, outputs.task))},
        {"ffnn_version", FFNN_VERSION},
        {"architecture", arch},
        {"layer_sizes", nlohmann::json(sizes).dump()},
        {"activations", nlohmann::json(activation_texts(model)).dump()},
        {"loss", model.loss().name()},
        {regression ? "target_names" : "class_names", nlohmann::json(outputs.names).dump()},
        {"feature_names", nlohmann::json(feature_names).dump()},
        {"label_column", label_column},
    };
    for (const auto& [k, v] : extra) {
        if (meta.count(k))
            throw std::invalid_argument("save_checkpoint: extra metadata reuses the key '" + k +
                                        "'");
        meta[k] = v;
    }
}

bool is_training_state_tensor(const std::string& name) {
    for (const char* prefix : kTrainingStatePrefixes)
        if (name.rfind(prefix, 0) == 0) return true;
    return false;
}

}  // namespace

void save_checkpoint(const std::string& path, Model<float>& model, const Standardizer& standardizer,
                     const ModelOutputs& outputs, const std::vector<std::string>& feature_names,
                     const std::string& label_column,
                     const std::map<std::string, std::string>& extra) {
    std::vector<StoredTensor> tensors;
    Metadata meta;
    model_contents(model, standardizer, outputs, feature_names, label_column, extra, tensors, meta);
    write_safetensors(path, tensors, meta);
}

void save_training_checkpoint(const std::string& path, Model<float>& model,
                              const Standardizer& standardizer, const ModelOutputs& outputs,
                              const std::vector<std::string>& feature_names,
                              const std::string& label_column,
                              std::vector<StoredTensor> state_tensors,
                              const std::string& training_state,
                              const std::map<std::string, std::string>& extra) {
    std::vector<StoredTensor> tensors;
    Metadata meta;
    model_contents(model, standardizer, outputs, feature_names, label_column, extra, tensors, meta);
    meta["format"] = kTrainingFormat;
    if (meta.count(kTrainingStateKey))
        throw std::invalid_argument(
            std::string("save_training_checkpoint: extra metadata reuses '") + kTrainingStateKey +
            "'");
    meta[kTrainingStateKey] = training_state;
    for (StoredTensor& t : state_tensors) {
        if (!is_training_state_tensor(t.name))
            throw std::invalid_argument("save_training_checkpoint: state tensor '" + t.name +
                                        "' must start with optimizer. or best.");
        tensors.push_back(std::move(t));
    }
    write_safetensors(path, tensors, meta);
}

Checkpoint load_checkpoint(const std::string& path) {
    return parse_checkpoint(read_file_bytes(path), path);
}

namespace {

// expected: kFormat for a model file (a classifier's or a regressor's), or kTrainingFormat.
void require_format(const std::string& path, const Metadata& meta, const char* expected) {
    std::string format = meta.count("format") ? meta.at("format") : "";
    if (format == expected) return;
    if (std::string(expected) == kFormat && format == kRegressorFormat) return;
    std::string hint;
    if (format == kTrainingFormat)
        hint =
            ": this is a training checkpoint; resume it with ffnn train --resume, or use the "
            "model.safetensors of its run";
    else if (std::string(expected) == kTrainingFormat &&
             (format == kFormat || format == kRegressorFormat))
        hint = ": this is a model file, not a training checkpoint (--init-from starts from one)";
    throw std::runtime_error(path + ": not an ffnn " +
                             (std::string(expected) == kFormat ? "model" : "training checkpoint") +
                             " (metadata 'format' is '" + format + "', expected '" +
                             (std::string(expected) == kFormat
                                  ? std::string(kFormat) + "' or '" + kRegressorFormat
                                  : std::string(expected)) +
                             "')" + hint);
}

// The model part of a file whose format was checked: every tensor of `file` must be one of
// the model's.
Checkpoint model_part(const SafetensorsFile& file, const std::string& path) {
    const Metadata& meta = file.metadata;
    std::vector<std::string> size_text = json_list(path, meta, "layer_sizes");
    std::vector<std::string> activations = json_list(path, meta, "activations");
    std::vector<std::size_t> sizes;
    for (std::size_t i = 0; i < size_text.size(); ++i)
        sizes.push_back(parse_layer_width(path, size_text[i], i));
    if (sizes.size() < 2 || activations.size() != sizes.size() - 1)
        throw std::runtime_error(path + ": metadata has " + std::to_string(sizes.size()) +
                                 " layer sizes and " + std::to_string(activations.size()) +
                                 " activations; expected one activation per layer");
    for (std::size_t i = 0; i + 1 < activations.size(); ++i)
        if (activations[i] != activations[0])
            throw std::runtime_error(
                path + ": hidden layers with different activations are not supported");
    if (activations.back() != "identity")
        throw std::runtime_error(path + ": the output layer must be linear (identity), got '" +
                                 activations.back() + "'");
    check_layer_tensors(path, file, sizes);

    ModelSpec spec;
    spec.n_inputs = sizes.front();
    spec.hidden.assign(sizes.begin() + 1, sizes.end() - 1);
    spec.n_classes = sizes.back();
    try {
        if (activations.size() > 1) spec.activation = parse_activation(activations[0]);
        if (meta.count("loss"))
            spec.loss = parse_name<LossKind>(kLossNames, meta.at("loss"), "loss");
    } catch (const std::invalid_argument& e) {
        throw std::runtime_error(path + ": metadata: " + e.what());
    }
    ModelTask task = ModelTask::Classification;
    if (auto it = meta.find("task"); it != meta.end()) {
        try {
            task = parse_name<ModelTask>(kModelTaskNames, it->second, "task");
        } catch (const std::invalid_argument& e) {
            throw std::runtime_error(path + ": metadata: " + e.what());
        }
    }
    const bool regression = task == ModelTask::Regression;
    const std::string format = meta.count("format") ? meta.at("format") : "";
    if ((format == kRegressorFormat) != regression && format != kTrainingFormat)
        throw std::runtime_error(path + ": metadata 'format' is '" + format + "' but 'task' is '" +
                                 std::string(name_of<ModelTask>(kModelTaskNames, task)) + "'");
    Checkpoint ck{Model<float>(spec), Standardizer(), task, {}, {}, Standardizer(), {}, {}, meta};

    // Every tensor the architecture needs, with the shape it implies, and nothing else.
    std::size_t expected = 0;
    for (Param<float>& p : ck.model.parameters()) {
        const StoredTensor* t = file.find(p.name);
        if (!t) throw std::runtime_error(path + ": tensor '" + p.name + "' is missing");
        if (!(t->shape() == p.value->shape()))
            throw std::runtime_error(path + ": tensor '" + p.name + "' is " +
                                     t->shape().to_string() + " but the architecture " +
                                     meta_string(path, meta, "architecture") + " needs " +
                                     p.value->shape().to_string());
        p.value->copy_from(t->as_float());
        ++expected;
    }
    const StoredTensor* mean = file.find("standardize.mean");
    const StoredTensor* scale = file.find("standardize.scale");
    if ((mean == nullptr) != (scale == nullptr))
        throw std::runtime_error(path +
                                 ": standardize.mean and standardize.scale must come together");
    if (mean) {
        Shape d{spec.n_inputs};
        if (!(mean->shape() == d) || !(scale->shape() == d))
            throw std::runtime_error(
                path + ": standardize.mean and .scale must be (" + std::to_string(spec.n_inputs) +
                "), got " + mean->shape().to_string() + " and " + scale->shape().to_string());
        ck.standardizer = Standardizer(mean->as_float(), scale->as_float());
        expected += 2;
    }
    const StoredTensor* target_mean = file.find("target.mean");
    const StoredTensor* target_scale = file.find("target.scale");
    if ((target_mean == nullptr) != (target_scale == nullptr))
        throw std::runtime_error(path + ": target.mean and target.scale must come together");
    if (target_mean) {
        if (!regression)
            throw std::runtime_error(path +
                                     ": target.mean and .scale belong to a regressor, and "
                                     "this file's task is classification");
        Shape t{spec.n_classes};
        if (!(target_mean->shape() == t) || !(target_scale->shape() == t))
            throw std::runtime_error(path + ": target.mean and .scale must be (" +
                                     std::to_string(spec.n_classes) + "), got " +
                                     target_mean->shape().to_string() + " and " +
                                     target_scale->shape().to_string());
        ck.target_standardizer = Standardizer(target_mean->as_float(), target_scale->as_float());
        expected += 2;
    }
    if (file.tensors.size() != expected) {
        for (const auto& t : file.tensors) {
            bool known = t.name == "standardize.mean" || t.name == "standardize.scale" ||
                         t.name == "target.mean" || t.name == "target.scale";
            for (const Param<float>& p : ck.model.parameters()) known = known || p.name == t.name;
            if (!known)
                throw std::runtime_error(path + ": unexpected tensor '" + t.name +
                                         "' for this architecture");
        }
    }
    std::vector<std::string>& names = regression ? ck.target_names : ck.class_names;
    names = json_list(path, meta, regression ? "target_names" : "class_names");
    ck.feature_names = json_list(path, meta, "feature_names");
    ck.label_column = meta.count("label_column") ? meta.at("label_column") : "";
    if (names.size() != spec.n_classes)
        throw std::runtime_error(path + ": " + std::to_string(names.size()) +
                                 (regression ? " target" : " class") + " names for " +
                                 std::to_string(spec.n_classes) + " outputs");
    if (ck.feature_names.size() != spec.n_inputs)
        throw std::runtime_error(path + ": " + std::to_string(ck.feature_names.size()) +
                                 " feature names for " + std::to_string(spec.n_inputs) + " inputs");
    return ck;
}

}  // namespace

// `path` names the file in messages; the bytes may come from anywhere (the fuzzer).
Checkpoint parse_checkpoint(std::string_view bytes, const std::string& path) {
    SafetensorsFile file = parse_safetensors(bytes, path);
    require_format(path, file.metadata, kFormat);
    return model_part(file, path);
}

TrainingCheckpointFile parse_training_checkpoint(std::string_view bytes, const std::string& path) {
    SafetensorsFile file = parse_safetensors(bytes, path);
    require_format(path, file.metadata, kTrainingFormat);
    auto state = file.metadata.find(kTrainingStateKey);
    if (state == file.metadata.end())
        throw std::runtime_error(path + ": metadata has no '" + kTrainingStateKey + "'");
    TrainingCheckpointFile out;
    out.training_state = state->second;
    // The state tensors out, the model's left for model_part to check strictly.
    std::vector<StoredTensor> model_tensors;
    for (StoredTensor& t : file.tensors)
        (is_training_state_tensor(t.name) ? out.state_tensors : model_tensors)
            .push_back(std::move(t));
    file.tensors = std::move(model_tensors);
    out.model = model_part(file, path);
    return out;
}

TrainingCheckpointFile load_training_checkpoint(const std::string& path) {
    return parse_training_checkpoint(read_file_bytes(path), path);
}

}  // namespace ffnn
