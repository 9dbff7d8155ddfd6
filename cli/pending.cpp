#include "cli/commands.hpp"
#include "core/errors.hpp"

namespace menagerie::cli {

void add_pending(CLI::App& app, const char* name, const char* what, int issue) {
  auto* sub = app.add_subcommand(name, std::string(what) + " [not built yet]");
  sub->allow_extras();
  sub->callback([name, issue] {
    throw NotAvailableError(cat("`menagerie ", name, "` is not built yet (planned in issue #", issue, ")"));
  });
}

}  // namespace menagerie::cli
