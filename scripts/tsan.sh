#!/usr/bin/env bash
# ThreadSanitizer over the tensor and nn tests and the sweep runner's tests (preset tsan,
# g++ -fsanitize=thread): builds only those test executables and runs them with ctest.
#
# What it covers: libgomp is not built with TSan, so its barriers and team hand-offs are
# invisible to TSan and every OpenMP region with more than one thread would be reported as a
# race. The preset therefore sets OMP_NUM_THREADS=1: OpenMP regions run on the calling
# thread, and TSan checks the code's own threads - the std::thread workers of run_sweep
# (train/sweep.cpp: the shared job counter, the results and errors vectors, the completion
# callback under its mutex, set_threads per worker), and thread-safety of everything those
# workers share (data loading, model construction, training, metrics). The OpenMP kernels'
# partition of rows between threads is NOT checked here; it is covered by the tests that
# compare results across thread counts.
# The tests that ask for two OpenMP threads themselves (set_threads(2): the bit-identity
# tests across thread counts) are excluded (TSAN_EXCLUDE, a ctest -E regex).
set -euo pipefail
cd "$(dirname "$0")/.."
lock=${FFNN_BUILD_LOCK:-/tmp/ffnn-build.lock}

targets=(test_train_sweep)
for f in tests/tensor/test_*.cpp tests/nn/test_*.cpp; do
  part=$(basename "$(dirname "$f")")
  name=$(basename "$f" .cpp)
  targets+=("test_${part}_${name#test_}")
done
flock "$lock" cmake --preset tsan >/dev/null
flock "$lock" cmake --build --preset tsan -j2 --target "${targets[@]}"
exclude=${TSAN_EXCLUDE-OneAndTwoThreads|FusedActivationPassesMatchSeparateSteps|ReluStreamingKernelsMatchNaive|FusedStepIsTheSeparateStepBitForBit|BlockDoneCoversCOnceWithFinalValues}
# ctest: the tensor and nn labels, and from the train label only the sweep runner's tests.
flock "$lock" ctest --preset tsan -j2 -L '^(tensor|nn)$' ${exclude:+-E "$exclude"}
flock "$lock" ctest --preset tsan -j2 -R '^SweepThreads\.'
