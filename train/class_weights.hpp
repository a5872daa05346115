// Class weights for imbalanced data: how much each class's examples count in the loss.
//
//   none       every class 1 (no weighting)
//   balanced   w_k = N / (K n_k) over the training part (n_k examples of class k among N;
//              scikit-learn's compute_class_weight("balanced")): every class then carries
//              the same total weight, and the mean weight over the training examples is 1
//   FILE       a text file of "class,weight" lines, one per class of the data (blank lines
//              and lines starting with '#' ignored); every class must appear exactly once,
//              with a positive finite weight
// The loss multiplies each example's term by its class's weight (nn/loss.hpp,
// SoftmaxCrossEntropy).
#pragma once

#include <string>
#include <vector>

#include "ffnn/io/dataset.hpp"

namespace ffnn {

// The weights (K, in the order of train.class_names) that `spec` ("none", "balanced" or a
// file name; "" is none and gives an empty vector, as does "none") asks for. Throws
// std::runtime_error naming the file and line for a bad file, and for a class with no
// training example under balanced.
std::vector<double> class_weights(const std::string& spec, const Dataset& train);

}  // namespace ffnn
