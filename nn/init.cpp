// Weight initialisers (see init.hpp for the formulas and their sources).
#include "ffnn/nn/init.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace ffnn {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string all_names() {
    std::string s;
    for (const auto& n : init_names()) s += (s.empty() ? "" : ", ") + n;
    return s;
}

void check_fan(const char* what, std::size_t fan) {
    if (fan == 0) throw std::invalid_argument(std::string(what) + ": fan must be positive");
}

}  // namespace

const std::vector<std::string>& init_names() {
    static const std::vector<std::string> names = {
        "xavier_uniform", "xavier_normal", "he_uniform", "he_normal", "zeros", "constant:<value>"};
    return names;
}

Init parse_init(std::string_view spec) {
    std::string s = lower(spec);
    if (s == "xavier_uniform" || s == "glorot_uniform") return {InitKind::XavierUniform, 0.0};
    if (s == "xavier_normal" || s == "glorot_normal") return {InitKind::XavierNormal, 0.0};
    if (s == "he_uniform" || s == "kaiming_uniform") return {InitKind::HeUniform, 0.0};
    if (s == "he_normal" || s == "kaiming_normal") return {InitKind::HeNormal, 0.0};
    if (s == "zeros") return {InitKind::Zeros, 0.0};
    if (s.starts_with("constant:")) {
        std::string p = s.substr(9);
        std::size_t used = 0;
        double v = 0.0;
        try {
            v = std::stod(p, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (!p.empty() && used == p.size() && std::isfinite(v)) return {InitKind::Constant, v};
        throw std::invalid_argument("init '" + std::string(spec) +
                                    "': the value after 'constant:' must be a finite number");
    }
    throw std::invalid_argument("unknown init '" + std::string(spec) + "'; valid: " + all_names());
}

std::string to_string(const Init& init) {
    switch (init.kind) {
        case InitKind::XavierUniform:
            return "xavier_uniform";
        case InitKind::XavierNormal:
            return "xavier_normal";
        case InitKind::HeUniform:
            return "he_uniform";
        case InitKind::HeNormal:
            return "he_normal";
        case InitKind::Zeros:
            return "zeros";
        case InitKind::Constant: {
            char buf[32];
            auto res = std::to_chars(buf, buf + sizeof buf, init.value);
            return "constant:" + std::string(buf, res.ptr);
        }
    }
    return "?";
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
