// Matrix product: C = alpha * op(A) * op(B) + beta * C, op = identity or transpose.
//
// Shapes (row-major, rank 2):  op(A) (M, K),  op(B) (K, N),  C (M, N).
// With Trans::Yes the stored operand is the transpose: A stored (K, M) or B stored (N, K).
// The backward pass of a layer uses this to form x^T dZ and dZ W^T without materialising
// a transpose.
//
// gemm() is the cache-blocked, packed implementation (Goto & van de Geijn 2008, in the BLIS
// arrangement of five loops around an MR x NR micro-kernel; see matmul.cpp). gemm_naive()
// is the reference triple loop the tests compare against. Both are deterministic: the
// parallel loops split C into fixed blocks, never the K reduction, so 1 and N threads give
// bit-identical results.
//
// beta == 0 means C is overwritten: its previous contents (even NaN) are ignored.
//
// Micro-kernel. One binary carries three micro-kernels and picks one at run time, on the
// first product, by the CPU it runs on (ffnn/tensor/cpu.hpp): AVX-512F when the CPU and the OS
// support it, else AVX2+FMA, else the portable C++ kernel. Each has its own register block and
// cache blocking (tensor/kernels/gemm_config.hpp). The environment variable FFNN_KERNEL
// (portable, avx2 or avx512) overrides the choice; a value that is unknown, or names a kernel
// this CPU cannot run, is an error: the first product throws std::invalid_argument naming the
// value and the kernels this CPU supports (a silent fallback would make a benchmark or a test
// that asked for one kernel measure another). Results are bit-identical for any thread count
// with a given kernel; different kernels may round differently.
#pragma once

#include <cstddef>
#include <vector>

#include "ffnn/tensor/tensor.hpp"

namespace ffnn {

enum class Trans { No, Yes };

enum class GemmKernel { Portable, Avx2, Avx512 };

// "portable", "avx2", "avx512".
const char* gemm_kernel_name(GemmKernel kernel);
// The kernel gemm runs (chosen on the first call, see above), and its name.
GemmKernel gemm_kernel();
const char* gemm_kernel_name();
// Whether this CPU (and its OS) can run the kernel; the supported ones, portable first.
bool gemm_kernel_supported(GemmKernel kernel);
std::vector<GemmKernel> supported_gemm_kernels();
// Selects the kernel of later products (tests, benchmarks); throws std::invalid_argument when
// this CPU cannot run it. Not meant to be called while another thread runs a product.
void set_gemm_kernel(GemmKernel kernel);
// The choice made on the first call: FFNN_KERNEL's value when set and not empty, otherwise the
// fastest supported kernel. Throws std::invalid_argument for an unknown or unsupported value.
// gemm_kernel_from_env(std::getenv("FFNN_KERNEL")) is what the first product uses;
// reset_gemm_kernel() redoes that choice (tests of the override).
GemmKernel gemm_kernel_from_env(const char* value);
void reset_gemm_kernel();

// The blocking of a kernel on this CPU for element type T (register block MR x NR, cache
// blocks KC, MC, NC; see tensor/kernels/gemm_config.hpp), and the work (M N K multiply-adds)
// from which a product runs on several threads. Tests use it to reach every block boundary.
struct GemmBlocking {
    std::size_t MR, NR, KC, MC, NC, parallel_work;
};
template <class T>
GemmBlocking gemm_blocking(GemmKernel kernel);
// For tests of the packed path: false sends every product through it, also those the
// unpacked loops would take (use_unpacked and use_narrow_tn in tensor/kernels/gemm_config.hpp).
// Default true.
void set_gemm_unpacked_path(bool enabled);

// A pass over C fused into the product: gemm calls done(r0, r1, c0, c1) for each block of C,
// rows [r0, r1) and columns [c0, c1), as soon as that block holds its final values, so that
// an elementwise pass over C (the optimiser's update of a weight from its gradient,
// Model::backward_and_step) reads it while it is still in the cache of the core that wrote it.
// The blocks cover C exactly once. They are reported by the thread that computed them, from
// inside the product's parallel region, several at once on several threads: done must touch
// nothing outside its block's elements and must not start a parallel region of its own.
// whole_rows asks for blocks of whole rows of C: the product is then split between the
// threads by rows (a streaming pass over half of each row per core runs slowly, see Split in
// matmul.cpp), and the blocks are whole rows whenever C is narrower than the packed path's
// NC columns (4096 for the AVX-512 kernel; a narrow C computed as C^T, narrower than MC).
// Without it the product keeps its usual split.
struct GemmBlockDone {
    void (*fn)(void* context, std::size_t r0, std::size_t r1, std::size_t c0,
               std::size_t c1) = nullptr;
    void* context = nullptr;
    bool whole_rows = false;

    explicit operator bool() const { return fn != nullptr; }
    void operator()(std::size_t r0, std::size_t r1, std::size_t c0, std::size_t c1) const {
        fn(context, r0, r1, c0, c1);
    }
};

// Raw-pointer interface. lda/ldb/ldc are row strides (elements) of the stored matrices.
template <class T>
void gemm(Trans ta, Trans tb, std::size_t M, std::size_t N, std::size_t K, T alpha, const T* A,
          std::size_t lda, const T* B, std::size_t ldb, T beta, T* C, std::size_t ldc);
// The same product, calling done on every block of C once it is final (see GemmBlockDone).
template <class T>
void gemm(Trans ta, Trans tb, std::size_t M, std::size_t N, std::size_t K, T alpha, const T* A,
          std::size_t lda, const T* B, std::size_t ldb, T beta, T* C, std::size_t ldc,
          const GemmBlockDone& done);
template <class T>
void gemm_naive(Trans ta, Trans tb, std::size_t M, std::size_t N, std::size_t K, T alpha,
                const T* A, std::size_t lda, const T* B, std::size_t ldb, T beta, T* C,
                std::size_t ldc);

// Tensor interface. Throws std::invalid_argument naming the operation and the shapes
// ("matmul: A is 32x4 but B is 3x8") when they do not fit. When beta == 0, C is resized to
// (M, N); otherwise C must already be (M, N).
template <class T>
void matmul(const Tensor<T>& A, Trans ta, const Tensor<T>& B, Trans tb, Tensor<T>& C,
            T alpha = T(1), T beta = T(0));
template <class T>
void matmul_naive(const Tensor<T>& A, Trans ta, const Tensor<T>& B, Trans tb, Tensor<T>& C,
                  T alpha = T(1), T beta = T(0));
// matmul with a pass fused into it: done is called on every block of C once it is final.
template <class T>
void matmul(const Tensor<T>& A, Trans ta, const Tensor<T>& B, Trans tb, Tensor<T>& C, T alpha,
            T beta, const GemmBlockDone& done);
// C = A B.
template <class T>
Tensor<T> matmul(const Tensor<T>& A, const Tensor<T>& B);
template <class T>
Tensor<T> matmul_naive(const Tensor<T>& A, const Tensor<T>& B);

}  // namespace ffnn
