// The dealing of train/point_dealer.hpp.
#include "train/point_dealer.hpp"

#include <algorithm>
#include <utility>

namespace menagerie::train {

PointDealer::PointDealer(std::deque<std::string> line, std::size_t workers, int cap)
    : line_(std::move(line)), held_(workers), cap_(workers, cap) {}

std::optional<std::string> PointDealer::next(std::size_t k,
                                             const std::function<bool(const std::string& id)>& may_start) {
  if (static_cast<int>(held_.at(k).size()) >= cap_.at(k)) return std::nullopt;
  while (!line_.empty()) {
    std::string id = std::move(line_.front());
    line_.pop_front();
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

void PointDealer::ended(std::size_t k, const std::string& id) { held_.at(k).erase(id); }

void PointDealer::deferred(std::size_t k, const std::string& id) {
  give_back(k, id);
  cap_[k] = std::max(1, static_cast<int>(held_[k].size()));
}

bool PointDealer::done_with(std::size_t k) const { return line_.empty() && held_.at(k).empty(); }

}  // namespace menagerie::train
