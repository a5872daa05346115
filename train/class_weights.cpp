// Class weights; see class_weights.hpp.
#include "ffnn/train/class_weights.hpp"

#include <charconv>
#include <cmath>
#include <fstream>
#include <stdexcept>

#include "ffnn/nn/names.hpp"

namespace ffnn {

namespace {

std::string trim(const std::string& s) {
    const std::size_t b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

std::vector<double> weights_from_file(const std::string& path, const Dataset& train) {
    std::ifstream in(path);
    if (!in)
        throw std::runtime_error(path +
                                 ": cannot open the class weight file (expected 'balanced', "
                                 "'none' or a file of class,weight lines)");
    const std::size_t K = train.num_classes();
    std::vector<double> w(K, 0.0);
    std::vector<bool> seen(K, false);
    std::string line;
    for (std::size_t number = 1; std::getline(in, line); ++number) {
        const std::string t = trim(line);
        if (t.empty() || t[0] == '#') continue;
        const std::string where = path + ":" + std::to_string(number) + ": ";
        const std::size_t comma = t.rfind(',');
        if (comma == std::string::npos)
            throw std::runtime_error(where + "expected 'class,weight', got '" + t + "'");
        const std::string name = trim(t.substr(0, comma)), value = trim(t.substr(comma + 1));
        std::size_t k = 0;
        while (k < K && train.class_names[k] != name) ++k;
        if (k == K)
            throw std::runtime_error(where + "'" + name + "' is not a class of the data (" +
                                     std::to_string(K) + " classes)");
        if (seen[k]) throw std::runtime_error(where + "class '" + name + "' is given twice");
        double v = 0;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
        if (ec != std::errc() || end != value.data() + value.size() || !std::isfinite(v) || v <= 0)
            throw std::runtime_error(where + "the weight of '" + name +
                                     "' must be a positive number, got '" + value + "'");
        w[k] = v;
        seen[k] = true;
    }
    for (std::size_t k = 0; k < K; ++k)
        if (!seen[k])
            throw std::runtime_error(path + ": no weight for class '" + train.class_names[k] +
                                     "' (every class needs one)");
    return w;
}

}  // namespace

std::vector<double> class_weights(const std::string& spec, const Dataset& train) {
    if (spec.empty() || spec == "none") return {};
    if (spec != "balanced") return weights_from_file(spec, train);
    const std::size_t K = train.num_classes(), N = train.size();
    std::vector<std::size_t> count(K, 0);
    for (int y : train.labels) ++count[static_cast<std::size_t>(y)];
    std::vector<double> w(K);
    for (std::size_t k = 0; k < K; ++k) {
        if (count[k] == 0)
            throw std::runtime_error("class weight balanced: class '" + train.class_names[k] +
                                     "' has no training example");
        w[k] = double(N) / (double(K) * double(count[k]));
    }
    return w;
}

}  // namespace ffnn
