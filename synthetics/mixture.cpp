// Train/test mixtures of segments with Zoology's per-segment seeds (see mixture.hpp).
#include "synthetics/mixture.hpp"

#include "synthetics/numpy_random.hpp"
#include "synthetics/tasks.hpp"

namespace menagerie::synthetics {

SegmentSeeds segment_seeds(std::uint32_t data_seed, std::size_t num_train, std::size_t num_test) {
  LegacyRandomState rs(data_seed);
  SegmentSeeds s;
  for (std::size_t i = 0; i < num_train; ++i)
    s.train.push_back(static_cast<std::uint32_t>(rs.randint(0, std::int64_t{1} << 31)));
  for (std::size_t i = 0; i < num_test; ++i)
    s.test.push_back(static_cast<std::uint32_t>(rs.randint(std::int64_t{1} << 31, std::int64_t{1} << 32)));
  return s;
}

Examples generate_segment(const SegmentSpec& segment, std::uint32_t seed) {
  require(segment.params.count("num_examples") == 0, "segment '", segment.task,
          "': give the number of examples as its count, not as the parameter num_examples");
  require(segment.count >= 1, "segment '", segment.task, "': count = ", segment.count, " must be >= 1");
  auto params = segment.params;
  params["num_examples"] = std::to_string(segment.count);
  return generate(segment.task, params, seed);
}

Dataset build_dataset(const DatasetSpec& spec) {
  const auto seeds = segment_seeds(spec.seed, spec.train.size(), spec.test.size());
  Dataset d;
  for (std::size_t i = 0; i < spec.train.size(); ++i)
    d.train.push_back({spec.train[i], seeds.train[i], generate_segment(spec.train[i], seeds.train[i])});
  for (std::size_t i = 0; i < spec.test.size(); ++i)
    d.test.push_back({spec.test[i], seeds.test[i], generate_segment(spec.test[i], seeds.test[i])});
  return d;
}

namespace {
std::vector<SegmentSpec> segments_from_json(const json& list, std::string_view where) {
  require<FormatError>(list.is_array(), where, " must be an array of segments, got ", describe_json(list));
  std::vector<SegmentSpec> out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto w = cat(where, "[", i, "]");
    const auto& s = list[i];
    reject_unknown_keys(s, {"task", "count", "params"}, w);
    SegmentSpec seg;
    seg.task = get_field<std::string>(s, "task", w);
    seg.count = get_field<std::int64_t>(s, "count", w);
    const auto params = get_field_or<json>(s, "params", json::object(), w);
    require_object(params, json_path(w, "params"));
    for (const auto& [name, value] : params.items()) {
      const auto pw = json_path(json_path(w, "params"), name);
      if (value.is_boolean() || value.is_number()) {
        seg.params[name] = value.dump();
      } else if (value.is_string()) {
        seg.params[name] = value.get<std::string>();
      } else {
        throw FormatError(cat(pw, " must be a number, a boolean or a string, got ", describe_json(value)));
      }
    }
    out.push_back(std::move(seg));
  }
  return out;
}
}  // namespace

DatasetSpec dataset_spec_from_json(const json& j, std::string_view where) {
  reject_unknown_keys(j, {"seed", "train", "test"}, where);
  DatasetSpec spec;
  spec.seed = get_field_or<std::uint32_t>(j, "seed", spec.seed, where);
  spec.train = segments_from_json(get_field<json>(j, "train", where), json_path(where, "train"));
  spec.test = segments_from_json(get_field_or<json>(j, "test", json::array(), where), json_path(where, "test"));
  return spec;
}

DatasetSpec jrt_disjoint_sets_dataset() {
  const std::vector<std::pair<int, int>> train = {{4, 16},  {16, 4},  {8, 32},   {32, 8},  {64, 16}, {16, 64},
                                                  {4, 128}, {128, 4}, {16, 256}, {256, 16}, {4, 256}, {256, 4}};
  const std::vector<std::pair<int, int>> test = {
      {1, 32},   {32, 1},   {4, 32},  {32, 4},  {4, 128}, {128, 4}, {16, 256}, {256, 16}, {4, 256}, {256, 4},
      {16, 512}, {512, 16}, {4, 512}, {512, 4}, {8, 768}, {768, 8}, {16, 768}, {768, 16}, {4, 768}, {768, 4}};
  auto seg = [](std::pair<int, int> ab, std::int64_t count) {
    return SegmentSpec{"disjoint_sets",
                       {{"vocab_size", "2048"},
                        {"short_length", std::to_string(ab.first)},
                        {"long_length", std::to_string(ab.second)}},
                       count};
  };
  DatasetSpec spec;
  for (auto ab : train) spec.train.push_back(seg(ab, 20000));
  for (auto ab : test) spec.test.push_back(seg(ab, 1000));
  return spec;
}

}  // namespace menagerie::synthetics
