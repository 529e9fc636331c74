// `netadmit recommend`'s renderers. Each policy is built once as a JSON value; the JSON output
// writes it as it is and the YAML output walks it, so the two cannot say different things.

#include "cli/recommend_report.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

#include "cli/json_output.h"

namespace netadmit::cli {

namespace {

using rapidjson::Value;
using Allocator = rapidjson::Document::AllocatorType;

Value String(std::string_view text, Allocator& allocator) {
  return Value(text.data(), static_cast<rapidjson::SizeType>(text.size()), allocator);
}

Value SelectorJson(const LabelSelector& selector, Allocator& allocator) {
  Value out(rapidjson::kObjectType);
  if (!selector.match_labels.empty()) {
    Value labels(rapidjson::kObjectType);
    for (const auto& [key, value] : selector.match_labels) {
      labels.AddMember(String(key, allocator), String(value, allocator), allocator);
    }
    out.AddMember("matchLabels", labels, allocator);
  }
  return out;
}

Value PeerJson(const NetworkPolicyPeer& peer, Allocator& allocator) {
  Value out(rapidjson::kObjectType);
  if (peer.namespace_selector) {
    out.AddMember("namespaceSelector", SelectorJson(*peer.namespace_selector, allocator),
                  allocator);
  }
  if (peer.pod_selector) {
    out.AddMember("podSelector", SelectorJson(*peer.pod_selector, allocator), allocator);
  }
  if (peer.ip_block) {
    Value block(rapidjson::kObjectType);
    block.AddMember("cidr", String(peer.ip_block->cidr, allocator), allocator);
    out.AddMember("ipBlock", block, allocator);
  }
  return out;
}

Value RulesJson(const std::vector<NetworkPolicyRule>& rules, const char* peers_key,
                Allocator& allocator) {
  Value out(rapidjson::kArrayType);
  for (const NetworkPolicyRule& rule : rules) {
    Value written(rapidjson::kObjectType);
    Value peers(rapidjson::kArrayType);
    for (const NetworkPolicyPeer& peer : rule.peers) {
      peers.PushBack(PeerJson(peer, allocator), allocator);
    }
    written.AddMember(rapidjson::StringRef(peers_key), peers, allocator);
    Value ports(rapidjson::kArrayType);
    for (const NetworkPolicyPort& port : rule.ports) {
      Value entry(rapidjson::kObjectType);
      entry.AddMember("protocol", rapidjson::StringRef(ProtocolName(port.protocol)), allocator);
      if (port.named_port) {
        entry.AddMember("port", String(*port.named_port, allocator), allocator);
      } else if (port.port) {
        entry.AddMember("port", *port.port, allocator);
      }
      ports.PushBack(entry, allocator);
    }
    written.AddMember("ports", ports, allocator);
    out.PushBack(written, allocator);
  }
  return out;
}

std::string FlagsText(const std::vector<RuleFlag>& flags) {
  std::string out;
  for (const RuleFlag& flag : flags) {
    out += (out.empty() ? "" : "; ") + flag.action + ' ' + flag.message;
  }
  return out;
}

const std::vector<RuleFlag>* FlagsOf(const RuleFlags& flags, const PolicyInfo& policy) {
  const auto found = flags.find({policy.namespace_name, policy.name});
  return found == flags.end() ? nullptr : &found->second;
}

Value PolicyJson(const RecommendedPolicy& recommended, const std::vector<RuleFlag>* flags,
                 Allocator& allocator) {
  const PolicyInfo& policy = recommended.policy;
  Value out(rapidjson::kObjectType);
  out.AddMember("apiVersion", "networking.k8s.io/v1", allocator);
  out.AddMember("kind", "NetworkPolicy", allocator);
  Value metadata(rapidjson::kObjectType);
  metadata.AddMember("name", String(policy.name, allocator), allocator);
  metadata.AddMember("namespace", String(policy.namespace_name, allocator), allocator);
  Value annotations(rapidjson::kObjectType);
  annotations.AddMember(String(kObservedAnnotation, allocator),
                        String(recommended.ObservedText(), allocator), allocator);
  if (flags != nullptr) {
    annotations.AddMember(String(kRuleFindingsAnnotation, allocator),
                          String(FlagsText(*flags), allocator), allocator);
  }
  metadata.AddMember("annotations", annotations, allocator);
  out.AddMember("metadata", metadata, allocator);
  Value spec(rapidjson::kObjectType);
  spec.AddMember("podSelector", SelectorJson(policy.spec.pod_selector, allocator), allocator);
  Value types(rapidjson::kArrayType);
  for (PolicyType type : policy.spec.policy_types.value_or(std::vector<PolicyType>{})) {
    types.PushBack(rapidjson::StringRef(type == PolicyType::kIngress ? "Ingress" : "Egress"),
                   allocator);
  }
  spec.AddMember("policyTypes", types, allocator);
  if (!policy.spec.ingress.empty()) {
    spec.AddMember("ingress", RulesJson(policy.spec.ingress, "from", allocator), allocator);
  }
  if (!policy.spec.egress.empty()) {
    spec.AddMember("egress", RulesJson(policy.spec.egress, "to", allocator), allocator);
  }
  out.AddMember("spec", spec, allocator);
  return out;
}

// --- YAML, walked from the JSON value ---

std::string Quoted(std::string_view text) {
  // A JSON string is a YAML double-quoted scalar with the same escapes.
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  WriteJsonString(writer, text);
  return std::string(buffer.GetString(), buffer.GetSize());
}

// Whether YAML reads `text` unquoted as the same string: a letter first, then only letters,
// digits and . _ / -, and none of the words YAML 1.1 reads as booleans or null.
bool Plain(std::string_view text) {
  if (text.empty() || std::isalpha(static_cast<unsigned char>(text.front())) == 0) {
    return false;
  }
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '.' && c != '_' && c != '/' &&
        c != '-') {
      return false;
    }
  }
  std::string lower(text);
  for (char& c : lower) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  constexpr std::array<std::string_view, 9> kReadAsOther = {"true", "false", "yes", "no", "on",
                                                            "off",  "null",  "y",   "n"};
  return std::find(kReadAsOther.begin(), kReadAsOther.end(), lower) == kReadAsOther.end();
}

std::string Scalar(const Value& value) {
  if (value.IsString()) {
    const std::string_view text(value.GetString(), value.GetStringLength());
    return Plain(text) ? std::string(text) : Quoted(text);
  }
  if (value.IsInt()) {
    return std::to_string(value.GetInt());
  }
  if (value.IsObject()) {
    return "{}";
  }
  if (value.IsArray()) {
    return "[]";
  }
  return value.IsTrue() ? "true" : value.IsFalse() ? "false" : "null";
}

bool Nested(const Value& value) {
  return (value.IsObject() && !value.ObjectEmpty()) || (value.IsArray() && !value.Empty());
}

void EmitMapping(const Value& object, int indent, std::string& out);

// A sequence under a key, its dashes at the key's indentation, as kubectl writes them.
void EmitSequence(const Value& array, int indent, std::string& out) {
  for (const Value& item : array.GetArray()) {
    if (!item.IsObject() || item.ObjectEmpty()) {
      out += std::string(indent, ' ') + "- " + Scalar(item) + '\n';
      continue;
    }
    std::string mapping;
    EmitMapping(item, indent + 2, mapping);
    mapping.replace(static_cast<std::size_t>(indent), 2, "- ");
    out += mapping;
  }
}

void EmitMapping(const Value& object, int indent, std::string& out) {
  for (const auto& member : object.GetObject()) {
    out += std::string(indent, ' ') + Scalar(member.name) + ':';
    const Value& value = member.value;
    if (!Nested(value)) {
      out += ' ' + Scalar(value) + '\n';
    } else if (value.IsObject()) {
      out += '\n';
      EmitMapping(value, indent + 2, out);
    } else {
      out += '\n';
      EmitSequence(value, indent, out);
    }
  }
}

// Comment text on one line whatever the message holds.
std::string OneLine(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}

std::string PolicyComment(const RecommendedPolicy& recommended,
                          const std::vector<RuleFlag>* flags) {
  std::string out = "# " + recommended.policy.name + ": ";
  if (recommended.default_deny) {
    out += "denies what the namespace's other policies do not allow\n";
  } else {
    out += "lets through " + recommended.ObservedText() + ":\n";
    for (const std::string& example : recommended.examples) {
      out += "#   " + example + '\n';
    }
    if (recommended.connections > recommended.examples.size()) {
      out += "#   and " + std::to_string(recommended.connections - recommended.examples.size()) +
             " more\n";
    }
  }
  if (flags != nullptr) {
    for (const RuleFlag& flag : *flags) {
      out += "# FLAGGED by the rules (" + flag.action + "): " + OneLine(flag.message) + '\n';
    }
  }
  return out;
}

std::string Plural(std::size_t count, const char* one, const char* many) {
  return std::to_string(count) + ' ' + (count == 1 ? one : many);
}

std::string ConnectionLine(const ReplayedConnection& connection) {
  return "- " + connection.from + " -> " + connection.to + ' ' + connection.port.ToString() +
         ", seen " + Plural(connection.observations, "time", "times") +
         (connection.last_seen.empty() ? "" : ", last " + connection.last_seen);
}

}  // namespace

std::string RenderPoliciesYaml(const Recommendation& recommendation, const RuleFlags& flags) {
  std::string out =
      "# Recommended by netadmit recommend from the observed connections: review before "
      "applying.\n";
  for (const RecommendedPolicy& recommended : recommendation.policies) {
    const std::vector<RuleFlag>* policy_flags = FlagsOf(flags, recommended.policy);
    rapidjson::Document document;
    const Value policy = PolicyJson(recommended, policy_flags, document.GetAllocator());
    out += "---\n" + PolicyComment(recommended, policy_flags);
    EmitMapping(policy, 0, out);
  }
  return out;
}

std::string RenderPoliciesJson(const Recommendation& recommendation, const RuleFlags& flags) {
  rapidjson::Document document(rapidjson::kObjectType);
  Allocator& allocator = document.GetAllocator();
  document.AddMember("apiVersion", "v1", allocator);
  document.AddMember("kind", "List", allocator);
  Value items(rapidjson::kArrayType);
  for (const RecommendedPolicy& recommended : recommendation.policies) {
    items.PushBack(PolicyJson(recommended, FlagsOf(flags, recommended.policy), allocator),
                   allocator);
  }
  document.AddMember("items", items, allocator);
  JsonOutput output;
  document.Accept(output.writer);
  return output.Text();
}

std::string RenderRecommendSummary(const Recommendation& recommendation,
                                   const ReplaySummary& replay, const RuleFlags& flags) {
  std::string out = Plural(recommendation.policies.size(), "policy", "policies") + " for " +
                    Plural(recommendation.namespaces.size(), "namespace", "namespaces") +
                    ", covering " + std::to_string(recommendation.covered) + " of " +
                    Plural(recommendation.observed, "observed connection", "observed connections") +
                    " (" + Plural(recommendation.covered_observations, "flow", "flows") + ")\n";
  for (const NamespaceScore& score : recommendation.namespaces) {
    out += "  " + score.name + ": " + Plural(score.policies, "policy", "policies") + ", " +
           Plural(score.connections, "connection", "connections") + "; allows " +
           std::to_string(score.BeyondObserved()) +
           (score.BeyondObserved() == 1 ? " pair" : " pairs") + " beyond the observed (" +
           std::to_string(score.allowed_pairs) + " allowed, " +
           std::to_string(score.observed_pairs) + " observed)\n";
  }
  if (!recommendation.ports.empty()) {
    out += "(pairs: ordered pairs of pod classes, on each observed port:";
    for (const PortProtocol& port : recommendation.ports) {
      out += ' ' + port.ToString();
    }
    out += ")\n";
  }
  if (!recommendation.dropped.empty()) {
    out += "\nDropped by the network, not recommended:\n";
    for (const ReplayedConnection& connection : recommendation.dropped) {
      out += ConnectionLine(connection) + '\n';
    }
  }
  if (!recommendation.left_out.empty()) {
    out += "\nLeft out (the recommended policies cannot let these through):\n";
    for (const LeftOut& left : recommendation.left_out) {
      out += ConnectionLine(left.connection) + ": " + left.reason + '\n';
    }
  }
  if (!flags.empty()) {
    out += "\nFlagged by the rules (the policies are as recommended, not changed):\n";
    for (const auto& [policy, policy_flags] : flags) {
      for (const RuleFlag& flag : policy_flags) {
        out += "- " + policy.first + '/' + policy.second + ": " + flag.action + ' ' +
               OneLine(flag.message) + '\n';
      }
    }
  }
  for (const std::string& warning : recommendation.warnings) {
    out += "warning: " + warning + '\n';
  }
  if (replay.malformed > 0) {
    out += "warning: " + Plural(replay.malformed, "malformed line", "malformed lines") +
           " in the flow log, not recommended for:\n";
    for (const Error& error : replay.first_errors) {
      out += "  " + error.ToString() + '\n';
    }
  }
  return out;
}

}  // namespace netadmit::cli
