// ChildProcess: runs a service binary for a test, reads its "READY ..." line, and stops it
// with SIGTERM or kills it with SIGKILL (the kill -9 of SPEC section 4).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace synchub::testing {

class ChildProcess {
 public:
  // Starts `argv[0]` with `argv`; stdout is a pipe (read by WaitForLine), stderr is inherited.
  explicit ChildProcess(std::vector<std::string> argv);
  ~ChildProcess();  // SIGKILL if still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Reads stdout lines until one starts with `prefix`; returns it, or nullopt when the
  // process exits or `timeout` passes first.
  std::optional<std::string> WaitForLine(const std::string& prefix,
                                         std::chrono::milliseconds timeout);
  // Sends `signal` and waits for the exit; returns the exit status as from waitpid.
  int Stop(int signal, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Waits for the process to exit by itself; returns its exit code, or -1 on timeout.
  int WaitExit(std::chrono::milliseconds timeout);
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string buffer_;
  bool reaped_ = false;
};

}  // namespace synchub::testing
