#pragma once

// Runs the built `netadmit` binary as a child process, with its standard output and error
// captured, for tests of the executable itself (signals, exit codes, what it prints).

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace netadmit::testing {

class ChildProcess {
 public:
  // Starts `args[0]` with `args`; standard input reads `input` then ends.
  ChildProcess(const std::vector<std::string>& args, const std::string& input = "");
  ~ChildProcess();  // kills a child still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Reads until a line of standard error contains `needle`; returns that line.
  std::optional<std::string> WaitForStderr(std::string_view needle,
                                           std::chrono::milliseconds timeout);
  void Signal(int signal_number) const;
  // The exit code (128 + signal when killed by one), or nullopt when still running at timeout.
  std::optional<int> Wait(std::chrono::milliseconds timeout);

  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }

 private:
  // Moves whatever the child has written into out_/err_, waiting up to `timeout` for some.
  void Pump(std::chrono::milliseconds timeout);

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string out_;
  std::string err_;
  std::optional<int> exit_code_;
};

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs to completion (or fails the expectation after `timeout`).
RunResult RunProcess(const std::vector<std::string>& args, const std::string& input = "",
                     std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace netadmit::testing
