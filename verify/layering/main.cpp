// layering_check ROOT: prints each forbidden #include as "file:line: include: why" and exits 1 if any.
#include <cstdio>

#include "verify/layering/layering_check.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: layering_check REPOSITORY_ROOT\n");
    return 2;
  }
  const auto v = menagerie::layering::check_tree(argv[1]);
  for (const auto& x : v) std::printf("%s:%d: #include %s: %s\n", x.file.c_str(), x.line, x.include.c_str(), x.why.c_str());
  std::printf("layering: %zu violation(s)\n", v.size());
  return v.empty() ? 0 : 1;
}
