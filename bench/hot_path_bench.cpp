// Micro-benchmarks of the admission hot path: decoding an AdmissionReview, evaluating the object
// against the default rule set, encoding the response, and all three together.
//   build/release/bench/hot_path_bench --benchmark_min_time=2

#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>
#include <string>

#include "netadmit/codec/decode.h"
#include "netadmit/rules/review.h"

namespace netadmit {
namespace {

std::string ReadFixture(const std::string& name) {
  std::ifstream in(std::string(NETADMIT_FIXTURES_DIR) + "/apiserver-v1.28/" + name);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

const RuleSet& DefaultRules() {
  static const auto rules = [] {
    const RuleSource source = DefaultRuleSource();
    return LoadRuleSet(std::span(&source, 1)).value();
  }();
  return *rules;
}

// A recorded request whose NetworkPolicy is replaced by one with 10 rules (5 ingress, 5 egress),
// each with peers and ports, about 2 KB of JSON: the size the targets are stated for.
std::string TenRulePolicyRequest() {
  std::string rules;
  for (int i = 0; i < 5; ++i) {
    rules +=
        std::string(i == 0 ? "" : ",") +
        R"({"from":[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"team-)" +
        std::to_string(i) +
        R"("}},"podSelector":{"matchLabels":{"app":"client"}}},{"ipBlock":{"cidr":"10.)" +
        std::to_string(i) + R"(.0.0/16","except":["10.)" + std::to_string(i) +
        R"(.1.0/24"]}}],"ports":[{"protocol":"TCP","port":)" + std::to_string(8000 + i) + "}]}";
  }
  std::string egress;
  for (int i = 0; i < 5; ++i) {
    egress +=
        std::string(i == 0 ? "" : ",") +
        R"({"to":[{"podSelector":{"matchExpressions":[{"key":"app","operator":"In","values":["db","cache"]}]}}],"ports":[{"protocol":"TCP","port":)" +
        std::to_string(5432 + i) + "}]}";
  }
  return R"({"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":"b1","kind":{"group":"networking.k8s.io","version":"v1","kind":"NetworkPolicy"},)"
         R"("resource":{"group":"networking.k8s.io","version":"v1","resource":"networkpolicies"},"name":"api","namespace":"shop","operation":"CREATE",)"
         R"("userInfo":{"username":"admin","groups":["system:masters","system:authenticated"]},)"
         R"("object":{"kind":"NetworkPolicy","apiVersion":"networking.k8s.io/v1","metadata":{"name":"api","namespace":"shop","labels":{"app":"api"}},)"
         R"("spec":{"podSelector":{"matchLabels":{"app":"api"}},"policyTypes":["Ingress","Egress"],"ingress":[)" +
         rules + R"(],"egress":[)" + egress + R"(]}},"oldObject":null,"dryRun":false}})";
}

void BM_DecodeAdmissionReview(benchmark::State& state) {
  const std::string body = TenRulePolicyRequest();
  for (auto _ : state) {
    auto request = DecodeAdmissionReview(body);
    benchmark::DoNotOptimize(request);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
  state.counters["body_bytes"] = static_cast<double>(body.size());
}
BENCHMARK(BM_DecodeAdmissionReview);

void BM_EvaluateTenRulePolicy(benchmark::State& state) {
  const auto request = DecodeAdmissionReview(TenRulePolicyRequest());
  const Object object = DecodeObject(*request->object, "shop").value();
  const CheckContext context;
  state.counters["findings"] =
      static_cast<double>(Evaluate(DefaultRules(), object, context).findings.size());
  for (auto _ : state) {
    Evaluation evaluation = Evaluate(DefaultRules(), object, context);
    benchmark::DoNotOptimize(evaluation);
  }
}
BENCHMARK(BM_EvaluateTenRulePolicy);

void BM_DecodeTenRulePolicyObject(benchmark::State& state) {
  const auto request = DecodeAdmissionReview(TenRulePolicyRequest());
  for (auto _ : state) {
    auto object = DecodeObject(*request->object, "shop");
    benchmark::DoNotOptimize(object);
  }
}
BENCHMARK(BM_DecodeTenRulePolicyObject);

void BM_EncodeDenial(benchmark::State& state) {
  const auto request =
      DecodeAdmissionReview(ReadFixture("001-NetworkPolicy-CREATE-bad-allow-everything.body.json"));
  const ReviewResult result = Review(DefaultRules(), request.value());
  for (auto _ : state) {
    std::string encoded = EncodeAdmissionReview(request->version, result.response);
    benchmark::DoNotOptimize(encoded);
  }
}
BENCHMARK(BM_EncodeDenial);

// Decode + decide + encode: what the server does per request, minus HTTP and TLS.
void BM_ReviewEndToEnd(benchmark::State& state, const std::string& body) {
  for (auto _ : state) {
    auto request = DecodeAdmissionReview(body);
    const ReviewResult result = Review(DefaultRules(), request.value());
    std::string encoded = EncodeAdmissionReview(request->version, result.response);
    benchmark::DoNotOptimize(encoded);
  }
  state.counters["body_bytes"] = static_cast<double>(body.size());
}
BENCHMARK_CAPTURE(BM_ReviewEndToEnd, ten_rule_policy, TenRulePolicyRequest());
BENCHMARK_CAPTURE(BM_ReviewEndToEnd, recorded_open_policy,
                  ReadFixture("001-NetworkPolicy-CREATE-bad-allow-everything.body.json"));
BENCHMARK_CAPTURE(BM_ReviewEndToEnd, recorded_pod, ReadFixture("003-Pod-CREATE-web-2.body.json"));

}  // namespace
}  // namespace netadmit

BENCHMARK_MAIN();
