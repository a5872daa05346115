// `ffnn eval` and `ffnn predict`: use a saved model on a CSV file.
//
// Both read the file with the model's own feature columns (in any order in the file) and, for
// eval, its class names: a label the model does not know is an error naming the line. The
// model's standardisation is applied before the forward pass.
#include <cstdio>
#include <iostream>
#include <sstream>

#include "commands.hpp"
#include "ffnn/io/atomic_file.hpp"
#include "ffnn/io/checkpoint.hpp"
#include "ffnn/io/csv.hpp"
#include "ffnn/train/metrics.hpp"

namespace ffnn::app {

namespace {

struct ModelAndData {
    Checkpoint ck;
    Dataset data;
};

ModelAndData load(const std::string& model_path, const std::string& data_path,
                  const std::string& label, bool label_required) {
    ModelAndData m{load_checkpoint(model_path), {}};
    CsvOptions opts;
    opts.label_column = label.empty() ? m.ck.label_column : label;
    opts.label_required = label_required;
    opts.class_names = m.ck.class_names;
    opts.feature_names = m.ck.feature_names;
    m.data = read_csv(data_path, opts);
    if (m.ck.standardizer.fitted()) m.ck.standardizer.transform(m.data.X);
    return m;
}

}  // namespace

Command add_eval(CLI::App& cmd) {
    auto model = std::make_shared<std::string>();
    auto data = std::make_shared<std::string>();
    auto label = std::make_shared<std::string>();
    cmd.add_option("--model", *model, "A model.safetensors written by ffnn train")
        ->required()
        ->check(CLI::ExistingFile);
    cmd.add_option("--data", *data, "Labelled CSV file with the model's feature columns")
        ->required()
        ->check(CLI::ExistingFile);
    cmd.add_option("--label", *label, "Label column (default: the one the model was trained with)");
    return [=]() -> int {
        ModelAndData m = load(*model, *data, *label, true);
        EvalResult r = m.ck.model.evaluate(m.data.X, m.data.labels);
        std::printf(
            "model %s (%s), data %s: %zu examples\n", model->c_str(),
            m.ck.metadata.count("architecture") ? m.ck.metadata.at("architecture").c_str() : "?",
            data->c_str(), r.n);
        std::printf("loss %.4f  accuracy %.4f (%zu of %zu)\n\n", r.loss, r.accuracy, r.correct,
                    r.n);
        ConfusionMatrix cm(m.ck.class_names.size());
        cm.add(m.data.labels, m.ck.model.predict(m.data.X));
        std::cout << cm.format(m.ck.class_names);
        return 0;
    };
}

Command add_predict(CLI::App& cmd) {
    auto model = std::make_shared<std::string>();
    auto data = std::make_shared<std::string>();
    auto out = std::make_shared<std::string>();
    auto label = std::make_shared<std::string>();
    cmd.add_option("--model", *model, "A model.safetensors written by ffnn train")
        ->required()
        ->check(CLI::ExistingFile);
    cmd.add_option("--data", *data,
                   "CSV file with the model's feature columns; a label column is optional")
        ->required()
        ->check(CLI::ExistingFile);
    cmd.add_option("--out", *out,
                   "Write the predictions to this CSV file (default: standard output)");
    cmd.add_option("--label", *label, "Label column, when the file has one under another name");
    return [=]() -> int {
        ModelAndData m = load(*model, *data, *label, false);
        std::vector<int> pred = m.ck.model.predict(m.data.X);             // (N)
        const Tensor<float>& probs = m.ck.model.predict_proba(m.data.X);  // (N, K)
        std::ostringstream s;
        s.precision(9);
        s << "row,predicted";
        if (m.data.has_labels()) s << ",label";
        for (const auto& c : m.ck.class_names) s << ",p_" << c;
        s << "\n";
        const std::size_t K = m.ck.class_names.size();
        for (std::size_t i = 0; i < pred.size(); ++i) {
            s << i << "," << m.ck.class_names[pred[i]];
            if (m.data.has_labels()) s << "," << m.ck.class_names[m.data.labels[i]];
            for (std::size_t k = 0; k < K; ++k) s << "," << probs(i, k);
            s << "\n";
        }
        if (out->empty()) {
            std::cout << s.str();
        } else {
            write_file_atomic(*out, s.str());
            std::cerr << "wrote " << pred.size() << " predictions to " << *out << "\n";
        }
        return 0;
    };
}

}  // namespace ffnn::app
