// `ffnn eval` and `ffnn predict`: use a saved model on a CSV file.
//
// Both read the file with the model's own feature columns (in any order in the file) and, for
// eval, its class names: a label the model does not know is an error naming the line. The
// model's standardisation is applied before the forward pass. A regressor's file has numbers
// in every column; eval needs its target columns, predict writes them beside the predicted
// values when they are there.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "commands.hpp"
#include "ffnn/io/atomic_file.hpp"
#include "ffnn/io/checkpoint.hpp"
#include "ffnn/io/csv.hpp"
#include "ffnn/io/predictor.hpp"
#include "ffnn/train/config.hpp"
#include "ffnn/train/metrics.hpp"
#include "ffnn/train/regression_metrics.hpp"

namespace ffnn::app {

namespace {

// The flags eval and predict share besides --model and --data.
struct DataFlags {
    std::string label;
    char delimiter = 0, comment = 0;
    std::vector<std::string> ignore_columns;
    std::string id_column;
};

void add_data_flags(CLI::App& cmd, DataFlags& f, const char* label_help) {
    cmd.add_option("--label", f.label, label_help);
    add_csv_flags(cmd, f.delimiter, f.comment, f.ignore_columns, f.id_column);
}

// --data: an existing file, or - for standard input.
CLI::Option* add_data_option(CLI::App& cmd, std::string& data, const char* help) {
    return cmd.add_option("--data", data, help)
        ->required()
        ->check(
            [](const std::string& path) {
                return path == "-" ? std::string() : CLI::ExistingFile(path);
            },
            "FILE or -");
}

// The columns to pass over: the flags', or else those the model was trained without (its
// metadata ignore_columns and id_column, each when the file has it).
void model_columns(const Checkpoint& ck, const DataFlags& f, CsvOptions& opts) {
    opts.ignore_columns = f.ignore_columns;
    opts.id_column = f.id_column;
    const auto& meta = ck.metadata;
    if (f.ignore_columns.empty())
        if (auto it = meta.find("ignore_columns"); it != meta.end()) {
            const nlohmann::json j = nlohmann::json::parse(it->second, nullptr, false);
            if (j.is_array())
                for (const auto& c : j)
                    if (c.is_string()) opts.ignore_if_present.push_back(c.get<std::string>());
        }
    if (f.id_column.empty())
        if (auto it = meta.find("id_column"); it != meta.end() && !it->second.empty()) {
            opts.id_column = it->second;
            opts.id_column_optional = true;
        }
}

// The data file read with the model's own feature columns and class names. For prediction
// (labels not required) an empty or unknown label is ignored, not an error.
Dataset read_for_model(const Checkpoint& ck, const std::string& data_path, const DataFlags& f,
                       bool label_required) {
    CsvOptions opts;
    opts.label_column = f.label.empty() ? ck.label_column : f.label;
    opts.label_required = label_required;
    opts.class_names = ck.class_names;
    opts.feature_names = ck.feature_names;
    opts.delimiter = f.delimiter;
    opts.comment = f.comment;
    model_columns(ck, f, opts);
    opts.ignore_unknown_labels = !label_required;
    return read_csv(data_path, opts);
}

// A regressor's data file: every column a number. The target columns (the model's names, or
// --label y1,y2 for the same targets under other names) are read for eval, which needs them,
// and passed over by predict, which does not (an empty or odd target value does not stop a
// prediction); then the model's inputs are kept in its order.
Dataset read_for_regressor(const Checkpoint& ck, const std::string& data_path, const DataFlags& f,
                           bool for_eval) {
    std::vector<std::string> names = ck.target_names;
    if (!f.label.empty()) {
        DataConfig dc;
        dc.label = f.label;
        names = dc.target_columns();
        if (names.size() != ck.target_names.size())
            throw std::runtime_error(
                "--label names " + count_of(names.size(), "column", "columns") +
                "; the model predicts " + count_of(ck.target_names.size(), "target", "targets"));
    }
    CsvOptions opts;
    opts.label_required = false;
    opts.delimiter = f.delimiter;
    opts.comment = f.comment;
    model_columns(ck, f, opts);
    if (!for_eval)
        opts.ignore_if_present.insert(opts.ignore_if_present.end(), names.begin(), names.end());
    Dataset d = read_csv(data_path, opts);
    if (for_eval) {
        try {
            take_target_columns(d, names);
        } catch (const std::invalid_argument& e) {
            throw std::runtime_error(e.what());
        }
    }
    select_features(d, ck.feature_names);
    return d;
}

std::string format_loss(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4f", v);
    return buf;
}

// Rows with a non-finite value in (N, T): their count, and the first one's index.
std::pair<std::size_t, std::size_t> non_finite_rows(const Tensor<float>& values) {
    std::size_t count = 0, first = 0;
    for (std::size_t i = 0; i < values.rows(); ++i) {
        bool finite = true;
        for (std::size_t t = 0; t < values.cols(); ++t)
            finite = finite && std::isfinite(values(i, t));
        if (!finite && count++ == 0) first = i;
    }
    return {count, first};
}

// What to tell a person when `count` of `n` rows gave non-finite outputs (first: `first_row`,
// 0-based data row): the count, and which of the two causes it is.
std::string non_finite_note(std::size_t count, std::size_t n, std::size_t first_row,
                            bool weights_finite) {
    return "warning: " + std::to_string(count) + " of " + std::to_string(n) +
           " rows gave non-finite outputs (NaN or inf; the first is data row " +
           std::to_string(first_row) + ", counted from 0 as predict's row column does) and " +
           (count == 1 ? "has" : "have") + " no prediction: " +
           (weights_finite ? "the model's weights are finite, so those rows' feature values are "
                             "too far outside the training data's range (the products overflow)"
                           : "the model's weights are not all finite (a diverged training run?)") +
           "\n";
}

}  // namespace

Command add_eval(CLI::App& cmd) {
    auto model = std::make_shared<std::string>();
    auto data = std::make_shared<std::string>();
    auto flags = std::make_shared<DataFlags>();
    cmd.add_option("--model", *model, "A model.safetensors written by ffnn train")
        ->required()
        ->check(CLI::ExistingFile);
    add_data_option(cmd, *data,
                    "Labelled CSV file with the model's feature columns (- reads "
                    "standard input)");
    add_data_flags(cmd, *flags, "Label column (default: the one the model was trained with)");
    auto confusion = std::make_shared<std::string>();
    cmd.add_option("--confusion", *confusion,
                   "Write the confusion matrix and per-class table to this file (the terminal "
                   "then gets a summary; automatic above 20 classes)");
    return [=]() -> int {
        struct {
            Checkpoint ck;
            Dataset data;
        } m{load_checkpoint(*model), {}};
        const char* arch =
            m.ck.metadata.count("architecture") ? m.ck.metadata.at("architecture").c_str() : "?";
        if (m.ck.task == ModelTask::Regression) {
            if (!confusion->empty())
                throw std::runtime_error("--confusion: " + *model +
                                         " is a regressor; a confusion matrix needs classes");
            m.data = read_for_regressor(m.ck, *data, *flags, true);
            if (m.ck.standardizer.fitted()) m.ck.standardizer.transform(m.data.X);
            Tensor<float> targets = m.data.targets.clone();  // (N, T) in the network's units
            if (m.ck.target_standardizer.fitted()) m.ck.target_standardizer.transform(targets);
            const RegressionEval r =
                evaluate_regression(m.ck.model, m.data.X, targets, m.ck.target_standardizer);
            std::printf("model %s (%s, regression), data %s: %s\n", model->c_str(), arch,
                        data->c_str(), count_of(m.data.size(), "example", "examples").c_str());
            if (m.data.size() == 0) return 0;
            std::cout << format_target_metrics(r.metrics.mean)
                      << (m.ck.target_names.size() > 1 ? " (mean of the targets)" : "")
                      << (m.ck.target_standardizer.fitted()
                              ? "  (loss " + format_loss(r.loss) + " on the standardised targets)"
                              : std::string())
                      << "\n";
            if (r.metrics.per_target.size() > 1)
                for (std::size_t t = 0; t < r.metrics.per_target.size(); ++t)
                    std::cout << "  " << m.ck.target_names[t] << ": "
                              << format_target_metrics(r.metrics.per_target[t]) << "\n";
            // Counted in the targets' units: undoing the scaling can overflow too.
            const auto [count, first] =
                non_finite_rows(predict_values(m.ck.model, m.data.X, m.ck.target_standardizer));
            if (count > 0)
                std::cerr << non_finite_note(count, m.data.size(), first,
                                             weights_finite(m.ck.model));
            return 0;
        }
        m.data = read_for_model(m.ck, *data, *flags, true);
        if (m.ck.standardizer.fitted()) m.ck.standardizer.transform(m.data.X);
        EvalResult r = m.ck.model.evaluate(m.data.X, m.data.labels);
        std::printf("model %s (%s), data %s: %s\n", model->c_str(), arch, data->c_str(),
                    count_of(r.n, "example", "examples").c_str());
        std::printf("loss %.4f  accuracy %.4f (%zu of %zu)\n\n", r.loss, r.accuracy, r.correct,
                    r.n);
        ConfusionMatrix cm(m.ck.class_names.size());
        const std::vector<int> predicted = m.ck.model.predict(m.data.X);
        cm.add(m.data.labels, predicted);
        if (r.non_finite > 0) {
            const auto first =
                std::find(predicted.begin(), predicted.end(), Model<float>::kNoPrediction) -
                predicted.begin();
            std::cerr << non_finite_note(r.non_finite, r.n, std::size_t(first),
                                         weights_finite(m.ck.model));
        }
        if (cm.num_classes() <= ConfusionMatrix::kMaxPrintedClasses && confusion->empty()) {
            std::cout << cm.format(m.ck.class_names);
        } else {
            std::cout << cm.format_summary(m.ck.class_names);
            if (!confusion->empty()) {
                write_file_atomic(*confusion, cm.format(m.ck.class_names));
                std::cout << "full matrix in " << *confusion << "\n";
            } else {
                std::cout << "(" << cm.num_classes()
                          << " classes: add --confusion FILE for the full matrix)\n";
            }
        }
        return 0;
    };
}

Command add_predict(CLI::App& cmd) {
    auto model = std::make_shared<std::string>();
    auto data = std::make_shared<std::string>();
    auto out = std::make_shared<std::string>();
    auto flags = std::make_shared<DataFlags>();
    cmd.add_option("--model", *model, "A model.safetensors written by ffnn train")
        ->required()
        ->check(CLI::ExistingFile);
    add_data_option(cmd, *data,
                    "CSV file with the model's feature columns; a label column is optional (- "
                    "reads standard input)");
    cmd.add_option("--out", *out,
                   "Write the predictions to this CSV file (default: standard output)");
    add_data_flags(cmd, *flags, "Label column, when the file has one under another name");
    return [=]() -> int {
        Predictor predictor = Predictor::load(*model);
        if (predictor.regression()) {
            const Dataset rows = read_for_regressor(predictor.checkpoint(), *data, *flags, false);
            const Tensor<float>& values = predictor.predict_values(rows.X);  // (N, T)
            const std::vector<std::string>& targets = predictor.target_names();
            std::ostringstream s;
            s.precision(9);
            const bool ids = !rows.ids.empty();
            s << (ids ? csv_field(rows.id_column) : std::string("row"));
            for (const std::string& t : targets) s << "," << csv_field("predicted_" + t);
            s << "\n";
            for (std::size_t i = 0; i < rows.size(); ++i) {
                if (ids)
                    s << csv_field(rows.ids[i]);
                else
                    s << i;
                // A value that is not finite is left empty, as a classifier's missing class.
                for (std::size_t t = 0; t < values.cols(); ++t) {
                    s << ",";
                    if (std::isfinite(values(i, t))) s << values(i, t);
                }
                s << "\n";
            }
            if (const auto [count, first] = non_finite_rows(values); count > 0)
                std::cerr << non_finite_note(count, rows.size(), first, predictor.weights_finite());
            if (out->empty()) {
                std::cout << s.str();
            } else {
                write_file_atomic(*out, s.str());
                std::cerr << "wrote " << count_of(rows.size(), "prediction", "predictions")
                          << " to " << *out << "\n";
            }
            return 0;
        }
        const Dataset rows = read_for_model(predictor.checkpoint(), *data, *flags, false);
        if (rows.ignored_labels > 0)
            std::cerr << "note: " << rows.ignored_labels << " of " << rows.size()
                      << " rows have an empty label or one the model does not know; they are "
                         "predicted all the same (the label column is left empty for them)\n";
        const std::vector<Prediction> pred = predictor.predict(rows.X);  // (N), raw rows
        const std::vector<std::string>& classes = predictor.class_names();
        std::ostringstream s;
        s.precision(9);
        const bool ids = !rows.ids.empty();
        s << (ids ? csv_field(rows.id_column) : std::string("row")) << ",predicted";
        if (rows.has_labels()) s << ",label";
        for (const auto& c : classes) s << "," << csv_field("p_" + c);
        s << "\n";
        std::size_t non_finite = 0, first_non_finite = 0;
        for (std::size_t i = 0; i < pred.size(); ++i) {
            if (!pred[i].finite() && non_finite++ == 0) first_non_finite = i;
            if (ids)
                s << csv_field(rows.ids[i]);
            else
                s << i;
            s << "," << csv_field(pred[i].class_name);  // empty when there is no prediction
            if (rows.has_labels())
                s << "," << (rows.labels[i] == kNoLabel ? "" : csv_field(classes[rows.labels[i]]));
            for (float p : pred[i].probabilities) s << "," << p;
            s << "\n";
        }
        if (non_finite > 0) {
            std::cerr << non_finite_note(non_finite, pred.size(), first_non_finite,
                                         predictor.weights_finite());
        }
        if (out->empty()) {
            std::cout << s.str();
        } else {
            write_file_atomic(*out, s.str());
            std::cerr << "wrote " << count_of(pred.size(), "prediction", "predictions") << " to "
                      << *out << "\n";
        }
        return 0;
    };
}

}  // namespace ffnn::app
