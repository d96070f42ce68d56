#include "common/runtime/pause.hpp"

#include <algorithm>
#include <thread>

namespace synchub {

void PauseUnlessStopped(std::chrono::steady_clock::duration delay, const std::atomic<bool>& stop) {
  const auto until = std::chrono::steady_clock::now() + delay;
  while (!stop && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(50), until - std::chrono::steady_clock::now()));
  }
}

}  // namespace synchub
