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
#pragma once

#include <cstddef>

#include "ffnn/tensor/tensor.hpp"

namespace ffnn {

enum class Trans { No, Yes };

// Raw-pointer interface. lda/ldb/ldc are row strides (elements) of the stored matrices.
template <class T>
void gemm(Trans ta, Trans tb, std::size_t M, std::size_t N, std::size_t K, T alpha, const T* A,
          std::size_t lda, const T* B, std::size_t ldb, T beta, T* C, std::size_t ldc);
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
// C = A B.
template <class T>
Tensor<T> matmul(const Tensor<T>& A, const Tensor<T>& B);
template <class T>
Tensor<T> matmul_naive(const Tensor<T>& A, const Tensor<T>& B);

}  // namespace ffnn
