// Resource limits of the readers: reading a file never allocates more than a small multiple
// of the file's size plus what its header declares and the file really holds (issue 13: a
// 177-byte checkpoint asked for 40 GB, a 1.4 KB one peaked at 310 MB before it was
// rejected; every IDX read took 2 MiB, whatever its size).
//
// This file replaces the global operator new with one that counts the bytes live and their
// peak, and refuses any single request above kRefuseBytes (so a regression fails this test
// with std::bad_alloc instead of taking the machine's memory); it is its own test executable
// so that the counter affects nothing else.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "ffnn/io/checkpoint.hpp"
#include "ffnn/io/csv.hpp"
#include "ffnn/io/idx.hpp"
#include "ffnn/io/safetensors.hpp"

namespace {

constexpr std::size_t kRefuseBytes = std::size_t(1) << 30;
// Every block carries its size in a header of this many bytes (max_align_t's alignment),
// so that delete can subtract it.
constexpr std::size_t kHeader = 16;

std::atomic<std::size_t> g_live{0}, g_peak{0}, g_largest_request{0};

void note_request(std::size_t n) {
    std::size_t prev = g_largest_request.load();
    while (n > prev && !g_largest_request.compare_exchange_weak(prev, n)) {
    }
}

void add_live(std::size_t n) {
    std::size_t now = g_live += n;
    std::size_t prev = g_peak.load();
    while (now > prev && !g_peak.compare_exchange_weak(prev, now)) {
    }
}

// Plain blocks: [size | pad][user bytes...]; aligned blocks: [... | base | size][user...]
// with the user pointer a multiple of the alignment and the two words right before it.
void* counted_alloc(std::size_t n, std::size_t align) {
    note_request(n);
    if (n > kRefuseBytes) throw std::bad_alloc();
    if (align <= kHeader) {
        auto* base = static_cast<unsigned char*>(std::malloc(n + kHeader));
        if (!base) throw std::bad_alloc();
        *reinterpret_cast<std::size_t*>(base) = n;
        add_live(n);
        return base + kHeader;
    }
    auto* base = static_cast<unsigned char*>(std::malloc(n + align + kHeader));
    if (!base) throw std::bad_alloc();
    auto addr = reinterpret_cast<std::uintptr_t>(base) + kHeader;
    addr = (addr + align - 1) / align * align;
    auto* user = reinterpret_cast<unsigned char*>(addr);
    reinterpret_cast<void**>(user)[-2] = base;
    reinterpret_cast<std::size_t*>(user)[-1] = n;
    add_live(n);
    return user;
}

void counted_free(void* p, bool aligned) {
    if (!p) return;
    auto* user = static_cast<unsigned char*>(p);
    if (!aligned) {
        unsigned char* base = user - kHeader;
        g_live -= *reinterpret_cast<std::size_t*>(base);
        std::free(base);
        return;
    }
    g_live -= reinterpret_cast<std::size_t*>(user)[-1];
    std::free(reinterpret_cast<void**>(user)[-2]);
}

}  // namespace

void* operator new(std::size_t n) {
    return counted_alloc(n, 1);
}
void* operator new[](std::size_t n) {
    return counted_alloc(n, 1);
}
void* operator new(std::size_t n, std::align_val_t a) {
    return counted_alloc(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a) {
    return counted_alloc(n, static_cast<std::size_t>(a));
}
// The nothrow forms too (std::stable_sort's temporary buffer uses them): every block that
// reaches the deletes below must carry the header.
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    try {
        return counted_alloc(n, 1);
    } catch (const std::bad_alloc&) {
        return nullptr;
    }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
    return operator new(n, std::nothrow);
}
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
    try {
        return counted_alloc(n, static_cast<std::size_t>(a));
    } catch (const std::bad_alloc&) {
        return nullptr;
    }
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
    return operator new(n, a, std::nothrow);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
    counted_free(p, false);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
    counted_free(p, false);
}
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
    counted_free(p, true);
}
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
    counted_free(p, true);
}
void operator delete(void* p) noexcept {
    counted_free(p, false);
}
void operator delete[](void* p) noexcept {
    counted_free(p, false);
}
void operator delete(void* p, std::size_t) noexcept {
    counted_free(p, false);
}
void operator delete[](void* p, std::size_t) noexcept {
    counted_free(p, false);
}
void operator delete(void* p, std::align_val_t) noexcept {
    counted_free(p, true);
}
void operator delete[](void* p, std::align_val_t) noexcept {
    counted_free(p, true);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
    counted_free(p, true);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
    counted_free(p, true);
}

namespace ffnn {
namespace {

struct Peak {
    std::size_t bytes;    // most bytes live at once, above what was live before the call
    std::size_t largest;  // the largest single request
    bool threw;
};

// Runs `read` (on bytes already in memory, so the file's own buffer is not counted) and
// measures the allocations made meanwhile.
template <class F>
Peak measure(F&& read) {
    const std::size_t before = g_live.load();
    g_peak = before;
    g_largest_request = 0;
    bool threw = false;
    try {
        read();
    } catch (const std::exception&) {
        threw = true;
    }
    return {g_peak.load() - before, g_largest_request.load(), threw};
}

Peak measure_load(const std::string& file) {
    return measure([&] { Checkpoint ck = parse_checkpoint(file, "crafted.safetensors"); });
}

Metadata metadata(const std::string& layer_sizes, std::size_t n_hidden_layers) {
    std::string act = "[";
    for (std::size_t i = 0; i < n_hidden_layers; ++i) act += "\"relu\",";
    act += "\"identity\"]";
    return {{"format", "ffnn-classifier"},       {"architecture", "crafted"},
            {"layer_sizes", layer_sizes},        {"activations", act},
            {"class_names", R"(["a","b","c"])"}, {"feature_names", R"(["f0","f1","f2","f3"])"}};
}

// A file's budget: this multiple of its size plus a fixed allowance for the JSON parser,
// the metadata strings and the model's bookkeeping.
constexpr std::size_t kTimesFile = 4;
constexpr std::size_t kFixedBytes = 256 * 1024;

TEST(ReaderMemory, CraftedCheckpointsAllocateLittleMoreThanTheyHold) {
    // The files of issue 13 and variants: no tensors, or tensors smaller than the sizes say.
    std::vector<StoredTensor> small;
    small.push_back({"layers.0.W", Tensor<float>::zeros(Shape{4, 3})});
    small.push_back({"layers.0.b", Tensor<float>::zeros(Shape{3})});
    const std::vector<std::string> files = {
        serialize_safetensors({}, metadata("[4611686018427387904,1]", 0)),
        serialize_safetensors({}, metadata(R"(["-1","4"])", 0)),
        serialize_safetensors({}, metadata("[100000,100000,3]", 1)),
        serialize_safetensors({}, metadata("[4,30000,30000]", 1)),
        serialize_safetensors({}, metadata("[4,5000000,3]", 1)),
        serialize_safetensors(small, metadata("[4,5000000,3]", 1)),
        serialize_safetensors(small, metadata("[4,3,2000000]", 1)),
    };
    for (const std::string& f : files) {
        Peak p = measure_load(f);
        EXPECT_TRUE(p.threw);
        EXPECT_LE(p.bytes, kTimesFile * f.size() + kFixedBytes)
            << "file of " << f.size() << " bytes: " << f.substr(8, 120);
        EXPECT_LE(p.largest, kTimesFile * f.size() + kFixedBytes);
    }
}

TEST(ReaderMemory, ValidCheckpointAllocatesASmallMultipleOfItsSize) {
    // 32 inputs, 2000 hidden units, 3 classes: 264 KB of parameters; the model holds them
    // and their gradients, the parsed file a copy, as_float a transient one.
    std::vector<StoredTensor> t;
    t.push_back({"layers.0.W", Tensor<float>::full(Shape{32, 2000}, 0.5f)});
    t.push_back({"layers.0.b", Tensor<float>::zeros(Shape{2000})});
    t.push_back({"layers.1.W", Tensor<float>::full(Shape{2000, 3}, 0.25f)});
    t.push_back({"layers.1.b", Tensor<float>::zeros(Shape{3})});
    Metadata meta = metadata("[32,2000,3]", 1);
    std::string features = "[";
    for (int i = 0; i < 32; ++i) features += (i ? ",\"f" : "\"f") + std::to_string(i) + "\"";
    meta["feature_names"] = features + "]";
    const std::string f = serialize_safetensors(t, meta);
    Peak p = measure_load(f);
    EXPECT_FALSE(p.threw);
    EXPECT_GE(p.bytes, f.size());  // it holds the parameters: the counter counts
    EXPECT_LE(p.bytes, kTimesFile * f.size() + kFixedBytes) << "file of " << f.size() << " bytes";
}

// IDX files whose headers claim up to 1 GiB (the cap) but hold a few bytes, plain and
// gzip-compressed, and the fuzzer's finding (a 95-byte file): memory follows the bytes
// present, not the header.
TEST(ReaderMemory, IdxFilesAllocateWhatTheyHold) {
    auto header = [](std::initializer_list<std::uint32_t> dims) {
        std::string s = {0, 0, 8, static_cast<char>(dims.size())};
        for (std::uint32_t d : dims)
            for (int shift = 24; shift >= 0; shift -= 8)
                s += static_cast<char>((d >> shift) & 0xFF);
        return s;
    };
    const std::string files[] = {
        header({60000, 28, 28}) + "0123456789",  // 47 MB declared, 10 bytes held
        header({1024, 1024, 1024}) + "x",        // 1 GiB declared
        header({3, 3, 3, 4}) + std::string(30, '\x7f'),
        std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10) + "truncated gzip",
        header({2, 2}) + "abcd" + std::string(5000, 'z'),  // trailing bytes
    };
    for (const std::string& f : files) {
        Peak p = measure([&] { parse_idx(f, "crafted.idx"); });
        EXPECT_TRUE(p.threw);
        // The first data chunk (64 KiB), zlib's state (about 45 KB), the trailing buffer.
        EXPECT_LE(p.bytes, kTimesFile * f.size() + kFixedBytes) << f.size() << " bytes";
    }
    // A valid 1 MB file: at most twice its data (the chunks double) plus the fixed part.
    const std::string big = header({1000, 1000}) + std::string(1000000, '\x01');
    Peak p = measure([&] { parse_idx(big, "big.idx"); });
    EXPECT_FALSE(p.threw);
    EXPECT_GE(p.bytes, 1000000u);
    EXPECT_LE(p.bytes, 2 * big.size() + kFixedBytes);
}

// CSV and safetensors inputs whose content claims much but holds little.
TEST(ReaderMemory, CsvAndSafetensorsAllocateASmallMultipleOfTheirSize) {
    const std::string csv = "a,b,label\n1,2,x\n3,4,y\n";
    Peak c = measure([&] { parse_csv(csv, "small.csv"); });
    EXPECT_FALSE(c.threw);
    EXPECT_LE(c.bytes, kTimesFile * csv.size() + kFixedBytes);
    // A header declaring a 2^40-byte tensor in a 100-byte file.
    const std::string h =
        R"({"a":{"dtype":"F32","shape":[1048576,262144],"data_offsets":[0,1099511627776]}})";
    std::string st;
    for (int i = 0; i < 8; ++i) st += static_cast<char>((h.size() >> (8 * i)) & 0xFF);
    st += h;
    Peak s = measure([&] { parse_safetensors(st, "claims.safetensors"); });
    EXPECT_TRUE(s.threw);
    EXPECT_LE(s.bytes, kTimesFile * st.size() + kFixedBytes);
}

}  // namespace
}  // namespace ffnn
