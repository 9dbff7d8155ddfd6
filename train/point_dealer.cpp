// The dealing of train/point_dealer.hpp.
#include "train/point_dealer.hpp"

#include <algorithm>
#include <utility>

namespace menagerie::train {

PointDealer::PointDealer(std::deque<std::string> line, std::size_t workers, int cap)
    : line_(std::move(line)), held_(workers), cap_(workers, cap), lost_(workers, false) {}

std::optional<std::string> PointDealer::next(std::size_t k,
                                             const std::function<bool(const std::string& id)>& may_start) {
  const auto& held = held_.at(k);
  if (lost_.at(k) || static_cast<int>(held.size()) >= cap_.at(k)) return std::nullopt;
  if (std::any_of(held.begin(), held.end(), [&](const std::string& h) { return suspects_.count(h) > 0; }))
    return std::nullopt;  // a suspect trains alone
  for (auto it = line_.begin(); it != line_.end();) {
    if (suspects_.count(*it) && !held.empty()) {  // left in line for a worker that holds nothing
      ++it;
      continue;
    }
    std::string id = std::move(*it);
    it = line_.erase(it);
    if (!may_start(id)) {
      held_back_.push_back(std::move(id));
      continue;
    }
    held_[k].insert(id);
    return id;
  }
  return std::nullopt;
}

void PointDealer::give_back(std::size_t k, const std::string& id) {
  held_.at(k).erase(id);
  line_.push_front(id);
}

void PointDealer::ended(std::size_t k, const std::string& id) {
  held_.at(k).erase(id);
  if (suspects_.erase(id)) suspects_.clear();  // ended alone, failed or done: the others train beside others again
}

void PointDealer::deferred(std::size_t k, const std::string& id) {
  give_back(k, id);
  cap_[k] = std::max(1, static_cast<int>(held_[k].size()));
}

void PointDealer::lost(std::size_t k, const std::string& id) {
  held_.at(k).erase(id);
  const auto after =
      std::find_if(line_.begin(), line_.end(), [&](const std::string& i) { return suspects_.count(i) == 0; });
  line_.insert(after, id);
  suspects_.insert(id);
  lost_[k] = true;
}

void PointDealer::replaced(std::size_t k) { lost_.at(k) = false; }

bool PointDealer::done_with(std::size_t k) const { return line_.empty() && held_.at(k).empty(); }

}  // namespace menagerie::train
