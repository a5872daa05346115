// Corpus replay, without libFuzzer: every file of tests/fuzz/corpus/<target>/ goes through
// the same entry point as the fuzz target (entries.hpp). Each must be read or rejected
// with a std::exception; any other exception fails the run, and a crash or a sanitizer
// report ends it. Usage: replay_corpus CORPUS_DIR [TARGET...] (default: every target).
#include <algorithm>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "entries.hpp"

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s CORPUS_DIR [TARGET...]\n", argv[0]);
        return 2;
    }
    const std::filesystem::path root = argv[1];
    const std::vector<std::string> only(argv + 2, argv + argc);
    int failures = 0, targets = 0;
    for (const ffnn_fuzz::Target& t : ffnn_fuzz::kTargets) {
        if (!only.empty() && std::find(only.begin(), only.end(), t.name) == only.end()) continue;
        const std::filesystem::path dir = root / t.name;
        std::vector<std::filesystem::path> files;
        if (std::filesystem::is_directory(dir))
            for (const auto& e : std::filesystem::directory_iterator(dir))
                if (e.is_regular_file()) files.push_back(e.path());
        std::sort(files.begin(), files.end());
        if (files.empty()) {
            std::fprintf(stderr, "%s: no corpus files in %s\n", t.name, dir.c_str());
            ++failures;
            continue;
        }
        ++targets;
        int accepted = 0, rejected = 0;
        for (const auto& f : files) {
            std::ifstream in(f, std::ios::binary);
            const std::string bytes((std::istreambuf_iterator<char>(in)),
                                    std::istreambuf_iterator<char>());
            try {
                t.run(bytes);
                ++accepted;
            } catch (const std::exception&) {
                ++rejected;
            } catch (...) {
                std::fprintf(stderr, "%s: %s threw something that is not a std::exception\n",
                             t.name, f.c_str());
                ++failures;
            }
        }
        std::printf("%-12s %4zu files: %d read, %d rejected with a message\n", t.name, files.size(),
                    accepted, rejected);
    }
    if (targets == 0) ++failures;
    return failures == 0 ? 0 : 1;
}
