// The one-process Communicator and the failure agreement; see distributed.hpp.
#include "ffnn/train/distributed.hpp"

#include <algorithm>
#include <cstdlib>

#include "ffnn/nn/config_error.hpp"

namespace ffnn {

void SingleProcess::allreduce_sum(std::span<float> data) {
    (void)data;
}

void SingleProcess::allgatherv(std::span<const float> send, std::span<float> recv,
                               std::span<const std::size_t> counts) {
    if (counts.size() != 1 || counts[0] != send.size() || recv.size() != send.size())
        throw std::invalid_argument("allgatherv: one process sends " + std::to_string(send.size()) +
                                    " values into " + std::to_string(recv.size()));
    std::copy(send.begin(), send.end(), recv.begin());
}

std::vector<std::string> SingleProcess::allgather_bytes(const std::string& mine) {
    return {mine};
}

void SingleProcess::abort(int code) {
    std::exit(code);
}

namespace {

std::string failure_text(int rank, int size, const std::string& reason) {
    return "rank " + std::to_string(rank) + " of " + std::to_string(size) + " failed: " + reason;
}

}  // namespace

RankFailure::RankFailure(int rank, int size, const std::string& reason, int exit_code)
    : std::runtime_error(failure_text(rank, size, reason)),
      rank_(rank),
      reason_(reason),
      exit_code_(exit_code) {}

void agree_on_failure(Communicator& comm, const std::string& error, int exit_code) {
    // Each rank's message travels as one byte of exit code then the text ("" when it
    // succeeded), so every rank sees the same list and decides the same way.
    const std::string mine =
        error.empty() ? std::string() : std::string(1, static_cast<char>(exit_code)) + error;
    const std::vector<std::string> all = comm.allgather_bytes(mine);
    for (std::size_t r = 0; r < all.size(); ++r)
        if (!all[r].empty())
            throw RankFailure(static_cast<int>(r), comm.size(), all[r].substr(1),
                              static_cast<unsigned char>(all[r][0]));
}

void run_agreed(Communicator& comm, const std::function<void()>& phase) {
    // Alone, there is nobody to agree with: the exception goes on as it was.
    if (comm.size() == 1) return phase();
    std::string error;
    int code = 1;
    try {
        phase();
    } catch (const ConfigError& e) {
        error = e.field() + ": " + e.what();
        code = 2;
    } catch (const std::exception& e) {
        error = e.what();
        if (error.empty()) error = "an exception without a message";
    }
    agree_on_failure(comm, error, code);
}

RankRange rank_range(std::size_t n, int rank, int size) {
    const auto r = static_cast<std::size_t>(rank), p = static_cast<std::size_t>(size);
    return {r * n / p, (r + 1) * n / p};
}

}  // namespace ffnn
