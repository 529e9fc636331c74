#include "tests/e2e/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <thread>

namespace netadmit::e2e {

namespace {

// The process groups of the running children, read by the signal handler: a fixed array of
// atomics because a handler may neither allocate nor lock.
std::array<std::atomic<pid_t>, 64> running_groups{};

void Register(pid_t pid) {
  for (auto& slot : running_groups) {
    pid_t empty = 0;
    if (slot.compare_exchange_strong(empty, pid)) {
      return;
    }
  }
}

void Unregister(pid_t pid) {
  for (auto& slot : running_groups) {
    pid_t expected = pid;
    if (slot.compare_exchange_strong(expected, 0)) {
      return;
    }
  }
}

extern "C" void KillChildrenAndDie(int signal_number) {
  for (auto& slot : running_groups) {
    if (const pid_t pid = slot.load(); pid > 0) {
      kill(-pid, SIGKILL);
    }
  }
  // Die of the same signal, so that whoever interrupted sees what they asked for.
  signal(signal_number, SIG_DFL);
  raise(signal_number);
}

}  // namespace

void InstallInterruptCleanup() {
  static const bool installed = [] {
    struct sigaction action {};
    action.sa_handler = KillChildrenAndDie;
    sigemptyset(&action.sa_mask);
    for (int signal_number : {SIGINT, SIGTERM, SIGHUP}) {
      sigaction(signal_number, &action, nullptr);
    }
    return true;
  }();
  (void)installed;
}

bool ProcessExists(pid_t pid) {
  if (kill(pid, 0) != 0) {
    return false;
  }
  // A zombie still answers kill(); it runs nothing, so it counts as gone.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const auto close = line.rfind(')');
  return close == std::string::npos || close + 2 >= line.size() || line[close + 2] != 'Z';
}

std::unique_ptr<ServerProcess> ServerProcess::Start(const std::vector<std::string>& args,
                                                    const std::string& log_file,
                                                    std::string& error) {
  InstallInterruptCleanup();
  const int log_fd = open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    error = "cannot open " + log_file + ": " + std::strerror(errno);
    return nullptr;
  }
  // The child reports a failed exec through this pipe; a successful exec closes it.
  int exec_pipe[2];
  if (pipe2(exec_pipe, O_CLOEXEC) != 0) {
    close(log_fd);
    error = std::string("pipe: ") + std::strerror(errno);
    return nullptr;
  }
  std::vector<char*> argv;
  for (const auto& arg : args) {
    argv.push_back(const_cast<char*>(arg.c_str()));
  }
  argv.push_back(nullptr);
  const pid_t parent = getpid();

  const pid_t pid = fork();
  if (pid == 0) {
    // Only async-signal-safe calls from here to exec: the test process has threads.
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) {
      _exit(127);  // the test process died before prctl took effect
    }
    const int null_fd = open("/dev/null", O_RDONLY);
    dup2(null_fd, STDIN_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    execv(argv[0], argv.data());
    const int exec_errno = errno;
    (void)!write(exec_pipe[1], &exec_errno, sizeof exec_errno);
    _exit(127);
  }
  close(log_fd);
  close(exec_pipe[1]);
  if (pid < 0) {
    close(exec_pipe[0]);
    error = std::string("fork: ") + std::strerror(errno);
    return nullptr;
  }
  // Also from the parent, so that the group exists before anyone signals it.
  setpgid(pid, pid);
  Register(pid);
  std::unique_ptr<ServerProcess> process(new ServerProcess(pid, log_file));
  int exec_errno = 0;
  const ssize_t got = read(exec_pipe[0], &exec_errno, sizeof exec_errno);
  close(exec_pipe[0]);
  if (got == sizeof exec_errno) {
    error = "cannot run " + args[0] + ": " + std::strerror(exec_errno);
    process->Stop();
    return nullptr;
  }
  return process;
}

ServerProcess::~ServerProcess() { Stop(); }

bool ServerProcess::Running() {
  if (reaped_) {
    return false;
  }
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    reaped_ = true;
    Unregister(pid_);
    return false;
  }
  return true;
}

void ServerProcess::Stop(std::chrono::milliseconds grace) {
  if (!Running()) {
    return;
  }
  kill(-pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (Running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!reaped_) {
    kill(-pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    reaped_ = true;
    Unregister(pid_);
  }
  // Whatever the process started in its group goes with it.
  kill(-pid_, SIGKILL);
}

std::string ServerProcess::LogTail(int count) const {
  std::ifstream in(log_file_);
  std::deque<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(std::move(line));
    if (static_cast<int>(lines.size()) > count) {
      lines.pop_front();
    }
  }
  std::string tail;
  for (const auto& line : lines) {
    tail += line + "\n";
  }
  return tail;
}

}  // namespace netadmit::e2e
