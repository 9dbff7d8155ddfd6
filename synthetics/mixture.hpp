// Datasets as Zoology's DataConfig builds them: a train list and a test list of segments (task, parameters,
// count). Each segment is generated on its own, with its own seed, and keeps its own sequence length (Zoology
// batches segments separately and never mixes them inside a batch).
//   segment seeds (zoology prepare_data): np.random.seed(data_seed), then one randint(0, 2^31) per train segment,
//   then one randint(2^31, 2^32) per test segment, in list order. DataConfig.seed = 123 gives, for one train and
//   one test segment, 843828734 and 3062119789.
// JSON form (dataset_spec_from_json), e.g. Zoology's Figure 2 at one (N, D):
//   {"seed": 123,
//    "train": [{"task": "mqar", "count": 100000, "params": {"input_seq_len": 64, "num_kv_pairs": 4}}],
//    "test":  [{"task": "mqar", "count": 3000,   "params": {"input_seq_len": 64, "num_kv_pairs": 4}}]}
// Parameter values are JSON numbers, booleans or strings, applied over the task's defaults (tasks.hpp); "count"
// sets num_examples (giving num_examples in params as well is an error).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.hpp"
#include "synthetics/examples.hpp"

namespace menagerie::synthetics {

struct SegmentSpec {
  std::string task;
  std::map<std::string, std::string> params;
  std::int64_t count = 0;
};

struct DatasetSpec {
  std::vector<SegmentSpec> train, test;
  std::uint32_t seed = 123;  // Zoology's DataConfig.seed
};

struct SegmentSeeds {
  std::vector<std::uint32_t> train, test;
};

struct Segment {
  SegmentSpec spec;
  std::uint32_t seed = 0;
  Examples examples;
};

struct Dataset {
  std::vector<Segment> train, test;
};

SegmentSeeds segment_seeds(std::uint32_t data_seed, std::size_t num_train, std::size_t num_test);
Examples generate_segment(const SegmentSpec& segment, std::uint32_t seed);
Dataset build_dataset(const DatasetSpec& spec);
DatasetSpec dataset_spec_from_json(const json& j, std::string_view where);

// The JRT set-disjointness study (docs/synthetics.md §1.4): c = 2048; 12 train (|A|, |B|) segments of 20k and
// 20 test segments of 1k.
DatasetSpec jrt_disjoint_sets_dataset();

}  // namespace menagerie::synthetics
