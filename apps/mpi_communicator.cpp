// The MPI Communicator (MPI_COMM_WORLD) and make_communicator of a program built with MPI.
//
// MPI is initialised only when a launcher started the program: a plain `ffnn train` stays a
// single process with no MPI start-up cost (and Open MPI's singleton mode, which would spawn
// a daemon, is never entered). MPI_THREAD_FUNNELED: only the main thread calls MPI (a sweep's
// worker threads and OpenMP's threads never do).
#include <mpi.h>

#include <cstdlib>
#include <limits>
#include <stdexcept>

#include "communicator.hpp"

namespace ffnn::app {

namespace {

// The environment variables Open MPI's mpirun, PMI-based launchers (MPICH's hydra, Slurm's
// srun) and PMIx set in every process they start.
bool started_by_launcher() {
    for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "PMI_RANK"})
        if (std::getenv(name)) return true;
    return false;
}

int as_count(std::size_t n, const char* what) {
    if (n > static_cast<std::size_t>(std::numeric_limits<int>::max()))
        throw std::length_error(std::string(what) + ": " + std::to_string(n) +
                                " values exceed MPI's int count");
    return static_cast<int>(n);
}

class MpiCommunicator final : public Communicator {
  public:
    MpiCommunicator(int& argc, char**& argv) {
        int provided = 0;
        MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
        MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
        MPI_Comm_size(MPI_COMM_WORLD, &size_);
    }
    ~MpiCommunicator() override { MPI_Finalize(); }

    int rank() const override { return rank_; }
    int size() const override { return size_; }

    void allreduce_sum(std::span<float> data) override {
        MPI_Allreduce(MPI_IN_PLACE, data.data(), as_count(data.size(), "allreduce"), MPI_FLOAT,
                      MPI_SUM, MPI_COMM_WORLD);
    }

    void allgatherv(std::span<const float> send, std::span<float> recv,
                    std::span<const std::size_t> counts) override {
        std::vector<int> n(counts.size()), displs(counts.size());
        std::size_t total = 0;
        for (std::size_t r = 0; r < counts.size(); ++r) {
            n[r] = as_count(counts[r], "allgatherv");
            displs[r] = as_count(total, "allgatherv");
            total += counts[r];
        }
        if (counts.size() != static_cast<std::size_t>(size_) || total != recv.size() ||
            send.size() != counts[static_cast<std::size_t>(rank_)])
            throw std::invalid_argument("allgatherv: counts do not match the buffers");
        MPI_Allgatherv(send.data(), n[static_cast<std::size_t>(rank_)], MPI_FLOAT, recv.data(),
                       n.data(), displs.data(), MPI_FLOAT, MPI_COMM_WORLD);
    }

    std::vector<std::string> allgather_bytes(const std::string& mine) override {
        int len = as_count(mine.size(), "allgather_bytes");
        std::vector<int> lens(static_cast<std::size_t>(size_)), displs(lens.size());
        MPI_Allgather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, MPI_COMM_WORLD);
        std::size_t total = 0;
        for (std::size_t r = 0; r < lens.size(); ++r) {
            displs[r] = as_count(total, "allgather_bytes");
            total += static_cast<std::size_t>(lens[r]);
        }
        std::string all(total, '\0');
        MPI_Allgatherv(mine.data(), len, MPI_CHAR, all.data(), lens.data(), displs.data(), MPI_CHAR,
                       MPI_COMM_WORLD);
        std::vector<std::string> out;
        out.reserve(lens.size());
        for (std::size_t r = 0; r < lens.size(); ++r)
            out.push_back(
                all.substr(static_cast<std::size_t>(displs[r]), static_cast<std::size_t>(lens[r])));
        return out;
    }

    void abort(int code) override {
        MPI_Abort(MPI_COMM_WORLD, code);
        std::exit(code);  // MPI_Abort does not return; this keeps [[noreturn]] honest
    }

  private:
    int rank_ = 0, size_ = 1;
};

}  // namespace

std::unique_ptr<Communicator> make_communicator(int& argc, char**& argv) {
    if (!started_by_launcher()) return std::make_unique<SingleProcess>();
    return std::make_unique<MpiCommunicator>(argc, argv);
}

}  // namespace ffnn::app
