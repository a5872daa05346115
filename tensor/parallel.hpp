// Threading policy shared by the tensor kernels.
//
// Element-wise loops run `omp parallel for simd` only when they have at least
// kParallelThreshold elements: below it the cost of waking the thread team (a few
// microseconds) exceeds the work. The value is justified by bench_relu (bench/RESULTS.md).
#pragma once

#include <cstddef>

namespace ffnn {

inline constexpr std::size_t kParallelThreshold = std::size_t(1) << 16;  // elements

// Reductions cut the input into blocks of this many elements, reduce each block serially and
// combine the partial results in block order, so the result is the same for any thread count.
inline constexpr std::size_t kReduceBlock = 4096;

// Number of threads OpenMP will use for a parallel region (1 without OpenMP).
int max_threads();
// Sets the number of threads for later parallel regions (n >= 1).
void set_threads(int n);

}  // namespace ffnn
