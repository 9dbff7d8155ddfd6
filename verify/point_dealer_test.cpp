// train::PointDealer (train/point_dealer.hpp), the parent side of `sweep --workers N --runs-per-worker R`: ids go
// out in line order up to each worker's cap; a deferred point (out of device memory beside others) is first in line
// again and its worker's cap drops to what it still holds, so it restarts only when one of those ends, and the cap
// stays down; a worker is done with only when nothing is in line and it holds nothing (a held point may come back
// deferred); a point the deadline refuses is held back for good, and the next one that fits is dealt.
#include <gtest/gtest.h>

#include <deque>
#include <optional>
#include <set>
#include <string>

#include "train/point_dealer.hpp"

namespace menagerie::test {
namespace {

using train::PointDealer;
using Ids = std::set<std::string>;

const auto always = [](const std::string&) { return true; };

// Deals to worker k until the dealer gives nothing more.
Ids fill(PointDealer& d, std::size_t k) {
  Ids got;
  while (const auto id = d.next(k, always)) got.insert(*id);
  return got;
}

TEST(PointDealer, DealsInLineOrderUpToEachCap) {
  PointDealer d({"p1", "p2", "p3", "p4", "p5"}, 2, 2);
  EXPECT_EQ(fill(d, 0), (Ids{"p1", "p2"}));
  EXPECT_EQ(fill(d, 1), (Ids{"p3", "p4"}));
  EXPECT_EQ(d.line(), (std::deque<std::string>{"p5"}));
  EXPECT_FALSE(d.done_with(0));
  d.ended(0, "p1");
  EXPECT_EQ(d.next(0, always), std::optional<std::string>("p5"));
  EXPECT_FALSE(d.done_with(0)) << "worker 0 still holds p2 and p5";
  d.ended(0, "p2");
  d.ended(0, "p5");
  EXPECT_TRUE(d.done_with(0));
}

TEST(PointDealer, ADeferredPointRestartsWhenAnotherEndsWithTheCapLowered) {
  PointDealer d({"a", "b", "c", "x", "y"}, 1, 3);
  EXPECT_EQ(fill(d, 0), (Ids{"a", "b", "c"}));
  d.deferred(0, "c");  // out of memory beside a and b
  EXPECT_EQ(d.cap(0), 2);
  EXPECT_EQ(d.line().front(), "c") << "the deferred point is first in line again";
  EXPECT_EQ(d.next(0, always), std::nullopt) << "no restart while a and b still train";
  d.ended(0, "a");
  EXPECT_EQ(d.next(0, always), std::optional<std::string>("c"));
  EXPECT_EQ(d.next(0, always), std::nullopt) << "the cap stays lowered: b and c, not a third";
  d.ended(0, "b");
  EXPECT_EQ(d.next(0, always), std::optional<std::string>("x"));
}

TEST(PointDealer, APointDeferredWhenItsWorkerHoldsNoOtherRestartsAloneAtOnce) {
  PointDealer d({"a", "b"}, 1, 2);
  fill(d, 0);
  d.ended(0, "a");  // a ended before the parent read b's deferral
  d.deferred(0, "b");
  EXPECT_EQ(d.cap(0), 1);
  EXPECT_EQ(d.next(0, always), std::optional<std::string>("b"));
}

TEST(PointDealer, AWorkerIsNotDoneWithWhileItHoldsAPointThatMayComeBack) {
  PointDealer d({"a", "b"}, 1, 2);
  fill(d, 0);
  EXPECT_TRUE(d.line().empty());
  EXPECT_FALSE(d.done_with(0)) << "closing its stdin now would strand a deferred b";
  d.deferred(0, "b");
  EXPECT_FALSE(d.done_with(0));
  d.ended(0, "a");
  EXPECT_EQ(d.next(0, always), std::optional<std::string>("b"));
  d.ended(0, "b");
  EXPECT_TRUE(d.done_with(0));
}

TEST(PointDealer, PointsTheDeadlineRefusesAreHeldBackAndTheNextThatFitsIsDealt) {
  PointDealer d({"a", "long", "b", "c"}, 2, 1);
  const auto fits = [](const std::string& id) { return id != "long"; };
  EXPECT_EQ(d.next(0, fits), std::optional<std::string>("a"));
  EXPECT_EQ(d.next(1, fits), std::optional<std::string>("b")) << "long is refused, b behind it fits";
  EXPECT_EQ(d.held_back(), (std::deque<std::string>{"long"}));
  d.ended(0, "a");
  EXPECT_EQ(d.next(0, fits), std::optional<std::string>("c"));
  d.ended(0, "c");
  EXPECT_TRUE(d.done_with(0));
  EXPECT_FALSE(d.done_with(1)) << "worker 1 still holds b";
  EXPECT_EQ(d.held_back(), (std::deque<std::string>{"long"})) << "reported as not started, never dealt";
}

TEST(PointDealer, APointThatCouldNotBeDeliveredIsFirstInLineAgain) {
  PointDealer d({"a", "b"}, 2, 1);
  EXPECT_EQ(d.next(0, always), std::optional<std::string>("a"));
  d.give_back(0, "a");
  EXPECT_TRUE(d.holds(0).empty());
  EXPECT_EQ(d.next(1, always), std::optional<std::string>("a"));
}

TEST(PointDealer, PointsLostWithAContextTrainOneAtATimeInTheReplacementThenTheCapReturns) {
  PointDealer d({"a", "b", "c", "x", "y", "z"}, 1, 3);
  EXPECT_EQ(fill(d, 0), (Ids{"a", "b", "c"}));
  d.lost(0, "b");  // the context went while a, b and c trained
  d.lost(0, "c");
  d.ended(0, "a");  // a had finished just before
  EXPECT_EQ(d.next(0, always), std::nullopt) << "nothing for a worker whose context is lost";
  d.replaced(0);
  EXPECT_EQ(d.next(0, always), std::optional<std::string>("b")) << "the lost points first, in the order reported";
  EXPECT_EQ(d.next(0, always), std::nullopt) << "a suspect trains alone";
  d.ended(0, "b");
  EXPECT_TRUE(d.suspects().empty());
  EXPECT_EQ(fill(d, 0), (Ids{"c", "x", "y"})) << "the cap is back: three at once";
}

// Session 33: twelve runs lost their context together at 82 s on an H100, and the first suspects each trained alone
// to the end. One at a time, the other ten would have taken hours. Done or failed (the dealer is not told which), the
// first suspect to end alone clears the rest.
TEST(PointDealer, TheFirstSuspectToEndAloneClearsTheRest) {
  PointDealer d({"a", "b", "c", "d", "x"}, 1, 4);
  EXPECT_EQ(fill(d, 0), (Ids{"a", "b", "c", "d"}));
  for (const char* id : {"c", "a", "d", "b"}) d.lost(0, id);  // c saw the loss first
  EXPECT_EQ(d.line(), (std::deque<std::string>{"c", "a", "d", "b", "x"}));
  d.replaced(0);
  EXPECT_EQ(d.next(0, always), std::optional<std::string>("c")) << "the first to see the loss, alone";
  EXPECT_EQ(d.next(0, always), std::nullopt);
  d.ended(0, "c");
  EXPECT_TRUE(d.suspects().empty());
  EXPECT_EQ(fill(d, 0), (Ids{"a", "d", "b", "x"})) << "the rest beside each other again";
}

TEST(PointDealer, ASuspectWaitsForAWorkerThatHoldsNothingWhileOthersTakeWhatFollows) {
  PointDealer d({"a", "b", "p", "q"}, 2, 2);
  EXPECT_EQ(fill(d, 0), (Ids{"a", "b"}));
  d.lost(0, "a");
  d.ended(0, "b");
  EXPECT_EQ(d.next(1, always), std::optional<std::string>("a")) << "worker 1 holds nothing: it takes the suspect";
  EXPECT_EQ(d.next(1, always), std::nullopt) << "and nothing beside it";
  d.replaced(0);
  EXPECT_EQ(fill(d, 0), (Ids{"p", "q"}));
  d.ended(1, "a");
  EXPECT_FALSE(d.done_with(0));
  EXPECT_TRUE(d.done_with(1));
}

TEST(PointDealer, AWorkerTrainingOthersLeavesASuspectInLineForOneThatHoldsNothing) {
  PointDealer d({"s", "p", "q"}, 2, 2);
  EXPECT_EQ(d.next(0, always), std::optional<std::string>("s"));
  EXPECT_EQ(d.next(1, always), std::optional<std::string>("p"));
  d.lost(0, "s");
  EXPECT_EQ(d.next(1, always), std::optional<std::string>("q")) << "worker 1 holds p: s is skipped, not dealt";
  EXPECT_EQ(d.line(), (std::deque<std::string>{"s"}));
  d.replaced(0);
  EXPECT_EQ(d.next(0, always), std::optional<std::string>("s"));
}

}  // namespace
}  // namespace menagerie::test
