// The processes this run of the program belongs to (train/distributed.hpp).
//
// When the program was built with MPI and started by mpirun (or srun, or another MPI
// launcher: the launcher's environment variables say so), main makes MPI's world the
// communicator; otherwise, and always without MPI, this process alone. Ranks other than 0
// have their stdout sent to /dev/null by main: it would repeat rank 0's line for line.
#pragma once

#include <memory>

#include "ffnn/train/distributed.hpp"

namespace ffnn::app {

// Made once, by main, before the command line is parsed (MPI_Init may read argv).
std::unique_ptr<Communicator> make_communicator(int& argc, char**& argv);

// The communicator main made (a SingleProcess until then).
Communicator& world();
void set_world(Communicator* comm);

}  // namespace ffnn::app
