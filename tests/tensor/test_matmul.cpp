// Tests of gemm / matmul (tensor/matmul.cpp) against an independent product computed in
// double precision in this file.
//
// Every test of the product runs once per micro-kernel and element type (portable, avx2,
// avx512 x float, double); a kernel this CPU cannot run is skipped with a message, and
// GemmKernelChoice checks against /proc/cpuinfo that no kernel the CPU has is skipped.
// Shapes straddle every blocking boundary of the kernel under test, read from
// gemm_blocking() (1, MR-1, MR+1, NR+1, KC+1, MC+1, NC+1, primes 127 and 257, the
// tall-skinny 1000x4 * 4x16, narrow C computed as C^T), for the four transpose combinations,
// several alpha/beta pairs (including beta == 0 over a C full of NaN); on the packed path,
// the unpacked path for tiny products and with two threads. Products stay below ~20 million
// multiply-adds (K <= 385) so that the suite is quick under AddressSanitizer at -O1 as well.
//
// Tolerance. With entries of A, B, C in [-1, 1], any order of summation, with or without
// FMA, satisfies the classical bound (Higham, "Accuracy and Stability of Numerical
// Algorithms", 2nd ed., section 3.5) for each element:
//   |c - ref| <= gamma(K + 3) * (|alpha| * sum_p |a_ip b_pj| + |beta * c0_ij|),
//   gamma(n) = n u / (1 - n u),  u = epsilon / 2 (unit roundoff),
// where K + 3 counts the K products and additions plus the roundings of alpha *, beta * and
// the final sum. That is the atol of each element; rtol = 2u adds the rounding of the double
// reference to T. A wrong or missing term moves c by about |a b| ~ 0.25, orders of magnitude
// above this bound (at most ~2e-3 for K = 385 in float, typically far below).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <new>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "ffnn/tensor/cpu.hpp"
#include "ffnn/tensor/kernels/gemm_config.hpp"
#include "ffnn/tensor/matmul.hpp"
#include "ffnn/tensor/parallel.hpp"
#include "ffnn/tensor/random.hpp"

namespace ffnn {
namespace {

// Dense row-major storage of a (rows, cols) matrix with row stride ld >= cols.
template <class T>
struct Mat {
    std::size_t rows = 0, cols = 0, ld = 0;
    std::vector<T> v;
    Mat(std::size_t r, std::size_t c, std::size_t ld_, Rng& rng) : rows(r), cols(c), ld(ld_) {
        v.resize(r * ld_ + 1);  // never empty, so data() is a valid pointer for 0 rows
        for (auto& x : v) x = static_cast<T>(2 * rng.uniform01() - 1);  // in [-1, 1)
    }
    T* data() { return v.data(); }
    const T* data() const { return v.data(); }
};

// The reference: op(A) (M, K), op(B) (K, N), C (M, N), every operation in double.
// Also returns the element-wise error bound described at the top of the file.
template <class T>
void reference(Trans ta, Trans tb, std::size_t M, std::size_t N, std::size_t K, T alpha,
               const Mat<T>& A, const Mat<T>& B, T beta, const Mat<T>& C0, std::vector<double>& ref,
               std::vector<double>& bound) {
    const double u = std::numeric_limits<T>::epsilon() / 2;
    const double n = static_cast<double>(K + 3);
    const double gamma = n * u / (1 - n * u);
    ref.assign(M * N, 0.0);
    bound.assign(M * N, 0.0);
    for (std::size_t i = 0; i < M; ++i)
        for (std::size_t j = 0; j < N; ++j) {
            double acc = 0, abs_acc = 0;
            for (std::size_t p = 0; p < K; ++p) {
                double a = ta == Trans::No ? A.v[i * A.ld + p] : A.v[p * A.ld + i];
                double b = tb == Trans::No ? B.v[p * B.ld + j] : B.v[j * B.ld + p];
                acc += a * b;
                abs_acc += std::abs(a * b);
            }
            double c0 = beta == T(0) ? 0.0 : double(C0.v[i * C0.ld + j]);
            double r = double(alpha) * acc + double(beta) * c0;
            ref[i * N + j] = r;
            bound[i * N + j] =
                gamma * (std::abs(double(alpha)) * abs_acc + std::abs(double(beta) * c0)) +
                2 * u * std::abs(r);
        }
}

struct Case {
    std::size_t M, N, K;
};

// Random operands of a product, stored as the flags say (A (M, K) or (K, M), B (K, N) or
// (N, K)), and a random C (M, N); rows without padding.
template <class T>
struct Operands {
    Mat<T> A, B, C;
};
template <class T>
Operands<T> operands(Trans ta, Trans tb, const Case& c, Rng& rng) {
    const std::size_t ar = ta == Trans::No ? c.M : c.K, ac = ta == Trans::No ? c.K : c.M;
    const std::size_t br = tb == Trans::No ? c.K : c.N, bc = tb == Trans::No ? c.N : c.K;
    Mat<T> A(ar, ac, ac, rng);
    Mat<T> B(br, bc, bc, rng);
    Mat<T> C(c.M, c.N, c.N, rng);
    return {std::move(A), std::move(B), std::move(C)};
}

std::string describe(Trans ta, Trans tb, const Case& c, double alpha, double beta) {
    return std::string("op(A)=") + (ta == Trans::No ? "A" : "A^T") +
           " op(B)=" + (tb == Trans::No ? "B" : "B^T") + " M=" + std::to_string(c.M) +
           " N=" + std::to_string(c.N) + " K=" + std::to_string(c.K) +
           " alpha=" + std::to_string(alpha) + " beta=" + std::to_string(beta);
}

// Runs gemm on one case with padded strides (pad extra elements per row) and checks every
// element of C against the reference, and that the padding of C is left untouched.
template <class T>
void check_gemm(Trans ta, Trans tb, const Case& c, T alpha, T beta, std::size_t pad, bool nan_in_c,
                Rng& rng) {
    const std::size_t ar = ta == Trans::No ? c.M : c.K, ac = ta == Trans::No ? c.K : c.M;
    const std::size_t br = tb == Trans::No ? c.K : c.N, bc = tb == Trans::No ? c.N : c.K;
    Mat<T> A(ar, ac, ac + pad, rng), B(br, bc, bc + pad, rng), C(c.M, c.N, c.N + pad, rng);
    if (nan_in_c)
        for (std::size_t i = 0; i < c.M; ++i)
            for (std::size_t j = 0; j < c.N; ++j)
                C.v[i * C.ld + j] = std::numeric_limits<T>::quiet_NaN();
    const std::vector<T> before = C.v;
    std::vector<double> ref, bound;
    reference(ta, tb, c.M, c.N, c.K, alpha, A, B, beta, C, ref, bound);

    gemm<T>(ta, tb, c.M, c.N, c.K, alpha, A.data(), A.ld, B.data(), B.ld, beta, C.data(), C.ld);

    const std::string what = describe(ta, tb, c, alpha, beta) + " pad=" + std::to_string(pad);
    std::size_t failures = 0;
    for (std::size_t i = 0; i < c.M && failures < 5; ++i) {
        for (std::size_t j = 0; j < c.N && failures < 5; ++j) {
            const double got = C.v[i * C.ld + j], want = ref[i * c.N + j];
            if (!(std::abs(got - want) <= bound[i * c.N + j])) {
                ADD_FAILURE() << what << ": C(" << i << "," << j << ") = " << got << ", reference "
                              << want << ", bound " << bound[i * c.N + j];
                ++failures;
            }
        }
        for (std::size_t j = c.N; j < C.ld; ++j)  // padding must be untouched (bitwise)
            if (std::memcmp(&C.v[i * C.ld + j], &before[i * C.ld + j], sizeof(T)) != 0) {
                ADD_FAILURE() << what << ": padding C(" << i << "," << j << ") was written";
                ++failures;
            }
    }
}

constexpr Trans kTrans[] = {Trans::No, Trans::Yes};

// One test parameter: element type T and micro-kernel K.
template <class T, GemmKernel K>
struct KernelParam {
    using Type = T;
    static constexpr GemmKernel kKernel = K;
};

// The fixture selects the kernel under test for the test's duration (skipping the test when
// this CPU cannot run it) and restores the previous one afterwards.
template <class P>
class GemmTest : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!gemm_kernel_supported(P::kKernel))
            GTEST_SKIP() << "this CPU cannot run the " << gemm_kernel_name(P::kKernel) << " kernel";
        saved_ = gemm_kernel();
        set_gemm_kernel(P::kKernel);
        selected_ = true;
    }
    void TearDown() override {
        if (selected_) set_gemm_kernel(saved_);
    }
    // The blocking of the kernel under test, for the test's element type.
    static GemmBlocking blocking() { return gemm_blocking<typename P::Type>(P::kKernel); }
    void block_boundaries();  // the cases of BlockBoundariesAllTransposes

  private:
    GemmKernel saved_ = GemmKernel::Portable;
    bool selected_ = false;
};

using Params = ::testing::Types<
    KernelParam<float, GemmKernel::Portable>, KernelParam<float, GemmKernel::Avx2>,
    KernelParam<float, GemmKernel::Avx512>, KernelParam<double, GemmKernel::Portable>,
    KernelParam<double, GemmKernel::Avx2>, KernelParam<double, GemmKernel::Avx512>>;

struct ParamNames {
    template <class P>
    static std::string GetName(int) {
        return std::string(sizeof(typename P::Type) == 4 ? "float_" : "double_") +
               gemm_kernel_name(P::kKernel);
    }
};
TYPED_TEST_SUITE(GemmTest, Params, ParamNames);

// Every blocking boundary in each of M, N and K, for all four transpose combinations, with
// beta = 0 (over NaN) and a general alpha/beta. The other two sizes are chosen so that the
// work M N K stays above kSmallWork; the unpacked path is switched off, so that these cases
// all run the packed path (the AVX-512 configuration would take most op(B) = B ones unpacked).
// Then the same cases again on the default paths.
TYPED_TEST(GemmTest, BlockBoundariesAllTransposes) {
    for (bool unpacked : {false, true}) {
        SCOPED_TRACE(unpacked ? "default paths" : "packed path only");
        set_gemm_unpacked_path(unpacked);
        this->block_boundaries();
    }
    set_gemm_unpacked_path(true);
}

// The tiles of an M edge (fewer than MR rows; the AVX2 and AVX-512 edge kernels compute only those
// rows): every row count 1 .. 2 MR - 1 but MR, on the packed path, within the bound of the
// reference, and with each row of C the same bits as when it falls in a full tile of a taller
// product (3 MR rows) with the same operands. N = 3 NR - 1 puts a full-width panel and an N edge
// in each; K = KC + 3 two K blocks, so the second accumulates onto the first. With beta = 0 the
// bits agree for every kernel and type. With beta != 0 they agree in fp32 with AVX2 and AVX-512,
// where none of these products is computed as C^T. Elsewhere the short products can be: fp64's NR
// (8, 16) is so narrow that a few rows of C (7 with AVX2, 15 with AVX-512) fill C^T's tiles
// better. The portable kernel also has no edge kernel. In those cases, the C^T tile write or the
// scratch copy adds beta C as a multiply and an add, an FMA only where the compiler contracts it
// (not in the portable preset), where the micro-kernel fuses it.
TYPED_TEST(GemmTest, EdgeRowsSameBitsAsFullTiles) {
    using T = typename TypeParam::Type;
    const GemmBlocking bk = TestFixture::blocking();
    const std::size_t Mb = 3 * bk.MR, N = 3 * bk.NR - 1, K = bk.KC + 3;
    const std::pair<T, T> scalings[] = {{T(1), T(0)}, {T(0.75), T(-1.5)}};
    set_gemm_unpacked_path(false);
    Rng rng(44);
    for (Trans ta : kTrans)
        for (Trans tb : kTrans) {
            Operands<T> op = operands<T>(ta, tb, Case{Mb, N, K}, rng);
            for (const auto& [alpha, beta] : scalings) {
                std::vector<T> c0 = op.C.v;
                if (beta == T(0))
                    std::fill(c0.begin(), c0.end(), std::numeric_limits<T>::quiet_NaN());
                std::vector<double> ref, bound;
                reference(ta, tb, Mb, N, K, alpha, op.A, op.B, beta, op.C, ref, bound);
                std::vector<T> tall = c0;
                gemm<T>(ta, tb, Mb, N, K, alpha, op.A.data(), op.A.ld, op.B.data(), op.B.ld, beta,
                        tall.data(), N);
                const std::string what = describe(ta, tb, Case{Mb, N, K}, alpha, beta);
                for (std::size_t e = 0; e < Mb * N; ++e)
                    ASSERT_LE(std::abs(double(tall[e]) - ref[e]), bound[e])
                        << what << ": C(" << e / N << "," << e % N << ")";
                for (std::size_t rows = 1; rows < 2 * bk.MR; ++rows) {
                    if (rows == bk.MR) continue;
                    // The first `rows` rows of op(A) are at the same address with the same lda.
                    std::vector<T> c(c0.begin(), c0.begin() + rows * N);
                    gemm<T>(ta, tb, rows, N, K, alpha, op.A.data(), op.A.ld, op.B.data(), op.B.ld,
                            beta, c.data(), N);
                    for (std::size_t e = 0; e < rows * N; ++e)
                        ASSERT_LE(std::abs(double(c[e]) - ref[e]), bound[e])
                            << what << ": C(" << e / N << "," << e % N << ") of the first " << rows
                            << " rows alone";
                    if (beta == T(0) ||
                        (std::is_same_v<T, float> && TypeParam::kKernel != GemmKernel::Portable)) {
                        EXPECT_EQ(std::memcmp(c.data(), tall.data(), rows * N * sizeof(T)), 0)
                            << what << ": the first " << rows << " rows alone";
                    }
                }
            }
        }
    set_gemm_unpacked_path(true);
}

template <class Param>
void GemmTest<Param>::block_boundaries() {
    using T = typename Param::Type;
    const GemmBlocking bk = blocking();
    const std::size_t packed = gemm_detail::kSmallWork + 1;  // least work of the packed path
    const std::size_t values[] = {1,         bk.MR - 1, bk.MR + 1, bk.NR + 1,
                                  bk.KC + 1, bk.MC + 1, 127,       257};
    auto other = [&](std::size_t v, std::size_t fixed, std::size_t least) {
        return std::max(least, (packed + v * fixed - 1) / (v * fixed));  // v*fixed*other >= packed
    };
    std::vector<Case> cases;
    for (std::size_t v : values) {  // K never grows here: it would loosen the bound
        cases.push_back({v, other(v, 37, 19), 37});
        cases.push_back({other(v, 37, 13), v, 37});
        cases.push_back({13, other(v, 13, 19), v});
    }
    cases.push_back({bk.MR, bk.NR * 43, bk.KC});  // full tiles only, one K block
    cases.push_back({bk.MC + 1, bk.NR + 1, bk.KC + 1});
    cases.push_back({127, 127, 127});  // above parallel_work: 2 threads, C split by columns
    cases.push_back({301, 37, 97});    // above parallel_work and narrow: C split by rows
    // Narrow C, computed as C^T for every kernel (gemm_packed): the output layer's product
    // (128, 10, 128), fewer columns than MR, a C^T with an edge in both directions.
    cases.push_back({128, 10, 128});
    cases.push_back({300, 5, 70});
    cases.push_back({9 * bk.NR + 1, bk.MR - 1, other(9 * bk.NR + 1, bk.MR - 1, 41)});
    Rng rng(42);
    for (Trans ta : kTrans)
        for (Trans tb : kTrans)
            for (const Case& c : cases) {
                ASSERT_GE(c.M * c.N * c.K, packed);
                check_gemm<T>(ta, tb, c, T(1), T(0), 0, true, rng);
                check_gemm<T>(ta, tb, c, T(0.75), T(-1.5), 0, false, rng);
            }
}

// Products below kSmallWork (the unpacked path when op(B) = B), around the vector width:
// the Iris network's products forward and backward, the tall-skinny (N, D) x (D, H) shape,
// widths 1 .. 2 NR + 3 (full vectors and masked tails), fewer rows than the 4-row block.
TYPED_TEST(GemmTest, SmallProductsAllTransposes) {
    using T = typename TypeParam::Type;
    const GemmBlocking bk = TestFixture::blocking();
    std::vector<Case> cases = {{1, 1, 1},     {32, 16, 4}, {32, 3, 16},
                               {4, 16, 32},   {16, 3, 32}, {32, 16, 3},
                               {1000, 16, 4}, {3, 7, 5},   {bk.MR - 1, 19, 37}};
    for (std::size_t n = 1; n <= 2 * bk.NR + 3; ++n) cases.push_back({7, n, 9});
    Rng rng(43);
    for (Trans ta : kTrans)
        for (Trans tb : kTrans)
            for (const Case& c : cases) {
                check_gemm<T>(ta, tb, c, T(1), T(0), 0, true, rng);
                check_gemm<T>(ta, tb, c, T(0.75), T(-1.5), 0, false, rng);
                check_gemm<T>(ta, tb, c, T(-1), T(1), 3, false, rng);  // strided
            }
}

// One big prime cube, in every transpose combination (multi-threaded, several IC blocks).
TYPED_TEST(GemmTest, PrimeCube257) {
    using T = typename TypeParam::Type;
    Rng rng(7);
    for (Trans ta : kTrans)
        for (Trans tb : kTrans)
            check_gemm<T>(ta, tb, {257, 257, 257}, T(-2), T(0.5), 0, false, rng);
}

// More columns than one NC block: the JC loop runs twice.
TYPED_TEST(GemmTest, WiderThanNC) {
    using T = typename TypeParam::Type;
    const GemmBlocking bk = TestFixture::blocking();
    Rng rng(3);
    for (Trans tb : kTrans)
        check_gemm<T>(Trans::No, tb, {7, bk.NC + 1, 5}, T(1), T(1), 0, false, rng);
}

// Row strides larger than the widths: gemm on submatrices, padding of C untouched.
TYPED_TEST(GemmTest, StridesLargerThanWidth) {
    using T = typename TypeParam::Type;
    Rng rng(11);
    for (Trans ta : kTrans)
        for (Trans tb : kTrans) {
            check_gemm<T>(ta, tb, {37, 29, 41}, T(1), T(0), 5, true, rng);
            check_gemm<T>(ta, tb, {131, 67, 300}, T(0.5), T(2), 3, false, rng);
            check_gemm<T>(ta, tb, {20, 10, 3}, T(1), T(1), 7, false, rng);  // small path
            // Narrow: C^T on the packed path, the narrow loop (fp32) or the scratch C^T.
            check_gemm<T>(ta, tb, {128, 10, 128}, T(1), T(0), 3, true, rng);
            check_gemm<T>(ta, tb, {128, 10, 128}, T(-1), T(0.5), 5, false, rng);
        }
}

// alpha == 0 and K == 0 only scale C by beta; beta == 0 then writes zeros over NaN.
TYPED_TEST(GemmTest, AlphaZeroAndEmptyK) {
    using T = typename TypeParam::Type;
    Rng rng(5);
    check_gemm<T>(Trans::No, Trans::No, {9, 21, 0}, T(1), T(-0.5), 0, false, rng);
    check_gemm<T>(Trans::No, Trans::No, {9, 21, 0}, T(1), T(0), 0, true, rng);
    check_gemm<T>(Trans::Yes, Trans::No, {9, 21, 13}, T(0), T(3), 0, false, rng);
    check_gemm<T>(Trans::No, Trans::Yes, {9, 21, 13}, T(0), T(0), 0, true, rng);
    // M == 0 or N == 0: nothing to do, nothing touched.
    check_gemm<T>(Trans::No, Trans::No, {0, 21, 13}, T(1), T(0), 0, false, rng);
    check_gemm<T>(Trans::No, Trans::No, {9, 0, 13}, T(1), T(0), 0, false, rng);
}

// The result does not depend on the thread count: same bits with 1 and 2 threads, on shapes
// above the kernel's parallel_work, so that they are split between the threads.
TYPED_TEST(GemmTest, BitIdenticalWithOneAndTwoThreads) {
    using T = typename TypeParam::Type;
    const int saved = max_threads();
    // Split by columns, by columns with few rows, by rows (narrow C), and a narrow C computed
    // as C^T (split by the columns of C^T).
    // {1001, 40, 300} is taken unpacked by AVX-512, and by AVX2 when B (47 KiB) fits in the
    // L1d (48 KiB here), and split by rows (500 + 501, not on a row block of the loop);
    // {60, 300, 290}, wider than tall, is taken unpacked by both and split by columns (whole
    // column chunks, the masked tail in the last range); {40, 270, 790} the same with B past
    // half of a 1 MiB L2 (AVX-512's unpacked region on AMD). Each shape runs on the default
    // paths and on the packed path alone.
    const Case shapes[] = {{300, 150, 280}, {60, 300, 290}, {301, 37, 97}, {500, 10, 128},
                           {1001, 40, 300}, {29, 263, 300}, {40, 270, 790}};
    for (bool unpacked : {true, false})
        for (const Case& c : shapes)
            for (Trans ta : kTrans)
                for (Trans tb : kTrans) {
                    set_gemm_unpacked_path(unpacked);
                    Rng rng(99);
                    auto [A, B, C0] = operands<T>(ta, tb, c, rng);
                    ASSERT_GE(c.M * c.N * c.K, TestFixture::blocking().parallel_work);
                    std::vector<std::vector<T>> results;
                    for (int threads : {1, 2}) {
                        set_threads(threads);
                        std::vector<T> C = C0.v;
                        gemm<T>(ta, tb, c.M, c.N, c.K, T(0.5), A.data(), A.ld, B.data(), B.ld,
                                T(0.25), C.data(), c.N);
                        results.push_back(std::move(C));
                    }
                    EXPECT_EQ(0, std::memcmp(results[0].data(), results[1].data(),
                                             results[0].size() * sizeof(T)))
                        << describe(ta, tb, c, 0.5, 0.25) << ": 1 and 2 threads differ"
                        << (unpacked ? "" : " (packed path)");
                }
    set_gemm_unpacked_path(true);
    set_threads(saved);
}

// GemmBlockDone: the blocks gemm reports cover C exactly once, and each holds its final values
// when reported (what a fused pass reads). On every path: packed with several K blocks (the
// report after the last one only), narrow C computed as C^T (blocks reported in the caller's
// coordinates), unpacked split by rows and by columns, below parallel_work on the calling
// thread, and K = 0; on 1 and 2 threads; and the product itself is the same bits as without
// the callback. Asked for whole rows (the optimiser's pass), every block spans all N columns
// (these C are narrower than NC).
TYPED_TEST(GemmTest, BlockDoneCoversCOnceWithFinalValues) {
    using T = typename TypeParam::Type;
    const GemmBlocking bk = TestFixture::blocking();
    const int saved = max_threads();
    const Case shapes[] = {{300, 150, 2 * bk.KC + 3},
                           {500, 10, 128},
                           {128, 10, 128},
                           {1001, 40, 300},
                           {60, 300, 290},
                           {32, 16, 4},
                           {bk.MC + 1, bk.NR + 1, bk.KC + 1},
                           {7, 9, 0}};
    struct Record {
        std::size_t M, N;
        const T* C;
        std::vector<std::atomic<int>> count;
        std::vector<T> seen;               // each element's value when its block was reported
        std::atomic<int> partial_rows{0};  // blocks narrower than C
    };
    auto on_block = [](void* context, std::size_t r0, std::size_t r1, std::size_t c0,
                       std::size_t c1) {
        auto* rec = static_cast<Record*>(context);
        EXPECT_TRUE(r0 < r1 && r1 <= rec->M && c0 < c1 && c1 <= rec->N)
            << "block [" << r0 << ", " << r1 << ") x [" << c0 << ", " << c1 << ") of C " << rec->M
            << "x" << rec->N;
        for (std::size_t i = r0; i < std::min(r1, rec->M); ++i)
            for (std::size_t j = c0; j < std::min(c1, rec->N); ++j) {
                rec->count[i * rec->N + j].fetch_add(1);
                rec->seen[i * rec->N + j] = rec->C[i * rec->N + j];
            }
        if (c0 != 0 || c1 != rec->N) rec->partial_rows.fetch_add(1);
    };
    for (bool whole_rows : {false, true})
        for (bool unpacked : {true, false})
            for (int threads : {1, 2})
                for (const Case& c : shapes)
                    for (Trans ta : kTrans)
                        for (Trans tb : kTrans) {
                            set_gemm_unpacked_path(unpacked);
                            set_threads(threads);
                            Rng rng(5);
                            auto [A, B, C0] = operands<T>(ta, tb, c, rng);
                            std::vector<T> plain = C0.v, fused = C0.v;
                            gemm<T>(ta, tb, c.M, c.N, c.K, T(0.5), A.data(), A.ld, B.data(), B.ld,
                                    T(0.25), plain.data(), c.N);
                            Record rec{c.M, c.N, fused.data(),
                                       std::vector<std::atomic<int>>(c.M * c.N), C0.v};
                            gemm<T>(ta, tb, c.M, c.N, c.K, T(0.5), A.data(), A.ld, B.data(), B.ld,
                                    T(0.25), fused.data(), c.N,
                                    GemmBlockDone{on_block, &rec, whole_rows});
                            const std::string what = describe(ta, tb, c, 0.5, 0.25) + ", " +
                                                     std::to_string(threads) + " thread(s)" +
                                                     (unpacked ? "" : ", packed path") +
                                                     (whole_rows ? ", whole rows" : "");
                            if (whole_rows) {
                                EXPECT_EQ(rec.partial_rows.load(), 0) << what << ": partial rows";
                            }
                            EXPECT_EQ(0, std::memcmp(plain.data(), fused.data(),
                                                     plain.size() * sizeof(T)))
                                << what << ": the callback changed the product";
                            std::size_t wrong_count = 0, not_final = 0;
                            for (std::size_t e = 0; e < c.M * c.N; ++e) {
                                wrong_count += rec.count[e].load() != 1;
                                not_final += std::memcmp(&rec.seen[e], &fused[e], sizeof(T)) != 0;
                            }
                            EXPECT_EQ(wrong_count, 0u) << what << ": elements not reported once";
                            EXPECT_EQ(not_final, 0u) << what << ": elements reported before final";
                        }
    set_gemm_unpacked_path(true);
    set_threads(saved);
}

// The unpacked loops' own edges (AVX-512 takes products unpacked up to B in half the L2, AVX2
// while B fits in L1 or C has fewer than 64 rows, so these reach both with every row block,
// 8, 4, 2, 1 for AVX-512 and 6, 5, 4, 3, 2, 1 for AVX2, and widths around 1 and 2 vectors): M = 1
// .. 19 rows, N across the vector widths, K from 1 up, with and without op(A)^T, beta 0 over NaN
// and a general beta, strides wider than the rows. And a tall product split by rows between 2
// threads (the threaded unpacked path) against the reference.
TYPED_TEST(GemmTest, UnpackedPathEdges) {
    using T = typename TypeParam::Type;
    Rng rng(61);
    std::vector<Case> cases;
    for (std::size_t m = 1; m <= 19; ++m) cases.push_back({m, 37, 11});
    for (std::size_t n : {1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 48, 49, 64, 65, 100})
        cases.push_back({13, n, 29});
    for (std::size_t k : {1, 2, 300}) cases.push_back({9, 40, k});
    cases.push_back({1003, 33, 70});  // above parallel_work: threads split the rows
    for (Trans ta : kTrans)
        for (const Case& c : cases) {
            check_gemm<T>(ta, Trans::No, c, T(1), T(0), 0, true, rng);
            check_gemm<T>(ta, Trans::No, c, T(0.75), T(-1.5), 0, false, rng);
            check_gemm<T>(ta, Trans::No, c, T(-1), T(1), 5, false, rng);  // strided
        }
}

// Awkward small shapes, M, N, K each from 1 to 37 (the primes, and both sides of the row
// blocks 6 and 8 and of the vector widths 4, 8 and 16): all below kSmallWork, so they run the
// unpacked loop of every kernel that has one (the packed path for portable; with op(A) = A^T
// and N <= 14, the narrow loop in fp32). Four contracts each: beta = 0 over a C full of NaN
// (overwritten, never read) with alpha 1 and with alpha != 1, beta = 1 with alpha != 1 and
// row strides wider than the rows (the padding of C must stay untouched), and a general
// alpha and beta.
TYPED_TEST(GemmTest, UnpackedPathAwkwardShapes) {
    using T = typename TypeParam::Type;
    Rng rng(67);
    const std::size_t ms[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 17, 19, 23, 29, 31, 37};
    const std::size_t ns[] = {1,  2,  3,  4,  5,  7,  8,  9,  11, 13, 15,
                              16, 17, 19, 23, 24, 25, 29, 31, 32, 33, 37};
    const std::size_t ks[] = {1, 2, 3, 5, 8, 13, 37};
    for (Trans ta : kTrans)
        for (std::size_t m : ms)
            for (std::size_t n : ns)
                for (std::size_t k : ks) {
                    const Case c{m, n, k};
                    ASSERT_LT(m * n * k, gemm_detail::kSmallWork);
                    check_gemm<T>(ta, Trans::No, c, T(1), T(0), 1, true, rng);
                    check_gemm<T>(ta, Trans::No, c, T(0.625), T(0), 0, true, rng);
                    check_gemm<T>(ta, Trans::No, c, T(-0.5), T(1), 3, false, rng);
                    check_gemm<T>(ta, Trans::No, c, T(1.75), T(-1.5), 0, false, rng);
                }
}

// Products above kSmallWork that the rule (use_unpacked) sends down the unpacked path of
// AVX2, AVX-512 or both: B within the L1d and many rows, few rows and B in the L2, with an
// edge in every direction; against the reference, on the default paths and with the
// unpacked path switched off (the same cases through the packed path). The last four are
// narrow with K >= 128: with op(A) = A^T the narrow loop takes N <= 14 in fp32 (the output
// layer's weight gradient, fewer rows of C^T than a row block, one column) and C^T through
// the unpacked loop (matmul.cpp, unpacked_transposed) takes them in fp64, and N = 20 in both.
// Then A^T with 29 rows above 2^21 multiply-adds, AVX-512's unpacked A^T region for at most
// 32 rows; and (33, 263, 790), whose fp32 B (812 KiB) is past half of a 1 MiB L2 but within
// 7/8 of it, AVX-512's unpacked region on AMD (a Zen 5 takes it unpacked, the Xeon with its
// 2 MiB L2 too).
TYPED_TEST(GemmTest, UnpackedRuleRegions) {
    using T = typename TypeParam::Type;
    Rng rng(71);
    const Case cases[] = {{509, 23, 61},  {61, 131, 167}, {37, 257, 131}, {97, 97, 97},
                          {509, 10, 128}, {67, 3, 400},   {1000, 1, 131}, {509, 20, 128},
                          {29, 263, 300}, {33, 263, 790}};
    for (bool unpacked : {true, false}) {
        set_gemm_unpacked_path(unpacked);
        for (Trans ta : kTrans)
            for (const Case& c : cases) {
                ASSERT_GE(c.M * c.N * c.K, gemm_detail::kSmallWork);
                check_gemm<T>(ta, Trans::No, c, T(1), T(0), 0, true, rng);
                check_gemm<T>(ta, Trans::No, c, T(0.5), T(1), 2, false, rng);
            }
    }
    set_gemm_unpacked_path(true);
}

// The narrow A^T B loops (AVX2 and AVX-512, fp32: use_narrow_tn, one instantiation per N up to
// kNarrowMaxN), on one thread: every width N = 1 .. 14, and 15 (past it, the unpacked loops),
// against the reference (AVX2's two groups of 8 columns); M on both sides of AVX2's 8-row blocks
// and AVX-512's 16-row halves and 32-row blocks, K from 1 to the output layer's 128; beta 0 over
// NaN (alpha 1 and not), a general beta, strides wider than the rows (the padding of C must stay
// untouched). For the other kernels and fp64 the same cases check the loops they run instead.
TYPED_TEST(GemmTest, NarrowTransposedEveryWidth) {
    using T = typename TypeParam::Type;
    Rng rng(73);
    for (std::size_t n = 1; n <= gemm_detail::kNarrowMaxN + 1; ++n)
        for (std::size_t m : {1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 100})
            for (std::size_t k : {1, 32, 128}) {
                const Case c{m, n, k};
                check_gemm<T>(Trans::Yes, Trans::No, c, T(1), T(0), 0, true, rng);
                check_gemm<T>(Trans::Yes, Trans::No, c, T(-0.75), T(0), 2, true, rng);
                check_gemm<T>(Trans::Yes, Trans::No, c, T(0.75), T(-1.5), 3, false, rng);
            }
}

// The narrow loop above its threshold (narrow_parallel_work), split between two threads by
// row blocks: against the reference (alpha != 1 over NaN with beta 0, and a general beta),
// and the same bits on 1 and 2 threads.
TYPED_TEST(GemmTest, NarrowTransposedOneAndTwoThreads) {
    using T = typename TypeParam::Type;
    const int saved = max_threads();
    const Case cases[] = {{509, 13, 128}, {1000, 10, 100}, {333, 1, 1000}};
    for (const Case& c : cases) {
        ASSERT_GE(c.M * c.N * c.K, 2 * gemm_detail::kParallelWork);
        std::vector<std::vector<T>> results;
        for (int threads : {1, 2}) {
            set_threads(threads);
            Rng rng(79);
            check_gemm<T>(Trans::Yes, Trans::No, c, T(0.5), T(0), 1, true, rng);
            check_gemm<T>(Trans::Yes, Trans::No, c, T(1.25), T(-0.5), 0, false, rng);
            Rng same(83);
            auto [A, B, C0] = operands<T>(Trans::Yes, Trans::No, c, same);
            gemm<T>(Trans::Yes, Trans::No, c.M, c.N, c.K, T(0.5), A.data(), A.ld, B.data(), B.ld,
                    T(0.25), C0.data(), c.N);
            results.push_back(C0.v);
        }
        EXPECT_EQ(0,
                  std::memcmp(results[0].data(), results[1].data(), results[0].size() * sizeof(T)))
            << describe(Trans::Yes, Trans::No, c, 0.5, 0.25) << ": 1 and 2 threads differ";
    }
    set_threads(saved);
}

TEST(GemmNarrowRule, TakesNarrowTransposedProducts) {
    using gemm_detail::use_narrow_tn;
    constexpr GemmKernel avx2 = GemmKernel::Avx2, avx512 = GemmKernel::Avx512;
    EXPECT_TRUE(use_narrow_tn(avx512, true, 64, 10, 32));    // digits' output weight gradient
    EXPECT_TRUE(use_narrow_tn(avx512, true, 128, 10, 128));  // MNIST's, batch 128
    EXPECT_TRUE(use_narrow_tn(avx512, true, 16, 3, 32));     // Iris'
    EXPECT_TRUE(use_narrow_tn(avx512, true, 1000, 14, 128));
    EXPECT_FALSE(use_narrow_tn(avx512, true, 1000, 15, 128));  // past kNarrowMaxN
    EXPECT_FALSE(use_narrow_tn(avx512, false, 128, 10, 128));  // op(A) = A
    EXPECT_TRUE(use_narrow_tn(avx2, true, 128, 10, 128));
    EXPECT_FALSE(use_narrow_tn(GemmKernel::Portable, true, 128, 10, 128));  // no loop of its own
    EXPECT_FALSE(use_narrow_tn(avx512, true, 2048, 10, 128));  // 2^21 multiply-adds and more
    EXPECT_TRUE(use_narrow_tn(avx512, true, 1, 1, (std::size_t(1) << 21) - 1));  // the boundary
    EXPECT_FALSE(use_narrow_tn(avx512, true, 1, 1, std::size_t(1) << 21));
    EXPECT_TRUE(use_narrow_tn(avx2, true, 200, 10, 1000));  // B past a 48 KiB L1d
}

// The rule itself on the measured shapes (gemm_config.hpp lists the figures), with the
// caches of the Xeon model 167 (L1d 48 KiB, L2 2 MiB), of a Zen 3 (32 KiB, 512 KiB) and of a
// Zen 5 (48 KiB, 1 MiB).
TEST(GemmUnpackedRule, ChoosesTheMeasuredFasterPath) {
    using gemm_detail::use_unpacked;
    constexpr std::size_t l1 = 48 * 1024, l2 = 2048 * 1024, f = sizeof(float);
    constexpr GemmKernel avx2 = GemmKernel::Avx2, avx512 = GemmKernel::Avx512;
    // avx2: B in L1, or fewer than 64 rows and B in half the L2.
    EXPECT_TRUE(use_unpacked(avx2, false, 32, 16, 4, f, l1, l2));
    EXPECT_TRUE(use_unpacked(avx2, false, 64, 64, 64, f, l1, l2));
    EXPECT_TRUE(use_unpacked(avx2, false, 128, 10, 128, f, l1, l2));
    EXPECT_TRUE(use_unpacked(avx2, true, 128, 10, 128, f, l1, l2));
    EXPECT_TRUE(use_unpacked(avx2, true, 64, 64, 32, f, l1, l2));
    EXPECT_TRUE(use_unpacked(avx2, false, 32, 256, 784, f, l1, l2));
    EXPECT_TRUE(use_unpacked(avx2, false, 63, 256, 256, f, l1, l2));
    EXPECT_FALSE(use_unpacked(avx2, false, 64, 256, 256, f, l1, l2));
    EXPECT_FALSE(use_unpacked(avx2, false, 96, 256, 784, f, l1, l2));
    EXPECT_FALSE(use_unpacked(avx2, false, 128, 128, 128, f, l1, l2));
    EXPECT_FALSE(use_unpacked(avx2, false, 128, 256, 784, f, l1, l2));
    EXPECT_FALSE(use_unpacked(avx2, true, 784, 256, 128, f, l1, l2));
    EXPECT_FALSE(use_unpacked(avx2, false, 32, 1024, 1024, f, l1, l2));  // B 4 MiB
    // With a Zen 3's caches, (32, 256, 784) (B 784 KiB) no longer fits half its L2.
    EXPECT_FALSE(use_unpacked(avx2, false, 32, 256, 784, f, 32 * 1024, 512 * 1024));
    EXPECT_TRUE(use_unpacked(avx2, false, 32, 256, 256, f, 32 * 1024, 512 * 1024));
    // avx512: B in half the L2; A^T below 2^21 multiply-adds.
    EXPECT_TRUE(use_unpacked(avx512, false, 512, 512, 512, f, l1, l2));
    EXPECT_FALSE(use_unpacked(avx512, false, 1024, 1024, 1024, f, l1, l2));
    EXPECT_FALSE(use_unpacked(avx512, true, 784, 256, 128, f, l1, l2));
    // A^T with at most 32 rows of C and B in half the L2, whatever the work.
    EXPECT_TRUE(use_unpacked(avx512, true, 32, 256, 784, f, l1, l2));
    EXPECT_FALSE(use_unpacked(avx512, true, 33, 256, 784, f, l1, l2));
    EXPECT_FALSE(use_unpacked(avx512, true, 32, 1024, 512, f, l1, l2));  // B 2 MiB
    // On AMD, with a Zen 5's caches (L1d 48 KiB, L2 1 MiB): B up to 7/8 of the L2. The forward
    // product of a 784-input layer (B 784 KiB) runs unpacked there, packed on an Intel CPU
    // with the same caches; a B of the L2's size (512^3) and past it stays packed.
    constexpr std::size_t zen5_l2 = 1024 * 1024;
    EXPECT_TRUE(use_unpacked(avx512, false, 128, 256, 784, f, l1, zen5_l2, /*amd=*/true));
    EXPECT_FALSE(use_unpacked(avx512, false, 128, 256, 784, f, l1, zen5_l2, /*amd=*/false));
    EXPECT_FALSE(use_unpacked(avx512, false, 128, 256, 784, f, l1, zen5_l2));        // Intel's rule
    EXPECT_FALSE(use_unpacked(avx512, false, 512, 512, 512, f, l1, zen5_l2, true));  // B 1 MiB
    EXPECT_FALSE(use_unpacked(avx512, false, 32, 512, 784, f, l1, zen5_l2, true));   // 1.5 MiB
    EXPECT_TRUE(use_unpacked(avx512, true, 32, 256, 784, f, l1, zen5_l2, true));
    EXPECT_FALSE(use_unpacked(avx512, true, 32, 256, 784, f, l1, zen5_l2, false));
    EXPECT_FALSE(use_unpacked(avx512, true, 33, 256, 784, f, l1, zen5_l2, true));
    // The limit itself: B of exactly 7/8 of the L2 is in, one column more is out.
    const std::size_t limit = gemm_detail::unpacked_b_limit_avx512(zen5_l2, true);
    EXPECT_EQ(limit, 917504u);
    EXPECT_TRUE(use_unpacked(avx512, false, 64, limit / f / 256, 256, f, l1, zen5_l2, true));
    EXPECT_FALSE(use_unpacked(avx512, false, 64, limit / f / 256 + 1, 256, f, l1, zen5_l2, true));
    // avx2 keeps its rule on AMD (not measured there).
    EXPECT_EQ(use_unpacked(avx2, false, 32, 256, 784, f, 32 * 1024, 512 * 1024, true),
              use_unpacked(avx2, false, 32, 256, 784, f, 32 * 1024, 512 * 1024, false));
    // The portable kernel has no unpacked loop.
    EXPECT_FALSE(use_unpacked(GemmKernel::Portable, false, 32, 16, 4, f, l1, l2));
}

// Pack buffers only grow: once a shape has been seen, calling gemm again with it (a training
// step) allocates nothing. Counted through the replaceable global operator new below.
std::atomic<long> g_allocations{0};

TYPED_TEST(GemmTest, NoAllocationAfterFirstCall) {
    using T = typename TypeParam::Type;
    Rng rng(23);
    const Case shapes[] = {{200, 150, 300}, {128, 10, 128}, {32, 16, 4}};
    for (const Case& c : shapes)
        for (Trans ta : kTrans)
            for (Trans tb : kTrans) {
                const std::size_t ar = ta == Trans::No ? c.M : c.K,
                                  ac = ta == Trans::No ? c.K : c.M;
                const std::size_t br = tb == Trans::No ? c.K : c.N,
                                  bc = tb == Trans::No ? c.N : c.K;
                Mat<T> A(ar, ac, ac, rng), B(br, bc, bc, rng), C(c.M, c.N, c.N, rng);
                auto run = [&] {
                    gemm<T>(ta, tb, c.M, c.N, c.K, T(1), A.data(), A.ld, B.data(), B.ld, T(0),
                            C.data(), C.ld);
                };
                run();  // first call: the buffers may grow
                const long before = g_allocations.load();
                run();
                run();
                EXPECT_EQ(g_allocations.load(), before) << describe(ta, tb, c, 1, 0);
            }
}

// ---- Tensor interface ----

template <class T>
Tensor<T> random_tensor(std::size_t r, std::size_t c, Rng& rng) {
    return uniform<T>(Shape{r, c}, T(-1), T(1), rng);
}

template <class T>
Mat<T> as_mat(const Tensor<T>& t) {
    Rng unused(0);
    Mat<T> m(t.dim(0), t.dim(1), t.dim(1), unused);
    std::copy(t.begin(), t.end(), m.v.begin());
    return m;
}

template <class T>
void expect_close(const Tensor<T>& C, const std::vector<double>& ref,
                  const std::vector<double>& bound, const std::string& what) {
    ASSERT_EQ(C.size(), ref.size()) << what;
    for (std::size_t i = 0; i < ref.size(); ++i)
        ASSERT_LE(std::abs(double(C[i]) - ref[i]), bound[i]) << what << " at flat index " << i;
}

TYPED_TEST(GemmTest, TensorMatmulMatchesReference) {
    using T = typename TypeParam::Type;
    Rng rng(17);
    for (Trans ta : kTrans)
        for (Trans tb : kTrans)
            for (Case c : {Case{1000, 16, 4}, Case{33, 71, 130}, Case{32, 16, 4}}) {
                Tensor<T> A = ta == Trans::No ? random_tensor<T>(c.M, c.K, rng)
                                              : random_tensor<T>(c.K, c.M, rng);
                Tensor<T> B = tb == Trans::No ? random_tensor<T>(c.K, c.N, rng)
                                              : random_tensor<T>(c.N, c.K, rng);
                Tensor<T> C0 = random_tensor<T>(c.M, c.N, rng);
                std::vector<double> ref, bound;
                reference(ta, tb, c.M, c.N, c.K, T(0.5), as_mat(A), as_mat(B), T(-1), as_mat(C0),
                          ref, bound);
                const std::string what = describe(ta, tb, c, 0.5, -1);
                Tensor<T> C = C0.clone();
                matmul(A, ta, B, tb, C, T(0.5), T(-1));
                expect_close(C, ref, bound, what + " (matmul)");
                Tensor<T> Cn = C0.clone();
                matmul_naive(A, ta, B, tb, Cn, T(0.5), T(-1));
                expect_close(Cn, ref, bound, what + " (matmul_naive)");

                // beta == 0 resizes C to (M, N) whatever it was.
                Tensor<T> D = Tensor<T>::full(Shape{3, 2}, std::numeric_limits<T>::quiet_NaN());
                matmul(A, ta, B, tb, D);
                reference(ta, tb, c.M, c.N, c.K, T(1), as_mat(A), as_mat(B), T(0), as_mat(C0), ref,
                          bound);
                EXPECT_EQ(D.shape(), (Shape{c.M, c.N}));
                expect_close(D, ref, bound, what + " (matmul, beta = 0)");
            }
    Tensor<T> A = random_tensor<T>(45, 23, rng), B = random_tensor<T>(23, 18, rng);
    Tensor<T> C = matmul(A, B);
    std::vector<double> ref, bound;
    reference(Trans::No, Trans::No, 45, 18, 23, T(1), as_mat(A), as_mat(B), T(0), as_mat(A), ref,
              bound);
    expect_close(C, ref, bound, "matmul(A, B)");
    expect_close(matmul_naive(A, B), ref, bound, "matmul_naive(A, B)");
}

// The message of the exception thrown by f, or "" when it throws nothing.
template <class F>
std::string invalid_argument_message(F f) {
    try {
        f();
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "";
}

TYPED_TEST(GemmTest, ShapeErrorsNameBothShapes) {
    using T = typename TypeParam::Type;
    Tensor<T> A = Tensor<T>::zeros(Shape{32, 4}), B = Tensor<T>::zeros(Shape{3, 8});
    EXPECT_THROW(matmul(A, B), std::invalid_argument);
    EXPECT_THROW(matmul_naive(A, B), std::invalid_argument);
    std::string msg = invalid_argument_message([&] { matmul(A, B); });
    EXPECT_NE(msg.find("matmul"), std::string::npos) << msg;
    EXPECT_NE(msg.find("32x4"), std::string::npos) << msg;
    EXPECT_NE(msg.find("3x8"), std::string::npos) << msg;

    // Transposed: A^T is 4x32, B (4, 8) would fit A but not A^T.
    Tensor<T> B2 = Tensor<T>::zeros(Shape{4, 8}), C;
    msg = invalid_argument_message([&] { matmul(A, Trans::Yes, B2, Trans::No, C); });
    EXPECT_NE(msg.find("A^T is 4x32"), std::string::npos) << msg;
    EXPECT_NE(msg.find("4x8"), std::string::npos) << msg;

    // C a view of A (or of B): refused, and A is left as it was (the check comes before C is
    // resized, which would have reshaped A's storage or given the view new storage).
    Tensor<T> Sq = Tensor<T>::full(Shape{4, 4}, T(2)), B4 = Tensor<T>::full(Shape{4, 8}, T(1));
    Tensor<T> alias = Sq.view();
    msg = invalid_argument_message([&] { matmul(Sq, Trans::No, B4, Trans::No, alias); });
    EXPECT_NE(msg.find("must not share storage"), std::string::npos) << msg;
    EXPECT_EQ(Sq.shape(), (Shape{4, 4}));
    EXPECT_EQ(alias.shape(), (Shape{4, 4}));
    EXPECT_TRUE(alias.shares_storage_with(Sq));
    Tensor<T> alias_b = B4.view();
    EXPECT_THROW(matmul(Sq, Trans::No, B4, Trans::No, alias_b), std::invalid_argument);

    // beta != 0 needs C already (M, N).
    Tensor<T> Bok = Tensor<T>::zeros(Shape{4, 8}), Cbad = Tensor<T>::zeros(Shape{32, 7});
    msg = invalid_argument_message([&] { matmul(A, Trans::No, Bok, Trans::No, Cbad, T(1), T(1)); });
    EXPECT_NE(msg.find("32x7"), std::string::npos) << msg;
    EXPECT_NE(msg.find("32x8"), std::string::npos) << msg;

    // The raw interface checks the row strides against the stored widths.
    std::vector<T> a(32 * 4), b(4 * 8), c(32 * 8);
    msg = invalid_argument_message([&] {
        gemm<T>(Trans::No, Trans::No, 32, 8, 4, T(1), a.data(), 3, b.data(), 8, T(0), c.data(), 8);
    });
    EXPECT_NE(msg.find("lda is 3 but A is stored 32x4"), std::string::npos) << msg;
    msg = invalid_argument_message([&] {
        gemm<T>(Trans::No, Trans::Yes, 32, 8, 4, T(1), a.data(), 4, b.data(), 2, T(0), c.data(), 8);
    });
    EXPECT_NE(msg.find("ldb is 2 but B is stored 8x4"), std::string::npos) << msg;
    msg = invalid_argument_message([&] {
        gemm<T>(Trans::No, Trans::No, 32, 8, 4, T(1), a.data(), 4, b.data(), 8, T(0), c.data(), 7);
    });
    EXPECT_NE(msg.find("ldc is 7 but C is stored 32x8"), std::string::npos) << msg;

    // Rank 1 operands are rejected.
    Tensor<T> v = Tensor<T>::zeros(Shape{4});
    msg = invalid_argument_message([&] { matmul(A, v); });
    EXPECT_NE(msg.find("rank 2"), std::string::npos) << msg;
}

// ---- kernel choice ----

// The instruction-set flags the kernel reports from /proc/cpuinfo ("" when unreadable): an
// independent check of cpu_info() (on Linux the flags are those the kernel enabled, so an
// AVX-512 flag there also means the OS saves the zmm state).
std::string cpuinfo_flags() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("flags", 0) == 0) return line.substr(line.find(':') + 1) + " ";
    return "";
}
bool has_flag(const std::string& flags, const std::string& name) {
    return flags.find(" " + name + " ") != std::string::npos;
}

// The message of the exception thrown by f, or "" when it throws nothing.
template <class F>
std::string invalid_argument_message(F f);

// Restores FFNN_KERNEL and the selected kernel when a test of the override ends.
class KernelEnvGuard {
  public:
    KernelEnvGuard() : kernel_(gemm_kernel()) {
        if (const char* v = std::getenv("FFNN_KERNEL")) {
            had_ = true;
            value_ = v;
        }
    }
    ~KernelEnvGuard() {
        if (had_)
            setenv("FFNN_KERNEL", value_.c_str(), 1);
        else
            unsetenv("FFNN_KERNEL");
        set_gemm_kernel(kernel_);
    }

  private:
    GemmKernel kernel_;
    bool had_ = false;
    std::string value_;
};

TEST(GemmKernelChoice, SupportedKernelsMatchTheCpu) {
    const std::string flags = cpuinfo_flags();
    if (flags.empty()) GTEST_SKIP() << "no /proc/cpuinfo";
    const bool avx2 = has_flag(flags, "avx2") && has_flag(flags, "fma");
    const bool avx512 = avx2 && has_flag(flags, "avx512f");
    EXPECT_EQ(cpu_info().avx2_fma, avx2);
    EXPECT_EQ(cpu_info().avx512f, avx512);
    EXPECT_TRUE(gemm_kernel_supported(GemmKernel::Portable));
    EXPECT_EQ(gemm_kernel_supported(GemmKernel::Avx2), avx2);
    EXPECT_EQ(gemm_kernel_supported(GemmKernel::Avx512), avx512);
    std::vector<GemmKernel> want = {GemmKernel::Portable};
    if (avx2) want.push_back(GemmKernel::Avx2);
    if (avx512) want.push_back(GemmKernel::Avx512);
    EXPECT_EQ(supported_gemm_kernels(), want);
    // Without FFNN_KERNEL the fastest one is chosen.
    EXPECT_EQ(gemm_kernel_from_env(nullptr), want.back());
    EXPECT_EQ(gemm_kernel_from_env(""), want.back());
}

// The vendor the AVX-512 unpacked rule depends on (CpuInfo::amd, from cpuid) is the one the
// kernel reports in /proc/cpuinfo.
TEST(GemmKernelChoice, VendorMatchesTheCpu) {
    std::ifstream in("/proc/cpuinfo");
    std::string line, vendor;
    while (vendor.empty() && std::getline(in, line))
        if (line.rfind("vendor_id", 0) == 0) {
            std::istringstream fields(line.substr(line.find(':') + 1));
            fields >> vendor;
        }
    if (vendor.empty()) GTEST_SKIP() << "no vendor_id in /proc/cpuinfo";
    EXPECT_EQ(cpu_info().amd, vendor == "AuthenticAMD") << "vendor_id " << vendor;
}

// The L1d size KC was derived from is the one the OS reports in sysfs.
TEST(GemmKernelChoice, CacheSizesFromTheOs) {
    std::ifstream level("/sys/devices/system/cpu/cpu0/cache/index0/level"),
        type("/sys/devices/system/cpu/cpu0/cache/index0/type"),
        size("/sys/devices/system/cpu/cpu0/cache/index0/size");
    int l = 0;
    std::string t, sz;
    if (!(level >> l) || !(type >> t) || !(size >> sz) || l != 1 || t != "Data")
        GTEST_SKIP() << "no sysfs description of the L1d";
    EXPECT_TRUE(cpu_info().l1d_from_os);
    EXPECT_EQ(std::to_string(cpu_info().l1d_bytes / 1024) + "K", sz);
    for (GemmKernel k : supported_gemm_kernels()) {
        const GemmBlocking b = gemm_blocking<float>(k);
        EXPECT_EQ(b.KC, gemm_detail::kc_for_l1(cpu_info().l1d_bytes, b.NR, sizeof(float)))
            << gemm_kernel_name(k);
        EXPECT_GE(b.KC, gemm_detail::kMinKC);
        EXPECT_LE(b.KC, gemm_detail::kMaxKC);
    }
}

// FFNN_KERNEL selects each supported kernel (with that kernel's register block), and an
// unknown or unsupported value is an error naming it.
TEST(GemmKernelChoice, EnvironmentOverride) {
    KernelEnvGuard guard;
    const std::size_t mr[] = {gemm_detail::RegisterBlock<GemmKernel::Portable, float>::MR,
                              gemm_detail::RegisterBlock<GemmKernel::Avx2, float>::MR,
                              gemm_detail::RegisterBlock<GemmKernel::Avx512, float>::MR};
    for (GemmKernel k : {GemmKernel::Portable, GemmKernel::Avx2, GemmKernel::Avx512}) {
        const std::string name = gemm_kernel_name(k);
        setenv("FFNN_KERNEL", name.c_str(), 1);
        if (gemm_kernel_supported(k)) {
            reset_gemm_kernel();
            EXPECT_EQ(gemm_kernel(), k) << name;
            EXPECT_EQ(std::string(gemm_kernel_name()), name);
            EXPECT_EQ(gemm_blocking<float>(gemm_kernel()).MR, mr[static_cast<int>(k)]) << name;
            // A product runs with it.
            Rng rng(1);
            check_gemm<float>(Trans::No, Trans::No, {50, 40, 60}, 1.0f, 0.0f, 0, true, rng);
        } else {
            const std::string msg = invalid_argument_message([] { reset_gemm_kernel(); });
            EXPECT_NE(msg.find("FFNN_KERNEL=" + name), std::string::npos) << msg;
            EXPECT_NE(msg.find("cannot run"), std::string::npos) << msg;
            EXPECT_THROW(set_gemm_kernel(k), std::invalid_argument);
        }
    }
    setenv("FFNN_KERNEL", "avx3", 1);
    const std::string msg = invalid_argument_message([] { reset_gemm_kernel(); });
    EXPECT_NE(msg.find("FFNN_KERNEL=avx3: unknown kernel"), std::string::npos) << msg;
    EXPECT_NE(msg.find("portable, avx2 or avx512"), std::string::npos) << msg;
    unsetenv("FFNN_KERNEL");
    reset_gemm_kernel();
    EXPECT_EQ(gemm_kernel(), supported_gemm_kernels().back());
}

}  // namespace
}  // namespace ffnn

// Counting replacements of the global allocation functions (used by NoAllocationAfterFirstCall).
// The aligned forms are the ones the pack buffers use. The release functions go through
// release() so that GCC does not inline free() into the callers of new, which its
// -Wmismatched-new-delete check would flag.
[[gnu::noinline]] static void release(void* p) noexcept {
    std::free(p);
}
void* operator new(std::size_t n) {
    ffnn::g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
    release(p);
}
void operator delete(void* p, std::size_t) noexcept {
    release(p);
}
void* operator new(std::size_t n, std::align_val_t al) {
    ffnn::g_allocations.fetch_add(1, std::memory_order_relaxed);
    const std::size_t a = static_cast<std::size_t>(al);
    if (void* p = std::aligned_alloc(a, (n + a - 1) / a * a)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p, std::align_val_t) noexcept {
    release(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
    release(p);
}
