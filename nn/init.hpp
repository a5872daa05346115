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

#include "ffnn/nn/names.hpp"
#include "ffnn/tensor/random.hpp"
#include "ffnn/tensor/tensor.hpp"

namespace ffnn {

enum class InitKind { XavierUniform, XavierNormal, HeUniform, HeNormal, Zeros, Constant };

inline constexpr NamedValue<InitKind> kInitNames[] = {
    {InitKind::XavierUniform, "xavier_uniform"},
    {InitKind::XavierUniform, "glorot_uniform", true},
    {InitKind::XavierNormal, "xavier_normal"},
    {InitKind::XavierNormal, "glorot_normal", true},
    {InitKind::HeUniform, "he_uniform"},
    {InitKind::HeUniform, "kaiming_uniform", true},
    {InitKind::HeNormal, "he_normal"},
    {InitKind::HeNormal, "kaiming_normal", true},
    {InitKind::Zeros, "zeros"},
    {InitKind::Constant, "constant"},
};

struct Init {
    InitKind kind = InitKind::XavierUniform;
    double value = 0.0;  // the constant, for InitKind::Constant only
    bool operator==(const Init&) const = default;
};

// "xavier_uniform", "he_normal", "zeros", "constant:0.1" (kInitNames; constant needs its value).
// Throws std::invalid_argument listing the valid names.
Init parse_init(std::string_view text);
// The text parse_init reads back ("constant:0.1").
std::string to_string(const Init& init);

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
