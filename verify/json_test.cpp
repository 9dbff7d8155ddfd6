// core/json: parse errors carry FILE:LINE:COL, duplicate keys are rejected, typed field access names the key path
// and the expected type, integers are range-checked, unknown keys are named with the allowed list.
#include <fstream>

#include <gtest/gtest.h>

#include "core/json.hpp"
#include "verify/fixtures/io/io_fixtures.hpp"
#include "verify/support/env.hpp"

namespace menagerie {
namespace {

using test::io_fixtures::throws_format_error;

TEST(Json, ParsesAndReportsLineAndColumn) {
  EXPECT_EQ(parse_json(R"({"a": [1, 2.5, "x"], "b": {"c": null}}  )", "t")["a"][1], 2.5);
  EXPECT_TRUE(throws_format_error([] { parse_json("{\n  \"a\": 1,\n  \"b\": tru\n}", "cfg.json"); }, "cfg.json:3:"));
  EXPECT_TRUE(throws_format_error([] { parse_json("", "cfg.json"); }, "cfg.json:1:"));
  EXPECT_TRUE(throws_format_error([] { parse_json("{\"a\": 1} x", "cfg.json"); }, "cfg.json:1:"));
  try {
    parse_json("{\"a\":\n\n   ]", "f");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("f:3:4: ", 0), 0u) << e.what();
    EXPECT_EQ(std::string(e.what()).find("json.exception"), std::string::npos) << e.what();
  }
}

TEST(Json, RejectsDuplicateKeysAtAnyDepth) {
  EXPECT_TRUE(throws_format_error([] { parse_json(R"({"a": 1, "a": 2})", "d.json"); }, "d.json: duplicate key 'a'"));
  EXPECT_TRUE(throws_format_error([] { parse_json(R"({"x": [{"k": 1, "k": 1}]})", "d"); }, "duplicate key 'k'"));
  EXPECT_NO_THROW(parse_json(R"({"a": {"k": 1}, "b": {"k": 2}, "k": [{"k": 3}, {"k": 4}]})", "d"));
}

TEST(Json, ReadsFilesAndNamesThemInErrors) {
  const auto dir = std::filesystem::temp_directory_path() / cat("menagerie_json_", test::test_seed());
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "ok.json") << R"({"lr": 0.001})";
  std::ofstream(dir / "bad.json") << "{\n\"lr\": 0.001,\n}";
  EXPECT_EQ(read_json_file(dir / "ok.json")["lr"], 0.001);
  EXPECT_TRUE(throws_format_error([&] { read_json_file(dir / "bad.json"); }, (dir / "bad.json").string() + ":3:"));
  EXPECT_THROW(read_json_file(dir / "missing.json"), InputError);
  std::filesystem::remove_all(dir);
}

TEST(Json, TypedFieldsNameTheKeyAndTheExpectedType) {
  const json j = parse_json(R"({"lr": 0.5, "steps": 100, "name": "run", "on": true, "dims": [1, 2, 3],
                               "neg": -3, "big": 300, "real": 3.0, "model": {"d": "wide"}})", "r.json");
  EXPECT_EQ(get_field<double>(j, "lr", "r.json"), 0.5);
  EXPECT_EQ(get_field<double>(j, "steps", "r.json"), 100.0);
  EXPECT_EQ(get_field<int>(j, "steps", "r.json"), 100);
  EXPECT_EQ(get_field<std::string>(j, "name", "r.json"), "run");
  EXPECT_TRUE(get_field<bool>(j, "on", "r.json"));
  EXPECT_EQ(get_field<std::vector<std::int64_t>>(j, "dims", "r.json"), (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(get_field<int>(j, "neg", "r.json"), -3);
  EXPECT_EQ(get_field<json>(j, "model", "r.json")["d"], "wide");

  EXPECT_TRUE(throws_format_error([&] { get_field<double>(j, "name", "r.json"); },
                                  "r.json: name must be a number, got string \"run\""));
  EXPECT_TRUE(throws_format_error([&] { get_field<int>(j, "missing", "r.json"); },
                                  "r.json: missing required key 'missing'"));
  EXPECT_TRUE(throws_format_error([&] { get_field<int>(j, "real", "r.json"); }, "must be an integer in ["));
  EXPECT_TRUE(throws_format_error([&] { get_field<std::uint32_t>(j, "neg", "r.json"); }, "got number -3"));
  EXPECT_TRUE(throws_format_error([&] { get_field<std::int8_t>(j, "big", "r.json"); }, "in [-128, 127]"));
  EXPECT_TRUE(throws_format_error([&] { get_field<bool>(j, "steps", "r.json"); }, "must be true or false"));
  EXPECT_TRUE(throws_format_error([&] { get_field<std::vector<std::string>>(j, "dims", "r.json"); },
                                  "r.json: dims[0] must be a string"));
  EXPECT_TRUE(throws_format_error([&] { get_field<int>(j["model"], "d", "r.json: model"); },
                                  "r.json: model.d must be an integer"));
  EXPECT_TRUE(throws_format_error([&] { get_field<int>(j["dims"], "d", "r.json: dims"); },
                                  "r.json: dims: expected a JSON object, got array [1,2,3]"));
}

// Issue 12 item 0: ~70,000 nested arrays overflowed the stack. Nesting is capped at parse time with a one-line
// error; exactly kMaxJsonDepth levels still parse.
TEST(Json, NestingIsCappedAtParseTime) {
  const auto nested = [](int levels) { return std::string(levels, '[') + std::string(levels, ']'); };
  EXPECT_NO_THROW(parse_json(nested(kMaxJsonDepth), "n.json"));
  EXPECT_TRUE(throws_format_error([&] { parse_json(nested(kMaxJsonDepth + 1), "n.json"); },
                                  "n.json: JSON nested deeper than 64 levels"));
  EXPECT_TRUE(throws_format_error([&] { parse_json(nested(70000), "n.json"); }, "nested deeper than"));
  std::string objects;
  for (int i = 0; i < 20000; ++i) objects += "{\"a\":";
  objects += "1" + std::string(20000, '}');
  EXPECT_TRUE(throws_format_error([&] { parse_json(objects, "o.json"); }, "o.json: JSON nested deeper than"));
}

// Issue 12 item 5: a number beyond a double is a FormatError naming the member, not the library's exception.
TEST(Json, NumberOverflowNamesTheKey) {
  EXPECT_TRUE(throws_format_error([] { parse_json(R"({"optimizer": {"lr": 1e999}})", "r.json"); },
                                  "r.json: key 'optimizer.lr': "));
  EXPECT_TRUE(throws_format_error([] { parse_json(R"({"shape": [2, -1e400]})", "h"); }, "h: key 'shape[]': "));
  EXPECT_TRUE(throws_format_error([] { parse_json("1e999", "t"); }, "t: number overflow"));
  EXPECT_EQ(parse_json(R"({"x": 1.7e308})", "t")["x"], 1.7e308);
}

// Messages describe large or nested containers by their size: the cost of an error is not the size of the value.
TEST(Json, DescriptionsOfContainersAreBounded) {
  EXPECT_EQ(describe_json(parse_json("[1, 2, 3]", "t")), "array [1,2,3]");
  EXPECT_EQ(describe_json(parse_json("[[1], 2]", "t")), "array of 2 elements");
  EXPECT_EQ(describe_json(json(std::vector<int>(100000, 7))), "array of 100000 elements");
  EXPECT_EQ(describe_json(parse_json(R"({"a": {"b": 1}})", "t")), "object of 1 key");
}

TEST(Json, OptionalFieldsAndUnknownKeys) {
  const json j = parse_json(R"({"lr": 0.5, "lrr": 1})", "o.json");
  EXPECT_EQ(get_field_or<double>(j, "lr", 1.0, "o.json"), 0.5);
  EXPECT_EQ(get_field_or<double>(j, "wd", 0.1, "o.json"), 0.1);
  EXPECT_TRUE(throws_format_error([&] { get_field_or<std::string>(j, "lr", "x", "o.json"); }, "o.json: lr must be a string"));
  EXPECT_NO_THROW(reject_unknown_keys(j, {"lr", "lrr"}, "o.json"));
  EXPECT_TRUE(throws_format_error([&] { reject_unknown_keys(j, {"lr", "wd"}, "o.json"); },
                                  "o.json: unknown key 'lrr' (expected one of: lr, wd)"));
}

}  // namespace
}  // namespace menagerie
