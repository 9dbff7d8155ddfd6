// The training model in Mp, for the gradient tests against Mp finite differences (lm.hpp).
#include "reference/mp.hpp"
#include "train/cpu_fast_paths.hpp"
#include "train/lm_impl.hpp"

namespace menagerie::train {

template class TrainModel<Mp>;
template std::unique_ptr<Kernel<Mp>> make_kernel<Mp>(const model::LayerMixer&);

}  // namespace menagerie::train
