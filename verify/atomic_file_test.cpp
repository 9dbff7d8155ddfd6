// core/io/atomic_file: a set of files appears together or not at all (a destination that is a directory, a rename
// that fails half-way, a fill that throws), and the temporary of a writer killed mid-write (a forked child that
// SIGKILLs itself inside the write) is removed by the next write to the same path, while live writers' are kept.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "core/errors.hpp"
#include "core/io/atomic_file.hpp"
#include "verify/support/env.hpp"

namespace menagerie {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    std::mt19937_64 rng(test::test_seed() ^ static_cast<std::uint64_t>(::getpid()));
    path = fs::temp_directory_path() / cat("menagerie_atomic_", rng());
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::size_t entries() const { return static_cast<std::size_t>(std::distance(fs::directory_iterator(path), {})); }
};

std::function<void(std::ostream&)> text(const std::string& s) {
  return [s](std::ostream& os) { os << s; };
}
std::string contents(const fs::path& p) {
  std::ifstream is(p);
  std::stringstream ss;
  ss << is.rdbuf();
  return ss.str();
}
std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

TEST(AtomicFile, ASetIsCheckedBeforeAnythingIsWritten) {
  TempDir d;
  fs::create_directory(d.path / "x_labels.npy");
  const auto msg = message_of([&] {
    write_files_atomic({{d.path / "x_inputs.npy", text("inputs")}, {d.path / "x_labels.npy", text("labels")}});
  });
  EXPECT_NE(msg.find("x_labels.npy: is a directory"), std::string::npos) << msg;
  EXPECT_FALSE(fs::exists(d.path / "x_inputs.npy"));
  EXPECT_EQ(d.entries(), 1u) << "no temporary left";
  EXPECT_NE(message_of([&] { write_files_atomic({{d.path / "a", text("1")}, {d.path / "./a", text("2")}}); })
                .find("written twice"),
            std::string::npos);
  EXPECT_NE(message_of([&] { write_file_atomic(d.path / "no" / "a", text("1")); }).find("does not exist"),
            std::string::npos);
}

TEST(AtomicFile, ASetWhoseRenameFailsHalfWayLeavesNothing) {
  TempDir d;
  const auto a = d.path / "a.npy", b = d.path / "b.npy";
  // b's fill puts a directory where b goes, after the checks: a is renamed into place, b's rename fails.
  EXPECT_THROW(write_files_atomic({{a, text("a")}, {b, [&](std::ostream& os) {
                                                      os << "b";
                                                      fs::create_directory(b);
                                                    }}}),
               InputError);
  EXPECT_FALSE(fs::exists(a)) << "the file already placed is removed again";
  EXPECT_EQ(d.entries(), 1u) << "only the test's own directory b.npy is left";
}

TEST(AtomicFile, ASetWhoseFillThrowsLeavesNothing) {
  TempDir d;
  EXPECT_THROW(write_files_atomic({{d.path / "a", text("a")},
                                   {d.path / "b", [](std::ostream&) { throw InputError("fill failed"); }}}),
               InputError);
  EXPECT_EQ(d.entries(), 0u);
  write_files_atomic({{d.path / "a", text("a")}, {d.path / "b", text("b")}});
  EXPECT_EQ(contents(d.path / "a") + contents(d.path / "b"), "ab");
}

TEST(AtomicFile, AKilledWritersTemporaryIsRemovedByTheNextWrite) {
  TempDir d;
  const auto target = d.path / "data.npz";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // the writer: killed in the middle of its write
    write_file_atomic(target, [](std::ostream& os) {
      os << "partial" << std::flush;
      ::raise(SIGKILL);
    });
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  const auto stale = temporary_path(target, child);
  ASSERT_TRUE(fs::exists(stale)) << "the killed writer left its temporary";
  EXPECT_FALSE(fs::exists(target));

  const auto live = temporary_path(target, ::getppid());  // a writer that still runs: kept
  const auto other = d.path / "data.npz.tmp.x1";          // not a writer's temporary: kept
  const auto unrelated = temporary_path(d.path / "other.npz", child);  // another target's: kept
  for (const auto& p : {live, other, unrelated}) std::ofstream(p) << "x";
  write_file_atomic(target, text("whole"));
  EXPECT_EQ(contents(target), "whole");
  EXPECT_FALSE(fs::exists(stale)) << "the dead writer's temporary is removed";
  EXPECT_TRUE(fs::exists(live) && fs::exists(other) && fs::exists(unrelated));
  EXPECT_EQ(remove_stale_temporaries(target), 0u);
}

}  // namespace
}  // namespace menagerie
