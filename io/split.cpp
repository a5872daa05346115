// Stratified splitting: per-class quotas with tracked rounding, then per-class shuffles.
#include "ffnn/io/split.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "ffnn/tensor/random.hpp"

namespace ffnn {
namespace {

// Slack when flooring a quota: n * 0.7 can come out as 34.999999999999993 for n = 50.
constexpr double kQuotaSlack = 1e-9;

void check_fractions(double v, double t, const char* what) {
    auto ok = [](double f) { return std::isfinite(f) && f >= 0.0 && f < 1.0; };
    if (!ok(v) || !ok(t) || !(v + t < 1.0))
        throw std::invalid_argument(
            std::string(what) + ": validation fraction " + std::to_string(v) +
            " and test fraction " + std::to_string(t) +
            " must each be in [0, 1) with a sum below 1 (the rest is the training part)");
}

}  // namespace

std::vector<std::array<std::size_t, 3>> stratified_counts(std::span<const std::size_t> class_sizes,
                                                          double validation_fraction,
                                                          double test_fraction) {
    check_fractions(validation_fraction, test_fraction, "stratified_counts");
    const double frac[3] = {1.0 - validation_fraction - test_fraction, validation_fraction,
                            test_fraction};
    double running_quota[3] = {0, 0, 0};
    double running_given[3] = {0, 0, 0};
    std::vector<std::array<std::size_t, 3>> counts(class_sizes.size());
    for (std::size_t c = 0; c < class_sizes.size(); ++c) {
        const std::size_t n = class_sizes[c];
        double quota[3];
        bool fractional[3];
        std::size_t given = 0;
        for (int s = 0; s < 3; ++s) {
            quota[s] = static_cast<double>(n) * frac[s];
            double fl = std::floor(quota[s] + kQuotaSlack);
            counts[c][s] = static_cast<std::size_t>(fl);
            fractional[s] = quota[s] - fl > kQuotaSlack;
            given += counts[c][s];
            running_quota[s] += quota[s];
        }
        // Leftovers: one each to a part with a fractional quota, furthest behind first.
        for (std::size_t left = n - std::min(n, given); left > 0; --left) {
            auto behind = [&](int s) {
                return running_quota[s] - (running_given[s] + static_cast<double>(counts[c][s]));
            };
            int best = -1;
            for (int s = 0; s < 3; ++s)
                if (fractional[s] && (best < 0 || behind(s) > behind(best))) best = s;
            if (best < 0) best = 0;  // unreachable by arithmetic; keeps every example placed
            ++counts[c][best];
            fractional[best] = false;
        }
        for (int s = 0; s < 3; ++s) running_given[s] += static_cast<double>(counts[c][s]);
    }
    return counts;
}

SplitIndices stratified_split(std::span<const int> labels, double validation_fraction,
                              double test_fraction, std::uint64_t seed) {
    check_fractions(validation_fraction, test_fraction, "stratified_split");
    if (labels.empty()) throw std::invalid_argument("stratified_split: no examples to split");
    int k = 0;
    for (std::size_t i = 0; i < labels.size(); ++i) {
        if (labels[i] < 0)
            throw std::invalid_argument("stratified_split: label " + std::to_string(labels[i]) +
                                        " of example " + std::to_string(i) + " is negative");
        k = std::max(k, labels[i] + 1);
    }
    std::vector<std::vector<std::size_t>> members(static_cast<std::size_t>(k));
    for (std::size_t i = 0; i < labels.size(); ++i)
        members[static_cast<std::size_t>(labels[i])].push_back(i);
    std::vector<std::size_t> sizes(members.size());
    for (std::size_t c = 0; c < members.size(); ++c) sizes[c] = members[c].size();
    const auto counts = stratified_counts(sizes, validation_fraction, test_fraction);

    Rng rng(seed);
    SplitIndices out;
    for (std::size_t c = 0; c < members.size(); ++c) {
        std::vector<std::size_t>& m = members[c];
        rng.shuffle(m);
        auto a = m.begin();
        auto b = a + static_cast<std::ptrdiff_t>(counts[c][0]);
        auto e = b + static_cast<std::ptrdiff_t>(counts[c][1]);
        out.train.insert(out.train.end(), a, b);
        out.validation.insert(out.validation.end(), b, e);
        out.test.insert(out.test.end(), e, m.end());
    }
    std::sort(out.train.begin(), out.train.end());
    std::sort(out.validation.begin(), out.validation.end());
    std::sort(out.test.begin(), out.test.end());
    return out;
}

SplitIndices split_train_validation(std::span<const int> labels, double validation_fraction,
                                    std::uint64_t seed) {
    return stratified_split(labels, validation_fraction, 0.0, seed);
}

}  // namespace ffnn
