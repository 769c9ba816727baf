// policy: loading, extending, choosing actions, transforming values.
#include <catch2/catch.hpp>

#include "policy/policy.h"
#include "test_util.h"

using namespace airlock;
using policy::ActionKind;
using test::TempDir;

namespace {

const std::string kRulesDir = std::string(AIRLOCK_SOURCE_DIR) + "/rules";

Result<policy::Policy> load_text(const TempDir& dir, const std::string& yaml, const std::string& name = "p.yaml") {
  test::write_file(dir / name, yaml);
  return policy::load_policy(dir / name, kRulesDir);
}

std::string load_error(const std::string& yaml) {
  TempDir dir;
  auto loaded = load_text(dir, yaml);
  if (loaded.ok()) return "";
  CHECK(loaded.error().exit_code() == 2);
  return loaded.error().message;
}

}  // namespace

TEST_CASE("policy: a policy loads with every field", "[policy]") {
  TempDir dir;
  auto p = load_text(dir, R"(policy: demo
version: "2"
description: for tests
rules: [pii, ./local.yaml]
fields: chat
min_score: 0.7
placeholder: "<{entity}>"
actions:
  "*": redact
  CREDIT_CARD: {action: mask, keep: 2, char: "#"}
  PASSWORD: flag
reject:
  entities: [PRIVATE_KEY, "*_TOKEN"]
  max_findings: 9
  max_redacted_fraction: 0.25
gate:
  max_quarantine_rate: 0.1
recipients: [age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq]
)");
  REQUIRE(p.ok());
  CHECK(p->name == "demo");
  CHECK(p->version == "2");
  CHECK(p->rule_packs == std::vector<std::string>{kRulesDir + "/pii.yaml", dir.path() + "/./local.yaml"});
  CHECK(p->fields == "chat");
  CHECK(p->min_score == Approx(0.7));
  CHECK(p->placeholder == "<{entity}>");
  CHECK(p->action_for("CREDIT_CARD").kind == ActionKind::kMask);
  CHECK(p->action_for("CREDIT_CARD").keep_last == 2);
  CHECK(p->action_for("CREDIT_CARD").mask_char == '#');
  CHECK(p->action_for("PASSWORD").kind == ActionKind::kFlag);
  CHECK(p->action_for("ANYTHING").kind == ActionKind::kRedact);
  CHECK(p->rejects_entity("GITHUB_TOKEN"));
  CHECK_FALSE(p->rejects_entity("EMAIL_ADDRESS"));
  CHECK(p->max_findings == 9);
  CHECK(p->max_redacted_fraction == Approx(0.25));
  CHECK(p->max_quarantine_rate == Approx(0.1));
  CHECK(p->recipients.size() == 1);
}

TEST_CASE("policy: malformed policies are refused with file, line and reason", "[policy]") {
  CHECK(load_error("policy: ok\nversion: '1'\n") == "");
  CHECK_THAT(load_error("policy: p\ncolour: red\n"), Catch::Contains("p.yaml:2: unknown key 'colour'"));
  CHECK_THAT(load_error("policy: p\nactions: {EMAIL_ADDRESS: shred}\n"),
             Catch::Contains("p.yaml:2: unknown action 'shred' for EMAIL_ADDRESS"));
  CHECK_THAT(load_error("policy: p\nactions: {email: redact}\n"), Catch::Contains("'email' is not an entity name"));
  CHECK_THAT(load_error("policy: p\nactions: {X: {action: mask, keep: -1}}\n"), Catch::Contains("'keep' must be"));
  CHECK_THAT(load_error("policy: p\nmin_score: 3\n"), Catch::Contains("'min_score' must be a number from 0 to 1"));
  CHECK_THAT(load_error("policy: p\ngate: {max_quarantine_rate: 2}\n"), Catch::Contains("max_quarantine_rate"));
  CHECK_THAT(load_error("policy: p\nreject: {entities: X}\n"), Catch::Contains("must be a list of strings"));
  CHECK_THAT(load_error("policy: p\nplaceholder: REDACTED\n"), Catch::Contains("must contain {entity}"));
  CHECK_THAT(load_error("policy: p\nrecipients: [bob]\n"), Catch::Contains("age1"));
  CHECK_THAT(load_error("version: '1'\n"), Catch::Contains("missing 'policy'"));
  CHECK_THAT(load_error("policy: [unclosed\n"), Catch::Contains("invalid YAML"));
  CHECK_THAT(load_error("policy: p\nextends: missing.yaml\n"), Catch::Contains("missing.yaml: cannot open"));
}

TEST_CASE("policy: extends merges, the extending policy wins, cycles are refused", "[policy]") {
  TempDir dir;
  test::write_file(dir / "base.yaml", R"(policy: base
version: "1"
rules: [pii]
actions: {"*": redact, US_SSN: reject}
gate: {max_quarantine_rate: 0.05}
)");
  auto child = load_text(dir, "policy: child\nextends: base.yaml\nactions: {\"*\": flag}\n", "child.yaml");
  REQUIRE(child.ok());
  CHECK(child->name == "child");
  CHECK(child->version == "1");
  CHECK(child->rule_packs == std::vector<std::string>{kRulesDir + "/pii.yaml"});
  CHECK(child->action_for("EMAIL_ADDRESS").kind == ActionKind::kFlag);
  CHECK(child->action_for("US_SSN").kind == ActionKind::kReject);
  CHECK(child->max_quarantine_rate == Approx(0.05));

  test::write_file(dir / "a.yaml", "policy: a\nextends: b.yaml\n");
  test::write_file(dir / "b.yaml", "policy: b\nextends: a.yaml\n");
  auto cycle = policy::load_policy(dir / "a.yaml", kRulesDir);
  REQUIRE_FALSE(cycle.ok());
  CHECK_THAT(cycle.error().message, Catch::Contains("deeper than 8"));
}

TEST_CASE("policy: the most specific entity pattern wins", "[policy]") {
  CHECK(policy::entity_matches("*", "EMAIL_ADDRESS"));
  CHECK(policy::entity_matches("*_TOKEN", "GITHUB_TOKEN"));
  CHECK(policy::entity_matches("US_*", "US_SSN"));
  CHECK(policy::entity_matches("A*B*C", "AXXBYYC"));
  CHECK_FALSE(policy::entity_matches("*_TOKEN", "TOKEN"));
  CHECK_FALSE(policy::entity_matches("US_SSN", "US_SSN_X"));
  TempDir dir;
  auto p = load_text(dir, R"(policy: p
actions:
  "*": flag
  "US_*": mask
  "US_S*": reject
  US_SSN: redact
)");
  REQUIRE(p.ok());
  CHECK(p->action_for("US_SSN").kind == ActionKind::kRedact);    // exact
  CHECK(p->action_for("US_SSX").kind == ActionKind::kReject);    // longest pattern
  CHECK(p->action_for("US_ITIN").kind == ActionKind::kMask);
  CHECK(p->action_for("EMAIL").kind == ActionKind::kFlag);
}

TEST_CASE("policy: redact and mask transform values, keeping their shape", "[policy]") {
  policy::Action redact;
  CHECK(policy::transform(redact, "EMAIL_ADDRESS", "a@b.org", "[{entity}]").value() == "[EMAIL_ADDRESS]");
  CHECK(policy::transform(redact, "X", "v", "<{entity}:hidden>").value() == "<X:hidden>");
  policy::Action mask{ActionKind::kMask, 4, '*'};
  CHECK(policy::transform(mask, "CREDIT_CARD", "4111 1111 1111 1111", "").value() == "**** **** **** 1111");
  CHECK(policy::transform(mask, "CREDIT_CARD", "4111-1111-1111-1111", "").value() == "****-****-****-1111");
  CHECK(policy::transform(mask, "X", "abc", "").value() == "abc");  // shorter than what is kept
  CHECK(policy::transform({ActionKind::kMask, 0, '#'}, "X", "ab-c", "").value() == "##-#");
  CHECK(policy::transform(mask, "X", "\xEF\xBC\x94\xEF\xBC\x91\xEF\xBC\x91\xEF\xBC\x91 1234", "").value() ==
        "**** 1234");  // fullwidth digits mask one character each
  policy::Action flag{ActionKind::kFlag, 4, '*'};
  CHECK(policy::transform(flag, "X", "kept", "").value() == "kept");
}

TEST_CASE("policy: the effective policy is YAML that loads to itself", "[policy]") {
  TempDir dir;
  test::write_file(dir / "base.yaml", "policy: base\nversion: '1'\nrules: [pii]\nactions: {US_SSN: reject}\n");
  auto p = load_text(dir, "policy: child\nextends: base.yaml\nactions: {X: {action: mask, keep: 3}}\n");
  REQUIRE(p.ok());
  std::string effective = policy::effective_yaml(p.value());
  auto again = load_text(dir, effective, "effective.yaml");
  REQUIRE(again.ok());
  CHECK(policy::effective_yaml(again.value()) == effective);
}

TEST_CASE("policy: every shipped policy loads", "[policy]") {
  for (const char* name : {"fine-tune-upload", "format-check", "secrets-only", "pci-dss", "gdpr-pseudonymize"}) {
    INFO(name);
    auto p = policy::load_policy(std::string(AIRLOCK_SOURCE_DIR) + "/policies/" + name + ".yaml", kRulesDir);
    REQUIRE(p.ok());
    CHECK(p->name == name);
  }
}

TEST_CASE("policy: pseudonyms and hashes are keyed, stable and canonical", "[policy]") {
  crypto::SecretBytes key(std::string(32, 'k'));
  crypto::SecretBytes other(std::string(32, 'o'));
  policy::Action pseudonym{ActionKind::kPseudonymize, 4, '*', 0, false};
  auto token = [&](const crypto::SecretBytes& k, std::string_view entity, std::string_view value) {
    return policy::transform(pseudonym, entity, value, "", {&k, nullptr}).value();
  };
  std::string a = token(key, "EMAIL_ADDRESS", "jane@example.org");
  CHECK(a.size() == std::string("<EMAIL_ADDRESS_123456>").size());
  CHECK(a.rfind("<EMAIL_ADDRESS_", 0) == 0);
  CHECK(token(key, "EMAIL_ADDRESS", "Jane@Example.ORG") == a);  // canonical: case folded
  CHECK(token(key, "EMAIL_ADDRESS", "john@example.org") != a);
  CHECK(token(other, "EMAIL_ADDRESS", "jane@example.org") != a);  // another key, another token
  CHECK(token(key, "PERSON", "jane@example.org") != a);           // another entity too
  CHECK(token(key, "CREDIT_CARD", "4111 1111 1111 1111") == token(key, "CREDIT_CARD", "4111-1111-1111-1111"));

  policy::Action hash{ActionKind::kHash, 4, '*', 12, false};
  std::string h = policy::transform(hash, "US_SSN", "123-45-6789", "", {&key, nullptr}).value();
  CHECK(h.size() == 12);
  CHECK(h.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK_FALSE(policy::transform(hash, "US_SSN", "123-45-6789", "", {}).ok());  // no key: an error, not a guess
}

TEST_CASE("policy: per-record numbering is consistent within a record and restarts with the next", "[policy]") {
  policy::Action numbered{ActionKind::kPseudonymize, 4, '*', 0, true};
  policy::RecordNumbers numbers;
  auto token = [&](std::string_view entity, std::string_view value) {
    return policy::transform(numbered, entity, value, "", {nullptr, &numbers}).value();
  };
  CHECK(token("EMAIL_ADDRESS", "a@x.org") == "<EMAIL_ADDRESS_1>");
  CHECK(token("EMAIL_ADDRESS", "b@x.org") == "<EMAIL_ADDRESS_2>");
  CHECK(token("EMAIL_ADDRESS", "A@X.org") == "<EMAIL_ADDRESS_1>");
  CHECK(token("PHONE_NUMBER", "555 0100") == "<PHONE_NUMBER_1>");
  numbers.clear();
  CHECK(token("EMAIL_ADDRESS", "b@x.org") == "<EMAIL_ADDRESS_1>");
}

TEST_CASE("policy: which policies need a key", "[policy]") {
  TempDir dir;
  auto numbered = load_text(dir, "policy: p\nactions: {X: {action: pseudonymize, numbering: record}}\n");
  REQUIRE(numbered.ok());
  CHECK_FALSE(numbered->needs_key());
  auto keyed = load_text(dir, "policy: p\nactions: {X: {action: hash, length: 8}}\n");
  REQUIRE(keyed.ok());
  CHECK(keyed->needs_key());
  CHECK_THAT(load_error("policy: p\nactions: {X: {action: hash, length: 2}}\n"), Catch::Contains("'length' must be"));
  CHECK_THAT(load_error("policy: p\nactions: {X: {action: pseudonymize, numbering: global}}\n"),
             Catch::Contains("'numbering' must be record or none"));
}

TEST_CASE("policy: generalize coarsens dates, IPv4 addresses, ZIP codes and ages", "[policy]") {
  CHECK(policy::generalize("1987-04-12", false) == "1987");
  CHECK(policy::generalize("1987-04-12", true) == "1987-04");
  CHECK(policy::generalize("04/12/1987", true) == "1987-04");
  CHECK(policy::generalize("12.04.1987", true) == "1987-04");
  CHECK(policy::generalize("April 12, 1987", false) == "1987");
  CHECK(policy::generalize("203.0.113.57", false) == "203.0.113.0/24");
  CHECK(policy::generalize("02139", false) == "021");
  CHECK(policy::generalize("02139-4307", false) == "021");
  CHECK(policy::generalize("03601", false) == "000");  // a sparsely populated three-digit zone
  CHECK(policy::generalize("93", false) == "90+");
  CHECK(policy::generalize("42", false) == "42");
  CHECK(policy::generalize("jane@example.org", false).empty());
  policy::Action generalize{ActionKind::kGeneralize, 4, '*', 0, false, false};
  CHECK(policy::transform(generalize, "DATE_OF_BIRTH", "1987-04-12", "[{entity}]").value() == "1987");
  CHECK(policy::transform(generalize, "EMAIL_ADDRESS", "jane@example.org", "[{entity}]").value() ==
        "[EMAIL_ADDRESS]");  // no coarser form: redacted
}

TEST_CASE("policy: surrogates are realistic, deterministic per key, and cannot be real", "[policy]") {
  crypto::SecretBytes key(std::string(32, 's'));
  policy::Action surrogate{ActionKind::kSurrogate, 4, '*', 0, false, false};
  auto fake = [&](std::string_view entity, std::string_view value) {
    return policy::transform(surrogate, entity, value, "[{entity}]", {&key, nullptr}).value();
  };
  std::string card = fake("CREDIT_CARD", "5500 0000 0000 0004");
  REQUIRE(card.size() == 19);
  CHECK(card.rfind("4000 00", 0) == 0);
  CHECK(card[4] == ' ');
  int sum = 0;  // Luhn over the digits
  bool twice = false;
  for (size_t i = card.size(); i-- > 0;) {
    if (card[i] == ' ') continue;
    int d = card[i] - '0';
    if (twice) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
    twice = !twice;
  }
  CHECK(sum % 10 == 0);
  CHECK(fake("CREDIT_CARD", "5500-0000-0000-0004") == std::string(card).replace(4, 1, "-").replace(9, 1, "-").replace(14, 1, "-"));
  CHECK(fake("CREDIT_CARD", "5500 0000 0000 0004") == card);  // one real value, one surrogate
  CHECK_THAT(fake("EMAIL_ADDRESS", "jane@corp.example"), Catch::EndsWith("@example.com"));
  CHECK_THAT(fake("PHONE_NUMBER", "+1 415 555 2671"), Catch::Contains(") 555-01"));
  CHECK(fake("US_SSN", "123-45-6789").rfind("666-", 0) == 0);
  std::string ip = fake("IP_ADDRESS", "8.8.8.8");
  CHECK((ip.rfind("192.0.2.", 0) == 0 || ip.rfind("198.51.100.", 0) == 0 || ip.rfind("203.0.113.", 0) == 0));
  CHECK(fake("IP_ADDRESS", "2001:4860::8888").rfind("2001:db8::", 0) == 0);
  CHECK(fake("MEDICAL_RECORD_NUMBER", "00123456").rfind("<MEDICAL_RECORD_NUMBER_", 0) == 0);  // no generator
  // Names keep their shape: first and last, "Last, First", one word, capitals.
  std::string name = fake("PERSON", "Jane Doe");
  CHECK(name == fake("PERSON", "jane doe"));  // one person, one surrogate
  REQUIRE(name.find(' ') != std::string::npos);
  CHECK(std::isupper(static_cast<unsigned char>(name[0])));
  CHECK(std::islower(static_cast<unsigned char>(name[1])));
  CHECK(fake("PERSON", "Doe, Jane").find(", ") != std::string::npos);
  CHECK(fake("PERSON", "Jane").find(' ') == std::string::npos);
  std::string shouted = fake("PERSON", "JANE DOE");
  CHECK(std::none_of(shouted.begin(), shouted.end(), [](char ch) { return std::islower(static_cast<unsigned char>(ch)); }));
  CHECK(fake("PERSON", "Jane Doe") != fake("PERSON", "John Roe"));
}

TEST_CASE("policy: entities can be rejected in messages of a given role", "[policy]") {
  TempDir dir;
  auto p = load_text(dir, "policy: p\nreject:\n  roles:\n    system: [\"*\"]\n    assistant: [\"*_KEY\"]\n");
  REQUIRE(p.ok());
  CHECK(p->rejects_in_role("system", "EMAIL_ADDRESS"));
  CHECK(p->rejects_in_role("assistant", "OPENAI_API_KEY"));
  CHECK_FALSE(p->rejects_in_role("assistant", "EMAIL_ADDRESS"));
  CHECK_FALSE(p->rejects_in_role("user", "EMAIL_ADDRESS"));
  auto again = load_text(dir, policy::effective_yaml(p.value()), "effective.yaml");
  REQUIRE(again.ok());
  CHECK(again->rejects_in_role("system", "X"));
  CHECK_THAT(load_error("policy: p\nreject: {roles: [system]}\n"), Catch::Contains("'roles' must map roles"));
}
