// Weight initialisers (see init.hpp for the formulas and their sources).
#include "ffnn/nn/init.hpp"

#include <cmath>
#include <stdexcept>

namespace ffnn {

namespace {

void check_fan(const char* what, std::size_t fan) {
    if (fan == 0) throw std::invalid_argument(std::string(what) + ": fan must be positive");
}

}  // namespace

Init parse_init(std::string_view text) {
    const NameAndParameter np = split_parameter(text, "init");
    Init init{parse_name<InitKind>(kInitNames, np.name, "init"), np.parameter.value_or(0.0)};
    if (init.kind == InitKind::Constant && !np.parameter)
        throw std::invalid_argument("init '" + std::string(text) +
                                    "': constant needs its value, for example constant:0.1");
    if (init.kind != InitKind::Constant && np.parameter)
        throw std::invalid_argument("init '" + std::string(text) + "': " + np.name +
                                    " takes no parameter (only constant does)");
    return init;
}

std::string to_string(const Init& init) {
    std::string s(name_of<InitKind>(kInitNames, init.kind));
    if (init.kind == InitKind::Constant) s += ":" + format_number(init.value);
    return s;
}

double xavier_uniform_bound(std::size_t fan_in, std::size_t fan_out, double gain) {
    check_fan("xavier_uniform", fan_in + fan_out);
    return gain * std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
}

double xavier_normal_std(std::size_t fan_in, std::size_t fan_out, double gain) {
    check_fan("xavier_normal", fan_in + fan_out);
    return gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
}

double he_uniform_bound(std::size_t fan_in, double gain) {
    check_fan("he_uniform", fan_in);
    return gain * std::sqrt(3.0 / static_cast<double>(fan_in));
}

double he_normal_std(std::size_t fan_in, double gain) {
    check_fan("he_normal", fan_in);
    return gain / std::sqrt(static_cast<double>(fan_in));
}

template <class T>
void init_weight(Tensor<T>& W, const Init& init, double gain, Rng& rng) {
    // W (D, H): fan_in D, fan_out H.
    if (W.rank() != 2)
        throw std::invalid_argument("init_weight: W must be rank 2 (D, H), got " +
                                    W.shape().to_string());
    const std::size_t D = W.dim(0), H = W.dim(1);
    if (W.size() == 0) return;
    switch (init.kind) {
        case InitKind::XavierUniform: {
            T a = static_cast<T>(xavier_uniform_bound(D, H, gain));
            fill_uniform(W, -a, a, rng);
            break;
        }
        case InitKind::XavierNormal:
            fill_normal(W, T(0), static_cast<T>(xavier_normal_std(D, H, gain)), rng);
            break;
        case InitKind::HeUniform: {
            T a = static_cast<T>(he_uniform_bound(D, gain));
            fill_uniform(W, -a, a, rng);
            break;
        }
        case InitKind::HeNormal:
            fill_normal(W, T(0), static_cast<T>(he_normal_std(D, gain)), rng);
            break;
        case InitKind::Zeros:
            W.fill(T(0));
            break;
        case InitKind::Constant:
            W.fill(static_cast<T>(init.value));
            break;
    }
}

template void init_weight<float>(Tensor<float>&, const Init&, double, Rng&);
template void init_weight<double>(Tensor<double>&, const Init&, double, Rng&);

}  // namespace ffnn
