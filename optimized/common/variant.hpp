// The shape of every operator's GPU variant table, so that one generic harness (harness/) can check, time and list
// any kernel without knowing it. A variant is one row:
//   name        the algorithm and dtype ("flash_tiled_bf16", "chunked_smem"): the id used in tests, benchmarks, reports
//   dtype       what its tensors hold on the device (f32, or bf16 with fp32 accumulation)
//   unsupported one line naming the value and what is supported, empty when the problem is supported
//   buffers     the device buffers it needs beyond the contract's tensors: state a forward saves for its backward
//               (lse, den, ...) and scratch (workspace), each named and sized in bytes for the problem
//   forward     reads the contract's inputs by name ("q", "k", "v"), writes its outputs ("o") and saved buffers
//   backward    reads the inputs, outputs, saved buffers and the upstream gradient of each output ("d" + name),
//               writes the gradient of each input ("d" + name); nullptr when the variant has no backward
//   recurrent   the forward evaluates the contract's recurrent (step) form, token by token with a carried state, so
//               its yardstick is the reference's recurrent form in float (harness/yardstick.hpp), not the parallel one
//   nondeterministic  the tensors (space-separated names, e.g. "dq") whose bits may differ between identical runs
//               (atomics in a varying order); every other output, saved buffer and gradient is bitwise reproducible
//   mixes_positions  the algorithm combines every position of a sequence (an FFT): causality holds mathematically but
//               not bitwise, since changing a later input changes the rounding of earlier outputs; the causality check
//               then bounds that change by rounding (harness/gpu_check.hpp) instead of requiring equal bits
// Launchers take a stream, never allocate and never synchronise. DeviceArgs maps a name to a device pointer; a missing
// name is a ShapeError naming it.
#pragma once
#include <cstddef>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <cuda_runtime.h>

#include "core/dtype.hpp"
#include "core/errors.hpp"

namespace menagerie::opt {

struct BufferSpec {
  std::string name;
  std::size_t bytes;
  bool saved;  // kept from forward to backward (NaN-filled before the forward) rather than scratch
};

class DeviceArgs {
 public:
  void set(std::string name, void* ptr) { ptrs_[std::move(name)] = ptr; }
  void* get(std::string_view name) const {
    const auto it = ptrs_.find(name);
    require<ShapeError>(it != ptrs_.end(), "device tensor '", name, "' not provided");
    return it->second;
  }
  template <class T>
  T* as(std::string_view name) const {
    return static_cast<T*>(get(name));
  }

 private:
  std::map<std::string, void*, std::less<>> ptrs_;
};

template <class Problem>
struct Variant {
  using Launch = void (*)(const Problem&, const DeviceArgs&, cudaStream_t);
  const char* name;
  DType dtype;
  std::string (*unsupported)(const Problem&);
  std::vector<BufferSpec> (*buffers)(const Problem&);
  Launch forward;
  Launch backward;  // nullptr: forward only
  const char* nondeterministic = "";
  bool recurrent = false;
  bool mixes_positions = false;

  bool supports(const Problem& p) const { return unsupported(p).empty(); }
};

// The variant table of an operator: specialised beside the table (optimized/<id>/variants.hpp) as
//   template <> struct VariantTable<ops::<id>::Problem> { static std::span<const Variant<Problem>> get(); };
// harness/ finds every operator of core/registry.hpp that has one, so a new table needs no list of its own.
template <class Problem>
struct VariantTable;

// The variant named `name` of a table; ShapeError when it does not support p, InputError for an unknown name.
template <class Problem>
const Variant<Problem>& find_variant(std::span<const Variant<Problem>> table, std::string_view op,
                                     std::string_view name, const Problem& p) {
  for (const auto& v : table)
    if (name == v.name) {
      const std::string why = v.unsupported(p);
      require<ShapeError>(why.empty(), why);
      return v;
    }
  std::string names;
  for (const auto& v : table) names += cat(names.empty() ? "" : ", ", v.name);
  throw InputError(cat(op, ": no variant named '", name, "' (have ", names, ")"));
}

}  // namespace menagerie::opt
