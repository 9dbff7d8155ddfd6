// `menagerie sweep --workers N [--runs-per-worker R] [--match GLOB] [--deadline-s S] --plan`: what such a pool would
// do, from what the runs directory knows, training nothing. A GPU lease of fixed length can then be spent on points
// that will finish. The pool is simulated with N x R slots. The line is the unfinished points, cheapest first, as the
// pool deals them. Time starts at 0. Each free slot takes the first point in line that the deadline lets start; the
// ones before it are held back for good, as in train/point_dealer.hpp. A point then runs for its expected duration
// (train::SweepDeadline::estimate). A point with nothing known has no predicted end: it keeps its slot to the end of
// the plan, and the points still in line when every slot is so held are left "waiting". When a point ends, the
// deadline learns its duration, as the live pool's does (SweepDeadline::finished). Per-worker caps and out-of-memory
// deferrals are not modelled, and the expected durations were measured beside whatever else ran then.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "train/sweep.hpp"

namespace menagerie::train {

struct PlannedPoint {
  enum class Fate { ends, runs_on, held_back, waiting };  // runs_on: started, no predicted end
  std::string id;
  SweepDeadline::Estimate expected;  // when it was considered
  Fate fate = Fate::waiting;
  double start = 0, end = 0;  // seconds from the pool's start (start: ends, runs_on; end: ends)
};

// line: the point ids in the order the pool takes them; slots >= 1; deadline_s <= 0: none.
std::vector<PlannedPoint> plan_pool(const Sweep& sweep, const std::filesystem::path& runs_dir,
                                    const std::vector<std::string>& line, int slots, double deadline_s);

// The plan as a Markdown table (one row per point, in line order) and a summary line.
std::string plan_markdown(const std::vector<PlannedPoint>& plan, double deadline_s);

}  // namespace menagerie::train
