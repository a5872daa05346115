// Processes that train together: the few collective operations that data-parallel training
// (data_parallel.hpp) and a sweep spread over processes (sweep.hpp) need, behind an interface,
// so that the library neither links MPI nor carries #ifdefs for it.
//
// A Communicator is a group of `size()` processes numbered 0..size-1 (`rank()`). Its
// operations are collectives: every rank calls the same ones in the same order, or the
// group waits. SingleProcess is the group of one (the library's default; every collective is
// a copy). The ffnn program supplies the MPI one (apps/mpi_communicator.cpp) when it was
// started by mpirun.
//
// Failures. A rank that throws while the others wait in a collective would hang them, so
// every phase that can fail on one rank alone (reading the data, a sweep's runs) ends in
// agree_on_failure: one allgather of each rank's error message (empty: success), after which
// either every rank goes on or every rank throws the same RankFailure naming the lowest
// failing rank. What fails outside those phases (an exception in the middle of training)
// ends the job with abort().
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace ffnn {

class Communicator {
  public:
    Communicator() = default;
    Communicator(const Communicator&) = delete;
    Communicator& operator=(const Communicator&) = delete;
    virtual ~Communicator() = default;

    virtual int rank() const = 0;
    virtual int size() const = 0;

    // data (n), the same n on every rank -> in place, the element-wise sum over the ranks
    // (MPI_Allreduce). The order in which the ranks' values are added is the library's.
    virtual void allreduce_sum(std::span<float> data) = 0;
    // send (counts[rank()]) -> recv (sum of counts): every rank's send, concatenated in rank
    // order (MPI_Allgatherv). counts (size()) is the same on every rank.
    virtual void allgatherv(std::span<const float> send, std::span<float> recv,
                            std::span<const std::size_t> counts) = 0;
    // Every rank's bytes, in rank order; the lengths may differ.
    virtual std::vector<std::string> allgather_bytes(const std::string& mine) = 0;
    // Ends every process of the group now, with exit code `code` (MPI_Abort): the last resort
    // for an error that would leave the other ranks waiting in a collective.
    [[noreturn]] virtual void abort(int code) = 0;
};

// The group of one process.
class SingleProcess final : public Communicator {
  public:
    int rank() const override { return 0; }
    int size() const override { return 1; }
    void allreduce_sum(std::span<float> data) override;
    void allgatherv(std::span<const float> send, std::span<float> recv,
                    std::span<const std::size_t> counts) override;
    std::vector<std::string> allgather_bytes(const std::string& mine) override;
    [[noreturn]] void abort(int code) override;
};

// What every rank throws when a rank failed a phase: the lowest failing rank, its reason, and
// the exit code it asked for (2 for a bad setting, 1 otherwise).
class RankFailure : public std::runtime_error {
  public:
    RankFailure(int rank, int size, const std::string& reason, int exit_code);
    int failed_rank() const { return rank_; }
    const std::string& reason() const { return reason_; }
    int exit_code() const { return exit_code_; }

  private:
    int rank_;
    std::string reason_;
    int exit_code_;
};

// Collective: `error` is this rank's failure ("" when it succeeded), exit_code what it would
// exit with. Returns on every rank when no rank failed; otherwise throws RankFailure on every
// rank, for the lowest failing rank. One allgather_bytes.
void agree_on_failure(Communicator& comm, const std::string& error, int exit_code = 1);

// Runs phase() on this rank and agrees on the outcome with agree_on_failure: an exception of
// phase (std::exception) on any rank becomes the same RankFailure on every rank. ConfigError
// (a bad setting) keeps its exit code 2.
void run_agreed(Communicator& comm, const std::function<void()>& phase);

// The ranks' share of `n` items, contiguous and balanced: rank r takes [first, end) with
// first = r n / P (rounded down).
struct RankRange {
    std::size_t first = 0, end = 0;
};
RankRange rank_range(std::size_t n, int rank, int size);

}  // namespace ffnn
