// CPU detection for the run-time choice of the GEMM micro-kernel (see cpu.hpp).
//
// An instruction set is usable only when the CPU has it (cpuid) and the OS saves its
// registers on a context switch (XCR0, read with xgetbv once cpuid reports OSXSAVE): a kernel
// using zmm registers under an OS that does not save them would fault or corrupt state.
// __builtin_cpu_supports gives the cpuid side; the XCR0 check is done here explicitly.
#include "ffnn/tensor/cpu.hpp"

#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define FFNN_CPU_X86 1
#else
#define FFNN_CPU_X86 0
#endif

namespace ffnn {
namespace {

#if FFNN_CPU_X86
// XCR0, the register-state components the OS has enabled; 0 when xgetbv is not available.
std::uint64_t xcr0() {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    if (!(ecx & bit_OSXSAVE)) return 0;
    std::uint32_t lo = 0, hi = 0;
    // xgetbv by its encoding, so that this file needs no -mxsave.
    __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(lo), "=d"(hi) : "c"(0));
    return (std::uint64_t(hi) << 32) | lo;
}
#endif

// Size in bytes of the cpu0 cache of this level and type ("Data" or "Unified") from sysfs
// ("48K"), 0 when absent.
std::size_t sysfs_cache(int level, const char* type) {
    for (int index = 0; index < 8; ++index) {
        const std::string dir =
            "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index) + "/";
        std::ifstream lf(dir + "level"), tf(dir + "type"), sf(dir + "size");
        int l = 0;
        std::string t, s;
        if (!(lf >> l) || !(tf >> t) || !(sf >> s)) continue;
        if (l != level || t != type || s.empty()) continue;
        std::size_t value = 0, pos = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9')
            value = value * 10 + std::size_t(s[pos++] - '0');
        if (pos < s.size() && (s[pos] == 'K' || s[pos] == 'k')) value *= 1024;
        if (pos < s.size() && (s[pos] == 'M' || s[pos] == 'm')) value *= 1024 * 1024;
        return value;
    }
    return 0;
}

// The OS's figure for one cache, or 0.
std::size_t os_cache(int sysconf_name, int level, const char* type) {
    const long v = ::sysconf(sysconf_name);
    if (v > 0) return std::size_t(v);
    return sysfs_cache(level, type);
}

CpuInfo detect() {
    CpuInfo info;
#if FFNN_CPU_X86
    __builtin_cpu_init();
    const std::uint64_t xcr = xcr0();
    const bool os_ymm = (xcr & 0x6) == 0x6;    // XMM (bit 1) and YMM (bit 2) state
    const bool os_zmm = (xcr & 0xe0) == 0xe0;  // opmask, ZMM_Hi256, Hi16_ZMM (bits 5-7)
    info.avx2_fma = os_ymm && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    info.avx512f = info.avx2_fma && os_zmm && __builtin_cpu_supports("avx512f");
    info.amd = __builtin_cpu_is("amd");
#endif
    if (const std::size_t l1 = os_cache(_SC_LEVEL1_DCACHE_SIZE, 1, "Data"); l1 > 0) {
        info.l1d_bytes = l1;
        info.l1d_from_os = true;
    }
    if (const std::size_t l2 = os_cache(_SC_LEVEL2_CACHE_SIZE, 2, "Unified"); l2 > 0) {
        info.l2_bytes = l2;
        info.l2_from_os = true;
    }
    return info;
}

}  // namespace

const CpuInfo& cpu_info() {
    static const CpuInfo info = detect();
    return info;
}

}  // namespace ffnn
