// Runs the ffnn program as a user would, for the tests of the command-line app.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace ffnn::test {

struct Result {
    int code;            // exit code, -1 when the program did not exit normally
    std::string output;  // stdout and stderr together
};

// Runs FFNN_APP with `args` through the shell; `env` (e.g. "PATH=/nonexistent") goes in front.
inline Result run(const std::string& args, const std::string& env = "") {
    std::string cmd = env + (env.empty() ? "" : " ") + std::string(FFNN_APP) + " " + args + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return {-1, "popen failed"};
    std::string out;
    char buf[4096];
    std::size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    int status = pclose(p);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

inline bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

}  // namespace ffnn::test
