// Observed flows replayed against policies: Hubble's flow JSON (bare and GetFlowsResponse) and
// the neutral form line by line, malformed lines counted with their numbers, connections
// deduplicated by pod class with memory bounded by them, and the base/head comparison.
// The cluster is tests/fixtures/reach (default-deny in prod, allow policies beside it).

#include "netadmit/connectivity/observed_flows.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "files/inputs.h"
#include "netadmit/connectivity/reach.h"

namespace netadmit {
namespace {

const std::string kFixtures = std::string(NETADMIT_FIXTURES_DIR);

Connectivity MustBuild(const std::vector<std::string>& inputs) {
  auto manifests = ReadAllManifests(inputs);
  if (!manifests) {
    ADD_FAILURE() << manifests.error().ToString();
    return std::move(Connectivity::Build(ClusterState{}).value());
  }
  auto input = BuildReachInput(*manifests, "default");
  if (!input) {
    ADD_FAILURE() << input.error().ToString();
    return std::move(Connectivity::Build(ClusterState{}).value());
  }
  auto engine = Connectivity::Build(input->state);
  if (!engine) {
    ADD_FAILURE() << engine.error().ToString();
    return std::move(Connectivity::Build(ClusterState{}).value());
  }
  return std::move(engine.value());
}

Connectivity OldCluster() {
  return MustBuild({kFixtures + "/reach/cluster.yaml", kFixtures + "/reach/old/policies.yaml"});
}
Connectivity NewCluster() {
  return MustBuild({kFixtures + "/reach/cluster.yaml", kFixtures + "/reach/new/policies.yaml"});
}

// Feeds a fixture file line by line, as the command line does.
void FeedFile(FlowReplay& replay, const std::string& name) {
  std::ifstream in(kFixtures + "/flows/" + name);
  ASSERT_TRUE(in) << name;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    replay.Feed(line, ++number);
  }
}

const ReplayedConnection* FindConnection(const ReplaySummary& summary, const std::string& from,
                                         const std::string& to, const std::string& port,
                                         bool dropped = false) {
  for (const ReplayedConnection& connection : summary.connections) {
    if (connection.from == from && connection.to == to && connection.port.ToString() == port &&
        connection.dropped == dropped) {
      return &connection;
    }
  }
  ADD_FAILURE() << "no connection " << from << " -> " << to << " " << port;
  return nullptr;
}

// --- one line ---

TEST(ParseFlowLine, BareHubbleFlow) {
  auto line = ParseFlowLine(
      R"({"time":"2024-05-01T10:00:00Z","verdict":"FORWARDED",)"
      R"("IP":{"source":"10.8.0.11","destination":"fd00:0::5"},)"
      R"("l4":{"UDP":{"source_port":40000,"destination_port":53}},)"
      R"("source":{"namespace":"prod","pod_name":"web-1","labels":["k8s:app=web","reserved:host"]},)"
      R"("destination":{"labels":["reserved:world"]},"traffic_direction":"EGRESS"})",
      1);
  ASSERT_TRUE(line.ok()) << line.error().ToString();
  ASSERT_EQ(line->kind, FlowLine::Kind::kConnection);
  const ObservedFlow& flow = line->flow;
  EXPECT_EQ(flow.time, "2024-05-01T10:00:00Z");
  EXPECT_EQ(flow.port, (PortProtocol{53, Protocol::kUDP}));
  EXPECT_FALSE(flow.dropped);
  EXPECT_EQ(flow.from.namespace_name, "prod");
  EXPECT_EQ(flow.from.pod_name, "web-1");
  EXPECT_EQ(flow.from.address, "10.8.0.11");
  EXPECT_EQ(flow.from.labels, (Labels{{"app", "web"}}));  // only the k8s: source
  EXPECT_EQ(flow.to.address, "fd00::5");                  // canonical
  EXPECT_TRUE(flow.to.labels.empty());
}

TEST(ParseFlowLine, WrappedFlowAndItsCamelCaseSpelling) {
  auto line = ParseFlowLine(
      R"({"flow":{"verdict":"DROPPED","l4":{"SCTP":{"destinationPort":9000}},)"
      R"("source":{"namespace":"a","podName":"p"},"destination":{"namespace":"b","podName":"q"},)"
      R"("isReply":false},"node_name":"n1","time":"2024-05-01T10:00:00Z"})",
      7);
  ASSERT_TRUE(line.ok()) << line.error().ToString();
  ASSERT_EQ(line->kind, FlowLine::Kind::kConnection);
  EXPECT_EQ(line->flow.port, (PortProtocol{9000, Protocol::kSCTP}));
  EXPECT_TRUE(line->flow.dropped);
  EXPECT_EQ(line->flow.from.pod_name, "p");
  EXPECT_EQ(line->flow.to.namespace_name, "b");
}

struct KindCase {
  std::string line;
  FlowLine::Kind kind;
};

TEST(ParseFlowLine, LinesThatAreNotConnections) {
  const std::vector<KindCase> cases = {
      {R"({"flow":{"l4":{"TCP":{"destination_port":41234}},"is_reply":true}})",
       FlowLine::Kind::kReply},
      {R"({"l4":{"TCP":{"destination_port":41234}},"reply":true})", FlowLine::Kind::kReply},
      {R"({"IP":{"source":"10.0.0.1","destination":"10.0.0.2"},"l4":{"ICMPv4":{"type":8}}})",
       FlowLine::Kind::kNoPort},
      {R"({"IP":{"source":"10.0.0.1","destination":"10.0.0.2"},"verdict":"FORWARDED"})",
       FlowLine::Kind::kNoPort},
      {R"({"lost_events":{"num_events_lost":3},"time":"2024-05-01T10:00:00Z"})",
       FlowLine::Kind::kNotAFlow},
      {"   ", FlowLine::Kind::kBlank},
  };
  for (const KindCase& c : cases) {
    auto line = ParseFlowLine(c.line, 1);
    ASSERT_TRUE(line.ok()) << c.line << ": " << line.error().ToString();
    EXPECT_EQ(line->kind, c.kind) << c.line;
  }
}

TEST(ParseFlowLine, NeutralFormDefaults) {
  auto line = ParseFlowLine(R"({"from": "203.0.113.9/24", "to": "prod/db-0", "port": 5432})", 1);
  ASSERT_TRUE(line.ok()) << line.error().ToString();
  ASSERT_EQ(line->kind, FlowLine::Kind::kConnection);
  EXPECT_EQ(line->flow.from.address, "203.0.113.0/24");  // host bits cleared
  EXPECT_EQ(line->flow.to.namespace_name, "prod");
  EXPECT_EQ(line->flow.to.pod_name, "db-0");
  EXPECT_EQ(line->flow.port, (PortProtocol{5432, Protocol::kTCP}));
  EXPECT_FALSE(line->flow.dropped);
  EXPECT_TRUE(line->flow.time.empty());
}

struct ErrorCase {
  std::string line;
  std::string path;
  std::string message;
};

TEST(ParseFlowLine, MalformedLinesNameTheField) {
  const std::vector<ErrorCase> cases = {
      {R"({"from": "a/b", "to": "c/d"})", "port", "missing: a connection needs a destination port"},
      {R"({"from": "a/b", "to": "c/d", "port": 0})", "port", "port 0 is out of range (1 to 65535)"},
      {R"({"from": "a/b", "to": "c/d", "port": "80"})", "port", "expected a port number"},
      {R"({"from": "a/b", "to": "c/d", "port": 80, "protocol": "ICMP"})", "protocol",
       "unknown protocol \"ICMP\" (expected TCP, UDP or SCTP)"},
      {R"({"from": "a/b", "to": "10.0.0.0/8", "port": 80})", "to",
       "\"10.0.0.0/8\" is not NAMESPACE/POD or an IP address"},
      {R"({"from": "a/b", "to": "c/d", "port": 80, "verdict": "MAYBE"})", "verdict",
       "unknown verdict \"MAYBE\" (expected FORWARDED or DROPPED)"},
      {R"({"flow":{"l4":{"UDP":{"destination_port":70000}}}})", "flow.l4.UDP.destination_port",
       "port 70000 is out of range (1 to 65535)"},
      {R"({"flow":{"l4":{"TCP":{"source_port":1}}}})", "flow.l4.TCP.destination_port",
       "missing: a connection needs a destination port"},
      {R"({"flow":{"l4":{"TCP":{"destination_port":80}},"source":{"labels":[1]}}})",
       "flow.source.labels[0]", "expected a string"},
      {R"({"l4":{"TCP":{"destination_port":80}},"IP":{"source":"10.0.0.300"}})", "IP.source",
       "\"10.0.0.300\" is not an IP address"},
      {R"({"l4":{"TCP":{"destination_port":80}},"verdict":true})", "verdict",
       "expected a verdict name such as FORWARDED or DROPPED"},
      {R"({"l4":{"TCP":{"destination_port":80}},"is_reply":"no"})", "is_reply",
       "expected true or false"},
      {R"({"flow": []})", "flow", "expected an object"},
      {R"({"hello": 1})", "",
       "neither a Hubble flow nor a connection {\"from\", \"to\", \"port\"}"},
      {R"([1, 2])", "", "expected a JSON object"},
  };
  for (const ErrorCase& c : cases) {
    auto line = ParseFlowLine(c.line, 42);
    ASSERT_FALSE(line.ok()) << c.line;
    EXPECT_EQ(line.error().line, 42) << c.line;
    EXPECT_EQ(line.error().path, c.path) << c.line;
    EXPECT_EQ(line.error().message, c.message) << c.line;
  }
}

TEST(ParseFlowLine, BadJsonNamesTheColumn) {
  auto line = ParseFlowLine(R"({"from": "a/b",, "to": "c/d"})", 3);
  ASSERT_FALSE(line.ok());
  Error error = line.error();
  error.file = "flows.jsonl";  // the command line names the log
  EXPECT_EQ(error.ToString(), "flows.jsonl:3:16: not JSON: Missing a name for object member.");
}

// --- replay ---

TEST(FlowReplay, HubbleFixture) {
  const Connectivity engine = OldCluster();
  FlowReplay replay(engine);
  FeedFile(replay, "hubble.jsonl");
  const ReplaySummary summary = replay.Summary();
  EXPECT_EQ(summary.lines, 13U);
  EXPECT_EQ(summary.observations, 10U);
  EXPECT_EQ(summary.replies, 1U);
  EXPECT_EQ(summary.without_port, 1U);  // the ICMP echo
  EXPECT_EQ(summary.not_flows, 1U);     // lost events
  EXPECT_EQ(summary.malformed, 0U);
  ASSERT_EQ(summary.connections.size(), 7U);
  EXPECT_EQ(summary.Count(false, true), 3U);
  EXPECT_EQ(summary.Count(false, false), 3U);
  EXPECT_EQ(summary.Count(true, false), 1U);

  // Seen at both ends (bare and wrapped), by a pod the input lacks at web-1's address, and by
  // one standing in through its labels (a new ReplicaSet's pod): one connection, four times.
  const ReplayedConnection* web_db = FindConnection(summary, "prod/web-1", "prod/db-0", "5432/TCP");
  ASSERT_NE(web_db, nullptr);
  EXPECT_EQ(web_db->observations, 4U);
  EXPECT_EQ(web_db->last_seen, "2024-05-01T10:00:08Z");
  EXPECT_TRUE(web_db->allowed);
  EXPECT_TRUE(web_db->reason.empty());

  const ReplayedConnection* dns = FindConnection(summary, "prod/web-1", "8.8.8.8", "53/UDP");
  ASSERT_NE(dns, nullptr);
  EXPECT_FALSE(dns->allowed);
  EXPECT_NE(dns->reason.find("egress of prod/web-1: blocked, isolated by prod/default-deny, "
                             "prod/web\n    no egress rule of these policies allows it"),
            std::string::npos)
      << dns->reason;

  // By its address alone, the destination is the pod db-0; SCTP is not the named port's TCP.
  const ReplayedConnection* sctp =
      FindConnection(summary, "ingress-nginx/controller", "prod/db-0", "5432/SCTP");
  ASSERT_NE(sctp, nullptr);
  EXPECT_FALSE(sctp->allowed);
  EXPECT_NE(sctp->reason.find("ingress of prod/db-0: blocked, isolated by prod/default-deny, "
                              "prod/db"),
            std::string::npos)
      << sctp->reason;

  const ReplayedConnection* stranger =
      FindConnection(summary, "10.8.0.99", "prod/db-0", "5432/TCP");
  ASSERT_NE(stranger, nullptr);
  EXPECT_EQ(stranger->from_unknown_pod, "prod/batch-1");
  EXPECT_FALSE(stranger->allowed);

  const ReplayedConnection* world =
      FindConnection(summary, "203.0.113.7", "ingress-nginx/controller", "443/TCP");
  ASSERT_NE(world, nullptr);
  EXPECT_TRUE(world->allowed);

  const ReplayedConnection* dropped =
      FindConnection(summary, "dev/web-1", "prod/db-0", "5432/TCP", true);
  ASSERT_NE(dropped, nullptr);
  EXPECT_FALSE(dropped->allowed);  // and the policies given deny it too
}

TEST(FlowReplay, NeutralFixture) {
  const Connectivity engine = OldCluster();
  FlowReplay replay(engine);
  FeedFile(replay, "neutral.jsonl");
  const ReplaySummary summary = replay.Summary();
  EXPECT_EQ(summary.lines, 5U);
  EXPECT_EQ(summary.observations, 5U);
  EXPECT_EQ(summary.skipped(), 0U);
  ASSERT_EQ(summary.connections.size(), 4U);
  // A single-address block is the pod at that address.
  const ReplayedConnection* web_db = FindConnection(summary, "prod/web-1", "prod/db-0", "5432/TCP");
  ASSERT_NE(web_db, nullptr);
  EXPECT_EQ(web_db->observations, 2U);
  EXPECT_EQ(web_db->last_seen, "2024-05-01T11:00:05Z");
  const ReplayedConnection* block =
      FindConnection(summary, "203.0.113.0/24", "ingress-nginx/controller", "443/TCP");
  ASSERT_NE(block, nullptr);
  EXPECT_TRUE(block->allowed);
  const ReplayedConnection* by_address =
      FindConnection(summary, "prod/web-1", "ingress-nginx/controller", "443/TCP");
  ASSERT_NE(by_address, nullptr);
  EXPECT_FALSE(by_address->allowed);
  EXPECT_EQ(summary.Count(true, false), 1U);
}

TEST(FlowReplay, MalformedLinesAreCountedAndTheRestReplayed) {
  const Connectivity engine = OldCluster();
  FlowReplay replay(engine);
  FeedFile(replay, "malformed.jsonl");
  const ReplaySummary summary = replay.Summary();
  EXPECT_EQ(summary.lines, 7U);
  EXPECT_EQ(summary.malformed, 3U);
  ASSERT_EQ(summary.first_errors.size(), 3U);
  EXPECT_EQ(summary.first_errors[0].line, 1);  // first line: bad JSON
  EXPECT_EQ(summary.first_errors[0].message,
            "not JSON: Missing a comma or '}' after an object member.");
  EXPECT_EQ(summary.first_errors[1].line, 3);  // a middle line: port out of range
  EXPECT_EQ(summary.first_errors[1].path, "l4.TCP.destination_port");
  EXPECT_EQ(summary.first_errors[2].line, 7);  // last line: unknown protocol
  EXPECT_EQ(summary.first_errors[2].path, "protocol");
  EXPECT_EQ(summary.observations, 3U);
  EXPECT_EQ(summary.connections.size(), 3U);
  EXPECT_EQ(summary.Count(false, true), 1U);
  EXPECT_EQ(summary.Count(false, false), 2U);
}

TEST(FlowReplay, KeepsTheFirstErrorsAndCountsAll) {
  const Connectivity engine = OldCluster();
  FlowReplay replay(engine);
  for (int i = 1; i <= 15; ++i) {
    replay.Feed("{", i);
  }
  const ReplaySummary summary = replay.Summary();
  EXPECT_EQ(summary.malformed, 15U);
  ASSERT_EQ(summary.first_errors.size(), ReplaySummary::kMaxErrors);
  EXPECT_EQ(summary.first_errors.back().line, 10);
}

TEST(FlowReplay, AnEndWithNeitherPodNorAddressIsAnError) {
  const Connectivity engine = OldCluster();
  FlowReplay replay(engine);
  replay.Feed(R"({"l4":{"TCP":{"destination_port":5432}},"source":{"namespace":"prod",)"
              R"("pod_name":"ghost"},"destination":{"namespace":"prod","pod_name":"db-0"}})",
              5);
  const ReplaySummary summary = replay.Summary();
  EXPECT_EQ(summary.malformed, 1U);
  EXPECT_EQ(summary.observations, 0U);
  ASSERT_EQ(summary.first_errors.size(), 1U);
  EXPECT_EQ(summary.first_errors[0].line, 5);
  EXPECT_EQ(summary.first_errors[0].ToString(),
            "source: pod prod/ghost is not in the input and the flow gives no address for it");
}

// 100,000 observations of three connections, from ever new client ports and pod names the input
// lacks (at web-1's address): three entries, and the counts add up.
TEST(FlowReplay, MemoryIsBoundedByDistinctConnections) {
  const Connectivity engine = OldCluster();
  FlowReplay replay(engine);
  const std::vector<std::string> destinations = {
      R"("IP":{"source":"10.8.0.11"},"destination":{"namespace":"prod","pod_name":"db-0"},)"
      R"("l4":{"TCP":{"destination_port":5432,"source_port":)",
      R"("IP":{"source":"10.8.0.11"},"destination":{"namespace":"ingress-nginx",)"
      R"("pod_name":"controller"},"l4":{"TCP":{"destination_port":5432,"source_port":)",
      R"("IP":{"source":"10.8.0.11","destination":"10.7.0.5"},)"
      R"("l4":{"UDP":{"destination_port":53,"source_port":)"};
  constexpr int kLines = 100000;
  for (int i = 0; i < kLines; ++i) {
    const std::string line = R"({"source":{"namespace":"prod","pod_name":"web-)" +
                             std::to_string(i) + R"("},)" + destinations[i % 3] +
                             std::to_string(1024 + i % 60000) + "}}}";
    replay.Feed(line, i + 1);
    ASSERT_LE(replay.distinct(), 3U) << "line " << i + 1;
  }
  const ReplaySummary summary = replay.Summary();
  ASSERT_EQ(summary.malformed, 0U) << summary.first_errors[0].ToString();
  EXPECT_EQ(summary.observations, static_cast<uint64_t>(kLines));
  ASSERT_EQ(summary.connections.size(), 3U);
  uint64_t total = 0;
  for (const ReplayedConnection& connection : summary.connections) {
    EXPECT_EQ(connection.from, "prod/web-1");
    total += connection.observations;
  }
  EXPECT_EQ(total, static_cast<uint64_t>(kLines));
}

TEST(FlowReplay, PodsOfOneClassAreOneConnection) {
  // Two pods no policy tells apart (same namespace, labels, ports): one entry, the first example.
  ClusterState state;
  state.pods = {PodInfo{"a", "p1", {{"app", "x"}}, {}, {"10.0.0.1"}},
                PodInfo{"a", "p2", {{"app", "x"}}, {}, {"10.0.0.2"}},
                PodInfo{"a", "db", {{"app", "db"}}, {}, {"10.0.0.3"}}};
  auto engine = Connectivity::Build(state);
  ASSERT_TRUE(engine.ok());
  ASSERT_EQ(engine->ClassOf(0), engine->ClassOf(1));
  FlowReplay replay(*engine);
  replay.Feed(R"({"from": "a/p1", "to": "a/db", "port": 5432})", 1);
  replay.Feed(R"({"from": "a/p2", "to": "a/db", "port": 5432})", 2);
  replay.Feed(R"({"from": "a/p2", "to": "a/db", "port": 5433})", 3);
  const ReplaySummary summary = replay.Summary();
  ASSERT_EQ(summary.connections.size(), 2U);
  EXPECT_EQ(summary.connections[0].from, "a/p1");
  EXPECT_EQ(summary.connections[0].observations, 2U);
  EXPECT_EQ(summary.connections[1].port.port, 5433);
}

TEST(FlowReplay, ComparingListsExactlyTheNewlyDenied) {
  const Connectivity base = OldCluster();
  const Connectivity head = NewCluster();
  FlowReplay replay(base, head);
  FeedFile(replay, "hubble.jsonl");
  const ReplaySummary summary = replay.Summary();
  ASSERT_TRUE(summary.comparing);
  const std::vector<const ReplayedConnection*> newly = summary.NewlyDenied();
  ASSERT_EQ(newly.size(), 1U);
  EXPECT_EQ(newly[0]->from, "prod/web-1");
  EXPECT_EQ(newly[0]->to, "prod/db-0");
  EXPECT_EQ(newly[0]->port.ToString(), "5432/TCP");
  EXPECT_EQ(newly[0]->observations, 4U);
  EXPECT_NE(newly[0]->reason.find("egress of prod/web-1: blocked"), std::string::npos)
      << newly[0]->reason;
  // Denied before and after, or dropped by the network: not news.
  EXPECT_EQ(summary.Count(false, false), 4U);
}

TEST(FlowReplay, WithoutABaseNothingIsNewlyDenied) {
  const Connectivity engine = OldCluster();
  FlowReplay replay(engine);
  FeedFile(replay, "hubble.jsonl");
  EXPECT_TRUE(replay.Summary().NewlyDenied().empty());
}

}  // namespace
}  // namespace netadmit
