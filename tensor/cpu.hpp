// What the CPU this process runs on can do, as far as the matrix product cares: its vector
// instruction sets (those the OS also saves the registers of) and its cache sizes.
//
// Detected once, on first use, from cpuid and xgetbv (instruction sets) and from the OS
// (cache sizes: sysconf(_SC_LEVEL*_CACHE_SIZE), else /sys/devices/system/cpu/cpu0/cache).
// A cache size the OS does not report falls back to the defaults below, those of the
// smallest CPU ffnn is tuned for (AMD Zen 3: L1d 32 KiB, L2 512 KiB per core).
#pragma once

#include <cstddef>

namespace ffnn {

struct CpuInfo {
    // AVX2 and FMA, and the OS saves the ymm registers (XCR0 bits 1-2).
    bool avx2_fma = false;
    // AVX-512F (with AVX2 and FMA), and the OS saves the opmask and all 32 zmm registers
    // (XCR0 bits 5-7).
    bool avx512f = false;
    // The vendor is AMD (cpuid leaf 0, "AuthenticAMD"): the AVX-512 unpacked rule reads B
    // from beyond the L2 on AMD's L3 longer than on Intel's (gemm_config.hpp, use_unpacked).
    bool amd = false;
    // Per-core data caches in bytes, and whether each came from the OS (false: default).
    std::size_t l1d_bytes = kDefaultL1d, l2_bytes = kDefaultL2;
    bool l1d_from_os = false, l2_from_os = false;

    static constexpr std::size_t kDefaultL1d = 32 * 1024;
    static constexpr std::size_t kDefaultL2 = 512 * 1024;
};

// The CPU of this process, detected on the first call (thread-safe).
const CpuInfo& cpu_info();

}  // namespace ffnn
