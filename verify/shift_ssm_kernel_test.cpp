// shift_ssm_kernel specifics: with B = e_0 (Zoology's init) the filter is C, truncated or zero-padded to L; the
// filter equals the impulse response of the shift SSM run step by step as Zoology's SSKernelShift.step does
// (s <- shift(s) + B u, y = C·s), in Mp to 1e-40; validate() names each bad size: for every field (D, N, T) set
// to 0 or a negative value, the message pairs that field with that value ("N = 0", or "D, N, T = 2, 0, 4").
#include <gtest/gtest.h>

#include <array>
#include <optional>
#include <regex>
#include <string>

#include "reference/shift_ssm_kernel.hpp"
#include "verify/support/env.hpp"
#include "verify/support/numerics.hpp"

namespace menagerie::test {
namespace {

using namespace menagerie::ops::shift_ssm_kernel;

TEST(ShiftSsmKernel, UnitBGivesC) {
  for (const Problem& p : {Problem{3, 5, 9}, Problem{2, 8, 3}}) {
    auto in = random_inputs(tensors(p), test_seed());
    auto& B = in.at("B");
    for (std::int64_t c = 0; c < p.D; ++c)
      for (std::int64_t n = 0; n < p.N; ++n) B(c, n) = n == 0 ? 1.0 : 0.0;
    auto out = allocate<double>(tensors(p), Role::output);
    reference_forward(p, in, out);
    for (std::int64_t c = 0; c < p.D; ++c)
      for (std::int64_t l = 0; l < p.T; ++l)
        EXPECT_EQ(out.at("filter")(c, l), l < p.N ? in.at("C")(c, l) : 0.0) << "c=" << c << " l=" << l;
  }
}

TEST(ShiftSsmKernel, EqualsImpulseResponseOfTheStepForm) {
  for (const Problem& p : {Problem{3, 4, 7}, Problem{2, 9, 5}, Problem{1, 6, 6}}) {
    const auto in = convert<Mp>(random_inputs(tensors(p), test_seed()));
    auto out = allocate<Mp>(tensors(p), Role::output);
    reference_forward(p, in, out);
    Tensor<Mp> want({p.D, p.T});
    for (std::int64_t c = 0; c < p.D; ++c) {
      std::vector<Mp> s(static_cast<std::size_t>(p.N), Mp(0));
      for (std::int64_t l = 0; l < p.T; ++l) {
        for (std::int64_t n = p.N - 1; n > 0; --n) s[static_cast<std::size_t>(n)] = s[static_cast<std::size_t>(n - 1)];
        s[0] = 0;
        if (l == 0)
          for (std::int64_t n = 0; n < p.N; ++n) s[static_cast<std::size_t>(n)] += in.at("B")(c, n);
        Mp y = 0;
        for (std::int64_t n = 0; n < p.N; ++n) y += in.at("C")(c, n) * s[static_cast<std::size_t>(n)];
        want(c, l) = y;
      }
    }
    EXPECT_LT(relerr(out.at("filter"), want), 1e-40) << "D=" << p.D << " N=" << p.N << " T=" << p.T;
  }
}

// The value a message gives the field, from "field = v" or from a list "F1, F2, F3 = v1, v2, v3" in which the
// field's position picks the value; nullopt when the message does not name the field with a value.
std::optional<std::string> value_named(const std::string& message, const std::string& field) {
  static const std::regex pair(R"(([A-Za-z_]\w*(?:, [A-Za-z_]\w*)*) = (-?\d+(?:, -?\d+)*))");
  for (auto it = std::sregex_iterator(message.begin(), message.end(), pair); it != std::sregex_iterator(); ++it) {
    const auto split = [](const std::string& list) {
      std::vector<std::string> parts;
      for (std::size_t a = 0, b; a <= list.size(); a = b + 2) {
        b = list.find(", ", a);
        if (b == std::string::npos) b = list.size();
        parts.push_back(list.substr(a, b - a));
      }
      return parts;
    };
    const auto names = split((*it)[1]), values = split((*it)[2]);
    for (std::size_t i = 0; i < names.size() && names.size() == values.size(); ++i)
      if (names[i] == field) return values[i];
  }
  return std::nullopt;
}

TEST(ShiftSsmKernel, ValidateNamesBadSizes) {
  const std::array<std::string, 3> fields = {"D", "N", "T"};
  for (std::size_t f = 0; f < fields.size(); ++f)
    for (const std::int64_t bad : {0, -3}) {
      std::array<std::int64_t, 3> v = {2, 5, 7};
      v[f] = bad;
      try {
        Problem{v[0], v[1], v[2]}.validate();
        ADD_FAILURE() << fields[f] << " = " << bad << " accepted";
      } catch (const ShapeError& e) {
        EXPECT_EQ(value_named(e.what(), fields[f]), std::to_string(bad))
            << "the message does not give " << fields[f] << " = " << bad << ": " << e.what();
      }
    }
}

}  // namespace
}  // namespace menagerie::test
