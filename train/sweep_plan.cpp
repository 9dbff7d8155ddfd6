// The simulated pool of `sweep --plan` (train/sweep_plan.hpp).
#include "train/sweep_plan.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <deque>
#include <map>

#include "core/errors.hpp"

namespace menagerie::train {

std::vector<PlannedPoint> plan_pool(const Sweep& sweep, const std::filesystem::path& runs_dir,
                                    const std::vector<std::string>& line, int slots, double deadline_s) {
  require<InputError>(slots >= 1, "sweep --plan: ", slots, " slots; expected at least 1");
  SweepDeadline deadline(sweep, deadline_s, runs_dir);
  std::vector<PlannedPoint> plan;
  std::deque<std::size_t> todo;
  for (const auto& id : line) {
    todo.push_back(plan.size());
    plan.push_back({id, deadline.estimate(id)});
  }
  std::multimap<double, std::size_t> ending;  // predicted ends of the running points
  int open_ended = 0;                          // running points with no predicted end
  double now = 0;
  for (;;) {
    while (static_cast<int>(ending.size()) + open_ended < slots && !todo.empty()) {
      const std::size_t i = todo.front();
      todo.pop_front();
      PlannedPoint& p = plan[i];
      p.expected = deadline.estimate(p.id);
      if (!deadline.may_start(p.id, now)) {
        p.fate = PlannedPoint::Fate::held_back;
        continue;
      }
      p.start = now;
      if (p.expected.seconds > 0) {
        p.fate = PlannedPoint::Fate::ends;
        p.end = now + p.expected.seconds;
        ending.emplace(p.end, i);
      } else {
        p.fate = PlannedPoint::Fate::runs_on;
        ++open_ended;
      }
    }
    if (ending.empty()) break;  // nothing more ends: the points in line wait
    const auto [t, i] = *ending.begin();
    ending.erase(ending.begin());
    now = t;
    deadline.finished(plan[i].id, plan[i].expected.seconds);
  }
  return plan;
}

namespace {

// Whole seconds, for any finite size (an estimate may exceed a 64-bit integer: a sibling that took 10^19 s).
std::string seconds(double x) {
  char buf[400];
  std::snprintf(buf, sizeof buf, "%.0f", x);
  return buf;
}

}  // namespace

std::string plan_markdown(const std::vector<PlannedPoint>& plan, double deadline_s) {
  std::string s = "| point | expected s | from | starts at s | ends at s |\n|---|---|---|---|---|\n";
  std::size_t ends = 0, runs_on = 0, held = 0, waiting = 0;
  double last = 0;
  for (const auto& p : plan) {
    const std::string expected = p.expected.seconds > 0 ? seconds(p.expected.seconds) : "-";
    std::string start = "-", end;
    switch (p.fate) {
      case PlannedPoint::Fate::ends:
        ++ends;
        last = std::max(last, p.end);
        start = seconds(p.start);
        end = seconds(p.end);
        break;
      case PlannedPoint::Fate::runs_on:
        ++runs_on;
        start = seconds(p.start);
        end = "unknown (nothing known of its duration)";
        break;
      case PlannedPoint::Fate::held_back:
        ++held;
        end = cat("held back (would end after --deadline-s ", deadline_s, ")");
        break;
      case PlannedPoint::Fate::waiting:
        ++waiting;
        end = "waits for a slot held by a point of unknown duration";
        break;
    }
    s += cat("| ", p.id, " | ", expected, " | ", p.expected.basis, " | ", start, " | ", end, " |\n");
  }
  s += cat("\n", plan.size(), " point(s): ", ends, " expected to end (the last at ", seconds(last),
           " s), ", runs_on, " started with no predicted end, ", held, " held back by the deadline, ", waiting,
           " waiting\n");
  return s;
}

}  // namespace menagerie::train
