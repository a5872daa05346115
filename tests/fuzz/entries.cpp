// Fuzz entry points; see entries.hpp. Invariants a successful read must satisfy are checked
// with require(), which aborts (a finding) instead of throwing (a rejected input).
#include "entries.hpp"

#include <zlib.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "commands.hpp"
#include "ffnn/io/checkpoint.hpp"
#include "ffnn/io/csv.hpp"
#include "ffnn/io/idx.hpp"
#include "ffnn/io/predictor.hpp"
#include "ffnn/io/safetensors.hpp"
#include "ffnn/train/training_checkpoint.hpp"
#include "json_config.hpp"

namespace ffnn_fuzz {
namespace {

void require(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
        std::abort();
    }
}

// Several reader calls on the same bytes (option sets, plain and compressed): each may
// reject the input with a std::exception; if all do, the last one is rethrown, so the replay
// test can count the inputs that nothing accepts.
class Attempts {
  public:
    template <class F>
    void operator()(F&& f) {
        try {
            f();
            ++accepted_;
        } catch (const std::exception&) {
            last_ = std::current_exception();
        }
    }
    void rethrow_if_none_accepted() const {
        if (accepted_ == 0 && last_) std::rethrow_exception(last_);
    }

  private:
    int accepted_ = 0;
    std::exception_ptr last_;
};

void check_dataset(const ffnn::Dataset& d) {
    require(d.X.rank() == 2, "X is a matrix");
    require(d.feature_names.size() == d.X.cols(), "one feature name per column");
    require(d.ids.empty() || d.ids.size() == d.X.rows(), "one id per row");
    if (!d.labels.empty()) {
        require(d.labels.size() == d.X.rows(), "one label per row");
        std::size_t ignored = 0;
        for (int y : d.labels) {
            ignored += y == ffnn::kNoLabel ? 1 : 0;
            require(y == ffnn::kNoLabel ||
                        (y >= 0 && static_cast<std::size_t>(y) < d.class_names.size()),
                    "labels are class ids (or kNoLabel)");
        }
        require(ignored == d.ignored_labels, "ignored labels are counted");
    }
}

// The bytes gzip-compressed in memory (a gzip wrapper: windowBits 15 + 16).
std::string gzip(std::string_view bytes) {
    z_stream z{};
    require(deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK, "deflate");
    std::string out(deflateBound(&z, bytes.size()), '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
    z.avail_in = static_cast<uInt>(bytes.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    require(deflate(&z, Z_FINISH) == Z_STREAM_END, "deflate finishes");
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

}  // namespace

void run_csv(std::string_view bytes) {
    // ffnn train without --label (the last column), with --label, ffnn eval (a model's
    // classes and features) and ffnn predict (features only, labels if present).
    ffnn::CsvOptions train_default;
    ffnn::CsvOptions train_label;
    train_label.label_column = "label";
    ffnn::CsvOptions eval;
    eval.label_column = "label";
    eval.class_names = {"a", "b", "7"};
    eval.feature_names = {"f0", "f1"};
    ffnn::CsvOptions predict;
    predict.label_required = false;
    predict.class_names = {"a", "b", "7"};
    predict.feature_names = {"f1", "f0"};
    // The dialect options: a forced ';' with '#' comments, an ignored and an id column; and
    // predict's leniency towards empty or unknown labels.
    ffnn::CsvOptions dialect;
    dialect.delimiter = ';';
    dialect.comment = '#';
    dialect.ignore_columns = {"note"};
    dialect.id_column = "id";
    ffnn::CsvOptions predict_lenient = predict;
    predict_lenient.ignore_unknown_labels = true;
    predict_lenient.ignore_columns = {"note"};
    predict_lenient.id_column = "id";
    Attempts attempt;
    for (const ffnn::CsvOptions* opt :
         {&train_default, &train_label, &eval, &predict, &dialect, &predict_lenient})
        attempt([&] { check_dataset(ffnn::parse_csv(bytes, "fuzz.csv", *opt)); });
    attempt.rethrow_if_none_accepted();
}

void run_idx(std::string_view bytes) {
    auto check = [](const ffnn::IdxArray& a) {
        require(a.dims.size() >= 1 && a.dims.size() <= ffnn::kIdxMaxRank, "rank");
        require(a.data.size() == a.size(), "data fill the dimensions");
    };
    Attempts attempt;
    attempt([&] { check(ffnn::parse_idx(bytes, "fuzz.idx")); });
    attempt([&] { check(ffnn::parse_idx(gzip(bytes), "fuzz.idx.gz")); });
    attempt.rethrow_if_none_accepted();
}

void run_safetensors(std::string_view bytes) {
    ffnn::SafetensorsFile f = ffnn::parse_safetensors(bytes, "fuzz.safetensors");
    for (const ffnn::StoredTensor& t : f.tensors) {
        require(t.as_float().shape() == t.shape(), "as_float keeps the shape");
        require(t.as_double().shape() == t.shape(), "as_double keeps the shape");
    }
    // What was read writes back and reads again to the same tensors.
    const std::string again = ffnn::serialize_safetensors(f.tensors, f.metadata);
    ffnn::SafetensorsFile g = ffnn::parse_safetensors(again, "again.safetensors");
    require(g.tensors.size() == f.tensors.size(), "round trip keeps the tensors");
    require(g.metadata == f.metadata, "round trip keeps the metadata");
    for (std::size_t i = 0; i < f.tensors.size(); ++i) {
        require(g.tensors[i].name == f.tensors[i].name, "round trip keeps the names");
        require(g.tensors[i].shape() == f.tensors[i].shape(), "round trip keeps the shapes");
    }
}

void run_checkpoint(std::string_view bytes) {
    ffnn::Checkpoint ck = ffnn::parse_checkpoint(bytes, "fuzz.safetensors");
    const bool regression = ck.task == ffnn::ModelTask::Regression;
    require(regression ? ck.class_names.empty() : ck.target_names.empty(),
            "class names for a classifier, target names for a regressor");
    require(!ck.target_standardizer.fitted() || regression, "target scaling only in a regressor");
    const std::size_t d = ck.feature_names.size();
    const std::size_t k = regression ? ck.target_names.size() : ck.class_names.size();
    // A Predictor accepts what the reader accepted, and gives one output per class or target.
    ffnn::Predictor p(std::move(ck));
    const ffnn::Tensor<float> rows = ffnn::Tensor<float>::zeros({2, d});
    const ffnn::Tensor<float>& out = regression ? p.predict_values(rows) : p.predict_proba(rows);
    require(out.shape() == ffnn::Shape({2, k}), "one output per class or target");
}

void run_training_checkpoint(std::string_view bytes) {
    ffnn::RunCheckpoint ck = ffnn::parse_run_checkpoint(bytes, "fuzz.safetensors");
    const std::vector<std::size_t> sizes = ck.file.model.model.layer_sizes();
    ffnn::Model<float> model = ffnn::build_model(ck.config, sizes.front(), sizes.back());
    ffnn::EarlyStopping early(model, ck.config.early_stopping, ck.n_val > 0);
    ffnn::FitState state = ffnn::restore_training_state(ck, ck.config, model, early);
    require(state.epochs_done == state.history.size(), "one record per completed epoch");
}

void run_json_config(std::string_view bytes) {
    // The program's `train` subcommand with its real flags, as main.cpp builds it.
    CLI::App app{"ffnn"};
    app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    CLI::App* sub = app.add_subcommand("train");
    sub->option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    ffnn::app::Command run = ffnn::app::add_train(*sub);
    std::string unused;
    sub->add_option("--config", unused);
    std::vector<std::string> args = ffnn::app::json_config_arguments(bytes, "fuzz.json", *sub);
    require(args.empty() || args[0].rfind("--", 0) == 0, "arguments start with a flag");
    args.insert(args.begin(), {"ffnn", "train"});
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    app.parse(static_cast<int>(argv.size()), argv.data());  // never runs the command
}

}  // namespace ffnn_fuzz
