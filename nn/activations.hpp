// Activation functions as modules: each has a forward and a backward over a whole batch.
//
// Every activation implements two stateless calls that FullyConnected uses directly (so that
// a layer applies its activation without a second module):
//   apply(z, y)                   z (N, H) -> y (N, H), y resized
//   apply_backward(z, y, dy, dz)  z, y = act(z), dy (N, H) -> dz (N, H), dz resized;
//                                 dz may be the same tensor as dy (in place)
// and, as a Module, forward/backward that cache the input view and the output.
//
// Element-wise activations accept any shape; SoftMax is row-wise and needs rank 2.
//
// gain() is the recommended scale of the initial weights for a layer followed by this
// activation, with the values of torch.nn.init.calculate_gain: identity 1, sigmoid 1,
// tanh 5/3, relu sqrt(2), leaky_relu sqrt(2 / (1 + slope^2)), selu 3/4. PyTorch defines
// no gain for ELU, GELU or softmax; ffnn uses 1 for them.
//
// Activations are chosen by type (ReLU<float>) or by an ActivationSpec, an enum and the
// optional parameter of LeakyReLU (slope) and ELU (alpha): make_activation<T>(spec). Their
// names, for the CLI and checkpoints (kActivationNames; an optional parameter after a colon):
//   identity, relu, leaky_relu[:slope=0.01], elu[:alpha=1], selu, gelu, sigmoid, tanh, softmax
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ffnn/nn/module.hpp"
#include "ffnn/nn/names.hpp"

namespace ffnn {

enum class ActivationKind { Identity, ReLU, LeakyReLU, ELU, SELU, GELU, Sigmoid, TanH, SoftMax };

inline constexpr NamedValue<ActivationKind> kActivationNames[] = {
    {ActivationKind::Identity, "identity"}, {ActivationKind::Identity, "linear", true},
    {ActivationKind::ReLU, "relu"},         {ActivationKind::LeakyReLU, "leaky_relu"},
    {ActivationKind::ELU, "elu"},           {ActivationKind::SELU, "selu"},
    {ActivationKind::GELU, "gelu"},         {ActivationKind::Sigmoid, "sigmoid"},
    {ActivationKind::TanH, "tanh"},         {ActivationKind::SoftMax, "softmax"},
};

// An activation by kind, with the parameter of LeakyReLU (the negative slope) or ELU (alpha);
// no parameter means the default (0.01, 1). Converts from a kind: FullyConnected(16,
// ActivationKind::ReLU).
struct ActivationSpec {
    ActivationKind kind = ActivationKind::Identity;
    std::optional<double> parameter;

    ActivationSpec() = default;
    ActivationSpec(ActivationKind k, std::optional<double> p = std::nullopt)
        : kind(k), parameter(p) {}
    bool operator==(const ActivationSpec&) const = default;
};

// "leaky_relu:0.2" -> {LeakyReLU, 0.2}. Throws std::invalid_argument listing the valid names
// on an unknown name, a parameter that is not a number, or a parameter on an activation that
// takes none.
ActivationSpec parse_activation(std::string_view text);
// The text parse_activation reads back: "relu", "leaky_relu:0.2".
std::string to_string(const ActivationSpec& spec);

template <class T>
class Activation : public Module<T> {
  public:
    // z (N, H) -> y (N, H). y is resized; it must not share storage with z unless equal.
    virtual void apply(const Tensor<T>& z, Tensor<T>& y) const = 0;
    // z (N, H), y = act(z) (N, H), dy (N, H) -> dz (N, H). dz may be dy.
    virtual void apply_backward(const Tensor<T>& z, const Tensor<T>& y, const Tensor<T>& dy,
                                Tensor<T>& dz) const = 0;
    // The two fused passes of FullyConnected, one sweep over (N, H) each instead of two or three.
    // z (N, H) += b (H) on every row, then y = act(z). Returns the tensor holding act(z): y,
    // or z itself for the identity (no copy). The default adds b, then calls apply.
    virtual const Tensor<T>& apply_bias(Tensor<T>& z, const Tensor<T>& b, Tensor<T>& y) const;
    // z, y = act(z), dy (N, H) -> dz (N, H) = act'(z, y) dy, and db (H) += colsum(dz)
    // (db = colsum(dz) when accumulate is false), each column summed in row order so the bits
    // do not depend on the thread count. Returns the tensor holding dz: dz, or dy itself for
    // the identity. The default calls apply_backward, then sums the columns.
    virtual const Tensor<T>& apply_backward_bias(const Tensor<T>& z, const Tensor<T>& y,
                                                 const Tensor<T>& dy, Tensor<T>& dz, Tensor<T>& db,
                                                 bool accumulate) const;
    // Initialisation gain (torch.nn.init.calculate_gain).
    virtual double gain() const { return 1.0; }
    // What make_activation takes to rebuild this activation.
    virtual ActivationSpec spec() const = 0;
    // The kind's name in kActivationNames ("relu").
    std::string name() const override {
        return std::string(name_of<ActivationKind>(kActivationNames, spec().kind));
    }
    virtual std::unique_ptr<Activation<T>> clone() const = 0;

    // x (N, H) -> y (N, H).
    const Tensor<T>& forward(const Tensor<T>& x) override;
    // dy (N, H) -> dx (N, H).
    const Tensor<T>& backward(const Tensor<T>& dy) override;
    void release() override { z_ = null_view<T>(); }

  protected:
    Tensor<T> z_;   // view of the input of the last forward, (N, H)
    Tensor<T> y_;   // output of the last forward, (N, H)
    Tensor<T> dx_;  // input gradient of the last backward, (N, H)
};

// y = z.
template <class T>
class Identity final : public Activation<T> {
  public:
    void apply(const Tensor<T>& z, Tensor<T>& y) const override;
    void apply_backward(const Tensor<T>& z, const Tensor<T>& y, const Tensor<T>& dy,
                        Tensor<T>& dz) const override;
    const Tensor<T>& apply_bias(Tensor<T>& z, const Tensor<T>& b, Tensor<T>& y) const override;
    const Tensor<T>& apply_backward_bias(const Tensor<T>& z, const Tensor<T>& y,
                                         const Tensor<T>& dy, Tensor<T>& dz, Tensor<T>& db,
                                         bool accumulate) const override;
    ActivationSpec spec() const override { return ActivationKind::Identity; }
    std::unique_ptr<Activation<T>> clone() const override { return std::make_unique<Identity>(); }
};

// y = max(z, 0); the derivative at 0 is taken as 0.
template <class T>
class ReLU final : public Activation<T> {
  public:
    void apply(const Tensor<T>& z, Tensor<T>& y) const override;
    void apply_backward(const Tensor<T>& z, const Tensor<T>& y, const Tensor<T>& dy,
                        Tensor<T>& dz) const override;
    const Tensor<T>& apply_bias(Tensor<T>& z, const Tensor<T>& b, Tensor<T>& y) const override;
    const Tensor<T>& apply_backward_bias(const Tensor<T>& z, const Tensor<T>& y,
                                         const Tensor<T>& dy, Tensor<T>& dz, Tensor<T>& db,
                                         bool accumulate) const override;
    double gain() const override;
    ActivationSpec spec() const override { return ActivationKind::ReLU; }
    std::unique_ptr<Activation<T>> clone() const override { return std::make_unique<ReLU>(); }
};

// y = z for z > 0, slope * z otherwise.
template <class T>
class LeakyReLU final : public Activation<T> {
  public:
    static constexpr double kDefaultSlope = 0.01;  // PyTorch's default negative_slope
    explicit LeakyReLU(double slope = kDefaultSlope);
    void apply(const Tensor<T>& z, Tensor<T>& y) const override;
    void apply_backward(const Tensor<T>& z, const Tensor<T>& y, const Tensor<T>& dy,
                        Tensor<T>& dz) const override;
    double gain() const override;
    ActivationSpec spec() const override { return {ActivationKind::LeakyReLU, slope_}; }
    std::unique_ptr<Activation<T>> clone() const override {
        return std::make_unique<LeakyReLU>(slope_);
    }
    double slope() const { return slope_; }

  private:
    double slope_;
};

// y = z for z > 0, alpha * (exp(z) - 1) otherwise (Clevert et al. 2016).
template <class T>
class ELU final : public Activation<T> {
  public:
    static constexpr double kDefaultAlpha = 1.0;
    explicit ELU(double alpha = kDefaultAlpha);
    void apply(const Tensor<T>& z, Tensor<T>& y) const override;
    void apply_backward(const Tensor<T>& z, const Tensor<T>& y, const Tensor<T>& dy,
                        Tensor<T>& dz) const override;
    ActivationSpec spec() const override { return {ActivationKind::ELU, alpha_}; }
    std::unique_ptr<Activation<T>> clone() const override { return std::make_unique<ELU>(alpha_); }
    double alpha() const { return alpha_; }

  private:
    double alpha_;
};

// y = scale * ELU_alpha(z) with the fixed constants of Klambauer et al. 2017.
template <class T>
class SELU final : public Activation<T> {
  public:
    static constexpr double kAlpha = 1.6732632423543772848170429916717;
    static constexpr double kScale = 1.0507009873554804934193349852946;
    void apply(const Tensor<T>& z, Tensor<T>& y) const override;
    void apply_backward(const Tensor<T>& z, const Tensor<T>& y, const Tensor<T>& dy,
                        Tensor<T>& dz) const override;
    double gain() const override { return 0.75; }
    ActivationSpec spec() const override { return ActivationKind::SELU; }
    std::unique_ptr<Activation<T>> clone() const override { return std::make_unique<SELU>(); }
};

// The exact GELU (Hendrycks & Gimpel 2016), PyTorch's default approximate='none':
//   y = z * Phi(z) = 0.5 z (1 + erf(z / sqrt 2)),  dy/dz = Phi(z) + z phi(z).
template <class T>
class GELU final : public Activation<T> {
  public:
    void apply(const Tensor<T>& z, Tensor<T>& y) const override;
    void apply_backward(const Tensor<T>& z, const Tensor<T>& y, const Tensor<T>& dy,
                        Tensor<T>& dz) const override;
    ActivationSpec spec() const override { return ActivationKind::GELU; }
    std::unique_ptr<Activation<T>> clone() const override { return std::make_unique<GELU>(); }
};

// y = 1 / (1 + exp(-z)), evaluated without exp of a large positive number; dz = dy y (1 - y).
template <class T>
class Sigmoid final : public Activation<T> {
  public:
    void apply(const Tensor<T>& z, Tensor<T>& y) const override;
    void apply_backward(const Tensor<T>& z, const Tensor<T>& y, const Tensor<T>& dy,
                        Tensor<T>& dz) const override;
    ActivationSpec spec() const override { return ActivationKind::Sigmoid; }
    std::unique_ptr<Activation<T>> clone() const override { return std::make_unique<Sigmoid>(); }
};

// y = tanh(z); dz = dy (1 - y^2).
template <class T>
class TanH final : public Activation<T> {
  public:
    void apply(const Tensor<T>& z, Tensor<T>& y) const override;
    void apply_backward(const Tensor<T>& z, const Tensor<T>& y, const Tensor<T>& dy,
                        Tensor<T>& dz) const override;
    double gain() const override { return 5.0 / 3.0; }
    ActivationSpec spec() const override { return ActivationKind::TanH; }
    std::unique_ptr<Activation<T>> clone() const override { return std::make_unique<TanH>(); }
};

// Row-wise softmax, z (N, K) -> y (N, K): y = exp(z - rowmax) / rowsum(exp(z - rowmax)).
// Backward is the Jacobian-vector product dz = y * (dy - rowsum(dy * y)), one pass per row,
// never the N x K x K Jacobian.
template <class T>
class SoftMax final : public Activation<T> {
  public:
    void apply(const Tensor<T>& z, Tensor<T>& y) const override;
    void apply_backward(const Tensor<T>& z, const Tensor<T>& y, const Tensor<T>& dy,
                        Tensor<T>& dz) const override;
    ActivationSpec spec() const override { return ActivationKind::SoftMax; }
    std::unique_ptr<Activation<T>> clone() const override { return std::make_unique<SoftMax>(); }
};

// Builds the activation of a spec. Throws std::invalid_argument when the spec has a parameter
// its kind does not take.
template <class T>
std::unique_ptr<Activation<T>> make_activation(const ActivationSpec& spec);

}  // namespace ffnn
