// Dataset checks and row selection, pixel scaling and the Fashion-MNIST loader.
#include "ffnn/io/dataset.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "ffnn/io/idx.hpp"

namespace ffnn {

void check_dataset(const Dataset& data, const std::string& what) {
    if (data.X.rank() != 2)
        throw std::invalid_argument(what + ": X must be (N, D), got shape " +
                                    data.X.shape().to_string());
    const std::size_t n = data.X.rows(), d = data.X.cols();
    if (!data.labels.empty() && data.labels.size() != n)
        throw std::invalid_argument(what + ": " + std::to_string(data.labels.size()) +
                                    " labels for " + std::to_string(n) + " rows");
    if (data.has_targets() && (data.targets.rank() != 2 || data.targets.rows() != n ||
                               data.targets.cols() != data.target_names.size()))
        throw std::invalid_argument(what + ": targets of shape " +
                                    data.targets.shape().to_string() + " for " + std::to_string(n) +
                                    " rows and " + std::to_string(data.target_names.size()) +
                                    " target names");
    if (!data.ids.empty() && data.ids.size() != n)
        throw std::invalid_argument(what + ": " + std::to_string(data.ids.size()) + " ids for " +
                                    std::to_string(n) + " rows");
    if (!data.feature_names.empty() && data.feature_names.size() != d)
        throw std::invalid_argument(what + ": " + std::to_string(data.feature_names.size()) +
                                    " feature names for " + std::to_string(d) + " columns");
    const int k = static_cast<int>(data.class_names.size());
    for (std::size_t i = 0; i < data.labels.size(); ++i)
        if (data.labels[i] < 0 || data.labels[i] >= k)
            throw std::invalid_argument(what + ": label " + std::to_string(data.labels[i]) +
                                        " of row " + std::to_string(i) +
                                        " is not a class id in [0, " + std::to_string(k) + ")");
}

void take_target_columns(Dataset& data, const std::vector<std::string>& names) {
    check_dataset(data, "take_target_columns");
    if (names.empty()) throw std::invalid_argument("take_target_columns: no target columns given");
    const std::size_t n = data.size(), d = data.num_features();
    std::vector<bool> is_target(d, false);
    std::vector<std::size_t> target_cols;  // feature index of target t
    for (const std::string& name : names) {
        const auto it = std::find(data.feature_names.begin(), data.feature_names.end(), name);
        if (it == data.feature_names.end()) {
            std::string all;
            for (const std::string& f : data.feature_names) all += (all.empty() ? "" : ", ") + f;
            throw std::invalid_argument(data.source + ": no numeric column '" + name +
                                        "' for the target (columns: " + all + ")");
        }
        const std::size_t j = static_cast<std::size_t>(it - data.feature_names.begin());
        if (is_target[j])
            throw std::invalid_argument(data.source + ": target column '" + name +
                                        "' is named twice");
        is_target[j] = true;
        target_cols.push_back(j);
    }
    if (target_cols.size() == d)
        throw std::invalid_argument(data.source + ": every column is a target; no feature is left");
    std::vector<std::size_t> feature_cols;
    for (std::size_t j = 0; j < d; ++j)
        if (!is_target[j]) feature_cols.push_back(j);
    // X (N, D) -> features (N, D - T) and targets (N, T), column by column in row order.
    Tensor<float> X = Tensor<float>::empty(Shape{n, feature_cols.size()});
    Tensor<float> Y = Tensor<float>::empty(Shape{n, target_cols.size()});
    for (std::size_t r = 0; r < n; ++r) {
        for (std::size_t k = 0; k < feature_cols.size(); ++k) X(r, k) = data.X(r, feature_cols[k]);
        for (std::size_t t = 0; t < target_cols.size(); ++t) Y(r, t) = data.X(r, target_cols[t]);
    }
    std::vector<std::string> features;
    features.reserve(feature_cols.size());
    for (std::size_t j : feature_cols) features.push_back(data.feature_names[j]);
    data.X = std::move(X);
    data.targets = std::move(Y);
    data.feature_names = std::move(features);
    data.target_names = names;
}

void select_features(Dataset& data, const std::vector<std::string>& names) {
    check_dataset(data, "select_features");
    std::vector<std::size_t> cols;
    for (const std::string& name : names) {
        const auto it = std::find(data.feature_names.begin(), data.feature_names.end(), name);
        if (it == data.feature_names.end())
            throw std::runtime_error(data.source + ": no column '" + name +
                                     "', an input of the model");
        cols.push_back(static_cast<std::size_t>(it - data.feature_names.begin()));
    }
    if (cols.size() != data.num_features()) {
        std::string extra;
        std::size_t n_extra = 0;
        for (const std::string& f : data.feature_names)
            if (std::find(names.begin(), names.end(), f) == names.end()) {
                extra += (extra.empty() ? "'" : ", '") + f + "'";
                ++n_extra;
            }
        throw std::runtime_error(data.source + (n_extra == 1 ? ": the column " : ": the columns ") +
                                 extra + (n_extra == 1 ? " is not an input" : " are not inputs") +
                                 " of the model (leave " + (n_extra == 1 ? "it" : "them") +
                                 " out with --ignore-columns)");
    }
    const std::size_t n = data.size();
    Tensor<float> X = Tensor<float>::empty(Shape{n, cols.size()});
    for (std::size_t r = 0; r < n; ++r)
        for (std::size_t k = 0; k < cols.size(); ++k) X(r, k) = data.X(r, cols[k]);
    data.X = std::move(X);
    data.feature_names = names;
}

Dataset select_rows(const Dataset& data, std::span<const std::size_t> index) {
    const std::size_t n = data.size();
    for (std::size_t i : index)
        if (i >= n)
            throw std::out_of_range("select_rows: row " + std::to_string(i) + " out of range for " +
                                    std::to_string(n) + " rows");
    Dataset out;
    out.X = data.X.gather_rows(index);
    if (data.has_labels()) {
        out.labels.reserve(index.size());
        for (std::size_t i : index) out.labels.push_back(data.labels[i]);
    }
    if (data.has_targets()) {
        out.targets = data.targets.gather_rows(index);
        out.target_names = data.target_names;
    }
    if (!data.ids.empty()) {
        out.ids.reserve(index.size());
        for (std::size_t i : index) out.ids.push_back(data.ids[i]);
    }
    out.class_names = data.class_names;
    out.feature_names = data.feature_names;
    out.label_column = data.label_column;
    out.source = data.source;
    out.delimiter = data.delimiter;
    out.id_column = data.id_column;
    return out;
}

Dataset select_rows(Dataset&& data, std::span<const std::size_t> index) {
    const std::size_t n = data.size();
    for (std::size_t i : index)
        if (i >= n)
            throw std::out_of_range("select_rows: row " + std::to_string(i) + " out of range for " +
                                    std::to_string(n) + " rows");
    Dataset out = std::move(data);
    out.X.keep_rows(index);
    if (out.has_targets()) out.targets.keep_rows(index);
    // Labels and ids: small next to X, copied.
    auto keep = [&](auto& v) {
        if (v.empty()) return;
        std::remove_reference_t<decltype(v)> kept;
        kept.reserve(index.size());
        for (std::size_t i : index) kept.push_back(v[i]);  // a row may repeat
        v = std::move(kept);
    };
    keep(out.labels);
    keep(out.ids);
    return out;
}

void scale_pixels(std::span<const std::uint8_t> in, std::span<float> out) {
    if (out.size() != in.size())
        throw std::invalid_argument("scale_pixels: " + std::to_string(in.size()) +
                                    " pixels but room for " + std::to_string(out.size()));
    // Divide (not multiply by 1/255) so 255 maps to exactly 1.0f.
    constexpr float kMaxGrey = 255.0f;
    for (std::size_t i = 0; i < in.size(); ++i) out[i] = static_cast<float>(in[i]) / kMaxGrey;
}

const std::vector<std::string>& fashion_mnist_class_names() {
    static const std::vector<std::string> names = {
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
    return names;
}

namespace {
std::string dims_string(const std::vector<std::size_t>& dims) {
    std::string s;
    for (std::size_t d : dims) {
        if (!s.empty()) s += ", ";
        s += std::to_string(d);
    }
    return s;
}
}  // namespace

Dataset load_fashion_mnist_pair(const std::string& images_path, const std::string& labels_path) {
    IdxArray images = read_idx(images_path);
    IdxArray labels = read_idx(labels_path);
    if (images.dims.size() != 3 || images.dims[1] != kFashionMnistSide ||
        images.dims[2] != kFashionMnistSide)
        throw std::runtime_error(images_path + ": expected images of shape (N, 28, 28), got (" +
                                 dims_string(images.dims) + ")");
    if (labels.dims.size() != 1)
        throw std::runtime_error(labels_path + ": expected labels of shape (N), got (" +
                                 dims_string(labels.dims) + ")");
    const std::size_t n = images.dims[0];
    if (labels.dims[0] != n)
        throw std::runtime_error(labels_path + ": " + std::to_string(labels.dims[0]) +
                                 " labels but " + images_path + " holds " + std::to_string(n) +
                                 " images");
    if (n == 0) throw std::runtime_error(images_path + ": no images");

    const std::size_t d = kFashionMnistSide * kFashionMnistSide;
    Dataset out;
    out.X = Tensor<float>::empty({n, d});
    scale_pixels(images.data, out.X.span());
    out.labels.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        if (labels.data[i] >= kFashionMnistClasses)
            throw std::runtime_error(labels_path + ": label " + std::to_string(labels.data[i]) +
                                     " of item " + std::to_string(i) +
                                     " is not a class id in [0, 10)");
        out.labels[i] = labels.data[i];
    }
    out.class_names = fashion_mnist_class_names();
    out.feature_names.reserve(d);
    for (std::size_t r = 0; r < kFashionMnistSide; ++r)
        for (std::size_t c = 0; c < kFashionMnistSide; ++c)
            out.feature_names.push_back("px_" + std::to_string(r) + "_" + std::to_string(c));
    out.source = images_path;
    return out;
}

namespace {

// The .gz file, or the uncompressed one if only that exists; a clear message if neither.
std::string find_fashion_file(const std::filesystem::path& dir, const std::string& gz_name) {
    std::error_code ec;
    std::filesystem::path gz = dir / gz_name;
    if (std::filesystem::exists(gz, ec)) return gz.string();
    std::filesystem::path plain = dir / gz_name.substr(0, gz_name.size() - 3);
    if (std::filesystem::exists(plain, ec)) return plain.string();
    throw std::runtime_error(
        "Fashion-MNIST: missing file " + gz.string() +
        "; install the Debian package dataset-fashion-mnist "
        "(scripts/install-deps.sh --fashion-mnist), or pass the directory that "
        "holds the four IDX files");
}

}  // namespace

FashionMnist load_fashion_mnist(const std::string& dir) {
    const std::filesystem::path base(dir);
    std::string train_images = find_fashion_file(base, "train-images-idx3-ubyte.gz");
    std::string train_labels = find_fashion_file(base, "train-labels-idx1-ubyte.gz");
    std::string test_images = find_fashion_file(base, "t10k-images-idx3-ubyte.gz");
    std::string test_labels = find_fashion_file(base, "t10k-labels-idx1-ubyte.gz");
    FashionMnist out;
    out.train = load_fashion_mnist_pair(train_images, train_labels);
    out.test = load_fashion_mnist_pair(test_images, test_labels);
    out.train.source = "Fashion-MNIST train (" + train_images + ")";
    out.test.source = "Fashion-MNIST test (" + test_images + ")";
    return out;
}

}  // namespace ffnn
