// The list/watch protocol without a network: request targets, LIST pages and watch events of
// the recorded v1.28 server, Status bodies, line splitting across chunks, backoff, kubeconfig,
// in-cluster configuration and token rotation.

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "kube/config.h"
#include "kube/protocol.h"
#include "tests/support/fake_apiserver.h"
#include "tests/support/test_certs.h"

namespace netadmit::kube {
namespace {

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(NETADMIT_FIXTURES_DIR) + "/apiserver-v1.28-watch/" + name,
                   std::ios::binary);
  EXPECT_TRUE(in) << name;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Removes HTTP/1.1 chunk framing.
std::string Dechunk(std::string_view raw) {
  std::string out;
  for (;;) {
    const auto line_end = raw.find("\r\n");
    if (line_end == std::string_view::npos) {
      return out;  // a stream cut by the client has no final chunk
    }
    const std::size_t size = std::stoul(std::string(raw.substr(0, line_end)), nullptr, 16);
    if (size == 0) {
      return out;
    }
    out.append(raw.substr(line_end + 2, size));
    raw.remove_prefix(line_end + 2 + size + 2);
  }
}

TEST(KubeProtocolTest, TargetsAsTheRecordedRequests) {
  const Resource policies{ClusterKind::kNetworkPolicy, "", ""};
  EXPECT_EQ(ListTarget(policies, 0, ""), "/apis/networking.k8s.io/v1/networkpolicies");
  EXPECT_EQ(ListTarget(policies, 2, "eyJ2Ijo"),
            "/apis/networking.k8s.io/v1/networkpolicies"
            "?limit=2&continue=eyJ2Ijo");
  EXPECT_EQ(WatchTarget(policies, "214", 0),
            "/apis/networking.k8s.io/v1/networkpolicies?watch=1&resourceVersion=214"
            "&allowWatchBookmarks=true");
  const Resource maps{ClusterKind::kConfigMap, "netadmit-system", "netadmit.io/rule-set=true"};
  EXPECT_EQ(
      ListTarget(maps, 0, ""),
      "/api/v1/namespaces/netadmit-system/configmaps?labelSelector=netadmit.io%2Frule-set%3Dtrue");
  EXPECT_EQ(WatchTarget(maps, "215", 10),
            "/api/v1/namespaces/netadmit-system/configmaps?labelSelector=netadmit.io%2Frule-set%3D"
            "true&watch=1&resourceVersion=215&allowWatchBookmarks=true&timeoutSeconds=10");
  EXPECT_EQ(ListTarget(Resource{ClusterKind::kPod, "", ""}, 500, ""), "/api/v1/pods?limit=500");
  EXPECT_EQ(ListTarget(Resource{ClusterKind::kNamespace, "", ""}, 0, ""), "/api/v1/namespaces");
  EXPECT_EQ(NamespacedListTarget(ClusterKind::kNetworkPolicy, "shop"),
            "/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies");
}

TEST(KubeProtocolTest, PaginatedListPagesGiveTheWholeList) {
  std::vector<std::string> names;
  std::string rv;
  std::vector<std::string> tokens;
  for (const char* page_file :
       {"01-netpol-list-limit2-page1.body", "01-netpol-list-limit2-page2.body",
        "01-netpol-list-limit2-page3.body"}) {
    auto page = ParseListPage(ClusterKind::kNetworkPolicy, Fixture(page_file));
    ASSERT_TRUE(page.ok()) << page.error().ToString();
    EXPECT_EQ(page->resource_version, "214");
    tokens.push_back(page->continue_token);
    for (const auto& item : page->items) {
      names.push_back(item.namespace_name() + "/" + item.name());
    }
  }
  EXPECT_EQ(tokens[0].substr(0, 3), "eyJ");
  EXPECT_FALSE(tokens[1].empty());
  EXPECT_TRUE(tokens[2].empty());
  auto whole = ParseListPage(ClusterKind::kNetworkPolicy, Fixture("01-netpol-list-all.body"));
  ASSERT_TRUE(whole.ok());
  std::vector<std::string> all;
  for (const auto& item : whole->items) {
    all.push_back(item.namespace_name() + "/" + item.name());
  }
  EXPECT_EQ(names, all);
  EXPECT_EQ(all.size(), 5u);
  // The pretty-printed variant decodes to the same list.
  auto pretty =
      ParseListPage(ClusterKind::kNetworkPolicy, Fixture("01-netpol-list-all-curl-ua-pretty.body"));
  ASSERT_TRUE(pretty.ok());
  EXPECT_EQ(pretty->items.size(), 5u);
}

TEST(KubeProtocolTest, ListErrorsAreValues) {
  const std::pair<const char*, const char*> cases[] = {
      {"", ""},
      {"[]", ""},
      {R"({"metadata":{}})", "metadata.resourceVersion"},
      {R"({"metadata":{"resourceVersion":"1","continue":5}})", "metadata.continue"},
      {R"({"metadata":{"resourceVersion":"1"},"items":{}})", "items"},
      {R"({"metadata":{"resourceVersion":"1"},"items":[{"metadata":{"name":2}}]})",
       "items[0].metadata.name"},
  };
  for (const auto& [body, path] : cases) {
    auto page = ParseListPage(ClusterKind::kPod, body);
    ASSERT_FALSE(page.ok()) << body;
    EXPECT_EQ(page.error().path, path) << body;
  }
  auto status = ParseListPage(ClusterKind::kNetworkPolicy,
                              Fixture("05b-netpol-list-rv-exact-compacted-410.body"));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message,
            "Status 410: The resourceVersion for the provided list is too old.");
}

TEST(KubeProtocolTest, StatusBodiesOfTheRecordedErrors) {
  struct Case {
    const char* file;
    int code;
    const char* reason;
  };
  const Case cases[] = {
      {"06-unauthorized-401-bad-token.body", 401, "Unauthorized"},
      {"06-forbidden-403-watch-netpol.body", 403, "Forbidden"},
      {"07-netpol-get-404.body", 404, "NotFound"},
      {"05c-netpol-list-continue-expired-410.body", 410, "Expired"},
  };
  for (const auto& c : cases) {
    auto status = ParseStatus(Fixture(c.file));
    ASSERT_TRUE(status.has_value()) << c.file;
    EXPECT_EQ(status->code, c.code) << c.file;
    EXPECT_EQ(status->reason, c.reason) << c.file;
    EXPECT_FALSE(status->message.empty());
  }
  EXPECT_FALSE(ParseStatus(Fixture("07-netpol-get.body")).has_value());
  EXPECT_FALSE(ParseStatus("not json").has_value());
}

std::vector<WatchEvent> EventsOf(ClusterKind kind, const std::string& body,
                                 std::size_t piece_size) {
  std::vector<WatchEvent> events;
  LineSplitter splitter;
  for (std::size_t offset = 0; offset < body.size(); offset += piece_size) {
    EXPECT_TRUE(splitter.Feed(std::string_view(body).substr(offset, piece_size),
                              [&](std::string_view line) {
                                auto event = ParseWatchEvent(kind, line);
                                EXPECT_TRUE(event.ok()) << event.error().ToString();
                                if (event.ok()) {
                                  events.push_back(std::move(*event));
                                }
                              }));
  }
  EXPECT_EQ(splitter.pending(), 0u);
  return events;
}

TEST(KubeProtocolTest, RecordedWatchStreamEventsInOrder) {
  const auto events =
      EventsOf(ClusterKind::kNetworkPolicy, Fixture("04-netpol-watch.body"), 1 << 20);
  std::vector<std::string> seen;
  for (const auto& event : events) {
    static const std::map<WatchEventType, std::string> kNames = {
        {WatchEventType::kAdded, "ADDED"},
        {WatchEventType::kModified, "MODIFIED"},
        {WatchEventType::kDeleted, "DELETED"},
        {WatchEventType::kBookmark, "BOOKMARK"},
        {WatchEventType::kError, "ERROR"}};
    seen.push_back(kNames.at(event.type) + " " +
                   (event.object ? event.object->name() : std::string()) + "@" +
                   event.resource_version);
  }
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(events.back().type, WatchEventType::kBookmark);
  EXPECT_EQ(events.back().resource_version, "225");
  // DELETED carries the revision of the delete (224), not the last MODIFIED's.
  bool saw_delete_224 = false;
  for (const auto& line : seen) {
    saw_delete_224 = saw_delete_224 || (line.rfind("DELETED ", 0) == 0 && line.ends_with("@224"));
  }
  EXPECT_TRUE(saw_delete_224) << ::testing::PrintToString(seen);
}

TEST(KubeProtocolTest, ReplayBurstCutMidLineGivesTheSameEvents) {
  // 05a: the server's 2048-byte chunks cut events mid-line. Any cut must give the same events.
  const std::string body =
      Dechunk(Fixture("05a-netpol-watch-rv-compacted-but-in-watch-cache-wire.raw"));
  EXPECT_EQ(body, Fixture("05a-netpol-watch-rv-compacted-but-in-watch-cache.body"));
  const auto whole = EventsOf(ClusterKind::kNetworkPolicy, body, body.size());
  EXPECT_EQ(whole.size(), 9u);
  for (const std::size_t piece : {1u, 7u, 0x800u, 4096u}) {
    const auto cut = EventsOf(ClusterKind::kNetworkPolicy, body, piece);
    ASSERT_EQ(cut.size(), whole.size()) << piece;
    for (std::size_t i = 0; i < cut.size(); ++i) {
      EXPECT_EQ(cut[i].resource_version, whole[i].resource_version);
    }
  }
}

TEST(KubeProtocolTest, TooOldErrorEventsCarryStatus410) {
  for (const char* file : {"05e-netpol-watch-too-old-after-restart-410.body",
                           "05f-netpol-watch-too-old-no-watch-cache-410.body"}) {
    const auto events = EventsOf(ClusterKind::kNetworkPolicy, Fixture(file), 1 << 20);
    ASSERT_EQ(events.size(), 1u) << file;
    EXPECT_EQ(events[0].type, WatchEventType::kError);
    EXPECT_EQ(events[0].status.code, 410);
    EXPECT_EQ(events[0].status.reason, "Expired");
  }
}

TEST(KubeProtocolTest, ConfigMapWatchWithLabelRemovalIsADelete) {
  const auto events =
      EventsOf(ClusterKind::kConfigMap, Fixture("08-configmap-watch-labelselector.body"), 100);
  ASSERT_FALSE(events.empty());
  int deleted = 0;
  for (const auto& event : events) {
    deleted += event.type == WatchEventType::kDeleted ? 1 : 0;
    if (event.object) {
      EXPECT_EQ(event.object->namespace_name(), "netadmit-system");
    }
  }
  EXPECT_GE(deleted, 2);  // the label removed, then the ConfigMap deleted
}

TEST(KubeProtocolTest, MalformedWatchLinesAreErrors) {
  const std::pair<const char*, const char*> cases[] = {
      {"{", ""},
      {R"({"type":1,"object":{}})", "type"},
      {R"({"type":"ADDED"})", "object"},
      {R"({"type":"ADDED","object":[]})", "object"},
      {R"({"type":"SOMETHING","object":{}})", "type"},
      {R"({"type":"BOOKMARK","object":{"metadata":{}}})", "object.metadata.resourceVersion"},
      {R"({"type":"ADDED","object":{"metadata":{"name":"p","namespace":"a","labels":[]}}})",
       "object.metadata.labels"},
  };
  for (const auto& [line, path] : cases) {
    auto event = ParseWatchEvent(ClusterKind::kPod, line);
    ASSERT_FALSE(event.ok()) << line;
    EXPECT_EQ(event.error().path, path) << line;
  }
}

TEST(KubeProtocolTest, LineSplitterBoundsAPartialLine) {
  LineSplitter splitter(8);
  int lines = 0;
  EXPECT_TRUE(splitter.Feed("abc\n\n12345", [&](std::string_view) { ++lines; }));
  EXPECT_EQ(lines, 1);
  EXPECT_FALSE(splitter.Feed("67890", [&](std::string_view) { ++lines; }));
}

TEST(KubeProtocolTest, RetryAfterIsReadAsSecondsUpToTheCap) {
  using std::chrono::seconds;
  EXPECT_EQ(ParseRetryAfter("1"), seconds(1));
  EXPECT_EQ(ParseRetryAfter("0"), seconds(0));
  EXPECT_EQ(ParseRetryAfter("60"), seconds(60));
  // A server asking for more is obeyed only up to the cap, however large the number.
  EXPECT_EQ(ParseRetryAfter("61"), kMaxRetryAfter);
  EXPECT_EQ(ParseRetryAfter("86400"), kMaxRetryAfter);
  EXPECT_EQ(ParseRetryAfter("999999999"), kMaxRetryAfter);
}

TEST(KubeProtocolTest, MalformedRetryAfterCountsAsNone) {
  for (const char* value :
       {"", " ", " 5", "5 ", "-5", "+5", "1.5", "5s", "soon", "0x10", "4294967296",
        "99999999999999999999", "Wed, 21 Oct 2026 07:28:00 GMT"}) {
    EXPECT_EQ(ParseRetryAfter(value), std::chrono::seconds(0)) << '"' << value << '"';
  }
}

TEST(KubeProtocolTest, BackoffDoublesToTheCapWithInjectedJitter) {
  double next = 0.0;
  Backoff backoff(std::chrono::milliseconds(100), std::chrono::milliseconds(1000),
                  [&] { return next; });
  std::vector<int64_t> delays;
  for (int i = 0; i < 6; ++i) {
    delays.push_back(backoff.Next().count());
  }
  EXPECT_EQ(delays, (std::vector<int64_t>{50, 100, 200, 400, 500, 500}));
  next = 0.999999;
  EXPECT_EQ(backoff.Next().count(), 999);
  backoff.Reset();
  next = 0.5;
  EXPECT_EQ(backoff.Next().count(), 75);
}

TEST(KubeConfigTest, ServerUrls) {
  struct Case {
    const char* url;
    bool ok;
    const char* host;
    const char* port;
  };
  const Case cases[] = {
      {"https://10.0.0.1:6443", true, "10.0.0.1", "6443"},
      {"https://api.example.com", true, "api.example.com", "443"},
      {"https://[fd00::1]:6443/", true, "fd00::1", "6443"},
      {"http://10.0.0.1", false, "", ""},
      {"https://10.0.0.1:99999", false, "", ""},
      {"https://10.0.0.1/prefix", false, "", ""},
      {"https://:6443", false, "", ""},
  };
  for (const auto& c : cases) {
    ClusterConfig config;
    EXPECT_EQ(ParseServerUrl(c.url, config).ok(), c.ok) << c.url;
    if (c.ok) {
      EXPECT_EQ(config.host, c.host);
      EXPECT_EQ(config.port, c.port);
    }
  }
}

TEST(KubeConfigTest, Base64) {
  EXPECT_EQ(*DecodeBase64("aGVsbG8="), "hello");
  EXPECT_EQ(*DecodeBase64("aGVs\nbG8"), "hello");
  EXPECT_FALSE(DecodeBase64("a*b").ok());
  EXPECT_FALSE(DecodeBase64("aG=Vs").ok());
}

TEST(KubeConfigTest, KubeconfigWithInlineDataAndFiles) {
  testing::TempDir dir;
  dir.Write("ca.crt", "-----CA-----\n");
  dir.Write("token", "file-token\n");
  dir.Write("config", R"(apiVersion: v1
kind: Config
current-context: dev
contexts:
  - name: dev
    context: {cluster: c1, user: u1, namespace: netadmit-system}
  - name: other
    context: {cluster: c2, user: u2}
clusters:
  - name: c1
    cluster: {server: "https://127.0.0.1:6443", certificate-authority-data: LS0tLS1DQS0tLS0tCg==}
  - name: c2
    cluster: {server: "https://api:443", certificate-authority: ca.crt}
users:
  - name: u1
    user: {token: abc}
  - name: u2
    user: {tokenFile: token}
)");
  auto dev = LoadKubeconfig(dir.File("config"));
  ASSERT_TRUE(dev.ok()) << dev.error().ToString();
  EXPECT_EQ(dev->host, "127.0.0.1");
  EXPECT_EQ(dev->port, "6443");
  EXPECT_EQ(dev->ca_pem, "-----CA-----\n");
  EXPECT_EQ(dev->token, "abc");
  EXPECT_EQ(dev->namespace_name, "netadmit-system");
  auto other = LoadKubeconfig(dir.File("config"), "other");
  ASSERT_TRUE(other.ok()) << other.error().ToString();
  EXPECT_EQ(other->ca_pem, "-----CA-----\n");
  EXPECT_EQ(other->token_file, dir.File("token"));
  TokenSource tokens(*other);
  EXPECT_EQ(tokens.Token(), "file-token");
}

TEST(KubeConfigTest, KubeconfigErrorsNameTheField) {
  testing::TempDir dir;
  const std::pair<const char*, const char*> cases[] = {
      {"[1, 2", ""},  // YAML syntax: line and column
      {"- a\n", ""},
      {"current-context: x\n", "contexts"},
      {"current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n", "clusters"},
      {"current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
       "clusters: [{name: c, cluster: {server: 'http://a'}}]\n",
       "clusters[c].cluster.server"},
      {"current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
       "clusters: [{name: c, cluster: {server: 'https://a', certificate-authority-data: '*'}}]\n",
       "clusters[c].cluster.certificate-authority-data"},
      {"current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
       "clusters: [{name: c, cluster: {server: 'https://a', certificate-authority-data: YQ==}}]\n"
       "users: [{name: u, user: {}}]\n",
       "users[u].user"},
  };
  for (const auto& [text, path] : cases) {
    dir.Write("config", text);
    auto config = LoadKubeconfig(dir.File("config"));
    ASSERT_FALSE(config.ok()) << text;
    EXPECT_EQ(config.error().path, path) << text << ": " << config.error().ToString();
    EXPECT_EQ(config.error().file, dir.File("config"));
  }
  EXPECT_FALSE(LoadKubeconfig(dir.File("absent")).ok());
}

TEST(KubeConfigTest, InClusterConfiguration) {
  testing::TempDir dir;
  std::map<std::string, std::string> env;
  auto getenv = [&](const char* name) -> const char* {
    auto found = env.find(name);
    return found == env.end() ? nullptr : found->second.c_str();
  };
  EXPECT_FALSE(InClusterEnvironment(getenv));
  EXPECT_FALSE(InClusterConfig(getenv, dir.path()).ok());
  env["KUBERNETES_SERVICE_HOST"] = "10.96.0.1";
  env["KUBERNETES_SERVICE_PORT"] = "443";
  EXPECT_TRUE(InClusterEnvironment(getenv));
  EXPECT_FALSE(InClusterConfig(getenv, dir.path()).ok());  // no CA yet
  dir.Write("ca.crt", "CA");
  dir.Write("token", "t1");
  dir.Write("namespace", "netadmit-system");
  auto config = InClusterConfig(getenv, dir.path());
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_EQ(config->host, "10.96.0.1");
  EXPECT_EQ(config->port, "443");
  EXPECT_EQ(config->namespace_name, "netadmit-system");
  env["KUBERNETES_SERVICE_HOST"] = "fd00::1";
  config = InClusterConfig(getenv, dir.path());
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->host, "fd00::1");
}

TEST(KubeConfigTest, TokenFileIsReadAgainWhenItChanges) {
  testing::TempDir dir;
  dir.Write("token", "first");
  ClusterConfig config;
  config.token_file = dir.File("token");
  TokenSource tokens(config);
  EXPECT_EQ(tokens.Token(), "first");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  dir.Write("token", "second-token");
  EXPECT_EQ(tokens.Token(), "second-token");
  std::remove(dir.File("token").c_str());
  EXPECT_EQ(tokens.Token(), "second-token");  // mid-rotation: keep the last one
}

TEST(FakeApiServerTest, FramingAsRecorded) {
  // Up to 2048 bytes: Content-Length; above: one chunk and the final chunk, byte for byte as 09.
  const std::string page3 = Fixture("01-netpol-list-limit2-page3.body");
  const std::string small = testing::ApiResponse(200, page3);
  EXPECT_EQ(small.substr(0, 27), "HTTP/1.1 200 OK\r\nAudit-Id: ");
  EXPECT_NE(small.find("\r\nContent-Length: 958\r\n\r\n"), std::string::npos);
  EXPECT_TRUE(small.ends_with(page3));

  const std::string raw = Fixture("09-netpol-list-all-wire.raw");
  const std::string response = testing::ApiResponse(200, Dechunk(raw));
  const auto head_end = response.find("\r\n\r\n") + 4;
  EXPECT_EQ(response.substr(head_end), raw);
  EXPECT_NE(response.find("\r\nTransfer-Encoding: chunked\r\n\r\n"), std::string::npos);

  // The header names in the recorded order.
  auto names = [](std::string_view head) {
    std::vector<std::string> out;
    std::size_t start = head.find("\r\n") + 2;
    while (start < head.size()) {
      const auto end = head.find("\r\n", start);
      if (end == start) {
        break;
      }
      const auto line = head.substr(start, end - start);
      out.emplace_back(line.substr(0, line.find(':')));
      start = end + 2;
    }
    return out;
  };
  EXPECT_EQ(names(small), names(Fixture("01-netpol-list-limit2-page3.headers.txt")));
  EXPECT_EQ(names(response), names(Fixture("09-netpol-list-all-wire.headers.txt")));
  EXPECT_EQ(names(testing::ApiResponse(401, Fixture("06-unauthorized-401-bad-token.body"))),
            names(Fixture("06-unauthorized-401-bad-token.headers.txt")));
  EXPECT_EQ(names(testing::ApiResponse(403, Fixture("06-forbidden-403-list-netpol.body"))),
            names(Fixture("06-forbidden-403-list-netpol.headers.txt")));
}

}  // namespace
}  // namespace netadmit::kube
