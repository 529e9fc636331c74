// The harness itself: a control plane that stops leaves no process behind, whether the test
// ends, is interrupted (SIGTERM) or is killed outright (SIGKILL, as ctest does on a timeout); a
// kube-apiserver that does not come up fails with the end of its log; and the binaries are
// found the envtest way, a missing one failing the suite when KUBEBUILDER_ASSETS names them.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/e2e/e2e.h"
#include "tests/support/files.h"

namespace netadmit::e2e {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

std::string SelfPath() { return std::filesystem::read_symlink("/proc/self/exe").string(); }

// Waits until none of `pids` runs; false when one still does at the timeout.
bool AllGone(const std::vector<pid_t>& pids, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    bool any = false;
    for (const pid_t pid : pids) {
      any = any || ProcessExists(pid);
    }
    if (!any) {
      return true;
    }
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

TEST(Harness, ClusterStartsWithinFifteenSecondsAndStopsEveryProcess) {
  std::string error;
  std::unique_ptr<KubeCluster> cluster = KubeCluster::Start(FoundAssets(), error);
  ASSERT_NE(cluster, nullptr) << error;
  std::printf("e2e: a second control plane ready in %.1f s\n",
              static_cast<double>(cluster->start_time().count()) / 1000.0);
  EXPECT_LT(cluster->start_time(), 15s);
  const std::vector<pid_t> pids = cluster->Pids();
  ASSERT_EQ(pids.size(), 2u);
  for (const pid_t pid : pids) {
    EXPECT_TRUE(ProcessExists(pid));
  }
  EXPECT_THAT(cluster->KubectlOk({"get", "namespace", "default", "-o", "name"}),
              HasSubstr("namespace/default"));
  const std::string dir = cluster->dir();
  cluster.reset();
  EXPECT_TRUE(AllGone(pids, 1s));
  EXPECT_FALSE(std::filesystem::exists(dir));
}

// Run only as the child of the next test: holds a control plane, writes its process ids to the
// file NETADMIT_E2E_PID_FILE names, and waits to be interrupted.
TEST(Harness, HoldsAClusterUntilInterrupted) {
  const char* pid_file = std::getenv("NETADMIT_E2E_PID_FILE");
  if (pid_file == nullptr) {
    GTEST_SKIP() << "run by InterruptedRunLeavesNoProcessBehind";
  }
  std::string error;
  std::unique_ptr<KubeCluster> cluster = KubeCluster::Start(FoundAssets(), error);
  ASSERT_NE(cluster, nullptr) << error;
  {
    std::ofstream out(std::string(pid_file) + ".tmp");
    for (const pid_t pid : cluster->Pids()) {
      out << pid << "\n";
    }
  }
  std::filesystem::rename(std::string(pid_file) + ".tmp", pid_file);
  std::this_thread::sleep_for(60s);
  ADD_FAILURE() << "not interrupted";
}

class InterruptedRun : public ::testing::TestWithParam<int> {};

TEST_P(InterruptedRun, LeavesNoProcessBehind) {
  const int signal_number = GetParam();
  testing::TempDir dir;
  const std::string pid_file = dir.File("pids");
  setenv("NETADMIT_E2E_PID_FILE", pid_file.c_str(), 1);
  // The child cannot remove its directories when killed; inside this one, they go with it.
  const char* tmpdir = std::getenv("TMPDIR");
  const std::string saved_tmpdir = tmpdir != nullptr ? tmpdir : "";
  setenv("TMPDIR", dir.path().c_str(), 1);
  std::string error;
  std::unique_ptr<ServerProcess> child =
      ServerProcess::Start({SelfPath(), "--gtest_filter=Harness.HoldsAClusterUntilInterrupted"},
                           dir.File("child.log"), error);
  unsetenv("NETADMIT_E2E_PID_FILE");
  if (saved_tmpdir.empty()) {
    unsetenv("TMPDIR");
  } else {
    setenv("TMPDIR", saved_tmpdir.c_str(), 1);
  }
  ASSERT_NE(child, nullptr) << error;

  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!std::filesystem::exists(pid_file) && std::chrono::steady_clock::now() < deadline &&
         child->Running()) {
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(std::filesystem::exists(pid_file)) << child->LogTail(20);
  std::vector<pid_t> pids;
  std::istringstream lines(testing::ReadFile(pid_file));
  for (pid_t pid = 0; lines >> pid;) {
    pids.push_back(pid);
  }
  ASSERT_EQ(pids.size(), 2u);
  ASSERT_TRUE(ProcessExists(pids[0]) && ProcessExists(pids[1]));

  // Only the test process is signalled, as ctest or Ctrl-C in a pipeline would.
  kill(child->pid(), signal_number);
  EXPECT_TRUE(AllGone(pids, 5s)) << "etcd or kube-apiserver outlived the test process";
  child->Stop(1s);
  for (const pid_t pid : pids) {
    kill(pid, SIGKILL);  // a failure above must not leave them running
  }
}

std::string SignalName(const ::testing::TestParamInfo<int>& signal) {
  return sigabbrev_np(signal.param);
}

INSTANTIATE_TEST_SUITE_P(Harness, InterruptedRun, ::testing::Values(SIGTERM, SIGINT, SIGKILL),
                         SignalName);

TEST(Harness, ApiServerThatDoesNotStartFailsWithTheEndOfItsLog) {
  std::string error;
  const auto started = std::chrono::steady_clock::now();
  std::unique_ptr<KubeCluster> cluster =
      KubeCluster::Start(FoundAssets(), error, {"--authorization-mode=NoSuchMode"});
  EXPECT_EQ(cluster, nullptr);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 15s);
  EXPECT_THAT(error, HasSubstr("kube-apiserver exited before it was ready"));
  EXPECT_THAT(error, HasSubstr("the last 20 lines of"));
  EXPECT_THAT(error, HasSubstr("NoSuchMode"));  // the server's own complaint
  const std::string tail = error.substr(error.find(":\n") + 2);
  EXPECT_LE(std::count(tail.begin(), tail.end(), '\n'), 20);
}

// The binary's own answer to missing binaries: the exit status ctest reads.
TEST(Harness, MissingBinariesSkipWithoutTheVariableAndFailWithIt) {
  testing::TempDir assets;
  for (const auto& [name, path] : {std::pair{"kube-apiserver", FoundAssets().kube_apiserver},
                                   std::pair{"kubectl", FoundAssets().kubectl}}) {
    std::filesystem::create_symlink(path, assets.File(name));
  }
  const testing::RunResult incomplete =
      testing::RunProcess({"/usr/bin/env", "KUBEBUILDER_ASSETS=" + assets.path(), SelfPath()});
  EXPECT_EQ(incomplete.exit_code, 1) << Printed(incomplete);
  EXPECT_THAT(incomplete.err, HasSubstr("lacks etcd"));

  const testing::RunResult absent = testing::RunProcess(
      {"/usr/bin/env", "-u", "KUBEBUILDER_ASSETS", "PATH=" + assets.path(), SelfPath()});
  EXPECT_EQ(absent.exit_code, 77) << Printed(absent);
  EXPECT_THAT(absent.out, HasSubstr("skipped: no etcd on PATH"));
  EXPECT_THAT(absent.out, HasSubstr("setup-envtest use 1.28 -p path"));
}

}  // namespace
}  // namespace netadmit::e2e
