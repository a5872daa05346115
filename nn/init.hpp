// Weight initialisers, all drawing from an explicit ffnn::Rng (no global generator).
//
// For a weight matrix W (D, H): fan_in = D, fan_out = H. gain is the activation's
// Activation::gain() (torch.nn.init.calculate_gain values: relu sqrt 2, tanh 5/3, ...).
//
//   xavier_uniform  U(-a, a),  a = gain * sqrt(6 / (fan_in + fan_out))   Glorot & Bengio 2010
//   xavier_normal   N(0, s^2), s = gain * sqrt(2 / (fan_in + fan_out))   Glorot & Bengio 2010
//   he_uniform      U(-a, a),  a = gain * sqrt(3 / fan_in)                He et al. 2015
//   he_normal       N(0, s^2), s = gain / sqrt(fan_in)                    He et al. 2015
//   zeros           0
//   constant:v      v
// He et al. derive s = sqrt(2 / fan_in) for ReLU, which is gain / sqrt(fan_in) with
// gain = sqrt 2; like torch's kaiming_* (mode fan_in) ffnn applies the activation's gain.
// xavier_uniform is the default. Biases are always initialised to zero (FullyConnected).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "ffnn/tensor/random.hpp"
#include "ffnn/tensor/tensor.hpp"

namespace ffnn {

enum class InitKind { XavierUniform, XavierNormal, HeUniform, HeNormal, Zeros, Constant };

struct Init {
    InitKind kind = InitKind::XavierUniform;
    double value = 0.0;  // the constant, for InitKind::Constant only
};

// "xavier_uniform", "xavier_normal", "he_uniform", "he_normal", "zeros", "constant:0.1"
// (also accepted: "kaiming_uniform", "kaiming_normal", "glorot_uniform", "glorot_normal").
// Throws std::invalid_argument listing the valid names.
Init parse_init(std::string_view spec);
// The canonical spelling parse_init accepts ("constant:0.1").
std::string to_string(const Init& init);
const std::vector<std::string>& init_names();

// The uniform bound a and normal standard deviation s of the table above.
double xavier_uniform_bound(std::size_t fan_in, std::size_t fan_out, double gain);
double xavier_normal_std(std::size_t fan_in, std::size_t fan_out, double gain);
double he_uniform_bound(std::size_t fan_in, double gain);
double he_normal_std(std::size_t fan_in, double gain);

// Fills W (D, H) in row-major order: fan_in = D = W.dim(0), fan_out = H = W.dim(1).
// Throws unless W is rank 2.
template <class T>
void init_weight(Tensor<T>& W, const Init& init, double gain, Rng& rng);

}  // namespace ffnn
