// Examples construction and the shared parameter checks (see examples.hpp).
#include "synthetics/examples.hpp"

namespace menagerie::synthetics {

void check_total_size(std::int64_t n, std::int64_t per_example, const char* what) {
  require(n >= 0 && per_example >= 0, what, ": negative size (", n, " x ", per_example, ")");
  require(per_example == 0 || n <= kMaxElements / per_example, what, ": ", n, " examples of ", per_example,
          " tokens exceed the limit of ", kMaxElements, " elements per tensor; generate it in parts");
}

Examples blank_examples(std::int64_t n, std::int64_t seq_len) {
  check_total_size(n, seq_len, "examples");
  Examples ex;
  ex.inputs = Tensor<std::int64_t>({n, seq_len}, 0);
  ex.labels = Tensor<std::int64_t>({n, seq_len}, kIgnoreIndex);
  return ex;
}

void require_at_least(const char* task, const char* name, std::int64_t value, std::int64_t lo) {
  require(value >= lo, task, ": ", name, " = ", value, " must be >= ", lo);
}

void require_even(const char* task, const char* name, std::int64_t value) {
  require(value % 2 == 0, task, ": ", name, " = ", value, " must be even");
}

void require_vocab_exceeds_len(const char* task, std::int64_t vocab_size, std::int64_t input_seq_len) {
  require(vocab_size > input_seq_len, task, ": vocab_size = ", vocab_size, " must exceed input_seq_len = ",
          input_seq_len);
}

}  // namespace menagerie::synthetics
