// The watcher against the test API server over TLS on 127.0.0.1: the initial lists equal the
// recorded ones, events and bookmarks are applied, a 410 relists with nothing lost, dropped
// connections reconnect, errors back off with the injected jitter, tokens rotate.

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "kube/watcher.h"
#include "tests/support/fake_apiserver.h"
#include "tests/support/test_certs.h"

namespace netadmit::kube {
namespace {

using testing::FakeApiServer;
using namespace std::chrono_literals;

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(NETADMIT_FIXTURES_DIR) + "/apiserver-v1.28-watch/" + name,
                   std::ios::binary);
  EXPECT_TRUE(in) << name;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool Eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(5ms);
  }
  return condition();
}

std::string PodJson(const std::string& namespace_name, const std::string& name,
                    const std::string& app) {
  return R"({"metadata":{"name":")" + name + R"(","namespace":")" + namespace_name +
         R"(","labels":{"app":")" + app +
         R"("}},"spec":{"containers":[{"name":"c","ports":[{"name":"http","containerPort":8080}]}]}})";
}

// Scripted answers of the test API server.
FakeApiServer::Fault Delayed(std::string prefix, bool watch, std::chrono::milliseconds delay) {
  FakeApiServer::Fault fault;
  fault.path = std::move(prefix);
  fault.watch_only = watch;
  fault.list_only = !watch;
  fault.delay = delay;
  return fault;
}

FakeApiServer::Fault Answer(std::string prefix, bool watch, int status, std::string body) {
  FakeApiServer::Fault fault;
  fault.path = std::move(prefix);
  fault.watch_only = watch;
  fault.list_only = !watch;
  fault.status = status;
  fault.body = std::move(body);
  return fault;
}

std::vector<std::string> PodNames(const ClusterCache& state, const std::string& namespace_name) {
  std::vector<std::string> names;
  for (const auto& pod : state.Pods(namespace_name, {})) {
    names.push_back(pod->name);
  }
  return names;
}

// A fake API server with the recorded lists, and a watcher of all four kinds against it.
class WatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    api_.Load(FakeApiServer::NetworkPolicies(), Fixture("01-netpol-list-all.body"));
    api_.Load(FakeApiServer::Namespaces(), Fixture("02-namespaces-list.body"));
    api_.Load(FakeApiServer::Pods(), Fixture("02-pods-list-all.body"));
    api_.Load(FakeApiServer::ConfigMaps("netadmit-system"),
              Fixture("03-configmaps-list-labelselector.body"));
    api_.SetToken("token-1");
  }

  void TearDown() override {
    if (watcher_) {
      watcher_->Stop();
    }
  }

  WatchOptions Options() {
    WatchOptions options;
    options.config.host = "127.0.0.1";
    options.config.port = std::to_string(api_.port());
    options.config.ca_pem = api_.ca().cert_pem();
    options.config.token = "token-1";
    options.resources = DefaultResources("netadmit-system");
    options.page_limit = 2;
    options.watch_timeout = 60s;
    options.request_timeout = 2s;
    options.backoff_initial = 10ms;
    options.backoff_max = 40ms;
    options.random = [] { return 0.5; };
    options.log = [this](const LogEntry& entry) {
      std::lock_guard lock(mutex_);
      logs_.push_back(entry);
    };
    options.on_backoff = [this](ClusterKind kind, std::chrono::milliseconds delay) {
      std::lock_guard lock(mutex_);
      backoffs_.emplace_back(kind, delay.count());
    };
    return options;
  }

  void Start(WatchOptions options) {
    watcher_ = std::make_unique<Watcher>(std::move(options), state_);
    auto started = watcher_->Start();
    ASSERT_TRUE(started.ok()) << started.error().ToString();
  }

  void StartSynced() {
    Start(Options());
    ASSERT_TRUE(Eventually([&] { return state_.Synced(); }));
  }

  bool Logged(std::string_view event, std::string_view text = {}) {
    std::lock_guard lock(mutex_);
    for (const auto& entry : logs_) {
      if (entry.event == event && entry.message.find(text) != std::string::npos) {
        return true;
      }
    }
    return false;
  }

  std::string DumpLogs() {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& entry : logs_) {
      out += entry.event + ": " + entry.message + "\n";
    }
    return out;
  }

  std::vector<int64_t> Backoffs(ClusterKind kind) {
    std::lock_guard lock(mutex_);
    std::vector<int64_t> out;
    for (const auto& [backoff_kind, delay] : backoffs_) {
      if (backoff_kind == kind) {
        out.push_back(delay);
      }
    }
    return out;
  }

  // Requests whose target starts with `prefix` (or is it, when `exact`) and contains `text`.
  int CountRequests(std::string_view prefix, std::string_view text = {}, bool exact = false) {
    int count = 0;
    for (const auto& request : api_.Requests()) {
      if ((exact ? request.target == prefix : request.target.rfind(prefix, 0) == 0) &&
          request.target.find(text) != std::string::npos) {
        ++count;
      }
    }
    return count;
  }

  FakeApiServer api_;
  ClusterCache state_;
  std::unique_ptr<Watcher> watcher_;
  std::mutex mutex_;
  std::vector<LogEntry> logs_;
  std::vector<std::pair<ClusterKind, int64_t>> backoffs_;
};

const std::string kPolicies = "/apis/networking.k8s.io/v1/networkpolicies";
const std::string kPods = "/api/v1/pods";

TEST_F(WatcherTest, InitialListsEqualTheRecordedLists) {
  StartSynced();
  for (const auto& [kind, file] : std::vector<std::pair<ClusterKind, std::string>>{
           {ClusterKind::kNetworkPolicy, "01-netpol-list-all.body"},
           {ClusterKind::kNamespace, "02-namespaces-list.body"},
           {ClusterKind::kPod, "02-pods-list-all.body"},
           {ClusterKind::kConfigMap, "03-configmaps-list-labelselector.body"}}) {
    auto expected = ParseListPage(kind, Fixture(file));
    ASSERT_TRUE(expected.ok());
    EXPECT_EQ(state_.Count(kind), expected->items.size()) << file;
    for (const auto& item : expected->items) {
      const std::string& ns = item.namespace_name();
      switch (kind) {
        case ClusterKind::kNamespace: {
          auto cached = state_.Namespace(item.name());
          ASSERT_NE(cached, nullptr) << item.name();
          EXPECT_EQ(cached->labels, std::get<CachedNamespace>(item.value).labels);
          break;
        }
        case ClusterKind::kNetworkPolicy: {
          bool found = false;
          for (const auto& policy : state_.Policies(ns)) {
            if (policy->name == item.name()) {
              found = true;
              const auto& want = std::get<CachedPolicy>(item.value);
              EXPECT_EQ(policy->labels, want.labels);
              EXPECT_EQ(policy->spec.ingress.size(), want.spec.ingress.size());
              EXPECT_EQ(policy->spec.egress.size(), want.spec.egress.size());
              EXPECT_EQ(policy->spec.policy_types, want.spec.policy_types);
            }
          }
          EXPECT_TRUE(found) << ns << "/" << item.name();
          break;
        }
        case ClusterKind::kPod: {
          bool found = false;
          for (const auto& pod : state_.Pods(ns, {})) {
            if (pod->name == item.name()) {
              found = true;
              const auto& want = std::get<CachedPod>(item.value);
              EXPECT_EQ(pod->labels, want.labels);
              ASSERT_EQ(pod->named_ports.size(), want.named_ports.size());
              for (std::size_t i = 0; i < want.named_ports.size(); ++i) {
                EXPECT_EQ(pod->named_ports[i].name, want.named_ports[i].name);
                EXPECT_EQ(pod->named_ports[i].port, want.named_ports[i].port);
              }
            }
          }
          EXPECT_TRUE(found) << ns << "/" << item.name();
          break;
        }
        case ClusterKind::kConfigMap: {
          auto maps = state_.ConfigMaps(ns);
          ASSERT_FALSE(maps.empty());
          bool found = false;
          for (const auto& map : maps) {
            found = found || (map->name == item.name() &&
                              map->data == std::get<CachedConfigMap>(item.value).data);
          }
          EXPECT_TRUE(found) << item.name();
          break;
        }
        case ClusterKind::kAdminNetworkPolicy:
        case ClusterKind::kBaselineAdminNetworkPolicy:
        case ClusterKind::kClusterNetworkPolicy:
          ADD_FAILURE() << "no cluster policies among these lists";
          break;
      }
    }
  }
  // Pages of 2 with continue tokens; the rule-set label selector; a non-curl agent; the token.
  EXPECT_EQ(CountRequests(kPolicies + "?limit=2", "", true), 1);
  EXPECT_EQ(CountRequests(kPolicies + "?limit=2&continue=eyJ"), 2);
  EXPECT_EQ(CountRequests("/api/v1/namespaces/netadmit-system/configmaps?labelSelector="
                          "netadmit.io%2Frule-set%3Dtrue&limit=2"),
            1);
  for (const auto& request : api_.Requests()) {
    EXPECT_EQ(request.authorization, "Bearer token-1");
    EXPECT_EQ(request.user_agent.rfind("curl", 0), std::string::npos);
  }
  EXPECT_TRUE(Eventually([&] { return api_.OpenWatches() == 4; }));
  // The list's version is the store's revision at the time (215: the ConfigMaps are newer).
  EXPECT_EQ(CountRequests(kPolicies + "?watch=1&resourceVersion=215&allowWatchBookmarks=true"), 1);
}

TEST_F(WatcherTest, WatchEventsAreApplied) {
  StartSynced();
  ASSERT_TRUE(Eventually([&] { return api_.OpenWatches() == 4; }));
  api_.Add(FakeApiServer::Pods(), PodJson("shop", "cart-1", "cart"));
  ASSERT_TRUE(Eventually([&] {
    return PodNames(state_, "shop") == std::vector<std::string>{"api-1", "cart-1", "frontend-1"};
  }));
  api_.Modify(FakeApiServer::Pods(), PodJson("shop", "cart-1", "basket"));
  ASSERT_TRUE(Eventually([&] {
    LabelSelector basket;
    basket.match_labels = {{"app", "basket"}};
    return state_.Pods("shop", basket).size() == 1;
  }));
  const uint64_t rv = api_.Delete(FakeApiServer::NetworkPolicies(), "shop", "default-deny");
  ASSERT_TRUE(Eventually([&] { return state_.Policies("shop").size() == 1; }));
  EXPECT_EQ(watcher_->ResourceVersion(ClusterKind::kNetworkPolicy), std::to_string(rv));
  EXPECT_EQ(watcher_->Relists(ClusterKind::kNetworkPolicy), 0u);
}

TEST_F(WatcherTest, BookmarkAdvancesTheResourceVersionUsedToWatchAgain) {
  StartSynced();
  ASSERT_TRUE(Eventually([&] { return api_.OpenWatches() == 4; }));
  const uint64_t rv = api_.Add(FakeApiServer::Pods(), PodJson("shop", "cart-1", "cart"));
  api_.Bookmark(FakeApiServer::NetworkPolicies());
  ASSERT_TRUE(Eventually([&] {
    return watcher_->ResourceVersion(ClusterKind::kNetworkPolicy) == std::to_string(rv);
  }));
  api_.EndWatches();  // as timeoutSeconds does: watch again from the bookmark's version
  ASSERT_TRUE(Eventually([&] {
    return CountRequests(kPolicies + "?watch=1&resourceVersion=" + std::to_string(rv)) == 1;
  }));
  EXPECT_EQ(CountRequests(kPolicies + "?limit=2", "", true), 1);  // no relist
  EXPECT_TRUE(Backoffs(ClusterKind::kNetworkPolicy).empty());     // a clean end waits for nothing
}

TEST_F(WatcherTest, ExpiredVersionRelistsWithNothingLost) {
  StartSynced();
  ASSERT_TRUE(Eventually([&] { return api_.OpenWatches() == 4; }));
  // The next pod watch is held back while pods change and history is compacted, so the watch
  // is too old when it arrives: the server answers 200 and one ERROR 410 event.
  api_.AddFault(Delayed(kPods, true, 500ms));
  const int watches_before = CountRequests(kPods + "?watch=1");
  api_.DropWatches();
  ASSERT_TRUE(Eventually([&] { return CountRequests(kPods + "?watch=1") > watches_before; }));
  api_.Add(FakeApiServer::Pods(), PodJson("shop", "cart-1", "cart"));
  api_.Delete(FakeApiServer::Pods(), "shop", "frontend-1");
  api_.Compact();
  ASSERT_TRUE(Eventually([&] { return watcher_->Relists(ClusterKind::kPod) == 1; }));
  EXPECT_EQ(PodNames(state_, "shop"), (std::vector<std::string>{"api-1", "cart-1"}));
  EXPECT_EQ(state_.Count(ClusterKind::kPod), 4u);
  EXPECT_TRUE(Logged("watch_expired", "too old resource version"));
  // After the relist the watch continues from the new list's version.
  api_.Add(FakeApiServer::Pods(), PodJson("payments", "ledger-1", "ledger"));
  EXPECT_TRUE(Eventually([&] { return state_.Pods("payments", {}).size() == 2; }));
}

TEST_F(WatcherTest, Http410OnAListStartsTheListOver) {
  api_.AddFault(
      Answer(kPolicies, false, 410, Fixture("05c-netpol-list-continue-expired-410.body")));
  StartSynced();
  EXPECT_EQ(state_.Count(ClusterKind::kNetworkPolicy), 5u);
  EXPECT_TRUE(Logged("watch_expired", "continue parameter is too old"));
}

TEST_F(WatcherTest, ExpiredRightAfterAListBacksOffInsteadOfSpinning) {
  const std::string expired = Fixture("05b-netpol-list-rv-exact-compacted-410.body");
  api_.AddFault(Answer(kPods, true, 410, expired));
  api_.AddFault(Answer(kPods, true, 410, expired));
  StartSynced();
  ASSERT_TRUE(Eventually([&] { return watcher_->Relists(ClusterKind::kPod) == 2; }));
  ASSERT_TRUE(Eventually([&] { return api_.OpenWatches() == 4; }));
  EXPECT_EQ(Backoffs(ClusterKind::kPod), (std::vector<int64_t>{7, 15}));
  EXPECT_TRUE(Logged("watch_expired", "watch: The resourceVersion for the provided list"));
}

TEST_F(WatcherTest, ThrottledWithRetryAfterWaitsAtLeastThatLong) {
  const std::string throttled =
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Too many requests, please try again later.","reason":"TooManyRequests","details":{"retryAfterSeconds":1},"code":429})"
      "\n";
  FakeApiServer::Fault fault = Answer(kPods, false, 429, throttled);
  fault.retry_after_seconds = 1;
  api_.AddFault(fault);
  api_.AddFault(Answer(kPods, false, 500, throttled));  // no Retry-After: the backoff alone
  StartSynced();
  // 1 s instead of the 7 ms backoff, then the backoff's 15 ms.
  EXPECT_EQ(Backoffs(ClusterKind::kPod), (std::vector<int64_t>{1000, 15}));
  EXPECT_TRUE(Logged("api_unavailable",
                     "HTTP 429: Too many requests, please try again later. "
                     "(retry after 1 s)"));
}

TEST_F(WatcherTest, DroppedConnectionsReconnectAfterABackoff) {
  StartSynced();
  ASSERT_TRUE(Eventually([&] { return api_.OpenWatches() == 4; }));
  api_.DropWatches();
  ASSERT_TRUE(Eventually([&] { return watcher_->WatchRestarts(ClusterKind::kPod) >= 1; }));
  ASSERT_TRUE(Eventually([&] { return api_.OpenWatches() == 4; }));
  api_.Add(FakeApiServer::Pods(), PodJson("shop", "cart-1", "cart"));
  EXPECT_TRUE(Eventually([&] { return state_.Pods("shop", {}).size() == 3; }));
  EXPECT_EQ(Backoffs(ClusterKind::kPod), (std::vector<int64_t>{7}));  // 10 ms × (0.5 + 0.5×0.5)
  EXPECT_TRUE(Logged("watch_connection_failed"));
  EXPECT_EQ(watcher_->Relists(ClusterKind::kPod), 0u);
}

TEST_F(WatcherTest, ServerErrorsAndThrottlingBackOffToTheCap) {
  const std::string unavailable =
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"etcdserver: request timed out","reason":"InternalError","code":500})"
      "\n";
  for (int status : {500, 503, 429, 500}) {
    api_.AddFault(Answer(kPods, false, status, unavailable));
  }
  StartSynced();
  EXPECT_EQ(Backoffs(ClusterKind::kPod), (std::vector<int64_t>{7, 15, 30, 30}));
  EXPECT_TRUE(Logged("api_unavailable", "HTTP 429"));
  EXPECT_TRUE(Logged("api_unavailable", "etcdserver: request timed out"));
  EXPECT_TRUE(Backoffs(ClusterKind::kNamespace).empty());
}

TEST_F(WatcherTest, ForbiddenAndNotFoundAreLoggedWithTheServersMessage) {
  api_.AddFault(Answer(kPolicies, true, 403, Fixture("06-forbidden-403-watch-netpol.body")));
  api_.AddFault(Answer(kPods, false, 404, Fixture("07-netpol-get-404.body")));
  StartSynced();
  EXPECT_TRUE(Eventually([&] {
    return Logged("api_forbidden",
                  "watch: HTTP 403: networkpolicies.networking.k8s.io is forbidden: User "
                  "\"system:serviceaccount:netadmit-system:no-rights\" cannot watch resource");
  }));
  EXPECT_TRUE(Logged("api_not_found", "list: HTTP 404"));
  EXPECT_TRUE(Eventually([&] { return api_.OpenWatches() == 4; }));
}

TEST_F(WatcherTest, RotatedTokenFileIsReadForTheNextRequest) {
  testing::TempDir dir;
  dir.Write("token", "token-1\n");
  WatchOptions options = Options();
  options.config.token.clear();
  options.config.token_file = dir.File("token");
  Start(std::move(options));
  ASSERT_TRUE(Eventually([&] { return state_.Synced(); }));
  ASSERT_TRUE(Eventually([&] { return api_.OpenWatches() == 4; }));
  // The server moves to a new token before the file is rotated: the requests in between are
  // refused with 401 and retried.
  api_.SetToken("token-2");
  api_.DropWatches();
  ASSERT_TRUE(Eventually([&] { return Logged("api_unauthorized", "HTTP 401: Unauthorized"); }));
  std::this_thread::sleep_for(20ms);
  dir.Write("token", "token-2\n");
  api_.Add(FakeApiServer::Pods(), PodJson("shop", "cart-1", "cart"));
  EXPECT_TRUE(Eventually([&] { return state_.Pods("shop", {}).size() == 3; }));
  bool rotated = false;
  for (const auto& request : api_.Requests()) {
    rotated = rotated || request.authorization == "Bearer token-2";
  }
  EXPECT_TRUE(rotated);
}

TEST_F(WatcherTest, SlowResponsesPastTheRequestTimeoutAreRetried) {
  api_.AddFault(Delayed("/api/v1/namespaces", false, 1500ms));
  WatchOptions options = Options();
  options.request_timeout = 300ms;
  Start(std::move(options));
  ASSERT_TRUE(Eventually([&] { return state_.Synced(); }));
  EXPECT_TRUE(Logged("watch_connection_failed", "list"));
  EXPECT_EQ(Backoffs(ClusterKind::kNamespace).size(), 1u);
  EXPECT_EQ(state_.Count(ClusterKind::kNamespace), 8u);
}

TEST_F(WatcherTest, ReplayBurstCutIntoChunksIsAppliedWhole) {
  StartSynced();
  ASSERT_TRUE(Eventually([&] { return api_.OpenWatches() == 4; }));
  api_.AddFault(Delayed(kPods, true, 500ms));
  const int watches_before = CountRequests(kPods + "?watch=1");
  api_.DropWatches();
  ASSERT_TRUE(Eventually([&] { return CountRequests(kPods + "?watch=1") > watches_before; }));
  // Far more than 2048 bytes of events, replayed in one burst of 0x800-byte chunks.
  for (int i = 0; i < 40; ++i) {
    api_.Add(FakeApiServer::Pods(),
             PodJson("burst", "pod-" + std::to_string(i), std::string(100, 'x')));
  }
  EXPECT_TRUE(Eventually([&] { return state_.Pods("burst", {}).size() == 40; }));
  EXPECT_EQ(watcher_->Relists(ClusterKind::kPod), 0u);
}

TEST_F(WatcherTest, StartRefusesAnUnusableCa) {
  WatchOptions options = Options();
  options.config.ca_pem = "not a certificate";
  Watcher watcher(std::move(options), state_);
  auto started = watcher.Start();
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().path, "certificate-authority");
}

TEST_F(WatcherTest, WrongCaIsRefusedAtTheHandshake) {
  testing::TestCa other;
  WatchOptions options = Options();
  options.config.ca_pem = other.cert_pem();
  Start(std::move(options));
  EXPECT_TRUE(Eventually(
      [&] {
        return Logged(
            "watch_connection_failed",
            "list: the API server's certificate did not verify: certificate signature failure");
      },
      3s))
      << DumpLogs();
  EXPECT_FALSE(state_.Synced());
  EXPECT_TRUE(api_.Requests().empty());
}

}  // namespace
}  // namespace netadmit::kube
