#pragma once

// A long-running server of the end-to-end suite (etcd, kube-apiserver, netadmit) as a child
// process whose output goes to a log file. Whatever ends the test process, the child ends too:
// a normal teardown stops it by process id, SIGINT/SIGTERM/SIGHUP kill every child still
// registered before the test process dies, and the kernel kills it when the test process is
// killed outright (PR_SET_PDEATHSIG), as ctest does on a timeout.

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace netadmit::e2e {

class ServerProcess {
 public:
  // Starts `args[0]` (a path) with `args`, standard output and error appended to `log_file`.
  // Returns nullptr and sets `error` when it cannot be started at all.
  static std::unique_ptr<ServerProcess> Start(const std::vector<std::string>& args,
                                              const std::string& log_file, std::string& error);
  ~ServerProcess();  // Stop()
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& log_file() const { return log_file_; }
  // False once the process has exited (it is reaped then).
  bool Running();
  // SIGTERM, then SIGKILL after `grace`; returns once the process is reaped. Idempotent.
  void Stop(std::chrono::milliseconds grace = std::chrono::seconds(5));
  // The last `count` lines of the log.
  std::string LogTail(int count) const;

 private:
  ServerProcess(pid_t pid, std::string log_file) : pid_(pid), log_file_(std::move(log_file)) {}

  pid_t pid_;
  std::string log_file_;
  bool reaped_ = false;
};

// Installs the SIGINT/SIGTERM/SIGHUP handler that kills every running ServerProcess before the
// test process ends. Called by ServerProcess::Start; harmless to call again.
void InstallInterruptCleanup();

// Whether a process with this id exists (a zombie counts as gone).
bool ProcessExists(pid_t pid);

}  // namespace netadmit::e2e
