// PointDealer: which sweep points go to which worker process of `menagerie sweep --workers N --runs-per-worker R`
// (cli/sweep_threads.hpp), apart from the processes and pipes. One line of point ids (the unfinished points,
// cheapest first) is shared by the workers; each worker holds at most its cap (R at first) at once.
//   next(k, may_start)  the first id in line that may_start accepts, for worker k if it holds fewer than its cap;
//                       the ids before it that may_start refused are held back for good (the deadline: a point
//                       refused now would be refused later too), to be reported as not started
//   give_back(k, id)    an id dealt to k that could not be delivered: first in line again
//   ended(k, id)        a point of k ended, done or failed
//   deferred(k, id)     a point of k ran out of device memory while others of k trained: first in line again, and k's
//                       cap lowered to the points it still holds (at least 1), for the rest of the sweep; so it starts
//                       again once one of them ends, with fewer beside it
//   lost(k, id)         a point of k failed beside others after k's device context was lost (another run's sticky
//                       error may have caused it): a suspect, in line before every other point, behind the suspects
//                       reported before it (the first to see the loss is the likeliest cause); k is not dealt to again
//                       (the process exits; its replacement starts with nothing held)
//   suspect             dealt only to a worker that holds nothing, which then gets nothing else until it ends: so it
//                       trains alone, and a failure of its own is told apart from a neighbour's. The first suspect to
//                       end alone clears the others, to train beside others again, however it ended: failed, the loss
//                       was its own; done, the loss needed another suspect or the company of several (session 33 on the
//                       H100: twelve runs lost together at 82 s, none of them failing alone), and one at a time the
//                       rest would cost a serial pass, against one more loss if it recurs (each point resumes from its
//                       last checkpoint, and each loss sees one suspect through alone)
//   done_with(k)        k gets nothing more (its stdin may close): nothing in line and k holds none (a point it
//                       holds may still come back deferred)
#pragma once
#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace menagerie::train {

class PointDealer {
 public:
  PointDealer(std::deque<std::string> line, std::size_t workers, int cap);

  std::optional<std::string> next(std::size_t k, const std::function<bool(const std::string& id)>& may_start);
  void give_back(std::size_t k, const std::string& id);
  void ended(std::size_t k, const std::string& id);
  void deferred(std::size_t k, const std::string& id);
  void lost(std::size_t k, const std::string& id);
  void replaced(std::size_t k);  // k's process was replaced by a fresh one: dealt to again
  bool done_with(std::size_t k) const;

  const std::set<std::string>& holds(std::size_t k) const { return held_.at(k); }
  int cap(std::size_t k) const { return cap_.at(k); }
  const std::deque<std::string>& line() const { return line_; }
  const std::deque<std::string>& held_back() const { return held_back_; }
  const std::set<std::string>& suspects() const { return suspects_; }

 private:
  std::deque<std::string> line_, held_back_;
  std::vector<std::set<std::string>> held_;
  std::vector<int> cap_;
  std::set<std::string> suspects_;
  std::vector<bool> lost_;  // by worker: its context was lost, deal nothing more until replaced
};

}  // namespace menagerie::train
