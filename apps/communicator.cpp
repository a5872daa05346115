// world(): the communicator main made; see communicator.hpp.
#include "communicator.hpp"

namespace ffnn::app {

namespace {
Communicator* g_world = nullptr;
}

Communicator& world() {
    static SingleProcess alone;
    return g_world ? *g_world : alone;
}

void set_world(Communicator* comm) {
    g_world = comm;
}

}  // namespace ffnn::app
