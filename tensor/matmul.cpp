// Matrix product C = alpha * op(A) * op(B) + beta * C: the naive reference, the cache-blocked
// gemm and the Tensor-level matmul that checks shapes.
//
// gemm follows Goto & van de Geijn, "Anatomy of high-performance matrix multiplication"
// (ACM TOMS 34(3), 2008) in the arrangement of BLIS (Van Zee & van de Geijn, "BLIS: A
// framework for rapidly instantiating BLAS functionality", ACM TOMS 41(3), 2015; and Van Zee
// et al., "The BLIS framework: experiments in portability", ACM TOMS 42(2), 2016): five loops
// around an MR x NR micro-kernel,
//
//   JC: columns of C in blocks of NC
//     PC: the K reduction in blocks of KC        pack B(pc:pc+KC, jc:jc+NC) -> Bp  (L3)
//       IC: rows of C in blocks of MC             pack A(ic:ic+MC, pc:pc+KC) -> Ap  (L2)
//         JR: NR-column micro-panels of Bp        (a B micro-panel stays in L1)
//           IR: MR-row micro-panels of Ap         micro-kernel: MR x NR tile of C += Ap_i Bp_j
//
// The constants live in one table per kernel, tensor/kernels/gemm_config.hpp, with their cache
// arithmetic; the micro-kernels are in tensor/kernels/ (AVX-512F 14x32 fp32 and 14x16 fp64,
// AVX2/FMA 6x16 and 6x8, and a portable C++ kernel). One is chosen at run time (cpu.hpp,
// "kernel choice" below): the driver here is a template instantiated for each kernel's
// register block and calls the micro-kernel through a function pointer, so this file itself
// is compiled for the baseline and never executes an instruction the CPU lacks.
//
// Narrow C (fewer columns than a tile is wide, e.g. N = 10 classes) is computed as
// C^T = op(B)^T op(A)^T when that wastes markedly fewer tile entries (gemm_packed): the
// operands swap roles and C is written through its column stride. The unpacked loop does the
// same for a narrow A^T B with a long K (unpacked_transposed), through a scratch C^T; with
// AVX2 or AVX-512, fp32, a narrow A^T B instead runs through a loop of its own that vectorises
// along the rows of C (use_narrow_tn, gemm_narrow).
//
// Packed layouts (shown for MR = 6, NR = 16). Both are zero-padded at the edges, so the
// micro-kernel always runs on full MR x NR tiles (an edge tile of C is computed into a local tile
// and the valid part copied out; a tile of the M edge goes to the kernel's edge kernel where it
// has one, EdgeKernel, which computes its rows only), and the packing alone handles the transpose
// flags: no transposed copy of A or B is ever made. The packings that transpose (A stored (M, K)
// into row panels, B stored (N, K) into column panels) use the kernel's own register transposes
// where it has them (PackTransposed, fp32 AVX2 and AVX-512), else pack_a's and pack_b's loops.
//
//   Ap: mc x kc block of op(A) (mc <= MC, kc <= KC) as ceil(mc/MR) micro-panels of MR x kc,
//       each stored column by column (k-major): the kernel reads MR consecutive values per k.
//
//        op(A) rows        micro-panel 0                     micro-panel 1
//         0..5    ->  [a00 a10 .. a50 | a01 a11 .. a51 | ...] [a60 a70 .. ...]
//                      \--- k = 0 ---/ \--- k = 1 ---/          starts at 6 * kc
//
//   Bp: kc x nc block of op(B) (nc <= NC) as ceil(nc/NR) micro-panels of kc x NR, each stored
//       row by row: the kernel reads NR consecutive values (two ymm) per step k.
//
//        op(B) cols        micro-panel 0                          micro-panel 1
//         0..15   ->  [b00 b01 .. b0,15 | b10 b11 .. b1,15 | ...] [b0,16 .. ]
//                      \----- k = 0 -----/ \----- k = 1 -----/     starts at kc * 16
//
// Threads. C is cut into one fixed slice per thread, aligned to the MR x NR tile grid:
// ranges of NR-column micro-panels (the JR loop split) when C has enough of them, ranges of
// MR-row micro-panels (the IC loop split) when it is narrow. Each thread runs the JC/PC/IC
// loops over its slice and packs what it needs into its own buffers: with the column split
// each B micro-panel is still packed once, by the thread that uses it, and A (small next to
// the work, M K against M N K / threads) by each thread. So the threads never wait for each
// other inside a product, only at the end of the parallel region. (A B block shared by the
// team needs two barriers per PC step. On the 2-core development machine, oversubscribed by
// other builds, every such synchronisation could cost a scheduler time slice: 256^3 on two
// threads took 30 ms with the shared B block and 15 ms with the slices, against 1 ms on one.)
// The PC loop is never split: every PC step updates the same C block, so splitting it would
// race or need a reduction whose order depends on the thread count. Every element of C is
// computed by one thread, with the same K blocking and the same operations in the same order
// for any thread count, so 1 and N threads give bit-identical results (for a given kernel: the
// partition follows its MR x NR grid). Products below the kernel's parallel_work run on the
// calling thread without entering an OpenMP region, and the products use_unpacked picks skip
// packing altogether.
//
// Pack buffers are thread_local and only grow, so repeated calls (a training loop) do not
// allocate after the first call of each size.
#include "ffnn/tensor/matmul.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "ffnn/tensor/cpu.hpp"
#include "ffnn/tensor/kernels/gemm_config.hpp"

namespace ffnn {

// ---- naive reference ----------------------------------------------------------------------

// op(A) (M, K), op(B) (K, N) -> C (M, N). One dot product per element, accumulated in T.
template <class T>
void gemm_naive(Trans ta, Trans tb, std::size_t M, std::size_t N, std::size_t K, T alpha,
                const T* A, std::size_t lda, const T* B, std::size_t ldb, T beta, T* C,
                std::size_t ldc) {
    for (std::size_t i = 0; i < M; ++i)
        for (std::size_t j = 0; j < N; ++j) {
            T acc = 0;
            for (std::size_t p = 0; p < K; ++p) {
                T a = ta == Trans::No ? A[i * lda + p] : A[p * lda + i];
                T b = tb == Trans::No ? B[p * ldb + j] : B[j * ldb + p];
                acc += a * b;
            }
            T& c = C[i * ldc + j];
            c = beta == T(0) ? alpha * acc : alpha * acc + beta * c;
        }
}

namespace gemm_detail {
namespace {

constexpr std::size_t kPackAlignment = 64;  // bytes: aligned vector loads in the kernel

struct AlignedFree {
    void operator()(void* p) const { ::operator delete[](p, std::align_val_t(kPackAlignment)); }
};

// A buffer that only grows: after the largest size has been seen once, get() never allocates.
template <class T>
class PackBuffer {
  public:
    T* get(std::size_t n) {
        if (n > capacity_) {
            data_.reset(
                static_cast<T*>(::operator new[](n * sizeof(T), std::align_val_t(kPackAlignment))));
            capacity_ = n;
        }
        return static_cast<T*>(data_.get());
    }

  private:
    std::unique_ptr<void, AlignedFree> data_;
    std::size_t capacity_ = 0;
};

// Each thread packs A and its part of B into its own buffers (see "Threads" above).
template <class T>
T* a_buffer(std::size_t n) {
    thread_local PackBuffer<T> buffer;
    return buffer.get(n);
}
template <class T>
T* b_buffer(std::size_t n) {
    thread_local PackBuffer<T> buffer;
    return buffer.get(n);
}
// C^T of a narrow unpacked product (unpacked_transposed), per thread.
template <class T>
T* ct_buffer(std::size_t n) {
    thread_local PackBuffer<T> buffer;
    return buffer.get(n);
}

constexpr std::size_t ceil_div(std::size_t a, std::size_t b) {
    return (a + b - 1) / b;
}

// One micro-kernel with its blocking on this CPU (gemm_config.hpp). MR and NR repeat the
// kernel's compile-time register block (the driver below is instantiated for each).
template <class T>
struct KernelConfig {
    GemmKernel kernel;
    std::size_t MR, NR, KC, MC, NC;
    std::size_t parallel_work;  // multiply-adds from which a product is threaded
    MicroKernel<T> ukernel;
    SmallKernel<T> small;             // unpacked path for op(B) = B (use_unpacked); null: none
    NarrowKernel<T> narrow;           // narrow A^T B (use_narrow_tn); null: none
    PackTransposed<T> pack_t;         // packing that transposes; null: pack_a's, pack_b's loops
    TileOutTransposed<T> tile_out_t;  // tile write into a transposed C; null: macro_kernel's
    EdgeKernel<T> edge;               // tiles of an M edge; null: ukernel into a scratch tile
    std::size_t l1_bytes, l2_bytes;   // the OS's L1d and L2 sizes per core, for use_unpacked
    bool amd;                         // the CPU is AMD's, for use_unpacked
};

template <GemmKernel K, class T>
KernelConfig<T> make_config(MicroKernel<T> ukernel, SmallKernel<T> small,
                            NarrowKernel<T> narrow = nullptr, PackTransposed<T> pack_t = nullptr,
                            TileOutTransposed<T> tile_out_t = nullptr,
                            EdgeKernel<T> edge = nullptr) {
    using R = RegisterBlock<K, T>;
    using C = CacheBlock<K, T>;
    KernelConfig<T> c{};
    c.kernel = K;
    c.MR = R::MR;
    c.NR = R::NR;
    c.KC = kc_for_l1(cpu_info().l1d_bytes, R::NR, sizeof(T));
    c.MC = C::MC;
    c.NC = C::NC;
    c.parallel_work = parallel_work(K);
    c.ukernel = ukernel;
    c.small = small;
    c.narrow = narrow;
    c.pack_t = pack_t;
    c.tile_out_t = tile_out_t;
    c.edge = edge;
    c.l1_bytes = cpu_info().l1d_bytes;
    c.l2_bytes = cpu_info().l2_bytes;
    c.amd = cpu_info().amd;
    return c;
}

#if FFNN_GEMM_X86
// The narrow A^T B loops and the transposing packings exist for fp32 only.
// fp32_only<NarrowKernel<T>>(f) is f for T = float and null otherwise.
template <class To, class From>
constexpr To fp32_only(From f) {
    if constexpr (std::is_same_v<To, From>)
        return f;
    else
        return nullptr;
}
#endif

// The table of kernels for T, indexed by GemmKernel, built on first use from cpu_info().
template <class T>
const KernelConfig<T>& config(GemmKernel kernel) {
    static const KernelConfig<T> table[] = {
        make_config<GemmKernel::Portable, T>(ukernel_portable, nullptr),
#if FFNN_GEMM_X86
        make_config<GemmKernel::Avx2, T>(
            ukernel_avx2, small_avx2, fp32_only<NarrowKernel<T>>(narrow_tn_avx2),
            fp32_only<PackTransposed<T>>(pack_transposed_avx2),
            fp32_only<TileOutTransposed<T>>(tile_out_transposed_avx2), uedge_avx2),
        make_config<GemmKernel::Avx512, T>(
            ukernel_avx512, small_avx512, fp32_only<NarrowKernel<T>>(narrow_tn_avx512),
            fp32_only<PackTransposed<T>>(pack_transposed_avx512),
            fp32_only<TileOutTransposed<T>>(tile_out_transposed_avx512), uedge_avx512),
#else  // never selected (gemm_kernel_supported says no); the entries only fill the table
        make_config<GemmKernel::Avx2, T>(ukernel_portable, nullptr),
        make_config<GemmKernel::Avx512, T>(ukernel_portable, nullptr),
#endif
    };
    return table[static_cast<int>(kernel)];
}

// The kernel of later products; -1 until the first product (or gemm_kernel()) chooses it.
std::atomic<int> g_kernel{-1};

GemmKernel active_kernel() {
    int k = g_kernel.load(std::memory_order_acquire);
    if (k < 0) {
        k = static_cast<int>(gemm_kernel_from_env(std::getenv("FFNN_KERNEL")));
        g_kernel.store(k, std::memory_order_release);
    }
    return static_cast<GemmKernel>(k);
}

template <class T>
struct GemmArgs {
    Trans ta, tb;
    std::size_t M, N, K;
    T alpha;
    const T* A;
    std::size_t lda;
    const T* B;
    std::size_t ldb;
    T beta;
    T* C;
    std::size_t ldc;            // row stride of C
    std::size_t csc = 1;        // column stride of C: 1, or ldc of the caller when computing C^T
    GemmBlockDone done{};       // called on each block of C once final (may be empty)
    bool c_transposed = false;  // C here is the caller's C^T (transposed below)
};

// Reports rows [r0, r1) and columns [c0, c1) of the C being computed as final, in the
// caller's coordinates.
template <class T>
void report_done(const GemmArgs<T>& g, std::size_t r0, std::size_t r1, std::size_t c0,
                 std::size_t c1) {
    if (!g.done) return;
    if (g.c_transposed)
        g.done(c0, c1, r0, r1);
    else
        g.done(r0, r1, c0, c1);
}

// Row strides must cover the rows they step over: a stored A row has K (or M, transposed)
// elements, a stored B row N (or K), a C row N. Cheap enough to stay on in release builds:
// three comparisons inline, the message built out of line (as a call on every product it
// took 7 % of the Iris network's 32x16x4, 0.07 us).
[[noreturn]] [[gnu::noinline, gnu::cold]] void stride_error(const char* ld_name, std::size_t ld,
                                                            const char* name, std::size_t rows,
                                                            std::size_t cols) {
    throw std::invalid_argument(std::string("gemm: ") + ld_name + " is " + std::to_string(ld) +
                                " but " + name + " is stored " + std::to_string(rows) + "x" +
                                std::to_string(cols));
}
inline void check_stride(const char* ld_name, std::size_t ld, const char* name, std::size_t rows,
                         std::size_t cols) {
    if (rows > 0 && cols > 0 && ld < cols) stride_error(ld_name, ld, name, rows, cols);
}
template <class T>
void check_strides(const GemmArgs<T>& g) {
    const bool ta = g.ta == Trans::Yes, tb = g.tb == Trans::Yes;
    check_stride("lda", g.lda, "A", ta ? g.K : g.M, ta ? g.M : g.K);
    check_stride("ldb", g.ldb, "B", tb ? g.N : g.K, tb ? g.K : g.N);
    check_stride("ldc", g.ldc, "C", g.M, g.N);
}

// C = beta * C, where beta == 0 writes zeros (K == 0 or alpha == 0).
template <class T>
void scale_c(const GemmArgs<T>& g) {
    for (std::size_t i = 0; i < g.M; ++i) {
        T* c = g.C + i * g.ldc;
        if (g.beta == T(0))
            std::fill(c, c + g.N, T(0));
        else
            for (std::size_t j = 0; j < g.N; ++j) c[j] *= g.beta;
    }
}

// Pack rows [i0, i0 + mc) and columns [p0, p0 + kc) of op(A) into MR x kc micro-panels
// (layout above), zero-filling the rows past mc in the last panel. Targets L2: the block is
// read once per NR-column micro-panel of B by the JR loop. The source is read along its
// stored rows, so that the hardware prefetcher sees sequential streams.
template <class T, std::size_t MR>
void pack_a(const GemmArgs<T>& g, std::size_t i0, std::size_t mc, std::size_t p0, std::size_t kc,
            T* __restrict ap, PackTransposed<T> pack_t) {
    if (g.ta == Trans::Yes) {
        // A stored (K, M): row k of the storage is column k of op(A); deal it out to the
        // panels, MR values to each.
        for (std::size_t k = 0; k < kc; ++k) {
            const T* src = g.A + (p0 + k) * g.lda + i0;
            for (std::size_t r = 0; r < mc; r += MR) {
                T* d = ap + r * kc + k * MR;
                const std::size_t mr = std::min(MR, mc - r);
                if (mr == MR) {
                    std::memcpy(d, src + r, MR * sizeof(T));  // a fixed-size vector copy
                } else {
                    for (std::size_t i = 0; i < mr; ++i) d[i] = src[r + i];
                    for (std::size_t i = mr; i < MR; ++i) d[i] = T(0);
                }
            }
        }
        return;
    }
    // A stored (M, K): the MR rows of a panel read side by side, one panel column per step
    // (or the kernel's own transposing packing, pack_t).
    for (std::size_t r = 0; r < mc; r += MR) {
        T* __restrict dst = ap + r * kc;
        const std::size_t mr = std::min(MR, mc - r);
        if (pack_t != nullptr) {
            pack_t(g.A + (i0 + r) * g.lda + p0, g.lda, mr, kc, dst, MR);
            continue;
        }
        const T* src[MR] = {};
        for (std::size_t i = 0; i < mr; ++i) src[i] = g.A + (i0 + r + i) * g.lda + p0;
        if (mr == MR) {
            for (std::size_t k = 0; k < kc; ++k)
                for (std::size_t i = 0; i < MR; ++i) dst[k * MR + i] = src[i][k];
        } else {
            for (std::size_t k = 0; k < kc; ++k) {
                for (std::size_t i = 0; i < mr; ++i) dst[k * MR + i] = src[i][k];
                for (std::size_t i = mr; i < MR; ++i) dst[k * MR + i] = T(0);
            }
        }
    }
}

// Pack columns [j0, j0 + nc) and rows [p0, p0 + kc) of op(B) into ceil(nc/NR) micro-panels
// of kc x NR (layout above), zero-filling the columns past nc. Targets L3 for the whole block
// (reused by every IC step) and L1 for one micro-panel (reused by every IR step). As for A,
// the source is read along its stored rows.
template <class T, std::size_t NR>
void pack_b(const GemmArgs<T>& g, std::size_t j0, std::size_t nc, std::size_t p0, std::size_t kc,
            T* __restrict bp, PackTransposed<T> pack_t) {
    if (g.tb == Trans::No) {
        // B stored (K, N): row k of op(B) is contiguous; deal it out to the panels, NR values
        // to each.
        for (std::size_t k = 0; k < kc; ++k) {
            const T* src = g.B + (p0 + k) * g.ldb + j0;
            for (std::size_t j = 0; j < nc; j += NR) {
                T* d = bp + j * kc + k * NR;
                const std::size_t nr = std::min(NR, nc - j);
                if (nr == NR) {
                    std::memcpy(d, src + j, NR * sizeof(T));  // a fixed-size vector copy
                } else {
                    for (std::size_t c = 0; c < nr; ++c) d[c] = src[j + c];
                    for (std::size_t c = nr; c < NR; ++c) d[c] = T(0);
                }
            }
        }
        return;
    }
    // B stored (N, K): the NR stored rows of a panel read side by side, one panel row per step
    // (or the kernel's own transposing packing, pack_t).
    for (std::size_t j = 0; j < nc; j += NR) {
        T* __restrict dst = bp + j * kc;
        const std::size_t nr = std::min(NR, nc - j);
        if (pack_t != nullptr) {
            pack_t(g.B + (j0 + j) * g.ldb + p0, g.ldb, nr, kc, dst, NR);
            continue;
        }
        const T* src[NR] = {};
        for (std::size_t c = 0; c < nr; ++c) src[c] = g.B + (j0 + j + c) * g.ldb + p0;
        if (nr == NR) {
            for (std::size_t k = 0; k < kc; ++k)
                for (std::size_t c = 0; c < NR; ++c) dst[k * NR + c] = src[c][k];
        } else {
            for (std::size_t k = 0; k < kc; ++k) {
                for (std::size_t c = 0; c < nr; ++c) dst[k * NR + c] = src[c][k];
                for (std::size_t c = nr; c < NR; ++c) dst[k * NR + c] = T(0);
            }
        }
    }
}

// Macro-kernel: the JR and IR loops over one packed A block (mc x kc) and packed B block
// (kc x nc). c points at C(ic, jc); C(i, j) is at c[i * ldc + j * csc]. Edge tiles, and all
// tiles of a transposed C (csc != 1, ldc == 1), go through a local tile and are copied back:
// the transposed ones by the kernel's tile_out_t where it has one (register transposes),
// else element by element. A tile of the M edge (mr < MR rows) is computed by the kernel's
// edge kernel where it has one, mr rows only: straight into C when it is NR wide and C is
// not transposed, else into the local tile (but for tile_out_t, which reads the tile whole).
template <class T, std::size_t MR, std::size_t NR>
void macro_kernel(MicroKernel<T> ukernel, EdgeKernel<T> edge, TileOutTransposed<T> tile_out_t,
                  std::size_t mc, std::size_t nc, std::size_t kc, const T* ap, const T* bp, T* c,
                  std::size_t ldc, std::size_t csc, T alpha, T beta) {
    const std::size_t n_panels = ceil_div(nc, NR);
    for (std::size_t q = 0; q < n_panels; ++q) {  // JR
        const std::size_t j = q * NR;
        const std::size_t nr = std::min(NR, nc - j);
        const T* b = bp + q * NR * kc;
        for (std::size_t i = 0; i < mc; i += MR) {  // IR
            const std::size_t mr = std::min(MR, mc - i);
            const T* a = ap + i * kc;
            T* cij = c + i * ldc + j * csc;
            // tile_out_t reads whole row blocks of the tile: it gets a tile computed whole.
            const bool edge_rows =
                mr < MR && edge != nullptr && (csc == 1 || tile_out_t == nullptr);
            auto compute = [&](T* dst, std::size_t ld, T b0) {  // mr rows, or the whole tile
                if (edge_rows)
                    edge(mr, kc, a, b, dst, ld, alpha, b0);
                else
                    ukernel(kc, a, b, dst, ld, alpha, b0);
            };
            if (nr == NR && csc == 1 && (mr == MR || edge_rows)) {
                compute(cij, ldc, beta);
            } else {
                alignas(kPackAlignment) T tile[MR * NR];
                compute(tile, NR, T(0));
                if (csc != 1 && tile_out_t != nullptr) {
                    tile_out_t(tile, NR, mr, nr, cij, csc, beta);
                    continue;
                }
                for (std::size_t r = 0; r < mr; ++r)
                    for (std::size_t s = 0; s < nr; ++s) {
                        T& dst = cij[r * ldc + s * csc];
                        dst = beta == T(0) ? tile[r * NR + s] : tile[r * NR + s] + beta * dst;
                    }
            }
        }
    }
}

// The part of C one thread computes: rows [row_begin, row_end) and columns
// [col_begin, col_end), both aligned to the MR x NR tile grid of the whole of C.
struct Slice {
    std::size_t row_begin, row_end, col_begin, col_end;
};

// Fixed partition of C among nt threads. The columns (JR loop) are split when there are
// enough NR-column micro-panels: each thread then packs only the B micro-panels it uses, so
// B is still packed once in all. Otherwise (narrow C, e.g. N = 10) the rows (IC loop) are
// split and each thread packs the small B whole. The rule depends on the shape and the
// kernel's MR x NR only, so for a given kernel every thread count computes every element the
// same way. A product with a fused pass (GemmBlockDone) is split by whole rows of the caller's
// C instead (Split::Rows, or Split::Cols when C^T is computed), so that the blocks it reports
// are whole rows: a pass over half of each row, on 2 threads, ran at half the speed of one
// over whole rows (the optimiser's update of a 256x256 weight in 784-256-256-10 at batch 32,
// Xeon model 167, profile_step: 54 us per step split by columns, 14 by rows; likely each
// core's prefetcher running on past the end of its half of a row into lines the other core is
// writing). Only passes that ask for it (GemmBlockDone::whole_rows) get it. The split changes
// no result.
enum class Split { Auto, Rows, Cols };

template <std::size_t MR, std::size_t NR>
Slice thread_slice(std::size_t M, std::size_t N, std::size_t tid, std::size_t nt,
                   Split split = Split::Auto) {
    const std::size_t m_panels = ceil_div(M, MR), n_panels = ceil_div(N, NR);
    const bool by_columns =
        split == Split::Auto ? n_panels >= 4 * nt || n_panels >= m_panels : split == Split::Cols;
    if (by_columns)
        return {0, M, std::min(N, n_panels * tid / nt * NR),
                std::min(N, n_panels * (tid + 1) / nt * NR)};
    return {std::min(M, m_panels * tid / nt * MR), std::min(M, m_panels * (tid + 1) / nt * MR), 0,
            N};
}

// The JC, PC and IC loops over one thread's slice of C. Each thread packs into its own
// thread_local buffers, so the threads never wait for each other inside a product.
template <class T, std::size_t MR, std::size_t NR>
void gemm_slice(const GemmArgs<T>& g, const KernelConfig<T>& cfg, const Slice& s) {
    const std::size_t MC = cfg.MC, KC = cfg.KC, NC = cfg.NC;
    assert(cfg.MR == MR && cfg.NR == NR && MC % MR == 0 && NC % NR == 0);
    const std::size_t rows = s.row_end - s.row_begin, cols = s.col_end - s.col_begin;
    if (rows == 0 || cols == 0) return;
    // Balanced blocks: K = 784 runs as 3 steps of 262 rather than 384 + 384 + 16, which would
    // load and store the C tiles once more for 16 multiply-adds. KC and MC stay upper bounds.
    // The K steps depend on K alone, so the arithmetic is the same for every thread count.
    const std::size_t kc_step = ceil_div(g.K, ceil_div(g.K, KC));
    const std::size_t mc_step = ceil_div(ceil_div(rows, ceil_div(rows, MC)), MR) * MR;
    T* ap = a_buffer<T>(MC * KC);
    T* bp = b_buffer<T>(KC * ceil_div(std::min(cols, NC), NR) * NR);

    for (std::size_t jc = s.col_begin; jc < s.col_end; jc += NC) {  // JC
        const std::size_t nc = std::min(NC, s.col_end - jc);
        for (std::size_t pc = 0; pc < g.K; pc += kc_step) {  // PC: never split (all update C)
            const std::size_t kc = std::min(kc_step, g.K - pc);
            // Every PC step after the first accumulates onto the partial sums in C.
            const T beta = pc == 0 ? g.beta : T(1);
            const bool last_pc = pc + kc >= g.K;  // the C block is final after this step
            pack_b<T, NR>(g, jc, nc, pc, kc, bp, cfg.pack_t);
            for (std::size_t ic = s.row_begin; ic < s.row_end; ic += mc_step) {  // IC
                const std::size_t mc = std::min(mc_step, s.row_end - ic);
                pack_a<T, MR>(g, ic, mc, pc, kc, ap, cfg.pack_t);
                macro_kernel<T, MR, NR>(cfg.ukernel, cfg.edge, cfg.tile_out_t, mc, nc, kc, ap, bp,
                                        g.C + ic * g.ldc + jc * g.csc, g.ldc, g.csc, g.alpha, beta);
                // mc x nc of C (at most MC x NC) just written: still in this core's L2.
                if (last_pc) report_done(g, ic, ic + mc, jc, jc + nc);
            }
        }
    }
}

// The fraction of the entries of the MR x NR tiles covering an M x N matrix that lie in it.
constexpr double tile_use(std::size_t M, std::size_t N, std::size_t MR, std::size_t NR) {
    return double(M) / double(ceil_div(M, MR) * MR) * double(N) / double(ceil_div(N, NR) * NR);
}

// The same product as C^T = op(B)^T op(A)^T (N, M): the stored operands swap roles with
// their transpose flags flipped, and C is written with row stride 1 and column stride ldc.
template <class T>
GemmArgs<T> transposed(const GemmArgs<T>& g) {
    GemmArgs<T> t = g;
    t.M = g.N;
    t.N = g.M;
    t.ta = g.tb == Trans::No ? Trans::Yes : Trans::No;  // op(A') = op(B)^T, A' = B as stored
    t.A = g.B;
    t.lda = g.ldb;
    t.tb = g.ta == Trans::No ? Trans::Yes : Trans::No;  // op(B') = op(A)^T, B' = A as stored
    t.B = g.A;
    t.ldb = g.lda;
    t.ldc = 1;
    t.csc = g.ldc;
    t.c_transposed = !g.c_transposed;
    return t;
}

// Narrow C (N = 10 classes against NR = 32 columns per tile: 31 % of the FMAs useful) is
// computed as C^T when that covers it with markedly fewer wasted tile entries (C^T (10, 128)
// with MR = 14: 71 %). The margin 1.25 pays for the transposed tiles' scalar write-back. The
// choice depends on the shape and the kernel only, so it is the same for every thread count.
constexpr double kTransposeGain = 1.25;

// The fraction of the lanes of its vectors (w values each) an unpacked loop uses on rows of n
// values.
constexpr double lane_use(std::size_t n, std::size_t w) {
    return double(n) / double(ceil_div(n, w) * w);
}

// The unpacked loop on a narrow C = alpha A^T B + beta C, A stored (K, M), B (K, N): the
// weight gradient of the output layer, X^T dZ with N = 10 classes. (In fp32 with N <= 14 and
// fewer than kUnpackedTransAWork multiply-adds the narrow loops now take these products,
// gemm_narrow; this path serves fp64, N from 15 on, and the larger products AVX2 runs
// unpacked. The figures below are from before the narrow loops.) The loop vectorises along
// the rows of C, so 10 columns fill 10 of the 16 lanes of one masked zmm, with 8 such FMA
// chains per step for 8 rows (sgemm_tn 128x10x128 at 80 GFLOP/s against OpenBLAS's 144,
// Xeon model 167). The same
// product as C^T (N, M) = alpha B^T A is one for the loop too (op(A') = B^T, B' = A as stored)
// with rows of M values: it runs into a scratch C^T, which is then added into C transposed
// (N M values, against N M K multiply-adds). Chosen when it uses markedly more lanes (the
// margin of the packed path's transpose) and K is long enough for the scalar write-back to
// pay: avx512 on the Xeon model 167, GFLOP/s direct vs through C^T, 1 thread (2 threads):
// 128x10x128 80 vs 113 (101 vs 121), avx2 61 vs 86 (82 vs 106); but 64x10x32 78 vs 65-68,
// where the write-back of 640 values costs about as much as the 20,480 multiply-adds.
// K = 64 was not measured. By the shape and kernel only.
constexpr std::size_t kTransposedMinK = 128;
constexpr bool unpacked_transposed(bool trans_a, std::size_t M, std::size_t N, std::size_t K,
                                   std::size_t cw) {
    const std::size_t w = cw / 2;  // a chunk is two vectors
    return trans_a && K >= kTransposedMinK && lane_use(M, w) > kTransposeGain * lane_use(N, w);
}

// Rows [m0, m1) of C from the scratch C^T, as unpacked_transposed describes.
template <class T>
void unpacked_ct_rows(const GemmArgs<T>& g, SmallKernel<T> small, std::size_t m0, std::size_t m1) {
    const std::size_t m = m1 - m0;
    T* ct = ct_buffer<T>(g.N * m);  // (N, m): C^T's columns [m0, m1)
    small(true, g.N, m, g.K, g.alpha, g.B, g.ldb, g.A + m0, g.lda, T(0), ct, m);
    for (std::size_t i = 0; i < m; ++i) {
        T* c = g.C + (m0 + i) * g.ldc;
        for (std::size_t j = 0; j < g.N; ++j)
            c[j] = g.beta == T(0) ? ct[j * m + i] : ct[j * m + i] + g.beta * c[j];
    }
    report_done(g, m0, m1, 0, g.N);
}

// The narrow A^T B loop (use_narrow_tn) over rows [m0, m1) of C.
template <class T>
void narrow_rows(const GemmArgs<T>& g, NarrowKernel<T> narrow, std::size_t m0, std::size_t m1) {
    narrow(m1 - m0, g.N, g.K, g.alpha, g.A + m0, g.lda, g.B, g.ldb, g.beta, g.C + m0 * g.ldc,
           g.ldc);
    report_done(g, m0, m1, 0, g.N);
}

// The narrow loop on the calling thread below narrow_parallel_work, else each thread a range
// of whole 32-row blocks (AVX-512's block, four of AVX2's; any split gives the same bits).
template <class T>
void gemm_narrow(const GemmArgs<T>& g, const KernelConfig<T>& cfg) {
    constexpr std::size_t kBlock = 32;
    const std::size_t blocks = ceil_div(g.M, kBlock);
    const int nt = g.M * g.N * g.K < narrow_parallel_work(cfg.kernel) ? 1 : omp_get_max_threads();
    if (nt <= 1 || blocks < 2) return narrow_rows(g, cfg.narrow, 0, g.M);
#pragma omp parallel num_threads(nt)
    {
        const std::size_t t = std::size_t(omp_get_thread_num());
        const std::size_t n = std::size_t(omp_get_num_threads());
        const std::size_t m0 = std::min(g.M, blocks * t / n * kBlock);
        const std::size_t m1 = std::min(g.M, blocks * (t + 1) / n * kBlock);
        if (m1 > m0) narrow_rows(g, cfg.narrow, m0, m1);
    }
}

// The packed product with one kernel: on the calling thread below cfg.parallel_work, else
// each thread of the team on its fixed slice.
template <class T, std::size_t MR, std::size_t NR>
void gemm_packed(const GemmArgs<T>& g_in, const KernelConfig<T>& cfg) {
    const bool swap =
        tile_use(g_in.N, g_in.M, MR, NR) > kTransposeGain * tile_use(g_in.M, g_in.N, MR, NR);
    const GemmArgs<T> g = swap ? transposed(g_in) : g_in;
    const std::size_t work = g.M * g.N * g.K;
    const int nt = work < cfg.parallel_work ? 1 : omp_get_max_threads();
    const Split split = !g.done.whole_rows ? Split::Auto
                        : g.c_transposed   ? Split::Cols
                                           : Split::Rows;
    if (nt <= 1) {
        gemm_slice<T, MR, NR>(g, cfg, Slice{0, g.M, 0, g.N});
    } else {
#pragma omp parallel num_threads(nt)
        gemm_slice<T, MR, NR>(g, cfg,
                              thread_slice<MR, NR>(g.M, g.N, std::size_t(omp_get_thread_num()),
                                                   std::size_t(omp_get_num_threads()), split));
    }
}

// The driver instantiated for the kernel's compile-time register block.
template <class T>
void gemm_dispatch(const GemmArgs<T>& g, const KernelConfig<T>& cfg) {
    using P = RegisterBlock<GemmKernel::Portable, T>;
    using A2 = RegisterBlock<GemmKernel::Avx2, T>;
    using A5 = RegisterBlock<GemmKernel::Avx512, T>;
    switch (cfg.kernel) {
        case GemmKernel::Portable:
            return gemm_packed<T, P::MR, P::NR>(g, cfg);
        case GemmKernel::Avx2:
            return gemm_packed<T, A2::MR, A2::NR>(g, cfg);
        case GemmKernel::Avx512:
            return gemm_packed<T, A5::MR, A5::NR>(g, cfg);
    }
}

}  // namespace
}  // namespace gemm_detail

// ---- kernel choice ------------------------------------------------------------------------

namespace {
constexpr GemmKernel kAllKernels[] = {GemmKernel::Portable, GemmKernel::Avx2, GemmKernel::Avx512};

std::string supported_list() {
    std::string s;
    for (GemmKernel k : supported_gemm_kernels())
        s += (s.empty() ? "" : ", ") + std::string(gemm_kernel_name(k));
    return s;
}
}  // namespace

const char* gemm_kernel_name(GemmKernel kernel) {
    switch (kernel) {
        case GemmKernel::Portable:
            return "portable";
        case GemmKernel::Avx2:
            return "avx2";
        case GemmKernel::Avx512:
            return "avx512";
    }
    return "?";
}

bool gemm_kernel_supported(GemmKernel kernel) {
    switch (kernel) {
        case GemmKernel::Portable:
            return true;
        case GemmKernel::Avx2:
            return FFNN_GEMM_X86 && cpu_info().avx2_fma;
        case GemmKernel::Avx512:
            return FFNN_GEMM_X86 && cpu_info().avx512f;
    }
    return false;
}

std::vector<GemmKernel> supported_gemm_kernels() {
    std::vector<GemmKernel> out;
    for (GemmKernel k : kAllKernels)
        if (gemm_kernel_supported(k)) out.push_back(k);
    return out;
}

GemmKernel gemm_kernel_from_env(const char* value) {
    if (value == nullptr || *value == '\0') return supported_gemm_kernels().back();  // fastest
    for (GemmKernel k : kAllKernels) {
        if (std::strcmp(value, gemm_kernel_name(k)) != 0) continue;
        if (!gemm_kernel_supported(k))
            throw std::invalid_argument(std::string("FFNN_KERNEL=") + value +
                                        ": this CPU (or its OS) cannot run the " + value +
                                        " kernel; it supports " + supported_list());
        return k;
    }
    throw std::invalid_argument(std::string("FFNN_KERNEL=") + value +
                                ": unknown kernel, expected portable, avx2 or avx512");
}

void set_gemm_kernel(GemmKernel kernel) {
    if (!gemm_kernel_supported(kernel))
        throw std::invalid_argument(std::string("set_gemm_kernel: this CPU (or its OS) cannot run "
                                                "the ") +
                                    gemm_kernel_name(kernel) + " kernel; it supports " +
                                    supported_list());
    gemm_detail::g_kernel.store(static_cast<int>(kernel), std::memory_order_release);
}

void reset_gemm_kernel() {
    gemm_detail::g_kernel.store(static_cast<int>(gemm_kernel_from_env(std::getenv("FFNN_KERNEL"))),
                                std::memory_order_release);
}

GemmKernel gemm_kernel() {
    return gemm_detail::active_kernel();
}

const char* gemm_kernel_name() {
    return gemm_kernel_name(gemm_kernel());
}

template <class T>
GemmBlocking gemm_blocking(GemmKernel kernel) {
    const auto& c = gemm_detail::config<T>(kernel);
    return {c.MR, c.NR, c.KC, c.MC, c.NC, c.parallel_work};
}

namespace {
std::atomic<bool> g_unpacked_path{true};
}  // namespace

void set_gemm_unpacked_path(bool enabled) {
    g_unpacked_path.store(enabled);
}

// ---- gemm -----------------------------------------------------------------------------------

template <class T>
void gemm(Trans ta, Trans tb, std::size_t M, std::size_t N, std::size_t K, T alpha, const T* A,
          std::size_t lda, const T* B, std::size_t ldb, T beta, T* C, std::size_t ldc) {
    gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, GemmBlockDone{});
}

template <class T>
void gemm(Trans ta, Trans tb, std::size_t M, std::size_t N, std::size_t K, T alpha, const T* A,
          std::size_t lda, const T* B, std::size_t ldb, T beta, T* C, std::size_t ldc,
          const GemmBlockDone& done) {
    using namespace gemm_detail;
    GemmArgs<T> g{ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc};
    g.done = done;
    check_strides(g);
    if (M == 0 || N == 0) return;
    if (K == 0 || alpha == T(0)) {
        scale_c(g);
        report_done(g, 0, M, 0, N);
        return;
    }
    const KernelConfig<T>& cfg = config<T>(active_kernel());
    const bool unpacked_on = g_unpacked_path.load(std::memory_order_relaxed);
    if (cfg.narrow != nullptr && tb == Trans::No && unpacked_on &&
        use_narrow_tn(cfg.kernel, ta == Trans::Yes, M, N, K))
        return gemm_narrow(g, cfg);
    // Products the unpacked loop does faster (use_unpacked, gemm_config.hpp: chosen by the
    // shape and the kernel only, never by the thread count, so that the result is the same
    // bits for every thread count). For op(B) = B^T the packed path beat an unpacked scalar
    // loop even at the Iris backward shape 32x16x3 (0.4 vs 2.8 us).
    if (cfg.small != nullptr && tb == Trans::No && unpacked_on &&
        use_unpacked(cfg.kernel, ta == Trans::Yes, M, N, K, sizeof(T), cfg.l1_bytes, cfg.l2_bytes,
                     cfg.amd)) {
        const bool trans_a = ta == Trans::Yes;
        const int nt = M * N * K < cfg.parallel_work ? 1 : omp_get_max_threads();
        const std::size_t cw = unpacked_chunk_bytes(cfg.kernel) / sizeof(T);
        if (unpacked_transposed(trans_a, M, N, K, cw)) {
            // Each thread a range of whole chunks of C^T's columns (C's rows), the last one
            // ending with the masked tail: the same bits for any thread count, as below.
            const std::size_t chunks = ceil_div(M, cw);
            if (nt <= 1 || chunks < std::size_t(nt)) {
                unpacked_ct_rows(g, cfg.small, 0, M);
                return;
            }
#pragma omp parallel num_threads(nt)
            {
                const std::size_t t = std::size_t(omp_get_thread_num());
                const std::size_t n = std::size_t(omp_get_num_threads());
                const std::size_t m0 = std::min(M, chunks * t / n * cw);
                const std::size_t m1 = std::min(M, chunks * (t + 1) / n * cw);
                if (m1 > m0) unpacked_ct_rows(g, cfg.small, m0, m1);
            }
            return;
        }
        if (nt <= 1) {
            cfg.small(trans_a, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
            report_done(g, 0, M, 0, N);
            return;
        }
        // One contiguous range of C per thread: of columns when C is wider than tall (B, read
        // whole by a row range, is then the larger operand: the weights of a layer against a
        // batch of 32 rows), else of rows. In training the weights come from the update on
        // the other core's cache half the time, so each thread reading only its columns of B
        // matters more there than in bench_matmul's loop (Xeon model 167, bench_train, 2
        // threads, us per step, rows against columns: 784-256-256-10 at batch 32 avx512 438
        // vs 349 (1 thread 378-385), avx2 534 vs 403; 784-256-128-10 at batch 128 avx512 754
        // vs 642; bench_matmul's shapes 0.98-1.06 times as fast by columns). The unpacked loops
        // compute each row of C with the same operations in the same order whichever row block (8,
        // 6, 4, 2 or 1 rows) it falls in, and each column chunk (2 vectors) the same way wherever
        // its range starts, as long as ranges start on a chunk; so the bits do not depend on the
        // split.
        //  - columns: ranges of whole chunks, the last thread's range ending with the masked
        //    tail, as the single-thread call has it;
        //  - rows: equal ranges rather than multiples of the row block: 32 rows on 2 threads as
        //    18 + 14 (blocks of 6) left one thread 12 % more work (sgemm_tn 32x256x784, avx2:
        //    2 threads 0.96 times the packed path; 64x256x784 as 30 + 34: 0.94).
        const std::size_t chunks = ceil_div(N, cw);
        // With a fused pass that asks for whole rows, rows (see Split).
        const bool by_columns = !done.whole_rows && N > M && chunks >= std::size_t(nt);
#pragma omp parallel num_threads(nt)
        {
            const std::size_t t = std::size_t(omp_get_thread_num());
            const std::size_t n = std::size_t(omp_get_num_threads());
            if (by_columns) {
                const std::size_t j0 = std::min(N, chunks * t / n * cw);
                const std::size_t j1 = std::min(N, chunks * (t + 1) / n * cw);
                if (j1 > j0) {
                    cfg.small(trans_a, M, j1 - j0, K, alpha, A, lda, B + j0, ldb, beta, C + j0,
                              ldc);
                    report_done(g, 0, M, j0, j1);
                }
            } else {
                const std::size_t m0 = M * t / n, m1 = M * (t + 1) / n;
                if (m1 > m0) {
                    cfg.small(trans_a, m1 - m0, N, K, alpha, A + m0 * (trans_a ? 1 : lda), lda, B,
                              ldb, beta, C + m0 * ldc, ldc);
                    report_done(g, m0, m1, 0, N);
                }
            }
        }
        return;
    }
    gemm_dispatch(g, cfg);
}

namespace {

std::string op_name(const char* name, Trans t) {
    return t == Trans::No ? std::string(name) : std::string(name) + "^T";
}

template <class T>
void check_and_run(bool fast, const Tensor<T>& A, Trans ta, const Tensor<T>& B, Trans tb,
                   Tensor<T>& C, T alpha, T beta, const GemmBlockDone& done = {}) {
    if (A.rank() != 2 || B.rank() != 2)
        throw std::invalid_argument("matmul: operands must be rank 2, A is " +
                                    A.shape().to_string() + " and B is " + B.shape().to_string());
    std::size_t M = ta == Trans::No ? A.dim(0) : A.dim(1);
    std::size_t Ka = ta == Trans::No ? A.dim(1) : A.dim(0);
    std::size_t Kb = tb == Trans::No ? B.dim(0) : B.dim(1);
    std::size_t N = tb == Trans::No ? B.dim(1) : B.dim(0);
    if (Ka != Kb)
        throw std::invalid_argument(
            "matmul: " + op_name("A", ta) + " is " + std::to_string(M) + "x" + std::to_string(Ka) +
            " but " + op_name("B", tb) + " is " + std::to_string(Kb) + "x" + std::to_string(N) +
            " (A is stored " + A.shape().to_string() + ", B " + B.shape().to_string() + ")");
    // Checked before C is resized: resizing a view of A first would give C new storage (or
    // reshape A's), and the check would no longer see the alias.
    if (C.shares_storage_with(A) || C.shares_storage_with(B))
        throw std::invalid_argument("matmul: C must not share storage with A or B");
    if (beta == T(0)) {
        C.resize(Shape{M, N});
    } else if (!(C.shape() == Shape{M, N})) {
        throw std::invalid_argument("matmul: C is " + C.shape().to_string() +
                                    " but op(A) op(B) is " + std::to_string(M) + "x" +
                                    std::to_string(N));
    }
    if (fast)
        gemm<T>(ta, tb, M, N, Ka, alpha, A.data(), A.dim(1), B.data(), B.dim(1), beta, C.data(), N,
                done);
    else
        gemm_naive<T>(ta, tb, M, N, Ka, alpha, A.data(), A.dim(1), B.data(), B.dim(1), beta,
                      C.data(), N);
}

}  // namespace

template <class T>
void matmul(const Tensor<T>& A, Trans ta, const Tensor<T>& B, Trans tb, Tensor<T>& C, T alpha,
            T beta) {
    check_and_run(true, A, ta, B, tb, C, alpha, beta);
}

template <class T>
void matmul(const Tensor<T>& A, Trans ta, const Tensor<T>& B, Trans tb, Tensor<T>& C, T alpha,
            T beta, const GemmBlockDone& done) {
    check_and_run(true, A, ta, B, tb, C, alpha, beta, done);
}

template <class T>
void matmul_naive(const Tensor<T>& A, Trans ta, const Tensor<T>& B, Trans tb, Tensor<T>& C, T alpha,
                  T beta) {
    check_and_run(false, A, ta, B, tb, C, alpha, beta);
}

template <class T>
Tensor<T> matmul(const Tensor<T>& A, const Tensor<T>& B) {
    Tensor<T> C;
    matmul(A, Trans::No, B, Trans::No, C);
    return C;
}

template <class T>
Tensor<T> matmul_naive(const Tensor<T>& A, const Tensor<T>& B) {
    Tensor<T> C;
    matmul_naive(A, Trans::No, B, Trans::No, C);
    return C;
}

#define FFNN_INSTANTIATE(T)                                                                        \
    template void gemm<T>(Trans, Trans, std::size_t, std::size_t, std::size_t, T, const T*,        \
                          std::size_t, const T*, std::size_t, T, T*, std::size_t);                 \
    template void gemm<T>(Trans, Trans, std::size_t, std::size_t, std::size_t, T, const T*,        \
                          std::size_t, const T*, std::size_t, T, T*, std::size_t,                  \
                          const GemmBlockDone&);                                                   \
    template void matmul<T>(const Tensor<T>&, Trans, const Tensor<T>&, Trans, Tensor<T>&, T, T,    \
                            const GemmBlockDone&);                                                 \
    template void gemm_naive<T>(Trans, Trans, std::size_t, std::size_t, std::size_t, T, const T*,  \
                                std::size_t, const T*, std::size_t, T, T*, std::size_t);           \
    template void matmul<T>(const Tensor<T>&, Trans, const Tensor<T>&, Trans, Tensor<T>&, T, T);   \
    template void matmul_naive<T>(const Tensor<T>&, Trans, const Tensor<T>&, Trans, Tensor<T>&, T, \
                                  T);                                                              \
    template Tensor<T> matmul<T>(const Tensor<T>&, const Tensor<T>&);                              \
    template Tensor<T> matmul_naive<T>(const Tensor<T>&, const Tensor<T>&);                        \
    template GemmBlocking gemm_blocking<T>(GemmKernel);
FFNN_INSTANTIATE(float)
FFNN_INSTANTIATE(double)
#undef FFNN_INSTANTIATE

}  // namespace ffnn
