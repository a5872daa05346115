// `ffnn explain`: the shapes it prints follow the network the flags describe, layer by layer
// in forward order then in backward order, and the update it prints is the optimiser's.
#include <gtest/gtest.h>

#include <cmath>
#include <regex>
#include <string>
#include <vector>

#include "app_runner.hpp"

namespace {

using ffnn::test::Result;
using ffnn::test::run;

struct Net {
    std::vector<std::size_t> sizes;  // D, H_0, ..., K
    std::string activation;
    std::size_t batch;  // N of the first mini-batch
};

std::string shape(std::size_t a) {
    return "\\(" + std::to_string(a) + "\\)";
}
std::string shape(std::size_t a, std::size_t b) {
    return "\\(" + std::to_string(a) + ", " + std::to_string(b) + "\\)";
}

// The lines explain must print for `net`, as regexes, in the order they must appear.
std::vector<std::string> expected_lines(const Net& net) {
    const std::size_t L = net.sizes.size() - 1, N = net.batch;
    auto act = [&](std::size_t i) { return i + 1 == L ? std::string("identity") : net.activation; };
    auto header = [&](std::size_t i) {
        return "layer " + std::to_string(i) + ": fully_connected\\(" +
               std::to_string(net.sizes[i]) + " -> " + std::to_string(net.sizes[i + 1]) + ", " +
               act(i) + "\\)";
    };
    std::vector<std::string> out;
    out.push_back("x \\(the batch\\) +" + shape(N, net.sizes[0]));
    for (std::size_t i = 0; i < L; ++i) {
        const std::size_t D = net.sizes[i], H = net.sizes[i + 1];
        out.push_back(header(i));
        out.push_back("z = x W \\+ b +W " + shape(D, H) + ", b " + shape(H) + " +" + shape(N, H));
        out.push_back("y = " + act(i) + "\\(z\\) +" + shape(N, H));
    }
    out.push_back("cross_entropy\\(logits " + shape(N, net.sizes[L]) + ", labels " + shape(N) +
                  "\\) = [0-9.]+");
    out.push_back("dlogits = d loss / d logits +" + shape(N, net.sizes[L]));
    for (std::size_t i = L; i-- > 0;) {
        const std::size_t D = net.sizes[i], H = net.sizes[i + 1];
        out.push_back(header(i));
        out.push_back("dy +" + shape(N, H));
        out.push_back("dz = " + act(i) + "'\\(z\\) \\* dy +" + shape(N, H));
        out.push_back("dW = x\\^T dz +" + shape(D, H));
        out.push_back("db = colsum\\(dz\\) +" + shape(H));
        out.push_back("dx = dz W\\^T +" + shape(N, D));
    }
    for (std::size_t i = 0; i < L; ++i) {
        out.push_back("layers\\." + std::to_string(i) + "\\.W +" +
                      shape(net.sizes[i], net.sizes[i + 1]));
        out.push_back("layers\\." + std::to_string(i) + "\\.b +" + shape(net.sizes[i + 1]));
    }
    return out;
}

// Each expected line, found in order: every match must start after the previous one.
void expect_in_order(const std::string& output, const std::vector<std::string>& patterns) {
    std::size_t pos = 0;
    for (const auto& p : patterns) {
        std::smatch m;
        std::string rest = output.substr(pos);
        ASSERT_TRUE(std::regex_search(rest, m, std::regex(p)))
            << "not found after offset " << pos << ": " << p << "\n"
            << output;
        pos += static_cast<std::size_t>(m.position(0) + m.length(0));
    }
}

// The update table's rows: name, ||p||, ||grad||, ||delta p||.
struct UpdateRow {
    std::string name;
    double p, grad, delta;
};

std::vector<UpdateRow> update_rows(const std::string& output) {
    std::vector<UpdateRow> rows;
    std::regex re(R"((layers\.\d+\.[Wb]) +\([0-9, ]+\) +([0-9.e+-]+) +([0-9.e+-]+) +([0-9.e+-]+))");
    for (auto it = std::sregex_iterator(output.begin(), output.end(), re);
         it != std::sregex_iterator(); ++it)
        rows.push_back({(*it)[1], std::stod((*it)[2]), std::stod((*it)[3]), std::stod((*it)[4])});
    return rows;
}

TEST(Explain, DefaultIrisNetworkShapes) {
    Result r = run("explain");
    ASSERT_EQ(r.code, 0) << r.output;
    expect_in_order(r.output, expected_lines({{4, 16, 3}, "relu", 16}));
}

TEST(Explain, TwoHiddenLayersOnDigitsShapes) {
    Result r = run("explain --dataset digits --hidden 5,7 --activation tanh --batch-size 8");
    ASSERT_EQ(r.code, 0) << r.output;
    expect_in_order(r.output, expected_lines({{64, 5, 7, 10}, "tanh", 8}));
}

TEST(Explain, FirstSgdStepMovesEachTensorByLrTimesItsGradient) {
    // SGD with momentum starts its velocity at 0, so the first step is p -= lr grad exactly:
    // ||delta p|| = lr ||grad||. The table prints 4 significant digits (relative rounding
    // 5e-4 on each number).
    const double lr = 0.2;
    Result r = run("explain --lr 0.2 --hidden 6 --batch-size 10");
    ASSERT_EQ(r.code, 0) << r.output;
    std::vector<UpdateRow> rows = update_rows(r.output);
    ASSERT_EQ(rows.size(), 4u) << r.output;
    for (const auto& row : rows) {
        EXPECT_GT(row.grad, 0) << row.name;
        EXPECT_NEAR(row.delta, lr * row.grad, 2e-3 * lr * row.grad) << row.name << "\n" << r.output;
    }
}

TEST(Explain, BadFlagsExitTwo) {
    EXPECT_EQ(run("explain --batch-size 0").code, 2);
    Result r = run("explain --activation nope");
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_TRUE(ffnn::test::contains(r.output, "nope")) << r.output;
}

}  // namespace
