// Portable GEMM micro-kernel: plain C++ that the compiler vectorises (see gemm_config.hpp for
// the contract). It is the kernel of CPUs without AVX2/FMA, and of any other architecture.
//
// The MR x NR accumulator block is a local array whose inner dimension NR is a whole number
// of vectors, so at -O2/-O3 the j loops become vector code and the block stays in registers
// (4x8 fp32 or 4x4 fp64 = 8 SSE registers).
#include <cstddef>

#include "ffnn/tensor/kernels/gemm_config.hpp"

namespace ffnn::gemm_detail {
namespace {

template <class T>
inline void kernel_generic(std::size_t kc, const T* __restrict a, const T* __restrict b,
                           T* __restrict c, std::size_t ldc, T alpha, T beta) {
    constexpr std::size_t MR = RegisterBlock<GemmKernel::Portable, T>::MR;
    constexpr std::size_t NR = RegisterBlock<GemmKernel::Portable, T>::NR;
    T acc[MR][NR] = {};
    for (std::size_t k = 0; k < kc; ++k) {
        const T* bk = b + k * NR;
        const T* ak = a + k * MR;
        for (std::size_t i = 0; i < MR; ++i) {
            const T ai = ak[i];
#pragma GCC ivdep
            for (std::size_t j = 0; j < NR; ++j) acc[i][j] += ai * bk[j];
        }
    }
    for (std::size_t i = 0; i < MR; ++i) {
        T* row = c + i * ldc;
        if (beta == T(0)) {  // overwrite: the old C (possibly NaN) is never read
            for (std::size_t j = 0; j < NR; ++j) row[j] = alpha * acc[i][j];
        } else {
            for (std::size_t j = 0; j < NR; ++j) row[j] = alpha * acc[i][j] + beta * row[j];
        }
    }
}

}  // namespace

void ukernel_portable(std::size_t kc, const float* a, const float* b, float* c, std::size_t ldc,
                      float alpha, float beta) {
    kernel_generic<float>(kc, a, b, c, ldc, alpha, beta);
}

void ukernel_portable(std::size_t kc, const double* a, const double* b, double* c, std::size_t ldc,
                      double alpha, double beta) {
    kernel_generic<double>(kc, a, b, c, ldc, alpha, beta);
}

}  // namespace ffnn::gemm_detail
