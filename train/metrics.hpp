// Classification metrics: accuracy, the confusion matrix and per-class precision, recall, F1.
//
// K classes. confusion(t, p) counts the examples of true class t predicted as class p.
//   precision(k) = C(k, k) / sum over t of C(t, k)   (of those predicted k, how many are k)
//   recall(k)    = C(k, k) / sum over p of C(k, p)   (of the true k, how many were found)
//   f1(k)        = 2 precision recall / (precision + recall)
//   macro F1 = the plain mean of f1(k), weighted F1 = the mean weighted by support.
// A ratio whose denominator is zero is reported as 0 (a class never predicted has no
// precision to speak of; the table prints its support so the reader can tell).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace ffnn {

struct ClassMetrics {
    double precision = 0, recall = 0, f1 = 0;
    std::size_t support = 0;  // true examples of this class
};

class ConfusionMatrix {
  public:
    explicit ConfusionMatrix(std::size_t num_classes);
    // Adds pairs (true, predicted); throws std::invalid_argument on a length mismatch or an id
    // outside [0, K). A prediction of -1 (Model::kNoPrediction: non-finite outputs) is
    // counted apart: a miss for accuracy and recall, no column of the matrix.
    void add(std::span<const int> truth, std::span<const int> predicted);
    std::size_t unpredicted() const;  // rows added with prediction -1

    std::size_t num_classes() const { return k_; }
    std::size_t count(std::size_t truth, std::size_t predicted) const {
        return c_[truth * k_ + predicted];
    }
    std::size_t total() const;  // every row added, unpredicted ones too
    double accuracy() const;
    ClassMetrics class_metrics(std::size_t k) const;
    // The mean F1 over the classes present in the true or the predicted labels (as
    // scikit-learn's f1_score(average="macro") counts them: a class that is neither a label
    // nor a prediction of the evaluated rows has no F1 to average). 0 when nothing was added.
    double macro_f1() const;
    // The mean of the per-class F1 weighted by support, the number of true examples of each
    // class (scikit-learn's average="weighted"). 0 when nothing was added.
    double weighted_f1() const;
    // How many classes macro_f1 averages over.
    std::size_t classes_present() const;

    // The matrix with class names on both axes (rows: true, columns: predicted), then a
    // table of precision, recall, F1 and support per class.
    std::string format(const std::vector<std::string>& class_names) const;
    // For a terminal when the matrix is too wide to read (more than kMaxPrintedClasses): the
    // accuracy and macro F1, the `n` classes of lowest F1 and the `n` most frequent
    // confusions (true -> predicted: count).
    std::string format_summary(const std::vector<std::string>& class_names,
                               std::size_t n = 5) const;
    // Above this many classes the CLI writes the full matrix to a file and prints the summary
    // (the matrix of 20 classes of 6-character names is already 180 characters wide).
    static constexpr std::size_t kMaxPrintedClasses = 20;

  private:
    // Whether class k is a label or a prediction of some row added (the classes macro_f1
    // averages over).
    bool present(std::size_t k) const;

    std::size_t k_;
    std::vector<std::size_t> c_;     // (K, K) row-major
    std::vector<std::size_t> none_;  // (K): rows of true class t without a prediction
};

}  // namespace ffnn
