// Dataset: a labelled (or unlabelled) table of features, and the Fashion-MNIST loader.
//
// Dimension letters as everywhere in nn/: N examples, D features, K classes.
//   X              (N, D) float, row-major: one example per row
//   labels         (N) class ids 0..K-1, or empty for unlabelled data (prediction input)
//   class_names    (K) the name of each class id; the id is the index in this list
//   feature_names  (D)
//   source         where the data came from, for messages and summaries
//
// Fashion-MNIST (Xiao, Rasul & Vollgraf 2017) is read from the Debian package
// dataset-fashion-mnist: 28x28 grey-level images as IDX files, 60000 train and 10000 test.
// Pixels are scaled to [0, 1] by dividing by 255, so D = 784 and K = 10.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ffnn/tensor/tensor.hpp"

namespace ffnn {

// The label of a prediction row whose label was empty or unknown (CsvOptions).
inline constexpr int kNoLabel = -1;

struct Dataset {
    Tensor<float> X;                         // (N, D)
    std::vector<int> labels;                 // (N) or empty
    std::vector<std::string> class_names;    // (K)
    std::vector<std::string> feature_names;  // (D)
    std::string label_column;                // the label's column name (empty: unlabelled)
    std::string source;
    // From a CSV file: the delimiter it used, and its id column and values (N) if it has one.
    char delimiter = ',';
    std::string id_column;
    std::vector<std::string> ids;
    // Regression: the target columns (N, T), taken out of the features by
    // take_target_columns, and their names (T). Empty for a classification data set.
    Tensor<float> targets;
    std::vector<std::string> target_names;
    // Rows whose label was empty or unknown and is kNoLabel (prediction input only: such a
    // data set is not for training, and check_dataset refuses it).
    std::size_t ignored_labels = 0;

    std::size_t size() const { return X.rank() >= 1 ? X.rows() : 0; }          // N
    std::size_t num_features() const { return X.rank() == 2 ? X.cols() : 0; }  // D
    std::size_t num_classes() const { return class_names.size(); }             // K
    bool has_labels() const { return !labels.empty(); }
    bool has_targets() const { return !target_names.empty(); }  // a regression data set
};

// Throws std::invalid_argument (naming `what` and the sizes) unless X is (N, D), labels are
// empty or N long with every id in [0, K), and feature_names is empty or D long.
void check_dataset(const Dataset& data, const std::string& what);

// Regression data from a CSV read without a label column (every column a number): moves the
// columns `names` (in that order) from X into targets, leaving the others as the features.
// Throws std::invalid_argument naming a column that is not a feature (listing them), a
// repeated name, or a choice that leaves no feature.
void take_target_columns(Dataset& data, const std::vector<std::string>& names);

// Keeps exactly the feature columns `names`, in that order (a saved model's inputs). Throws
// std::runtime_error naming the source and a column that is missing, or the columns that are
// not the model's (leave them out with ignore_columns).
void select_features(Dataset& data, const std::vector<std::string>& names);

// A new dataset with the rows listed in `index`, in that order (X and labels copied; names
// and source kept). Throws if an index is out of range.
Dataset select_rows(const Dataset& data, std::span<const std::size_t> index);
// The same from a dataset that is given up: with `index` strictly increasing (as the splits
// give it) the rows are kept in data's own storage (Tensor::keep_rows), with no second copy.
// Fashion-MNIST's 54,000 training rows are 169 MB: the validation and training parts took
// 84-102 ms as copies and 20 ms with the training rows kept in place (AMD EPYC family 26
// model 2, 5 alternating runs; a fresh 169 MB copy is mostly first-touch page faults, and
// once took 525 ms).
Dataset select_rows(Dataset&& data, std::span<const std::size_t> index);

// ---- Fashion-MNIST ----

inline constexpr const char* kFashionMnistDefaultDir = "/usr/share/datasets/fashion-mnist/";
inline constexpr std::size_t kFashionMnistSide = 28;  // images are 28x28
inline constexpr std::size_t kFashionMnistClasses = 10;

// T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot.
const std::vector<std::string>& fashion_mnist_class_names();

struct FashionMnist {
    Dataset train;  // 60000 examples
    Dataset test;   // 10000 examples
};

// Reads train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz
// and t10k-labels-idx1-ubyte.gz from `dir` (the uncompressed names without .gz are accepted
// too). A missing file throws std::runtime_error telling to install the Debian package
// dataset-fashion-mnist (scripts/install-deps.sh --fashion-mnist).
FashionMnist load_fashion_mnist(const std::string& dir = kFashionMnistDefaultDir);

// Reads one images/labels pair: images (N, 28, 28) and labels (N) with ids below 10.
Dataset load_fashion_mnist_pair(const std::string& images_path, const std::string& labels_path);

// Grey levels 0..255 to floats in [0, 1]: out[i] = in[i] / 255. out must hold in.size().
void scale_pixels(std::span<const std::uint8_t> in, std::span<float> out);

}  // namespace ffnn
