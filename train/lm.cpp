// The training model and its CPU mixer paths in float and double (lm.hpp; definitions in lm_impl.hpp,
// cpu_fast_paths.hpp).
#include "train/lm.hpp"

#include "core/philox.hpp"
#include "train/cpu_fast_paths.hpp"
#include "train/lm_impl.hpp"

namespace menagerie::train {

bool Dropout::keep(std::uint64_t stream, std::uint64_t index, double p) const {
  if (p <= 0) return true;
  const auto threshold = static_cast<std::uint64_t>(p * 4294967296.0);
  return philox::word(seed, stream, index) >= threshold;
}

template class TrainModel<float>;
template class TrainModel<double>;
template std::unique_ptr<Kernel<float>> make_kernel<float>(const model::LayerMixer&);
template std::unique_ptr<Kernel<double>> make_kernel<double>(const model::LayerMixer&);

}  // namespace menagerie::train
