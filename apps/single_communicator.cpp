// make_communicator of a program built without MPI: this process alone, always.
#include "communicator.hpp"

namespace ffnn::app {

std::unique_ptr<Communicator> make_communicator(int& argc, char**& argv) {
    (void)argc;
    (void)argv;
    return std::make_unique<SingleProcess>();
}

}  // namespace ffnn::app
