#include "tests/support/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace netadmit::testing {

namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    throw std::runtime_error(std::string("child process: ") + what + " failed");
  }
}

int ExitCodeOf(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& args, const std::string& input) {
  int in_pipe[2];
  int out_pipe[2];
  int err_pipe[2];
  Check(pipe2(in_pipe, O_CLOEXEC) == 0 && pipe2(out_pipe, O_CLOEXEC) == 0 &&
            pipe2(err_pipe, O_CLOEXEC) == 0,
        "pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  std::vector<char*> argv;
  for (const auto& arg : args) {
    argv.push_back(const_cast<char*>(arg.c_str()));
  }
  argv.push_back(nullptr);
  const int spawned = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  Check(spawned == 0, "posix_spawn");
  // Small inputs only: the pipe buffer takes them whole.
  if (!input.empty()) {
    Check(write(in_pipe[1], input.data(), input.size()) == static_cast<ssize_t>(input.size()),
          "write to stdin");
  }
  close(in_pipe[1]);
  out_fd_ = out_pipe[0];
  err_fd_ = err_pipe[0];
}

ChildProcess::~ChildProcess() {
  if (!exit_code_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  if (out_fd_ >= 0) {
    close(out_fd_);
  }
  if (err_fd_ >= 0) {
    close(err_fd_);
  }
}

void ChildProcess::Pump(std::chrono::milliseconds timeout) {
  std::array<pollfd, 2> fds = {pollfd{out_fd_, POLLIN, 0}, pollfd{err_fd_, POLLIN, 0}};
  if (poll(fds.data(), fds.size(), static_cast<int>(timeout.count())) <= 0) {
    return;
  }
  std::array<char, 4096> chunk{};
  for (std::size_t i = 0; i < fds.size(); ++i) {
    if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP)) == 0) {
      continue;
    }
    const ssize_t got = read(fds[i].fd, chunk.data(), chunk.size());
    if (got > 0) {
      (i == 0 ? out_ : err_).append(chunk.data(), static_cast<std::size_t>(got));
    } else {
      close(fds[i].fd);
      (i == 0 ? out_fd_ : err_fd_) = -1;
    }
  }
}

std::optional<std::string> ChildProcess::WaitForStderr(std::string_view needle,
                                                       std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::size_t start = 0;
    for (std::size_t end = err_.find('\n'); end != std::string::npos;
         start = end + 1, end = err_.find('\n', start)) {
      const std::string line = err_.substr(start, end - start);
      if (line.find(needle) != std::string::npos) {
        return line;
      }
    }
    if (std::chrono::steady_clock::now() >= deadline || err_fd_ < 0) {
      return std::nullopt;
    }
    Pump(std::chrono::milliseconds(20));
  }
}

void ChildProcess::Signal(int signal_number) const { kill(pid_, signal_number); }

std::optional<int> ChildProcess::Wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!exit_code_) {
    Pump(std::chrono::milliseconds(10));
    int status = 0;
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      exit_code_ = ExitCodeOf(status);
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return std::nullopt;
    }
  }
  // Collect what is left in the pipes.
  while (out_fd_ >= 0 || err_fd_ >= 0) {
    Pump(std::chrono::milliseconds(100));
  }
  return exit_code_;
}

RunResult RunProcess(const std::vector<std::string>& args, const std::string& input,
                     std::chrono::milliseconds timeout) {
  ChildProcess child(args, input);
  RunResult result;
  result.exit_code = child.Wait(timeout).value_or(-1);
  result.out = child.out();
  result.err = child.err();
  return result;
}

}  // namespace netadmit::testing
