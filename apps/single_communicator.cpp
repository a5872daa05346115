// make_communicator of a program built without MPI: this process alone, always. Started by
// mpirun anyway, each process would train the whole model by itself: say so (once, from the
// first rank) rather than let P copies run silently.
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "communicator.hpp"

namespace ffnn::app {

std::unique_ptr<Communicator> make_communicator(int& argc, char**& argv) {
    (void)argc;
    (void)argv;
    const char* size = std::getenv("OMPI_COMM_WORLD_SIZE");
    const char* rank = std::getenv("OMPI_COMM_WORLD_RANK");
    if (size && std::strcmp(size, "1") != 0 && rank && std::strcmp(rank, "0") == 0)
        std::cerr << "ffnn: warning: started by mpirun with " << size
                  << " processes, but built without MPI: each process runs alone (rebuild with "
                     "libopenmpi-dev installed, or -DFFNN_MPI=ON)\n";
    return std::make_unique<SingleProcess>();
}

}  // namespace ffnn::app
