// Leader election over a Lease on a real API server: one leader among candidates, a released
// Lease taken over at once, an abandoned one after its lease duration, and a leader that cannot
// renew stepping down within its renew deadline.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "kube/config.h"
#include "kube/leader_election.h"
#include "tests/e2e/e2e.h"

namespace netadmit::e2e {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<kube::Watcher> Connect(ClusterCache& cache) {
  auto config = kube::LoadKubeconfig(SharedCluster().kubeconfig());
  EXPECT_TRUE(config.ok()) << config.error().ToString();
  kube::WatchOptions options;
  options.config = *config;
  options.request_timeout = 5s;
  auto api = std::make_unique<kube::Watcher>(std::move(options), cache);
  EXPECT_TRUE(api->Start().ok());
  return api;
}

kube::LeaseOptions Candidate(const std::string& ns, const std::string& identity) {
  kube::LeaseOptions options;
  options.namespace_name = ns;
  options.identity = identity;
  options.lease_duration = 3s;
  options.renew_deadline = 2s;
  options.retry_period = 200ms;
  return options;
}

// Waits up to `limit` for `condition`.
template <typename Condition>
bool Eventually(Condition condition, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(50ms);
  }
  return condition();
}

TEST(LeaderElectionE2eTest, OneLeaderAndAReleasedLeaseIsTakenOverAtOnce) {
  CreateNamespace("e2e-lease-release");
  ClusterCache cache;
  auto api = Connect(cache);
  kube::LeaderElector a(*api, Candidate("e2e-lease-release", "a"));
  kube::LeaderElector b(*api, Candidate("e2e-lease-release", "b"));
  a.Start();
  ASSERT_TRUE(Eventually([&] { return a.Leading(); }, 5s));
  b.Start();
  std::this_thread::sleep_for(1s);
  EXPECT_TRUE(a.Leading());
  EXPECT_FALSE(b.Leading()) << "two leaders";
  EXPECT_EQ(SharedCluster().KubectlOk({"get", "lease", "netadmit-audit", "-n", "e2e-lease-release",
                                       "-o", "jsonpath={.spec.holderIdentity}"}),
            "a");

  const auto released = std::chrono::steady_clock::now();
  a.Stop();  // releases
  EXPECT_FALSE(a.Leading());
  ASSERT_TRUE(Eventually([&] { return b.Leading(); }, 5s));
  // Well within the lease duration: the released Lease needs no waiting out.
  EXPECT_LT(std::chrono::steady_clock::now() - released, 2500ms);
  b.Stop();
}

TEST(LeaderElectionE2eTest, AnAbandonedLeaseIsTakenOverAfterItsDuration) {
  CreateNamespace("e2e-lease-abandoned");
  ClusterCache cache;
  auto api = Connect(cache);
  kube::LeaderElector gone(*api, Candidate("e2e-lease-abandoned", "gone"));
  ASSERT_EQ(gone.TryAcquireOrRenew(), kube::LeaseAttempt::kLeading);  // then never renews
  kube::LeaderElector next(*api, Candidate("e2e-lease-abandoned", "next"));
  const auto start = std::chrono::steady_clock::now();
  next.Start();
  ASSERT_TRUE(Eventually([&] { return next.Leading(); }, 10s));
  // Not before the record it saw stayed unchanged for a lease duration (3 s).
  EXPECT_GE(std::chrono::steady_clock::now() - start, 2900ms);
  EXPECT_EQ(gone.TryAcquireOrRenew(), kube::LeaseAttempt::kHeldByOther);
  next.Stop();
}

TEST(LeaderElectionE2eTest, ALeaderThatCannotRenewStepsDown) {
  CreateNamespace("e2e-lease-deadline");
  ClusterCache cache;
  auto api = Connect(cache);
  std::atomic<bool> lost{false};
  kube::LeaseOptions options = Candidate("e2e-lease-deadline", "cut-off");
  options.on_change = [&](bool leading) {
    if (!leading) {
      lost = true;
    }
  };
  kube::LeaderElector leader(*api, options);
  leader.Start();
  ASSERT_TRUE(Eventually([&] { return leader.Leading(); }, 5s));
  api->Stop();  // every renewal fails from now on
  const auto cut = std::chrono::steady_clock::now();
  ASSERT_TRUE(Eventually([&] { return lost.load(); }, 5s));
  // Within the renew deadline (2 s) and a retry period, before the lease (3 s) runs out.
  EXPECT_LT(std::chrono::steady_clock::now() - cut, 2700ms);
  EXPECT_FALSE(leader.Leading());
  leader.Stop();
}

}  // namespace
}  // namespace netadmit::e2e
