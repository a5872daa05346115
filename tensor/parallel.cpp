// Thread count control; see parallel.hpp.
#include "ffnn/tensor/parallel.hpp"

#include <omp.h>

#include <stdexcept>
#include <string>

namespace ffnn {

int max_threads() {
    return omp_get_max_threads();
}

void set_threads(int n) {
    if (n < 1)
        throw std::invalid_argument("set_threads: need at least 1 thread, got " +
                                    std::to_string(n));
    omp_set_num_threads(n);
}

}  // namespace ffnn
