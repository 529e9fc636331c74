// Faults under load: four clients send AdmissionReviews as fast as they can, each on a keep-alive
// connection of its own, while the API server drops or expires its watches, fails with 500 or
// 429, answers slowly or not at all, while the rule-set ConfigMap turns invalid, and while the
// serving certificate rotates. Every answer is recorded with the phase of the fault it was sent
// and answered in, and sorted into a category (allowed, denied by which rules, unconfirmed...).
// Each test then checks that every answer is one the documented behaviour allows in its phase,
// that answers kept coming during the fault, and that once the fault ends the cache holds what
// changed meanwhile.

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/support/fake_apiserver.h"
#include "tests/support/https_client.h"
#include "tests/support/stateful_fixture.h"
#include "tests/support/test_server.h"

namespace netadmit::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kClients = 4;
// Answers a fault lasts for at least, once it has taken effect: most of a second under the debug
// build.
constexpr int kAnswersInAFault = 400;

// The stateful rules (RequireDefaultDeny, whose denials need confirming by a fresh read), and
// NoHostNetwork, whose denials rest on the request alone.
std::string FaultRules() {
  return std::string(kStatefulRules) +
         "    - id: no-host-network\n      kind: NoHostNetwork\n      action: deny\n";
}

// What a denial says when the fresh read that would confirm it failed.
std::string UnconfirmedNote(const std::string& namespace_name) {
  return "netadmit could not confirm with the API server (list of networkpolicies in namespace " +
         namespace_name + ": ";
}

// One request of the load, named for the answers' categories.
struct LoadRequest {
  std::string label;
  ReviewRequest review;
};

struct Observation {
  std::size_t request = 0;  // index into the load's requests
  int phase_sent = 0;
  int phase_answered = 0;
  Clock::duration took{};
  std::string problem;  // what was wrong with the reply; empty for a well-formed answer
  Answer answer;
};

// The rule ids a message or warning names, as "[a] [b]", in the order they appear.
std::string RuleIds(const std::vector<std::string>& texts) {
  std::string ids;
  for (const auto& text : texts) {
    std::size_t line = 0;
    while (line < text.size()) {
      const std::size_t end = text.find('\n', line);
      const std::size_t close = text.find(']', line);
      if (text[line] == '[' && close != std::string::npos && close < end) {
        ids += (ids.empty() ? "" : " ") + text.substr(line, close - line + 1);
      }
      line = end == std::string::npos ? text.size() : end + 1;
    }
  }
  return ids;
}

// The kind of answer: "LABEL: allowed", "LABEL: denied [rule] [rule]", "LABEL: warned [rule]";
// "unconfirmed" where a fresh read failed; "error: ..." for anything but a well-formed
// AdmissionReview. A default-deny denial must carry the exact documented message.
std::string Categorize(const LoadRequest& request, const Observation& observation) {
  if (!observation.problem.empty()) {
    return "error: " + observation.problem.substr(0, 200);
  }
  const Answer& answer = observation.answer;
  const std::string& namespace_name = request.review.namespace_name;
  const std::string prefix = request.label + ": ";
  if (answer.allowed) {
    if (answer.warnings.empty()) {
      return prefix + "allowed";
    }
    if (answer.warnings.size() == 1 &&
        answer.warnings[0].starts_with(UnconfirmedNote(namespace_name)) &&
        answer.warnings[0].find("; admitted despite [default-deny]: ") != std::string::npos) {
      return prefix + "admitted unconfirmed";
    }
    return prefix + "warned " + RuleIds(answer.warnings);
  }
  if (answer.code != 403) {
    return prefix + "denied with code " + std::to_string(answer.code);
  }
  std::string category = prefix + "denied " + RuleIds({answer.message});
  const std::string note = "\n(" + UnconfirmedNote(namespace_name);
  const std::size_t noted = answer.message.find(note);
  if (noted != std::string::npos) {
    category += " unconfirmed";
  }
  if (category.ends_with(": denied [default-deny]") ||
      category.ends_with(": denied [default-deny] unconfirmed")) {
    const std::string finding = answer.message.substr(0, noted);
    if (finding != MissingDefaultDeny(namespace_name) ||
        (noted != std::string::npos && !answer.message.ends_with("))"))) {
      category += " with another message: " + answer.message;
    }
  }
  return category;
}

// Answers by phase ("A", or "A..B" when sent in A and answered in B), then by category.
using Tally = std::map<std::string, std::map<std::string, int>>;

// How the load's clients share out its requests.
enum class Sharing {
  kInTurn,  // every client sends each request in turn
  kPinned,  // client i sends only request i (modulo their number), so that requests that wait
            // on the API server hold up only their own clients
};

// The load: kClients threads, each with a keep-alive connection of its own (opened again when the
// server closes it), sending its requests as fast as answers come.
class Load {
 public:
  Load(const TestServer& server, std::vector<LoadRequest> requests,
       Sharing sharing = Sharing::kInTurn)
      : requests_(std::move(requests)), sharing_(sharing), observed_(kClients) {
    for (int client = 0; client < kClients; ++client) {
      threads_.emplace_back([this, &server, client] { Run(server, client); });
    }
  }
  ~Load() { Stop(); }
  Load(const Load&) = delete;
  Load& operator=(const Load&) = delete;

  // From now on answers belong to the phase `name`; returns its number.
  int Phase(const std::string& name) {
    std::lock_guard lock(mutex_);
    phases_.push_back(name);
    phase_starts_.push_back(Clock::now());
    const int phase = static_cast<int>(phases_.size()) - 1;
    phase_ = phase;
    return phase;
  }

  // Well-formed answers so far to requests sent and answered in `phase`; only to the requests
  // labelled `label` unless it is empty.
  int AnsweredIn(int phase, const std::string& label = {}) const {
    std::lock_guard lock(mutex_);
    int answered = 0;
    for (const auto& [phase_and_label, count] : answered_) {
      if (phase_and_label.first == phase && (label.empty() || phase_and_label.second == label)) {
        answered += count;
      }
    }
    return answered;
  }

  // Waits until `count` more answers (to `label`, unless empty) of the current phase have come;
  // false after 10 s.
  bool WaitForAnswers(int count, const std::string& label = {}) {
    const int phase = phase_;
    const int target = AnsweredIn(phase, label) + count;
    return Eventually([&] { return AnsweredIn(phase, label) >= target; }, 10s);
  }

  // Waits until every client has had an answer to a request sent in the current phase, so that
  // none is still busy with one from an earlier phase; false after 10 s.
  bool Settle() {
    const int phase = phase_;
    return Eventually(
        [&] {
          return std::all_of(settled_.begin(), settled_.end(),
                             [&](const std::atomic<int>& sent) { return sent >= phase; });
        },
        10s);
  }

  void Stop() {
    if (stopping_.exchange(true)) {
      return;
    }
    for (auto& thread : threads_) {
      thread.join();
    }
    stopped_ = Clock::now();
  }

  // After Stop(): how long each phase lasted, as "before 120 ms, outage 310 ms, ...".
  std::string Durations() const {
    std::string text;
    for (std::size_t phase = 0; phase < phases_.size(); ++phase) {
      const auto end = phase + 1 < phases_.size() ? phase_starts_[phase + 1] : stopped_;
      text += (phase == 0 ? "" : ", ") + phases_[phase] + " " +
              std::to_string(
                  std::chrono::duration_cast<std::chrono::milliseconds>(end - phase_starts_[phase])
                      .count()) +
              " ms";
    }
    return text;
  }

  // After Stop(): the categories of the answers sent and answered in each phase, by phase name;
  // answers that straddle two phases are under "A..B".
  testing::Tally Tally() const {
    testing::Tally tally;
    for (const auto& observations : observed_) {
      for (const auto& observation : observations) {
        std::string phase = phases_[observation.phase_sent];
        if (observation.phase_answered != observation.phase_sent) {
          phase += ".." + phases_[observation.phase_answered];
        }
        ++tally[phase][Categorize(requests_[observation.request], observation)];
      }
    }
    return tally;
  }

  // After Stop(): the longest time a request of `label` took in `phase` (both ends in it), or in
  // any phase when `phase` is kAnyPhase.
  static constexpr int kAnyPhase = -1;
  Clock::duration Slowest(const std::string& label, int phase = kAnyPhase) const {
    Clock::duration slowest{};
    for (const auto& observations : observed_) {
      for (const auto& observation : observations) {
        const bool in_phase = phase == kAnyPhase || (observation.phase_sent == phase &&
                                                     observation.phase_answered == phase);
        if (requests_[observation.request].label == label && in_phase) {
          slowest = std::max(slowest, observation.took);
        }
      }
    }
    return slowest;
  }

 private:
  void Run(const TestServer& server, int client) {
    std::unique_ptr<HttpsClient> connection;
    auto& observations = observed_[client];
    for (std::size_t turn = 0; !stopping_; ++turn) {
      Observation observation;
      observation.request =
          (static_cast<std::size_t>(client) + (sharing_ == Sharing::kInTurn ? turn : 0)) %
          requests_.size();
      observation.phase_sent = phase_;
      const auto started = Clock::now();
      if (!connection) {
        connection = std::make_unique<HttpsClient>(server.port(), server.Client());
        if (const auto ec = connection->Connect()) {
          connection.reset();
          observation.problem = "handshake: " + ec.message();
        }
      }
      char uid[40];
      std::snprintf(uid, sizeof(uid), "fa000000-0000-4000-8000-%02d%010zu", client, turn);
      Reply reply;
      if (connection) {
        reply = connection->Send(ValidateRequest(requests_[observation.request].review.Json(uid)));
        observation.problem = ReadAnswer(reply, uid, observation.answer);
        if (reply.ec || !reply.response.keep_alive()) {
          connection.reset();
        }
      }
      observation.took = Clock::now() - started;
      observation.phase_answered = phase_;
      if (observation.problem.empty() && observation.phase_sent == observation.phase_answered) {
        std::lock_guard lock(mutex_);
        ++answered_[{observation.phase_sent, requests_[observation.request].label}];
      }
      settled_[client] = observation.phase_sent;
      observations.push_back(std::move(observation));
    }
  }

  const std::vector<LoadRequest> requests_;
  const Sharing sharing_;
  std::vector<std::vector<Observation>> observed_;  // by client; each written by its thread only
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> phase_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> phases_{"before"};
  std::vector<Clock::time_point> phase_starts_{Clock::now()};
  Clock::time_point stopped_;
  std::map<std::pair<int, std::string>, int> answered_;  // by phase and label
  // By client: the phase its last answered request was sent in.
  std::array<std::atomic<int>, kClients> settled_{};
};

std::string Print(const Tally& tally) {
  std::string text;
  for (const auto& [phase, categories] : tally) {
    text += phase + ":\n";
    for (const auto& [category, count] : categories) {
      text += "  " + std::to_string(count) + "  " + category + "\n";
    }
  }
  return text;
}

// Answers of `category` in `phase`; 0 when none.
int CountOf(const Tally& tally, const std::string& phase, const std::string& category) {
  const auto found = tally.find(phase);
  if (found == tally.end()) {
    return 0;
  }
  const auto counted = found->second.find(category);
  return counted == found->second.end() ? 0 : counted->second;
}

// The categories of answer each phase allows, the phases in the order they came.
using Expected = std::vector<std::pair<std::string, std::set<std::string>>>;

// Every answer is of a category its phase allows; one sent in a phase and answered in a later
// one may be of a category any phase from the one to the other allows.
void ExpectAnswers(const Tally& tally, const Expected& expected) {
  auto index = [&](const std::string& phase) {
    const auto found = std::find_if(expected.begin(), expected.end(),
                                    [&](const auto& entry) { return entry.first == phase; });
    return found == expected.end() ? -1 : static_cast<int>(found - expected.begin());
  };
  for (const auto& [phases, categories] : tally) {
    const std::size_t dots = phases.find("..");
    const int first = index(phases.substr(0, dots));
    const int last = dots == std::string::npos ? first : index(phases.substr(dots + 2));
    if (first < 0 || last < first) {
      ADD_FAILURE() << "answers in an unexpected phase " << phases;
      continue;
    }
    std::set<std::string> allowed;
    for (int phase = first; phase <= last; ++phase) {
      allowed.insert(expected[phase].second.begin(), expected[phase].second.end());
    }
    for (const auto& [category, count] : categories) {
      EXPECT_TRUE(allowed.contains(category))
          << count << " answers in phase " << phases << ": " << category;
    }
  }
}

// What the tests print for the record: answers by phase and category.
void Report(const std::string& fault, const Load& load, const Tally& tally) {
  std::printf("[ faults   ] %s (%s)\n%s", fault.c_str(), load.Durations().c_str(),
              Print(tally).c_str());
}

// A pod in "covered" (which has a default-deny), a pod with host networking there, and a pod in
// "target", whose default-deny the tests add or take away during the fault.
std::vector<LoadRequest> DefaultDenyLoad() {
  return {{"covered", PodCreate("covered", "web")},
          {"host", PodCreate("covered", "agent", true)},
          {"target", PodCreate("target", "web")}};
}

// The categories `DefaultDenyLoad` allows in a phase: those of "target" given, the others'
// unaffected by any fault.
std::set<std::string> WithUnaffected(std::set<std::string> target) {
  target.insert({"covered: allowed", "host: denied [no-host-network]"});
  return target;
}

constexpr std::string_view kStatus500 =
    R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"etcdserver: request timed out","reason":"InternalError","code":500})";
constexpr std::string_view kStatus410 =
    R"json({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 101 (140)","reason":"Expired","code":410})json";
constexpr std::string_view kStatus429 =
    R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Too many requests, please try again later.","reason":"TooManyRequests","details":{"retryAfterSeconds":1},"code":429})";

// The collection path of NetworkPolicies, which their LIST and watch requests go to.
const std::string kPolicyPath(FakeApiServer::NetworkPolicies().path);

class ServerFaultsTest : public StatefulServerTest {
 protected:
  // Namespaces "covered" (with a default-deny) and "target" (without one unless `target_covered`),
  // and a server with FaultRules() connected to the test API server, ready, watching all four
  // kinds.
  std::unique_ptr<TestServer> Start(bool target_covered,
                                    std::function<void(server::ServerOptions&)> more = {}) {
    AddNamespace("covered");
    AddNamespace("target");
    AddDefaultDeny("covered");
    if (target_covered) {
      AddDefaultDeny("target");
    }
    auto started = std::make_unique<TestServer>(WithCluster(FaultRules(), more));
    if (!Eventually([&] { return ReadyStatus(*started) == 200 && api_.OpenWatches() == 4; })) {
      ADD_FAILURE() << "the server did not become ready";
      return nullptr;
    }
    return started;
  }

  // Requests to `path` so far: watches (with ?watch=1) or the rest.
  int RequestsTo(const std::string& path, bool watches) const {
    const auto requests = api_.Requests();
    return static_cast<int>(std::count_if(requests.begin(), requests.end(), [&](const auto& r) {
      return r.target.starts_with(path + "?") &&
             (r.target.find("watch=1") != std::string::npos) == watches;
    }));
  }

  // Begins the phase `phase` by dropping every watch; the NetworkPolicy watch's return is held
  // 600 ms, and has begun when this returns (a test failure if it does not come).
  int DropWatchesAndHoldTheirReturn(Load& load, const std::string& phase) {
    FakeApiServer::Fault slow_return;
    slow_return.path = kPolicyPath;
    slow_return.watch_only = true;
    slow_return.delay = 600ms;
    api_.AddFault(slow_return);
    const int watches_before = RequestsTo(kPolicyPath, true);
    const int number = load.Phase(phase);
    api_.DropWatches();
    EXPECT_TRUE(Eventually([&] { return RequestsTo(kPolicyPath, true) > watches_before; }));
    return number;
  }

  // Waits until the cache holds the NetworkPolicies of each namespace as the test API server does,
  // then begins the phase "recovered" and lets the load run on: where a namespace has its
  // policies back, its answers come from the cache alone, with no fresh read.
  void Recover(Load& load, TestServer& server,
               const std::map<std::string, std::set<std::string>>& policies) {
    for (const auto& [namespace_name, names] : policies) {
      ASSERT_TRUE(CacheHolds(server, namespace_name, names)) << namespace_name;
    }
    load.Phase("recovered");
    ASSERT_TRUE(load.Settle());
    auto fresh_reads = [&] {
      int reads = 0;
      for (const auto& [namespace_name, names] : policies) {
        reads += names.empty() ? 0 : FreshReads(namespace_name);
      }
      return reads;
    };
    const int before = fresh_reads();
    ASSERT_TRUE(load.WaitForAnswers(60));
    load.Stop();
    EXPECT_EQ(fresh_reads(), before);
  }

  // True once the server's cluster view holds exactly the NetworkPolicies `names` in
  // `namespace_name`, as the test API server does (within 5 s).
  static bool CacheHolds(TestServer& server, const std::string& namespace_name,
                         const std::set<std::string>& names) {
    return Eventually(
        [&] {
          std::set<std::string> cached;
          for (const auto& policy : server.server().cluster().view()->Policies(namespace_name)) {
            cached.insert(policy->name);
          }
          return cached == names;
        },
        5s);
  }
};

// The watches are cut mid-stream; the NetworkPolicy watch comes back only after a while, during
// which "target" gets its default-deny. The reconnected watch replays it from the last version
// the cache saw.
TEST_F(ServerFaultsTest, DroppedWatchReconnectsAndReplaysWhatChangedMeanwhile) {
  auto server = Start(false);
  ASSERT_TRUE(server);
  Load load(*server, DefaultDenyLoad());
  ASSERT_TRUE(load.WaitForAnswers(30));

  const int dropped = DropWatchesAndHoldTheirReturn(load, "dropped");
  ASSERT_TRUE(server->server().cluster().view()->Policies("target").empty());
  AddDefaultDeny("target");
  const int added = load.Phase("added");
  Recover(load, *server, {{"target", {"default-deny"}}, {"covered", {"default-deny"}}});

  const auto tally = load.Tally();
  Report("watch dropped", load, tally);
  ExpectAnswers(tally, {{"before", WithUnaffected({"target: denied [default-deny]"})},
                        {"dropped", WithUnaffected({"target: denied [default-deny]"})},
                        // The fresh read sees the new policy before the watch brings it.
                        {"added", WithUnaffected({"target: allowed"})},
                        {"recovered", WithUnaffected({"target: allowed"})}});
  EXPECT_GT(load.AnsweredIn(dropped) + load.AnsweredIn(added), 0);
  EXPECT_GT(CountOf(tally, "recovered", "target: allowed"), 0);
  EXPECT_GE(MetricValue(Metrics(*server),
                        R"(netadmit_cluster_watch_restarts_total{kind="networkpolicies"})"),
            1);
}

// The NetworkPolicy watch comes back to a compacted history (410 Gone): the policy deleted in the
// gap can only be learnt by listing again, and the cache must not keep it.
TEST_F(ServerFaultsTest, ExpiredWatchRelistsAndForgetsWhatWasDeletedMeanwhile) {
  auto server = Start(true);
  ASSERT_TRUE(server);
  Load load(*server, DefaultDenyLoad());
  ASSERT_TRUE(load.WaitForAnswers(30));
  const int relists_before = RequestsTo(kPolicyPath, false);

  const int gap = DropWatchesAndHoldTheirReturn(load, "gap");
  api_.Delete(FakeApiServer::NetworkPolicies(), "target", "default-deny");
  api_.Compact();
  Recover(load, *server, {{"target", {}}, {"covered", {"default-deny"}}});
  EXPECT_GT(RequestsTo(kPolicyPath, false), relists_before);
  EXPECT_GE(
      MetricValue(Metrics(*server), R"(netadmit_cluster_relists_total{kind="networkpolicies"})"),
      1);

  const auto tally = load.Tally();
  Report("watch expired (410)", load, tally);
  ExpectAnswers(
      tally,
      {{"before", WithUnaffected({"target: allowed"})},
       // The cache's answer (allowed) until the relist; a denial once it has forgotten the policy.
       {"gap", WithUnaffected({"target: allowed", "target: denied [default-deny]"})},
       {"recovered", WithUnaffected({"target: denied [default-deny]"})}});
  EXPECT_GT(load.AnsweredIn(gap), 0);
  EXPECT_GT(CountOf(tally, "gap", "target: allowed"), 0);
  EXPECT_GT(CountOf(tally, "recovered", "target: denied [default-deny]"), 0);
}

// The API server fails every request with `status` for a while: the watches fail and retry, the
// NetworkPolicy LIST after a 410 fails and retries, the fresh reads fail. Meanwhile "target" gets
// its default-deny, which only the LIST can bring once the outage ends.
class ServerApiErrorTest : public ServerFaultsTest {
 protected:
  // `reason`: how a denial names the failed fresh read.
  void RunOutage(const std::string& fault_name, int status, std::string_view body,
                 int retry_after_seconds, const std::string& reason) {
    auto server = Start(false);
    ASSERT_TRUE(server);
    Load load(*server, DefaultDenyLoad());
    ASSERT_TRUE(load.WaitForAnswers(30));

    FakeApiServer::Fault failing;
    failing.every_path = true;
    failing.repeat = true;
    failing.status = status;
    failing.body = std::string(body);
    failing.retry_after_seconds = retry_after_seconds;
    // The NetworkPolicy watch comes back to a 410 and must list again, so that its LIST fails
    // too; the other watches fail as they come back.
    FakeApiServer::Fault expired;
    expired.path = kPolicyPath;
    expired.watch_only = true;
    expired.status = 410;
    expired.body = kStatus410;
    api_.AddFault(expired);
    api_.AddFault(failing);
    const int outage = load.Phase("outage");
    const std::string namespaces_path = FakeApiServer::Namespaces().path;
    const int lists_before = RequestsTo(kPolicyPath, false);
    const int watches_before = RequestsTo(namespaces_path, true);
    api_.DropWatches();
    AddDefaultDeny("target");
    // The LIST and the watches have been tried a few times, and answers kept coming meanwhile.
    ASSERT_TRUE(Eventually([&] {
      return RequestsTo(kPolicyPath, false) >= lists_before + 3 &&
             RequestsTo(namespaces_path, true) >= watches_before + 3;
    }));
    ASSERT_TRUE(load.WaitForAnswers(kAnswersInAFault));
    EXPECT_EQ(ReadyStatus(*server), 200u);
    EXPECT_TRUE(server->server().cluster().view()->Policies("target").empty());
    EXPECT_EQ(Validate(*server, PodCreate("target", "web")).message,
              MissingDefaultDeny("target") + "\n(" + UnconfirmedNote("target") + reason + "))");

    api_.ClearFaults();
    load.Phase("recovering");
    Recover(load, *server, {{"target", {"default-deny"}}, {"covered", {"default-deny"}}});

    const auto tally = load.Tally();
    Report(fault_name, load, tally);
    ExpectAnswers(tally, {{"before", WithUnaffected({"target: denied [default-deny]"})},
                          {"outage", WithUnaffected({"target: denied [default-deny] unconfirmed"})},
                          // The fresh read works again and finds the policy the watch has yet to
                          // bring.
                          {"recovering", WithUnaffected({"target: allowed"})},
                          {"recovered", WithUnaffected({"target: allowed"})}});
    EXPECT_GT(CountOf(tally, "outage", "covered: allowed"), 0);
    EXPECT_GT(CountOf(tally, "outage", "target: denied [default-deny] unconfirmed"), 0);
    EXPECT_GT(load.AnsweredIn(outage), 0);
  }
};

TEST_F(ServerApiErrorTest, InternalErrorsForAWhileThenRecovery) {
  RunOutage("API server answers 500", 500, kStatus500, 0,
            "HTTP 500: etcdserver: request timed out");
}

TEST_F(ServerApiErrorTest, TooManyRequestsForAWhileThenRecovery) {
  RunOutage("API server answers 429 with Retry-After: 1", 429, kStatus429, 1,
            "HTTP 429: Too many requests, please try again later.");
}

// Probes as the kubelet sends them, /readyz and /healthz in turn on a keep-alive connection,
// with how long each took.
class Prober {
 public:
  explicit Prober(const TestServer& server)
      : thread_([this, &server] {
          std::unique_ptr<HttpsClient> connection;
          for (int turn = 0; !stopping_; ++turn) {
            const char* path = turn % 2 == 0 ? "/readyz" : "/healthz";
            const auto started = Clock::now();
            if (!connection) {
              connection = std::make_unique<HttpsClient>(server.port(), server.Client());
              if (connection->Connect()) {
                connection.reset();
              }
            }
            const Reply reply = connection ? connection->Get(path) : Reply{};
            const std::string outcome =
                !connection || reply.ec ? "failed" : std::to_string(reply.response.result_int());
            if (!connection || reply.ec) {
              connection.reset();
            }
            {
              std::lock_guard lock(mutex_);
              ++outcomes_[std::string(path) + " " + outcome];
              slowest_ = std::max(slowest_, Clock::now() - started);
            }
            std::this_thread::sleep_for(20ms);
          }
        }) {}
  ~Prober() { Stop(); }

  void Stop() {
    stopping_ = true;
    if (thread_.joinable()) {
      thread_.join();
    }
  }
  std::map<std::string, int> outcomes() const {
    std::lock_guard lock(mutex_);
    return outcomes_;
  }
  Clock::duration slowest() const {
    std::lock_guard lock(mutex_);
    return slowest_;
  }

 private:
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::map<std::string, int> outcomes_;
  Clock::duration slowest_{};
  std::thread thread_;  // last: starts once the rest is built
};

long long Milliseconds(Clock::duration duration) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(duration).count();
}

// The API server answers slowly: the NetworkPolicy watch and LIST take 400 ms each (its history is
// compacted, so that it must list again), the fresh read of "target" never comes within the
// fresh-read timeout. Answers that wait on the fresh read come at the timeout, the others at
// once; probes are answered throughout. Two clients send only the pod in "target", the others
// only what the API server has no part in.
TEST_F(ServerFaultsTest, SlowApiServerDelaysOnlyWhatWaitsOnItAndProbesStayAnswered) {
  constexpr auto kFreshReadTimeout = 500ms;
  auto server = Start(false, [&](server::ServerOptions& options) {
    options.fresh_read_timeout = kFreshReadTimeout;
  });
  ASSERT_TRUE(server);
  auto requests = DefaultDenyLoad();
  requests.push_back(requests.back());
  Load load(*server, std::move(requests), Sharing::kPinned);
  ASSERT_TRUE(load.WaitForAnswers(30));

  FakeApiServer::Fault slow_policies;
  slow_policies.path = kPolicyPath;
  slow_policies.repeat = true;
  slow_policies.delay = 400ms;
  api_.AddFault(slow_policies);
  FakeApiServer::Fault hanging_read;
  hanging_read.path = FreshReadPath("target");
  hanging_read.list_only = true;
  hanging_read.repeat = true;
  hanging_read.delay = 3s;
  api_.AddFault(hanging_read);
  Prober prober(*server);
  const int slow = load.Phase("slow");
  const int lists_before = RequestsTo(kPolicyPath, false);
  api_.DropWatches();
  // A change, then its history compacted: the NetworkPolicy watch comes back from an older
  // version to a 410, and its LIST is slow too.
  AddNamespace("elsewhere");
  api_.Compact();
  ASSERT_TRUE(load.WaitForAnswers(4, "target"));
  EXPECT_EQ(Validate(*server, PodCreate("target", "web")).message,
            MissingDefaultDeny("target") + "\n(" + UnconfirmedNote("target") +
                "no answer within 500 ms))");
  AddDefaultDeny("target");
  load.Phase("added");
  ASSERT_TRUE(CacheHolds(*server, "target", {"default-deny"}));
  EXPECT_GT(RequestsTo(kPolicyPath, false), lists_before);
  api_.ClearFaults();
  Recover(load, *server, {{"target", {"default-deny"}}, {"covered", {"default-deny"}}});
  prober.Stop();

  const auto tally = load.Tally();
  Report("API server slow (watch and LIST 400 ms, fresh read 3 s, timeout 500 ms)", load, tally);
  std::printf("[ faults   ] slowest: target %lld ms, covered %lld ms, probe %lld ms\n",
              Milliseconds(load.Slowest("target")), Milliseconds(load.Slowest("covered")),
              Milliseconds(prober.slowest()));
  ExpectAnswers(
      tally,
      {{"before", WithUnaffected({"target: denied [default-deny]"})},
       {"slow", WithUnaffected({"target: denied [default-deny] unconfirmed"})},
       {"added", WithUnaffected({"target: denied [default-deny] unconfirmed", "target: allowed"})},
       {"recovered", WithUnaffected({"target: allowed"})}});
  EXPECT_GT(CountOf(tally, "slow", "target: denied [default-deny] unconfirmed"), 0);
  EXPECT_GT(CountOf(tally, "slow", "covered: allowed"), 0);
  // A waiting answer comes at the timeout, with room for a loaded machine; the API server's own
  // deadline for the webhook is 10 s.
  EXPECT_GE(load.Slowest("target", slow), kFreshReadTimeout);
  EXPECT_LT(load.Slowest("target", slow), kFreshReadTimeout + 1500ms);
  EXPECT_LT(load.Slowest("covered", slow), 1s);
  EXPECT_LT(load.Slowest("target"), kFreshReadTimeout + 1500ms);
  EXPECT_LT(load.Slowest("covered"), 1s);
  EXPECT_LT(load.Slowest("host"), 1s);
  // The kubelet's probes time out after 1 s.
  const auto probes = prober.outcomes();
  for (const auto& [outcome, count] : probes) {
    EXPECT_TRUE(outcome == "/readyz 200" || outcome == "/healthz 200") << count << " " << outcome;
  }
  EXPECT_GT(probes.count("/readyz 200"), 0u);
  EXPECT_LT(prober.slowest(), 1s);
}

// Every request to the API server is dropped (connection closed, no answer): the watches retry,
// every fresh read fails. With --api-unreachable deny (`allow` false) a denial that needs
// confirming stands and says so; with allow it is admitted with a warning, except where another
// rule denies on the request alone. Requests not needing the API server are unaffected. Meanwhile
// one policy changes; after the outage the cache has it.
class ServerUnreachableTest : public ServerFaultsTest {
 protected:
  std::vector<LoadRequest> Requests() {
    auto requests = DefaultDenyLoad();
    requests.push_back({"target-host", PodCreate("target", "agent", true)});
    return requests;
  }

  // Drops every request from now on, and the open watches; returns the phase of the outage.
  int BeginOutage(Load& load) {
    FakeApiServer::Fault unreachable;
    unreachable.every_path = true;
    unreachable.repeat = true;
    unreachable.drop = true;
    api_.AddFault(unreachable);
    watches_before_ = RequestsTo(kPolicyPath, true);
    const int outage = load.Phase("outage");
    api_.DropWatches();
    return outage;
  }

  // Lets the outage last until the watch has tried to come back a few times and answers have
  // kept coming, then ends it.
  void EndOutage(Load& load, TestServer& server) {
    ASSERT_TRUE(Eventually([&] { return RequestsTo(kPolicyPath, true) >= watches_before_ + 3; }));
    ASSERT_TRUE(load.WaitForAnswers(kAnswersInAFault));
    EXPECT_EQ(ReadyStatus(server), 200u);
    api_.ClearFaults();
    load.Phase("recovering");
  }

  int watches_before_ = 0;
};

TEST_F(ServerUnreachableTest, DenialsThatNeedConfirmingStandAndSaySo) {
  auto server = Start(false);
  ASSERT_TRUE(server);
  Load load(*server, Requests());
  ASSERT_TRUE(load.WaitForAnswers(30));
  const int outage = BeginOutage(load);
  AddDefaultDeny("target");
  const Answer unconfirmed = Validate(*server, PodCreate("target", "web"));
  EXPECT_TRUE(unconfirmed.message.starts_with(MissingDefaultDeny("target") + "\n(" +
                                              UnconfirmedNote("target")))
      << unconfirmed.message;
  EndOutage(load, *server);
  Recover(load, *server, {{"target", {"default-deny"}}, {"covered", {"default-deny"}}});

  const auto tally = load.Tally();
  Report("API server unreachable, --api-unreachable deny", load, tally);
  ExpectAnswers(
      tally,
      {{"before", WithUnaffected({"target: denied [default-deny]",
                                  "target-host: denied [default-deny] "
                                  "[no-host-network]"})},
       {"outage", WithUnaffected({"target: denied [default-deny] unconfirmed",
                                  "target-host: denied [default-deny] "
                                  "[no-host-network] unconfirmed"})},
       {"recovering", WithUnaffected({"target: allowed", "target-host: denied [no-host-network]"})},
       {"recovered",
        WithUnaffected({"target: allowed", "target-host: denied [no-host-network]"})}});
  EXPECT_GT(CountOf(tally, "outage", "target: denied [default-deny] unconfirmed"), 0);
  EXPECT_GT(CountOf(tally, "outage", "covered: allowed"), 0);
  EXPECT_GT(CountOf(tally, "outage", "host: denied [no-host-network]"), 0);
  EXPECT_GT(load.AnsweredIn(outage), 0);
  EXPECT_GT(CountOf(tally, "recovered", "target: allowed"), 0);
}

TEST_F(ServerUnreachableTest, AllowAdmitsUnconfirmedDenialsWithAWarning) {
  auto server =
      Start(false, [](server::ServerOptions& options) { options.allow_unconfirmed = true; });
  ASSERT_TRUE(server);
  Load load(*server, Requests());
  ASSERT_TRUE(load.WaitForAnswers(30));
  const int outage = BeginOutage(load);
  // The cache still has it until the watch is back: "covered" stays covered meanwhile.
  api_.Delete(FakeApiServer::NetworkPolicies(), "covered", "default-deny");
  const Answer admitted = Validate(*server, PodCreate("target", "web"));
  EXPECT_TRUE(admitted.allowed);
  ASSERT_EQ(admitted.warnings.size(), 1u);
  EXPECT_LE(admitted.warnings[0].size(), 256u);
  EndOutage(load, *server);
  Recover(load, *server, {{"covered", {}}, {"target", {}}});

  const auto tally = load.Tally();
  Report("API server unreachable, --api-unreachable allow", load, tally);
  ExpectAnswers(
      tally,
      {{"before",
        {"covered: allowed", "host: denied [no-host-network]", "target: denied [default-deny]",
         "target-host: denied [default-deny] [no-host-network]"}},
       {"outage",
        {"covered: allowed", "host: denied [no-host-network]", "target: admitted unconfirmed",
         "target-host: denied [default-deny] [no-host-network] unconfirmed"}},
       // The fresh reads work again; the cache may not have caught up yet.
       {"recovering",
        {"covered: allowed", "covered: denied [default-deny]", "host: denied [no-host-network]",
         "host: denied [default-deny] [no-host-network]", "target: denied [default-deny]",
         "target-host: denied [default-deny] [no-host-network]"}},
       {"recovered",
        {"covered: denied [default-deny]", "host: denied [default-deny] [no-host-network]",
         "target: denied [default-deny]",
         "target-host: denied [default-deny] [no-host-network]"}}});
  EXPECT_GT(CountOf(tally, "outage", "target: admitted unconfirmed"), 0);
  EXPECT_GT(CountOf(tally, "outage", "covered: allowed"), 0);
  EXPECT_GT(load.AnsweredIn(outage), 0);
  EXPECT_GT(CountOf(tally, "recovered", "covered: denied [default-deny]"), 0);
}

// Two rule sets that differ in two rules at once: an answer from a half-loaded one would name one
// of a pair and not the other.
std::string PairRules(const std::string& prefix) {
  return "apiVersion: netadmit.io/v1alpha1\nkind: RuleSet\nmetadata: {name: pair}\nspec:\n"
         "  rules:\n"
         "    - {id: " +
         prefix +
         "-host, kind: NoHostNetwork, action: deny}\n"
         "    - {id: " +
         prefix +
         "-labels, kind: RequirePodLabels, action: deny, "
         "params: {keys: [team]}}\n";
}

// The first rule loads, the second does not (an unknown kind).
constexpr std::string_view kHalfBrokenRules = R"(apiVersion: netadmit.io/v1alpha1
kind: RuleSet
metadata: {name: pair}
spec:
  rules:
    - {id: c-host, kind: NoHostNetwork, action: deny}
    - {id: c-labels, kind: RequirePodLabelz, action: deny}
)";

// The rule set in force, as the pod with host networking and no team label shows it: "a", "b",
// or what else it says.
std::string RulesInForce(const TestServer& server) {
  const Answer answer = Validate(server, PodCreate("apps", "probe", true));
  const std::string ids = RuleIds({answer.message});
  if (ids == "[a-host] [a-labels]") {
    return "a";
  }
  if (ids == "[b-host] [b-labels]") {
    return "b";
  }
  return ids;
}

TEST_F(ServerFaultsTest, InvalidRuleSetConfigMapKeepsTheLastGoodRulesAndNoneHalfLoaded) {
  const auto config_maps = FakeApiServer::ConfigMaps(std::string(kOwnNamespace));
  api_.Add(config_maps, ConfigMapItem("rules", "pair.yaml", PairRules("a")));
  AddNamespace("apps");
  TestServer server(
      WithCluster("", [](server::ServerOptions& options) { options.rules_configmaps = true; }));
  ASSERT_TRUE(Eventually([&] { return ReadyStatus(server) == 200; }, 10s));
  ASSERT_EQ(RulesInForce(server), "a");
  Load load(server, {{"agent", PodCreate("apps", "agent", true)},
                     {"policy-delete", PolicyChange("DELETE", "apps", "old", kAllowDnsSpec)}});
  ASSERT_TRUE(load.WaitForAnswers(30));

  api_.Modify(config_maps, ConfigMapItem("rules", "pair.yaml", std::string(kHalfBrokenRules)));
  const int broken = load.Phase("broken");
  ASSERT_TRUE(Eventually(
      [&] { return MetricValue(Metrics(server), "netadmit_ruleset_load_errors_total") == 1; }));
  ASSERT_TRUE(load.WaitForAnswers(kAnswersInAFault));
  EXPECT_EQ(ReadyStatus(server), 200u);

  api_.Modify(config_maps, ConfigMapItem("rules", "pair.yaml", PairRules("b")));
  load.Phase("changing");
  ASSERT_TRUE(Eventually([&] { return RulesInForce(server) == "b"; }));
  load.Phase("b");
  ASSERT_TRUE(load.WaitForAnswers(30));
  // Swaps back and forth while the clients keep asking.
  load.Phase("flipping");
  for (int flip = 0; flip < 3; ++flip) {
    api_.Modify(config_maps, ConfigMapItem("rules", "pair.yaml", PairRules("a")));
    ASSERT_TRUE(Eventually([&] { return RulesInForce(server) == "a"; }));
    api_.Modify(config_maps, ConfigMapItem("rules", "pair.yaml", PairRules("b")));
    ASSERT_TRUE(Eventually([&] { return RulesInForce(server) == "b"; }));
  }
  load.Phase("final");
  ASSERT_TRUE(load.WaitForAnswers(30));
  load.Stop();
  EXPECT_EQ(MetricValue(Metrics(server), "netadmit_ruleset_load_errors_total"), 1);

  const auto tally = load.Tally();
  Report("rule-set ConfigMap invalid, then changed", load, tally);
  const std::string rules_a = "agent: denied [a-host] [a-labels]";
  const std::string rules_b = "agent: denied [b-host] [b-labels]";
  const std::string unaffected = "policy-delete: allowed";
  ExpectAnswers(tally, {{"before", {rules_a, unaffected}},
                        {"broken", {rules_a, unaffected}},
                        {"changing", {rules_a, rules_b, unaffected}},
                        {"b", {rules_b, unaffected}},
                        {"flipping", {rules_a, rules_b, unaffected}},
                        {"final", {rules_b, unaffected}}});
  EXPECT_GT(load.AnsweredIn(broken), 0);
  EXPECT_GT(CountOf(tally, "broken", rules_a), 0);
  EXPECT_GT(CountOf(tally, "flipping", rules_a), 0);
  EXPECT_GT(CountOf(tally, "flipping", rules_b), 0);
}

uint64_t SerialNumber(const std::string& hex) { return std::stoull(hex, nullptr, 16); }

// One connection after another, each with a handshake and a probe, with the serial it saw.
class Connector {
 public:
  explicit Connector(const TestServer& server)
      : thread_([this, &server] {
          while (!stopping_) {
            HttpsClient client(server.port(), server.Client());
            std::string failure;
            std::string serial;
            if (const auto ec = client.Connect()) {
              failure = "handshake: " + ec.message();
            } else {
              serial = client.PeerSerial();
              const Reply reply = client.Get("/healthz");
              if (reply.ec || reply.response.result_int() != 200) {
                failure = "request: " + (reply.ec ? reply.ec.message()
                                                  : std::to_string(reply.response.result_int()));
              }
            }
            std::lock_guard lock(mutex_);
            if (!failure.empty()) {
              failures_.push_back(failure);
            }
            if (!serial.empty()) {
              serials_.push_back(serial);
            }
          }
        }) {}
  ~Connector() { Stop(); }

  void Stop() {
    stopping_ = true;
    if (thread_.joinable()) {
      thread_.join();
    }
  }
  bool Saw(const std::string& serial) const {
    std::lock_guard lock(mutex_);
    return std::find(serials_.begin(), serials_.end(), serial) != serials_.end();
  }
  std::vector<std::string> serials() const {
    std::lock_guard lock(mutex_);
    return serials_;
  }
  std::vector<std::string> failures() const {
    std::lock_guard lock(mutex_);
    return failures_;
  }

 private:
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::vector<std::string> serials_;  // in the order the connections were made
  std::vector<std::string> failures_;
  std::thread thread_;  // last: starts once the rest is built
};

ReviewRequest OpenIngressPolicyCreate() {
  ReviewRequest review = PolicyChange("CREATE", "apps", "open", kAllowDnsSpec);
  review.old_object = "null";
  review.object = PolicyObject("apps", "open", R"({"podSelector":{},"ingress":[{}]})");
  return review;
}

// The certificate is reissued five times while the clients keep their connections busy and new
// connections open one after another: no handshake and no request fails, and new connections
// get each new certificate, never an older one after a newer.
TEST(ServerCertificateFaultsTest, RotationUnderLoadFailsNoHandshakeAndNoRequest) {
  TestServer server(TestServer::Config{std::string(kTestRules), [](server::ServerOptions& options) {
                                         options.reload_interval = 20ms;
                                       }});
  Load load(server, {{"pod", PodCreate("apps", "web")}, {"policy", OpenIngressPolicyCreate()}});
  Connector connector(server);
  ASSERT_TRUE(load.WaitForAnswers(30));
  const int rotating = load.Phase("rotating");
  std::vector<std::string> issued{server.serial()};
  for (int64_t serial = 200; serial < 205; ++serial) {
    issued.push_back(server.Reissue(serial));
    ASSERT_TRUE(Eventually([&] { return connector.Saw(issued.back()); }))
        << "no new connection got serial " << issued.back();
    ASSERT_TRUE(load.WaitForAnswers(20));
  }
  ASSERT_TRUE(load.WaitForAnswers(30));
  load.Stop();
  connector.Stop();

  const auto tally = load.Tally();
  Report("certificate reissued 5 times", load, tally);
  const auto serials = connector.serials();
  const std::string metrics = Metrics(server);
  std::printf("[ faults   ] %zu new connections, certificate loads %g\n", serials.size(),
              MetricValue(metrics, "netadmit_certificate_loads_total"));
  // Key and certificate change together (one swap of the ..data link): no reload may catch a
  // mismatched pair. The counter is absent until its first increment.
  EXPECT_LE(MetricValue(metrics, "netadmit_certificate_load_errors_total"), 0);
  EXPECT_GE(MetricValue(metrics, "netadmit_certificate_loads_total"), 6);
  const std::set<std::string> decisions = {"pod: warned [require-pod-labels]",
                                           "policy: denied [no-open-ingress]"};
  ExpectAnswers(tally, {{"before", decisions}, {"rotating", decisions}});
  EXPECT_GT(load.AnsweredIn(rotating), 0);
  EXPECT_TRUE(connector.failures().empty()) << ::testing::PrintToString(connector.failures());
  for (std::size_t i = 1; i < serials.size(); ++i) {
    EXPECT_LE(SerialNumber(serials[i - 1]), SerialNumber(serials[i]))
        << "connection " << i << " got " << serials[i] << " after " << serials[i - 1];
  }
  for (const auto& serial : issued) {
    EXPECT_NE(std::find(serials.begin(), serials.end(), serial), serials.end()) << serial;
  }
}

}  // namespace
}  // namespace netadmit::testing
