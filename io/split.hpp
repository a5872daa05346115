// Stratified train / validation / test splits.
//
// Each class is split on its own, so every part keeps the class proportions of the whole:
//   1. per class c with n_c examples, the quotas are q = n_c * (1 - v - t, v, t);
//   2. each part gets floor(q) (with a 1e-9 slack so 50 * 0.7 counts as 35, not 34.99..);
//   3. the n_c - sum(floor) leftover examples of the class (0, 1 or 2) go one each to the
//      parts with a fractional quota, the part furthest behind its running total quota
//      (summed over the classes done so far, in class-id order) first; ties go to train,
//      then validation, then test.
// So each class gets the floor or the ceiling of each of its quotas, and the totals stay
// within about one example of N * fraction. Iris (3 classes of 50) at 70/10/20 gives
// 35/5/10 per class and 105/15/30 in all.
//
// Then each class's indices are shuffled by one Rng(seed) (classes in id order) and cut in
// that order into train, validation, test. The returned index vectors are sorted ascending;
// the same labels, fractions and seed always give the same split.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace ffnn {

struct SplitIndices {
    std::vector<std::size_t> train;
    std::vector<std::size_t> validation;
    std::vector<std::size_t> test;  // empty for split_train_validation
};

// Default fractions for a single data file (Iris, digits): 70% train, 10% validation, 20% test.
inline constexpr double kDefaultValidationFraction = 0.1;
inline constexpr double kDefaultTestFraction = 0.2;

// labels: class ids >= 0. Fractions each in [0, 1) with validation + test < 1; otherwise
// std::invalid_argument naming the fractions.
SplitIndices stratified_split(std::span<const int> labels, double validation_fraction,
                              double test_fraction, std::uint64_t seed);

// For data with a separate test set (Fashion-MNIST): splits validation off the training
// data, stratified the same way; `test` is left empty.
SplitIndices split_train_validation(std::span<const int> labels, double validation_fraction,
                                    std::uint64_t seed);

// The per-class counts (train, validation, test) the split uses, before any shuffling:
// counts[c] = {n_train, n_val, n_test}. Exposed for tests and summaries.
std::vector<std::array<std::size_t, 3>> stratified_counts(std::span<const std::size_t> class_sizes,
                                                          double validation_fraction,
                                                          double test_fraction);

}  // namespace ffnn
