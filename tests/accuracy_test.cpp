// Accuracy of the shipped rule packs on a labelled, generated set of chat
// messages: planted values with exact spans (plain and adversarial forms),
// decoys that must not be found, and text with nothing in it. Scores come
// from detect::evaluate, as `airlock eval` computes them.
#include <catch2/catch.hpp>
#include <random>

#include "detect/detect.h"
#include "detect/evaluation.h"
#include "test_util.h"
#include "text/text.h"

using namespace airlock;

namespace {

class Generator {
 public:
  explicit Generator(uint64_t seed) : random_(seed) {}

  size_t below(size_t n) { return random_() % n; }
  std::string digits(size_t n) {
    std::string out;
    for (size_t i = 0; i < n; ++i) out += static_cast<char>('0' + below(10));
    return out;
  }
  template <typename T>
  const T& pick(const std::vector<T>& items) {
    return items[below(items.size())];
  }

  std::string card() {
    std::string number = "4" + digits(14);
    int sum = 0;
    bool twice = true;
    for (size_t i = number.size(); i-- > 0;) {
      int d = number[i] - '0';
      if (twice) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
      twice = !twice;
    }
    number += static_cast<char>('0' + (10 - sum % 10) % 10);
    return number.substr(0, 4) + " " + number.substr(4, 4) + " " + number.substr(8, 4) + " " + number.substr(12, 4);
  }
  std::string bad_card() {  // the last digit off by one: fails Luhn
    std::string c = card();
    c.back() = static_cast<char>('0' + (c.back() - '0' + 1) % 10);
    return c;
  }
  std::string ssn() {
    unsigned area = 1 + static_cast<unsigned>(below(665));
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "%03u-%02u-%04u", area, 1 + static_cast<unsigned>(below(99)),
                  1 + static_cast<unsigned>(below(9999)));
    return buffer;
  }
  std::string email() {
    static const std::vector<std::string> names = {"jane", "john.smith", "a.khan", "m_rossi", "li.wei", "ops-team"};
    static const std::vector<std::string> domains = {"example.org", "mail.example.com", "corp.example.net"};
    return pick(names) + std::to_string(below(100)) + "@" + pick(domains);
  }
  std::string iban() {  // GB, with valid mod-97 check digits
    std::string bban = "WEST" + digits(14);
    std::string rearranged = bban + "GB00";
    int remainder = 0;
    for (char c : rearranged) {
      std::string part = std::isdigit(static_cast<unsigned char>(c)) ? std::string(1, c) : std::to_string(c - 'A' + 10);
      for (char d : part) remainder = (remainder * 10 + (d - '0')) % 97;
    }
    int check = 98 - remainder;
    return std::string("GB") + (check < 10 ? "0" : "") + std::to_string(check) + bban;
  }
  std::string aws_key() {
    static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    std::string key = "AKIA";
    for (int i = 0; i < 16; ++i) key += kAlphabet[below(32)];
    return key;
  }
  std::string github_token() {
    static const char kAlphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    std::string token = "ghp_";
    for (int i = 0; i < 36; ++i) token += kAlphabet[below(62)];
    return token;
  }

 private:
  std::mt19937_64 random_;
};

// Evasions: the same value written to slip past naive patterns.
std::string fullwidth_digits(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      out += "\xEF\xBC";
      out += static_cast<char>(0x90 + (c - '0'));
    } else {
      out += c;
    }
  }
  return out;
}
std::string with_zero_width(const std::string& value) { return value.substr(0, 3) + "\xE2\x80\x8B" + value.substr(3); }
std::string with_cyrillic_a(std::string value) {
  size_t at = value.find('a');
  return at == std::string::npos || at > value.find('@') ? value : value.replace(at, 1, "\xD0\xB0");
}

struct Message {
  std::string text;
  std::vector<detect::Span> truth;   // entity spans, code points
  std::vector<detect::Span> decoys;  // must not be found
};

void plant(Message& m, const std::string& before, const std::string& value, const std::string& entity,
           const std::string& after, bool decoy = false) {
  m.text += before;
  uint64_t start = text::code_points_before(m.text, m.text.size());
  m.text += value;
  uint64_t end = text::code_points_before(m.text, m.text.size());
  m.text += after;
  (decoy ? m.decoys : m.truth).push_back({0, "", start, end, entity});
}

std::vector<Message> labelled_set(size_t count) {
  Generator g(20261125);
  std::vector<Message> messages;
  for (size_t i = 0; i < count; ++i) {
    Message m;
    switch (i % 12) {
      case 0: plant(m, "Please send the invoice to ", g.email(), "EMAIL_ADDRESS", " before Friday."); break;
      case 1: plant(m, "My card is ", g.card(), "CREDIT_CARD", ", it expires next year."); break;
      case 2: plant(m, "For the check, my SSN is ", g.ssn(), "US_SSN", " as requested."); break;
      case 3: plant(m, "Wire the refund to IBAN ", g.iban(), "IBAN_CODE", " today."); break;
      case 4: plant(m, "the deploy script has ", g.aws_key(), "AWS_ACCESS_KEY", " hard-coded"); break;
      case 5: plant(m, "use token ", g.github_token(), "GITHUB_TOKEN", " for the CI"); break;
      case 6: plant(m, "card number ", fullwidth_digits(g.card()), "CREDIT_CARD", " on file"); break;
      case 7: plant(m, "write to ", with_zero_width(g.email()), "EMAIL_ADDRESS", " or call."); break;
      case 8: plant(m, "contact ", with_cyrillic_a("anna" + g.email()), "EMAIL_ADDRESS", " today"); break;
      case 9: plant(m, "ssn ", fullwidth_digits(g.ssn()), "US_SSN", " verified"); break;
      case 10:  // decoys only
        plant(m, "Order ", g.bad_card(), "CREDIT_CARD", " shipped; ", true);
        plant(m, "commit ", "3f9a0c1d2e4b5a69c8d7e6f5a4b3c2d1e0f9a8b7", "SECRET", " merged; ", true);
        plant(m, "request id ", "123e4567-e89b-12d3-a456-426614174000", "SECRET", " logged; ", true);
        plant(m, "invalid ", "000-12-3456", "US_SSN", " rejected; ", true);
        plant(m, "version ", "2.10.3", "IP_ADDRESS", ".", true);
        break;
      default: m.text = "How do I reset my password on the mobile app? Thanks for the quick help."; break;
    }
    messages.push_back(std::move(m));
  }
  return messages;
}

}  // namespace

TEST_CASE("the shipped packs reach the accuracy bar on the labelled set", "[accuracy][slow]") {
  auto packs = detect::load_packs({std::string(AIRLOCK_SOURCE_DIR) + "/rules"});
  REQUIRE(packs.ok());
  detect::Scanner::Options options;
  options.min_score = 0.5;
  auto scanner = detect::Scanner::create(std::move(packs.value()), options);
  REQUIRE(scanner.ok());

  std::vector<Message> messages = labelled_set(2400);
  std::vector<detect::Span> truth, found;
  size_t decoys_found = 0;
  for (size_t line = 0; line < messages.size(); ++line) {
    const Message& m = messages[line];
    std::vector<detect::Finding> findings;
    REQUIRE(scanner.value()->scan(m.text, findings).ok());
    for (detect::Span span : m.truth) {
      span.line = line + 1;
      truth.push_back(span);
    }
    for (const detect::Finding& f : findings) {
      const std::string& entity = scanner.value()->rules()[f.rule].entity;
      found.push_back({line + 1, "", f.start, f.end, entity});
      for (const detect::Span& decoy : m.decoys) {
        if (f.start < decoy.end && decoy.start < f.end) {
          ++decoys_found;
          UNSCOPED_INFO("decoy reported as " << entity << " (rule " << scanner.value()->rules()[f.rule].id << ")");
        }
      }
    }
  }
  auto scores = detect::evaluate(truth, found);
  WARN("\n" << detect::evaluation_table(scores));
  CHECK(decoys_found == 0);
  for (const char* entity : {"EMAIL_ADDRESS", "CREDIT_CARD", "US_SSN", "IBAN_CODE", "AWS_ACCESS_KEY", "GITHUB_TOKEN"}) {
    INFO(entity);
    CHECK(scores[entity].recall() >= 0.98);
    CHECK(scores[entity].precision() >= 0.97);
  }
}
