// safetensors writer and strict reader. See safetensors.hpp for the layout and the checks.
#include "ffnn/io/safetensors.hpp"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "ffnn/io/atomic_file.hpp"

namespace ffnn {

// Tensor bytes are copied as they lie in memory; the format is little-endian.
static_assert(std::endian::native == std::endian::little,
              "safetensors I/O assumes a little-endian host");

namespace {

constexpr std::size_t kHeaderLengthBytes = 8;
constexpr const char* kMetadataKey = "__metadata__";

// Every dtype the safetensors format defines, so an unsupported one is named as such.
bool is_known_unsupported_dtype(const std::string& s) {
    static const std::set<std::string> names = {
        "BOOL", "U8",  "I8",  "F8_E5M2", "F8_E4M3", "I16",     "U16",     "F16",     "BF16",
        "I32",  "U32", "I64", "U64",     "F4",      "F6_E2M3", "F6_E3M2", "F8_E8M0", "C64"};
    return names.count(s) > 0;
}

std::string shape_text(const std::vector<std::uint64_t>& dims) {
    std::string s = "[";
    for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
    return s + "]";
}

template <class T>
Tensor<T> tensor_from_bytes(const char* bytes, const Shape& shape) {
    Tensor<T> t = Tensor<T>::empty(shape);
    if (t.size()) std::memcpy(t.data(), bytes, t.size() * sizeof(T));
    return t;
}

template <class To, class From>
Tensor<To> convert(const Tensor<From>& src) {
    if constexpr (std::is_same_v<To, From>) {
        return src.clone();
    } else {
        Tensor<To> out = Tensor<To>::empty(src.shape());
        for (std::size_t i = 0; i < src.size(); ++i) out[i] = static_cast<To>(src[i]);
        return out;
    }
}

// Throws on a key repeated within one JSON object (nlohmann would keep the last silently).
nlohmann::json parse_header_json(std::string_view text, const std::string& name) {
    std::vector<std::set<std::string>> keys;  // one set per open object
    auto callback = [&](int, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        using E = nlohmann::json::parse_event_t;
        if (event == E::object_start)
            keys.emplace_back();
        else if (event == E::object_end)
            keys.pop_back();
        else if (event == E::key && !keys.empty() &&
                 !keys.back().insert(parsed.get<std::string>()).second)
            throw std::runtime_error(name + ": invalid header: duplicate key '" +
                                     parsed.get<std::string>() + "'");
        return true;
    };
    try {
        return nlohmann::json::parse(text.begin(), text.end(), callback);
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(name + ": invalid header: not valid JSON (" + e.what() + ")");
    }
}

// A byte count for a message: exact when short, else in e-notation ("7.5e17"), since the
// header length of a file that is no safetensors file is eight arbitrary bytes.
std::string byte_count(std::uint64_t n) {
    if (n < 1000000000ull) return std::to_string(n);
    char text[32];
    std::snprintf(text, sizeof text, "%.1e", static_cast<double>(n));  // "7.5e+17"
    std::string s = text;
    const std::size_t e = s.find('e');
    std::size_t digits = e + 2;  // past "e+"
    while (digits + 1 < s.size() && s[digits] == '0') ++digits;
    return s.substr(0, e + 1) + s.substr(digits);  // "7.5e17"
}

// The header length in the first 8 bytes of a file of `file_size` bytes, checked against
// the limit and the file's size. Either failure almost always means the file is of another
// kind (a CSV, a PyTorch .bin, an image), so the message says that first.
std::uint64_t checked_header_length(std::string_view first8, std::uint64_t file_size,
                                    const std::string& name) {
    std::uint64_t h = 0;
    for (int i = 7; i >= 0; --i) h = (h << 8) | static_cast<unsigned char>(first8[i]);
    if (h > file_size - kHeaderLengthBytes)
        throw std::runtime_error(name + ": not a safetensors file (header length " + byte_count(h) +
                                 " runs past the end of the file, " + std::to_string(file_size) +
                                 " bytes)");
    if (h > kSafetensorsMaxHeader)
        throw std::runtime_error(name + ": not a safetensors file (header length " + byte_count(h) +
                                 " exceeds the limit of " + std::to_string(kSafetensorsMaxHeader) +
                                 " bytes)");
    return h;
}

}  // namespace

const char* dtype_name(DType t) {
    return t == DType::F32 ? "F32" : "F64";
}
std::size_t dtype_size(DType t) {
    return t == DType::F32 ? 4 : 8;
}

DType StoredTensor::dtype() const {
    return std::holds_alternative<Tensor<float>>(value) ? DType::F32 : DType::F64;
}

const Shape& StoredTensor::shape() const {
    return std::visit([](const auto& t) -> const Shape& { return t.shape(); }, value);
}

Tensor<float> StoredTensor::as_float() const {
    return std::visit([](const auto& t) { return convert<float>(t); }, value);
}

Tensor<double> StoredTensor::as_double() const {
    return std::visit([](const auto& t) { return convert<double>(t); }, value);
}

const StoredTensor* SafetensorsFile::find(std::string_view name) const {
    for (const StoredTensor& t : tensors)
        if (t.name == name) return &t;
    return nullptr;
}

const StoredTensor& SafetensorsFile::at(std::string_view name) const {
    if (const StoredTensor* t = find(name)) return *t;
    throw std::runtime_error(source + ": no tensor '" + std::string(name) + "' in the checkpoint");
}

std::string serialize_safetensors(std::span<const StoredTensor> tensors, const Metadata& metadata) {
    // ordered_json keeps the writer's order in the header, which makes files easy to read.
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!metadata.empty()) {
        nlohmann::ordered_json meta = nlohmann::ordered_json::object();
        for (const auto& [k, v] : metadata) meta[k] = v;
        header[kMetadataKey] = std::move(meta);
    }
    std::set<std::string> seen;
    std::uint64_t offset = 0;
    for (const StoredTensor& t : tensors) {
        if (t.name == kMetadataKey)
            throw std::invalid_argument(
                "serialize_safetensors: '__metadata__' cannot name a tensor");
        if (!seen.insert(t.name).second)
            throw std::invalid_argument("serialize_safetensors: duplicate tensor name '" + t.name +
                                        "'");
        const std::uint64_t bytes = t.shape().size() * dtype_size(t.dtype());
        nlohmann::ordered_json shape = nlohmann::ordered_json::array();
        for (std::size_t d : t.shape()) shape.push_back(d);
        header[t.name] = {{"dtype", dtype_name(t.dtype())},
                          {"shape", std::move(shape)},
                          {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
    }
    std::string json = header.dump();
    json.append(
        (kSafetensorsAlignment - (kHeaderLengthBytes + json.size()) % kSafetensorsAlignment) %
            kSafetensorsAlignment,
        ' ');

    std::string out;
    out.reserve(kHeaderLengthBytes + json.size() + offset);
    const std::uint64_t h = json.size();
    for (int i = 0; i < 8; ++i) out += static_cast<char>((h >> (8 * i)) & 0xFF);
    out += json;
    for (const StoredTensor& t : tensors)
        std::visit(
            [&](const auto& x) {
                out.append(reinterpret_cast<const char*>(x.data()), x.size() * sizeof(*x.data()));
            },
            t.value);
    return out;
}

void write_safetensors(const std::string& path, std::span<const StoredTensor> tensors,
                       const Metadata& metadata) {
    write_file_atomic(path, serialize_safetensors(tensors, metadata));
}

SafetensorsFile parse_safetensors(std::string_view bytes, const std::string& name) {
    if (bytes.size() < kHeaderLengthBytes)
        throw std::runtime_error(name +
                                 ": not a safetensors file: " + std::to_string(bytes.size()) +
                                 " bytes, too short for the 8-byte header length");
    const std::uint64_t h = checked_header_length(bytes, bytes.size(), name);
    const std::string_view header_text = bytes.substr(kHeaderLengthBytes, h);
    const std::string_view buffer = bytes.substr(kHeaderLengthBytes + h);

    if (header_text.empty() || header_text.front() != '{')
        throw std::runtime_error(name +
                                 ": not a safetensors file (its header does not start "
                                 "with '{', as a JSON object does)");
    const nlohmann::json header = parse_header_json(header_text, name);
    if (!header.is_object())
        throw std::runtime_error(name + ": invalid header: expected a JSON object");

    SafetensorsFile out;
    out.source = name;
    struct Entry {
        std::string name;
        DType dtype;
        Shape shape;
        std::uint64_t begin, end;
    };
    std::vector<Entry> entries;
    for (const auto& [key, value] : header.items()) {
        if (key == kMetadataKey) {
            if (!value.is_object())
                throw std::runtime_error(name +
                                         ": __metadata__ must be an object of strings, got " +
                                         std::string(value.type_name()));
            for (const auto& [mk, mv] : value.items()) {
                if (!mv.is_string())
                    throw std::runtime_error(name + ": __metadata__ value of '" + mk +
                                             "' must be a string, got " +
                                             std::string(mv.type_name()));
                out.metadata[mk] = mv.get<std::string>();
            }
            continue;
        }
        const std::string where = name + ": tensor '" + key + "': ";
        if (!value.is_object())
            throw std::runtime_error(where + "expected an object, got " +
                                     std::string(value.type_name()));
        for (const auto& [field, unused] : value.items())
            if (field != "dtype" && field != "shape" && field != "data_offsets")
                throw std::runtime_error(where + "unexpected key '" + field +
                                         "' (expected exactly dtype, shape, data_offsets)");
        for (const char* field : {"dtype", "shape", "data_offsets"})
            if (!value.contains(field))
                throw std::runtime_error(where + "missing key '" + field + "'");

        const auto& jd = value["dtype"];
        if (!jd.is_string()) throw std::runtime_error(where + "dtype must be a string");
        const std::string dt = jd.get<std::string>();
        Entry e;
        e.name = key;
        if (dt == "F32")
            e.dtype = DType::F32;
        else if (dt == "F64")
            e.dtype = DType::F64;
        else if (is_known_unsupported_dtype(dt))
            throw std::runtime_error(where + "dtype " + dt +
                                     " is not supported (ffnn reads F32 and F64)");
        else
            throw std::runtime_error(where + "unknown dtype '" + dt + "' (ffnn reads F32 and F64)");

        const auto& js = value["shape"];
        if (!js.is_array())
            throw std::runtime_error(where + "shape must be an array of non-negative integers");
        std::vector<std::uint64_t> dims;
        std::uint64_t count = 1, bound = 1;  // bound: the product of the non-zero extents
        bool overflow = false;
        for (const auto& d : js) {
            if (!d.is_number_unsigned())
                throw std::runtime_error(
                    where + "shape must be an array of non-negative integers, got " + js.dump());
            dims.push_back(d.get<std::uint64_t>());
            count *= dims.back();  // never larger than bound, which is checked
            // As Shape::size() does: a zero extent does not excuse the others' product.
            if (dims.back() != 0)
                overflow = overflow || __builtin_mul_overflow(bound, dims.back(), &bound);
        }
        if (dims.size() > kMaxRank)
            throw std::runtime_error(where + "rank " + std::to_string(dims.size()) +
                                     " exceeds the maximum rank " + std::to_string(kMaxRank));
        std::uint64_t nbytes = 0;
        if (overflow || __builtin_mul_overflow(count, dtype_size(e.dtype), &nbytes))
            throw std::runtime_error(where + "shape " + shape_text(dims) + " is too large");
        e.shape = Shape::from_range(dims.begin(), dims.end());

        const auto& jo = value["data_offsets"];
        if (!jo.is_array() || jo.size() != 2 || !jo[0].is_number_unsigned() ||
            !jo[1].is_number_unsigned())
            throw std::runtime_error(
                where + "data_offsets must be [begin, end] of non-negative integers, got " +
                jo.dump());
        e.begin = jo[0].get<std::uint64_t>();
        e.end = jo[1].get<std::uint64_t>();
        if (e.begin > e.end)
            throw std::runtime_error(where + "data_offsets [" + std::to_string(e.begin) + ", " +
                                     std::to_string(e.end) + "] end before they begin");
        if (e.end > buffer.size())
            throw std::runtime_error(where + "data_offsets [" + std::to_string(e.begin) + ", " +
                                     std::to_string(e.end) + "] run past the data buffer (" +
                                     std::to_string(buffer.size()) + " bytes)");
        if (e.end - e.begin != nbytes)
            throw std::runtime_error(where + "holds " + std::to_string(e.end - e.begin) +
                                     " bytes but shape " + shape_text(dims) + " of " + dt +
                                     " needs " + std::to_string(nbytes));
        entries.push_back(std::move(e));
    }

    // The tensors must tile the buffer: sorted by offset, each begins where the last ended.
    std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
        return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    std::uint64_t expected = 0;
    const Entry* previous = nullptr;
    for (const Entry& e : entries) {
        if (e.begin < expected)
            throw std::runtime_error(name + ": tensor '" + e.name + "' overlaps tensor '" +
                                     previous->name + "' (data_offsets begin at " +
                                     std::to_string(e.begin) + ", before " +
                                     std::to_string(expected) + ")");
        if (e.begin > expected)
            throw std::runtime_error(
                name + ": tensor '" + e.name + "': gap in the data buffer: data_offsets begin at " +
                std::to_string(e.begin) + ", expected " + std::to_string(expected));
        expected = e.end;
        previous = &e;
    }
    if (expected != buffer.size())
        throw std::runtime_error(
            name + ": " + std::to_string(buffer.size() - expected) +
            " bytes left over after the last tensor" +
            (previous ? " ('" + previous->name + "')" : std::string(" (no tensors)")));

    out.tensors.reserve(entries.size());
    for (const Entry& e : entries) {
        const char* p = buffer.data() + e.begin;
        if (e.dtype == DType::F32)
            out.tensors.push_back({e.name, tensor_from_bytes<float>(p, e.shape)});
        else
            out.tensors.push_back({e.name, tensor_from_bytes<double>(p, e.shape)});
    }
    return out;
}

SafetensorsFile read_safetensors(const std::string& path) {
    // The header length first: a file that is no safetensors file (a CSV or an image given
    // as --model) is rejected on its first 8 bytes, without reading it whole.
    std::error_code ec;
    const std::uintmax_t size = std::filesystem::file_size(path, ec);
    std::ifstream in(path, std::ios::binary);
    char first8[kHeaderLengthBytes];
    if (!ec && in && size >= kHeaderLengthBytes &&
        static_cast<std::size_t>(in.read(first8, kHeaderLengthBytes).gcount()) ==
            kHeaderLengthBytes)
        checked_header_length(std::string_view(first8, kHeaderLengthBytes), size, path);
    return parse_safetensors(read_file_bytes(path), path);
}

}  // namespace ffnn
