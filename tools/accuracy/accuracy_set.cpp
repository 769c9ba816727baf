// Generating the labelled accuracy set (accuracy_set.h).
//
// A record is a user message from a domain's templates and an assistant
// reply. Templates name slots ({NAME}, {CARD}, …) that are filled with
// values made here, valid where the real thing is (Luhn, mod 97,
// base58check, the SSA's rules), in plain and adversarial spellings; the
// span of each planted value is recorded as it is written. Template text in
// [brackets] is a decoy word (a name used as a common word: "[May]"), kept
// without the brackets and labelled as a decoy.
#include "accuracy/accuracy_set.h"

#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <functional>
#include <map>
#include <random>
#include <string_view>

namespace airlock::accuracy {
namespace {

uint64_t code_points(std::string_view text) {
  uint64_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

// A value to plant: text before it (unlabelled), the value, text after it.
struct Value {
  std::string before;
  std::string text;
  std::string after;
  std::string entity;
  std::string variant = "plain";
  bool decoy = false;
};

const std::vector<std::string> kFirstNames = {
    "Maria",    "James",  "Jennifer", "Robert", "Linda",  "Michael", "Sarah",  "David",  "Emily", "Daniel",
    "Olga",     "Fatima", "Ahmed",    "Sven",   "Carlos", "Elena",   "Thomas", "Aisha",  "Kevin", "Laura",
    "Mohammed", "Hannah", "Lucas",    "Sofia",  "Ingrid", "Diego",   "Rachel", "Victor", "Nadia", "Patrick"};
// Names from outside the US and English lists the lexicons are built from.
const std::vector<std::string> kRareFirstNames = {"Priya",   "Chidi",    "Oluwaseun", "Siobhan", "Anjali",
                                                  "Kwame",   "Yuki",     "Aarav",     "Ngozi",   "Tenzin",
                                                  "Bartosz", "Thandiwe", "Xiaoming",  "Ayodele", "Eilidh"};
// First names that are also common words.
const std::vector<std::string> kWordFirstNames = {"Will",   "May",    "Mark",  "Grant", "Bill", "Rose", "Hope",
                                                  "Summer", "Jordan", "Faith", "Dawn",  "Jack", "Penny"};
const std::vector<std::string> kAccentedFirstNames = {"José", "Zoë", "Søren", "Renée", "Chloé", "Łukasz"};
const std::vector<std::string> kLastNames = {
    "Gonzalez", "Smith",   "Johnson", "Nguyen",     "Patel",        "Kowalski", "Okonkwo",   "Andersen",
    "Rossi",    "Tanaka",  "Haddad",  "O'Brien",    "Garcia-Lopez", "Schmidt",  "Novak",     "Brown",
    "Hughes",   "Fischer", "Adeyemi", "Chatterjee", "Müller",       "Ramírez",  "Lindqvist", "Mbeki",
    "Sato",     "Kaur",    "Dubois",  "Moreau",     "Wright",       "Hill"};

class Generator {
 public:
  explicit Generator(uint64_t seed) : random_(seed) {}

  size_t below(size_t n) { return static_cast<size_t>(random_() % n); }
  bool chance(unsigned percent) { return below(100) < percent; }
  template <typename T>
  const T& pick(const std::vector<T>& items) {
    return items[below(items.size())];
  }
  std::string from(std::string_view alphabet, size_t n) {
    std::string out;
    for (size_t i = 0; i < n; ++i) out += alphabet[below(alphabet.size())];
    return out;
  }
  std::string digits(size_t n) { return from("0123456789", n); }

  // ---- names --------------------------------------------------------------------------------

  std::string first_name() {
    size_t roll = below(100);
    if (roll < 55) return pick(kFirstNames);
    if (roll < 75) return pick(kRareFirstNames);
    if (roll < 90) return pick(kWordFirstNames);
    return pick(kAccentedFirstNames);
  }
  std::string last_name() { return pick(kLastNames); }

  Value name(const std::string& slot) {
    Value v;
    v.entity = "PERSON";
    std::string first = first_name(), last = last_name();
    if (slot == "FIRST") {
      v.text = first;
      v.variant = "first";
    } else if (slot == "LAST") {
      v.text = last;
      v.variant = "last";
    } else if (slot == "LASTFIRST") {
      v.text = last + ", " + first;
      v.variant = "last-first";
    } else if (slot == "NAME_LC") {
      v.text = first + " " + last;
      for (char& c : v.text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      v.variant = "lower";
    } else {
      bool middle = chance(10);
      v.text = first + (middle ? std::string(" ") + static_cast<char>('A' + below(26)) + ". " : " ") + last;
      v.variant = middle ? "middle-initial" : "full";
    }
    // Headers and forms often write names in capitals: "GONZALEZ, MARIA".
    bool ascii = std::all_of(v.text.begin(), v.text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    if ((slot == "LASTFIRST" || slot == "NAME") && ascii && chance(10)) {
      for (char& c : v.text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      v.variant = "capitals";
    }
    return v;
  }

  // ---- personal identifiers -----------------------------------------------------------------

  std::string luhn_complete(std::string number) {
    int sum = 0;
    bool twice = true;
    for (size_t i = number.size(); i-- > 0;) {
      int d = number[i] - '0';
      if (twice) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
      twice = !twice;
    }
    return number + static_cast<char>('0' + (10 - sum % 10) % 10);
  }
  std::string card_digits() {
    switch (below(3)) {
      case 0:
        return luhn_complete("4" + digits(14));
      case 1:
        return luhn_complete("5" + std::to_string(1 + below(5)) + digits(13));
      default:
        return luhn_complete(std::string(chance(50) ? "34" : "37") + digits(12));
    }
  }
  static std::string grouped(const std::string& digits, char separator) {
    std::vector<size_t> groups = digits.size() == 15 ? std::vector<size_t>{4, 6, 5} : std::vector<size_t>{4, 4, 4, 4};
    std::string out;
    size_t at = 0;
    for (size_t g : groups) {
      if (!out.empty()) out += separator;
      out += digits.substr(at, g);
      at += g;
    }
    return out;
  }
  Value card() {
    Value v;
    v.entity = "CREDIT_CARD";
    std::string number = card_digits();
    switch (below(7)) {
      case 0:
        v.text = number;
        break;
      case 1:
        v.text = grouped(number, '-');
        break;
      case 2:
        v.text = spaced(number), v.variant = "spaced-digits";
        break;
      case 3:
        v.text = fullwidth(grouped(number, ' ')), v.variant = "fullwidth";
        break;
      case 4:
        v.text = zero_width(grouped(number, ' '), 4), v.variant = "zero-width";
        break;
      default:
        v.text = grouped(number, ' ');
        break;
    }
    return v;
  }
  std::string ssn_digits() {
    unsigned area = 0;
    while (area == 0 || area == 666 || area == 78 || area == 219) area = 1 + static_cast<unsigned>(below(899));
    char buffer[32];  // room for any three unsigned numbers: the compiler checks
    std::snprintf(buffer, sizeof buffer, "%03u%02u%04u", area, 1 + static_cast<unsigned>(below(99)),
                  1 + static_cast<unsigned>(below(9999)));
    return buffer;
  }
  Value ssn() {
    Value v;
    v.entity = "US_SSN";
    std::string d = ssn_digits();
    std::string dashed = d.substr(0, 3) + "-" + d.substr(3, 2) + "-" + d.substr(5);
    switch (below(6)) {
      case 0:
        v.text = d.substr(0, 3) + " " + d.substr(3, 2) + " " + d.substr(5);
        break;
      case 1:
        v.text = spaced(d), v.variant = "spaced-digits";
        break;
      case 2:
        v.text = fullwidth(dashed), v.variant = "fullwidth";
        break;
      case 3:
        v.text = zero_width(dashed, 3), v.variant = "zero-width";
        break;
      default:
        v.text = dashed;
        break;
    }
    return v;
  }
  Value email() {
    static const std::vector<std::string> users = {"jane",    "john.smith", "a.khan",  "m_rossi",       "li.wei",
                                                   "priya.n", "carlos.g",   "hr-lead", "sofia.andersen"};
    static const std::vector<std::string> domains = {"example.org", "mail.example.com", "corp.example.net",
                                                     "clinic.example.co.uk", "example.de"};
    Value v;
    v.entity = "EMAIL_ADDRESS";
    std::string user = pick(users) + std::to_string(below(100));
    std::string domain = pick(domains);
    switch (below(6)) {
      case 0: {
        size_t dot = domain.find('.');
        v.text = user + " [at] " + domain.substr(0, dot) + " [dot] " +
                 domain.substr(dot + 1, domain.find('.', dot + 1) - dot - 1);
        if (domain.find('.', dot + 1) != std::string::npos)
          v.text += " [dot] " + domain.substr(domain.find('.', dot + 1) + 1);
        v.variant = "at-dot";
        break;
      }
      case 1:
        v.text = zero_width(user + "@" + domain, 2), v.variant = "zero-width";
        break;
      case 2:
        v.text = cyrillic_a("anna." + user + "@" + domain), v.variant = "homoglyph";
        break;
      default:
        v.text = user + "@" + domain;
        break;
    }
    return v;
  }
  Value phone() {
    static const std::vector<std::string> us_areas = {"212", "415", "312", "617", "206", "303", "512", "646", "702"};
    Value v;
    v.entity = "PHONE_NUMBER";
    std::string exchange = std::to_string(2 + below(8)) + digits(2);
    if (exchange[1] == '1' && exchange[2] == '1') exchange[2] = '2';
    switch (below(10)) {
      case 0:
        v.text = "(" + pick(us_areas) + ") " + exchange + "-" + digits(4), v.variant = "us";
        break;
      case 1:
        v.text = "+1 " + pick(us_areas) + "-" + exchange + "-" + digits(4), v.variant = "us";
        break;
      case 2:
        v.text = "020 7946 0" + digits(3), v.variant = "uk";
        break;
      case 3:
        v.text = "+44 20 7946 0" + digits(3), v.variant = "uk";
        break;
      case 4:
        v.text = "030 " + std::to_string(2 + below(7)) + digits(7), v.variant = "de";
        break;
      case 5:
        v.text = "+49 30 " + std::to_string(2 + below(7)) + digits(6), v.variant = "de";
        break;
      case 6: {
        // Paris, mainland mobiles, Nice (06 9x is overseas, which libphonenumber files elsewhere)
        static const std::vector<std::string> prefixes = {"01 4", "06 1", "06 2", "06 3", "07 8", "04 9"};
        v.text = pick(prefixes) + digits(1) + " " + digits(2) + " " + digits(2) + " " + digits(2);
        v.variant = "fr";
        break;
      }
      case 7:
        v.text = "+33 1 " + digits(2) + " " + digits(2) + " " + digits(2) + " " + digits(2), v.variant = "fr";
        break;
      case 8:
        v.text = std::to_string(7 + below(3)) + digits(4) + " " + digits(5), v.variant = "in";
        break;
      default:
        v.text = fullwidth("(" + pick(us_areas) + ") " + exchange + "-" + digits(4));
        v.variant = "fullwidth";
        break;
    }
    return v;
  }
  static std::string iban_with_check(const std::string& country, const std::string& bban) {
    std::string rearranged = bban + country + "00";
    unsigned remainder = 0;
    for (char c : rearranged) {
      unsigned value = std::isdigit(static_cast<unsigned char>(c)) ? static_cast<unsigned>(c - '0')
                                                                   : static_cast<unsigned>(c - 'A' + 10);
      remainder = (remainder * (value >= 10 ? 100 : 10) + value) % 97;
    }
    unsigned check = 98 - remainder;
    return country + (check < 10 ? "0" : "") + std::to_string(check) + bban;
  }
  std::string iban_compact() {
    static const std::string kLetters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    switch (below(5)) {
      case 0:
        return iban_with_check("GB", from(kLetters, 4) + digits(14));
      case 1:
        return iban_with_check("DE", digits(18));
      case 2:
        return iban_with_check("FR", digits(23));
      case 3:
        return iban_with_check("NL", from(kLetters, 4) + digits(10));
      default:
        return iban_with_check("ES", digits(20));
    }
  }
  static std::string in_fours(const std::string& compact) {
    std::string out;
    for (size_t i = 0; i < compact.size(); i += 4) out += (i ? " " : "") + compact.substr(i, 4);
    return out;
  }
  Value iban() {
    Value v;
    v.entity = "IBAN_CODE";
    std::string compact = iban_compact();
    v.text = chance(50) ? compact : in_fours(compact);
    if (chance(15)) v.text = zero_width(v.text, 4), v.variant = "zero-width";
    return v;
  }
  Value ip() {
    Value v;
    v.entity = "IP_ADDRESS";
    if (chance(60)) {
      static const std::vector<unsigned> firsts = {23, 31, 45, 52, 66, 81, 91, 104, 129, 151, 185, 203, 212};
      v.text = std::to_string(pick(firsts)) + "." + std::to_string(below(256)) + "." + std::to_string(below(256)) +
               "." + std::to_string(1 + below(254));
      v.variant = "v4";
    } else {
      static const char kHex[] = "0123456789abcdef";
      auto group = [&] { return std::string(1, kHex[1 + below(15)]) + from(kHex, 3); };
      v.text = chance(50) ? "2001:db8:" + group() + ":" + group() + "::" + group()
                          : "2a02:" + group() + ":" + group() + ":" + group() + ":" + group() + ":" + group() + ":" +
                                group() + ":" + group();
      v.variant = "v6";
    }
    return v;
  }
  Value mac() {
    Value v;
    v.entity = "MAC_ADDRESS";
    char separator = chance(50) ? ':' : '-';
    for (int i = 0; i < 6; ++i) v.text += (i ? std::string(1, separator) : "") + from("0123456789abcdef", 2);
    if (chance(30)) {
      for (char& c : v.text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return v;
  }
  std::string btc_address() {
    std::array<unsigned char, 25> bytes{};
    bytes[0] = 0;  // P2PKH, mainnet
    for (size_t i = 1; i < 21; ++i) bytes[i] = static_cast<unsigned char>(below(256));
    unsigned char once[SHA256_DIGEST_LENGTH], twice[SHA256_DIGEST_LENGTH];
    SHA256(bytes.data(), 21, once);
    SHA256(once, sizeof once, twice);
    for (size_t i = 0; i < 4; ++i) bytes[21 + i] = twice[i];
    static const char kBase58[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    std::vector<unsigned char> number(bytes.begin(), bytes.end());
    std::string out;
    while (std::any_of(number.begin(), number.end(), [](unsigned char b) { return b != 0; })) {
      unsigned remainder = 0;
      for (unsigned char& b : number) {
        unsigned value = remainder * 256 + b;
        b = static_cast<unsigned char>(value / 58);
        remainder = value % 58;
      }
      out.insert(out.begin(), kBase58[remainder]);
    }
    for (size_t i = 0; i < bytes.size() && bytes[i] == 0; ++i) out.insert(out.begin(), '1');
    return out;
  }
  Value date_of_birth() {
    Value v;
    v.entity = "DATE_OF_BIRTH";
    size_t year = 1940 + below(65), month = 1 + below(12), day = 1 + below(28);
    v.text = chance(50) ? two(month) + "/" + two(day) + "/" + std::to_string(year)
                        : std::to_string(year) + "-" + two(month) + "-" + two(day);
    return v;
  }
  Value wallet() {
    Value v;
    v.entity = "CRYPTO";
    if (chance(50)) {
      v.text = btc_address(), v.variant = "btc";
    } else {
      v.text = "0x" + from("0123456789abcdef", 40), v.variant = "eth";
    }
    return v;
  }

  // ---- secrets: one of each kind in rules/secrets.yaml ------------------------------------------

  static Value piece(std::string before, std::string text, std::string after) {
    Value v;
    v.before = std::move(before);
    v.text = std::move(text);
    v.after = std::move(after);
    return v;
  }

  Value secret() {
    static const std::string kAlnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    static const std::string kLetters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    static const std::string kUrlSafe = kAlnum + "_-";
    static const std::string kBase64 = kAlnum + "+/";
    static const std::string kHex = "0123456789abcdef";
    static const std::string kUpperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    using Make = std::function<Value()>;
    std::vector<std::pair<std::string, Make>> all = {
        {"AWS_ACCESS_KEY", [&] { return piece("", "AKIA" + from("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16), ""); }},
        {"GITHUB_TOKEN", [&] { return piece("", "ghp_" + from(kAlnum, 36), ""); }},
        {"OPENAI_API_KEY", [&] { return piece("", "sk-proj-" + from(kAlnum, 40), ""); }},
        {"SLACK_TOKEN",
         [&] { return piece("", "xoxb-" + digits(11) + "-" + digits(12) + "-" + from(kAlnum, 24), ""); }},
        {"PRIVATE_KEY", [&] { return piece("", "-----BEGIN RSA PRIVATE KEY-----", "\nMIIEow" + from(kBase64, 40)); }},
        {"JWT",
         [&] {
           return piece("Bearer ", "eyJ" + from(kUrlSafe, 20) + ".eyJ" + from(kUrlSafe, 30) + "." + from(kUrlSafe, 43),
                        "");
         }},
        {"PASSWORD", [&] { return piece("password=", from(kAlnum, 10) + "!" + from(kAlnum, 3), ""); }},
        {"AWS_SECRET_KEY", [&] { return piece("aws_secret_access_key = ", from(kBase64, 40), ""); }},
        {"GCP_SERVICE_ACCOUNT_KEY", [&] { return piece("\"private_key_id\": \"", from(kHex, 40), "\""); }},
        {"GCP_API_KEY", [&] { return piece("", "AIza" + from(kUrlSafe, 35), ""); }},
        {"GCP_OAUTH_CLIENT_SECRET", [&] { return piece("", "GOCSPX-" + from(kUrlSafe, 28), ""); }},
        {"AZURE_STORAGE_KEY",
         [&] {
           return piece(
               "DefaultEndpointsProtocol=https;AccountName=prodstore;AccountKey=", from(kBase64, 86) + "==", "");
         }},
        {"AZURE_CONNECTION_STRING",
         [&] {
           return piece("Endpoint=sb://prod-ns.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey=",
                        from(kBase64, 43) + "=", "");
         }},
        {"GITLAB_TOKEN", [&] { return piece("", "glpat-" + from(kUrlSafe, 20), ""); }},
        {"SLACK_WEBHOOK",
         [&] {
           return piece("",
                        "https://hooks.slack.com/services/T" + from(kUpperDigits, 10) + "/B" + from(kUpperDigits, 10) +
                            "/" + from(kAlnum, 24),
                        "");
         }},
        {"STRIPE_KEY", [&] { return piece("", "sk_live_" + from(kAlnum, 24), ""); }},
        {"ANTHROPIC_API_KEY", [&] { return piece("", "sk-ant-api03-" + from(kUrlSafe, 93) + "AA", ""); }},
        {"HUGGINGFACE_TOKEN", [&] { return piece("", "hf_" + from(kLetters, 34), ""); }},
        {"TWILIO_API_KEY", [&] { return piece("", "SK" + from(kHex, 32), ""); }},
        {"TWILIO_AUTH_TOKEN", [&] { return piece("twilio auth_token: ", from(kHex, 32), ""); }},
        {"SENDGRID_API_KEY", [&] { return piece("", "SG." + from(kUrlSafe, 22) + "." + from(kUrlSafe, 43), ""); }},
        {"NPM_TOKEN", [&] { return piece("", "npm_" + from(kAlnum, 36), ""); }},
        {"PYPI_TOKEN", [&] { return piece("", "pypi-AgEIcHlwaS5vcmc" + from(kUrlSafe, 60), ""); }},
        {"DATABASE_URL",
         [&] { return piece("postgres://app:", from(kAlnum, 14), "@db.internal.example.com:5432/app"); }},
        {"SECRET", [&] { return piece("client_secret=", from(kUrlSafe, 24), ""); }},
    };
    const auto& [entity, make] = all[next_secret_++ % all.size()];
    Value v = make();
    v.entity = entity;
    return v;
  }

  // ---- decoys -----------------------------------------------------------------------------

  Value decoy() {
    Value v;
    v.decoy = true;
    static const std::string kHex = "0123456789abcdef";
    switch (below(12)) {
      case 0: {
        std::string number = card_digits();
        number.back() = static_cast<char>('0' + (number.back() - '0' + 1) % 10);
        v = {"The test fixture uses ", grouped(number, ' '), " as a sample.", "CREDIT_CARD", "bad-luhn", true};
        break;
      }
      case 1:
        v = {"Your order ", "ORD-" + digits(8), " has shipped.", "SECRET", "order-id", true};
        break;
      case 2:
        v = {"request id ",
             from(kHex, 8) + "-" + from(kHex, 4) + "-4" + from(kHex, 3) + "-a" + from(kHex, 3) + "-" + from(kHex, 12),
             " was logged.",
             "SECRET",
             "uuid",
             true};
        break;
      case 3:
        v = {"The fix is in commit ", from(kHex, 40), ".", "SECRET", "git-hash", true};
        break;
      case 4:
        v = {"See ISBN ", "978-0-306-40615-7", " for the reference.", "CREDIT_CARD", "isbn", true};
        break;
      case 5:
        v = {"The job ran at ",
             "2026-" + two(1 + below(12)) + "-" + two(1 + below(28)) + "T" + two(below(24)) + ":" + two(below(60)) +
                 ":" + two(below(60)) + "Z",
             ".",
             "DATE_OF_BIRTH",
             "timestamp",
             true};
        break;
      case 6:
        v = {"epoch ", "17" + digits(8), " in the log.", "PHONE_NUMBER", "epoch", true};
        break;
      case 7: {
        const std::vector<std::string> invalid = {"000-" + digits(2) + "-1234", "666-12-" + digits(4),
                                                  "123-00-" + digits(4), "219-09-9999", "078-05-1120"};
        v = {"The form rejected ", pick(invalid), " as invalid.", "US_SSN", "invalid-ssn", true};
        break;
      }
      case 8: {
        std::string iban = iban_compact();
        iban[2] = static_cast<char>('0' + (iban[2] - '0' + 3) % 10);
        v = {"The bank says IBAN ", in_fours(iban), " has a typo.", "IBAN_CODE", "bad-iban", true};
        break;
      }
      case 9:
        v = {"Upgrade to ",
             "v" + std::to_string(1 + below(9)) + "." + std::to_string(below(30)) + "." + std::to_string(below(20)),
             " first.",
             "IP_ADDRESS",
             "version",
             true};
        break;
      case 10:
        v = {"Tracking number ",
             "1Z" + from("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 16),
             ".",
             "SECRET",
             "tracking",
             true};
        break;
      default:
        v = {"Build ",   std::to_string(1 + below(9)) + "." + std::to_string(below(12)) + "." + digits(4),
             " passed.", "IP_ADDRESS",
             "version",  true};
    }
    return v;
  }

  Value fill(const std::string& slot) {
    if (slot == "NAME" || slot == "FIRST" || slot == "LAST" || slot == "LASTFIRST" || slot == "NAME_LC")
      return name(slot);
    if (slot == "EMAIL") return email();
    if (slot == "DOB") return date_of_birth();
    if (slot == "PHONE") return phone();
    if (slot == "CARD") return card();
    if (slot == "SSN") return ssn();
    if (slot == "IBAN") return iban();
    if (slot == "IP") return ip();
    if (slot == "MAC") return mac();
    if (slot == "WALLET") return wallet();
    if (slot == "SECRET") return secret();
    return decoy();
  }

  // ---- adversarial spellings ----------------------------------------------------------------

  static std::string fullwidth(const std::string& value) {
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
  static std::string zero_width(const std::string& value, size_t at) {
    return value.substr(0, at) + "\xE2\x80\x8B" + value.substr(at);
  }
  static std::string cyrillic_a(std::string value) {
    size_t at = value.find('a');
    return at == std::string::npos || at > value.find('@') ? value : value.replace(at, 1, "\xD0\xB0");
  }
  static std::string spaced(const std::string& digits) {
    std::string out;
    for (char c : digits) out += (out.empty() ? "" : " ") + std::string(1, c);
    return out;
  }
  static std::string two(size_t n) { return (n < 10 ? "0" : "") + std::to_string(n); }

 private:
  std::mt19937_64 random_;
  size_t next_secret_ = 0;
};

struct Domain {
  std::string name;
  std::vector<std::string> personal;  // user messages with slots
  std::vector<std::string> clean;     // user messages with nothing personal
  std::vector<std::string> replies;   // assistant messages; {FIRST}/{NAME} only in personal records
  std::vector<std::string> clean_replies;
};

const std::vector<Domain>& domains() {
  static const std::vector<Domain> all = {
      {"support",
       {"Hi, this is {NAME} from accounting. I can't log in since the update.",
        "my name is {NAME_LC} and my parcel never arrived, you can reach me at {PHONE}",
        "Please send the invoice to {EMAIL} instead of the old address.",
        "I spoke with {NAME} on the phone yesterday and she said to write here.",
        "Can you ask {FIRST} to call me back on {PHONE}? It's about ticket 4471.",
        "Update my contact details: email {EMAIL}, mobile {PHONE}.",
        "The router at home is {IP} and its MAC is {MAC}, the connection drops every hour.",
        "{NAME} approved the replacement last week but nothing happened.",
        "Our technician, {NAME}, left the unit unplugged.", "my card {CARD} was charged twice for the same order",
        "The integration stopped working after I pasted {SECRET} into the settings page."},
       {"How do I reset my password on the mobile app?", "The app crashes when I open Settings on Android 14.",
        "Is there a way to export my data as CSV?", "[Will] the new plan include international calls?",
        "[Mark] the ticket as resolved, the issue is gone.", "Can I change the delivery slot to [May] 14?",
        "Where is your office in [Paris]? The page shows two addresses.",
        "We [hope] the [Summer] sale applies to accessories too.", "Do you ship to San Jose or only to Los Angeles?",
        "I bought the Galaxy phone at the Chase Center store."},
       {"Thanks, {FIRST}. I've escalated the ticket to our billing team.",
        "Hello {FIRST}, I'm sorry about the delay. A replacement is on its way.",
        "I have updated the record. Kind regards,\n{NAME}", "Hi {FIRST}! Please try logging out and in again.",
        "Thank you for the details. Best,\n{FIRST}"},
       {"Open Settings, choose Security, then Reset password.", "I'll [mark] it as resolved. Anything else?",
        "Yes, the export is under Account > Privacy.", "We [will] check and get back to you by [May] 20."}},
      {"medical",
       {"Patient: {LASTFIRST}\nDOB: {DOB}\nReason for visit: follow-up on blood pressure",
        "Dr. {LAST} prescribed amoxicillin, is it safe to take with ibuprofen?",
        "My mother {NAME} has been dizzy since Tuesday, what should we watch for?",
        "Referred by Dr. {NAME} for a cardiology consult; insurance id is on file.",
        "Please send the lab results to {EMAIL}, and my SSN is {SSN} if you need it for billing.",
        "Nurse {LAST} said the swelling should go down in a week.",
        "The discharge summary for {NAME} lists metformin 500 mg twice daily.",
        "Hi, I'm {NAME} and I need to move my appointment to Thursday."},
       {"What is a normal resting heart rate for adults?", "Can I take paracetamol and ibuprofen together?",
        "How long should I wait after eating before a blood test?", "Is a fever of 38.5 dangerous for a toddler?",
        "The clinic on [Hill] Road closes at 6pm, right?", "[Grant] me access to the portal so I can see my results.",
        "Is the Mayo Clinic diet any good?", "The Johns Hopkins guidelines say something else about Lyme disease."},
       {"Thank you, {FIRST}. Please bring the medication list to the appointment.",
        "Dear {FIRST},\nyour results are normal. Regards,\nDr. {LAST}",
        "Hello {FIRST}, the nurse will call you tomorrow morning."},
       {"Usually 60 to 100 beats per minute.", "Fasting for 8 to 12 hours is typical.",
        "Please see a doctor if it lasts more than three days.", "We [will] send a reminder in [June]."}},
      {"legal",
       {"The tenant, {NAME}, has not paid rent since March. What are my options?",
        "Plaintiff: {NAME}\nDefendant: Acme Logistics Ltd\nClaim: unpaid invoices",
        "Please draft a letter to Mr. {LAST} about the lease renewal.",
        "Dear {FIRST},\nplease find the signed contract attached.\nRegards,\n{NAME}",
        "Witness: {LASTFIRST}, present at the signing on 4 June.",
        "My landlord {NAME} kept the deposit; his email is {EMAIL}.", "Can Ms. {LAST} sign on behalf of the company?",
        "The settlement goes to IBAN {IBAN}, account holder {NAME}."},
       {"What is the notice period for ending a residential lease?", "Can a verbal agreement be binding?",
        "How long do I have to appeal a small claims decision?", "Do I need a notary for a power of attorney?",
        "Is a [Will] written by hand valid without witnesses?", "The court in [Jordan] County has a backlog.",
        "Does Virginia follow the same rule as Georgia?", "Do I need a permit to film at the Lincoln Memorial?"},
       {"Thanks, {FIRST}. I'll prepare a draft by Friday.",
        "Dear {FIRST},\nthe notice period is two months.\nBest regards,\n{NAME}",
        "Hello {FIRST}, I'd recommend a formal demand letter first."},
       {"It depends on the jurisdiction; usually 30 days.", "Yes, if both parties can prove its terms.",
        "A handwritten [will] may need witnesses depending on the state."}},
      {"hr",
       {"Name: {NAME}\nPosition: data analyst\nStart date: June 3",
        "{NAME} asked for parental leave starting next month, how do we record it?",
        "The performance review for {FIRST} is due Friday and I have no notes.",
        "Employee: {LASTFIRST}\nSSN: {SSN}\nBank: {IBAN}", "Can {FIRST} and {FIRST} swap shifts next week?",
        "Please update the payroll email for {NAME} to {EMAIL}.",
        "I'm writing a reference letter for {NAME}, who worked with us for three years.",
        "The candidate, {NAME}, can be reached at {PHONE}.",
        "The onboarding script still has {SECRET} in it from last year."},
       {"What should an onboarding checklist include?", "How many vacation days carry over to next year?",
        "Draft a job ad for a senior backend engineer.", "[Grant] the new hires access to the wiki on day one.",
        "[Bill] the training to the engineering budget.", "The [Summer] interns start on [May] 2.",
        "Our Austin and Denver offices close early on Friday.", "Should we move payroll from Workday to Gusto?"},
       {"Thanks, {FIRST}. I'll update the HR system today.", "Hi {FIRST}, the leave policy is on the intranet.",
        "I've sent the form. Cheers,\n{FIRST}"},
       {"An onboarding checklist usually covers accounts, equipment and a buddy.", "Up to five days carry over.",
        "I'll [mark] the request as approved."}},
      {"finance",
       {"Wire the refund to IBAN {IBAN}, beneficiary {NAME}.",
        "Account holder: {NAME}\nCard: {CARD}\nBilling email: {EMAIL}",
        "Charge the renewal to {CARD}, it expires next year.",
        "For the background check my SSN is {SSN} and I connect from {IP}.",
        "Send the payout to my wallet {WALLET} please.",
        "The loan officer, {NAME}, asked for my tax id and phone {PHONE}.",
        "My name is {NAME} and the direct debit from {IBAN} failed.",
        "Pay the contractor to {WALLET}, he confirmed by phone.",
        "The payment webhook is configured with {SECRET}; is it safe to share with the auditor?"},
       {"What's the difference between a Roth and a traditional IRA?", "How is capital gains tax calculated on stocks?",
        "Explain the difference between APR and APY.", "[Bill] payments are due on the 1st, right?",
        "Will interest rates drop in [April]?", "Is a [Grant] taxable income?",
        "Is Wells Fargo or Chase better for a small business?", "How did Tesla stock react to the earnings call?"},
       {"Thanks, {FIRST}. The refund will arrive in 3 to 5 business days.",
        "Hello {FIRST}, I've updated the payment method.", "Regards,\n{NAME}\nAccounts team"},
       {"APR excludes compounding; APY includes it.", "Short-term gains are taxed as ordinary income.",
        "Yes, the [bill] is due on the 1st."}},
      {"code",
       {"My config has {SECRET} in it, is that a problem before I push?",
        "The deploy script fails with 403, here is the env:\n{SECRET}\nany idea?",
        "git blame shows the change came from {NAME}, should I ask them?", "Thanks, {FIRST}! That fixed the build.",
        "Can you review this? cc {NAME}\n```\nclient = Client(key=\"{SECRET}\")\n```",
        "The server at {IP} refuses connections on port 5432.", "I leaked {SECRET} in a public gist, what do I do?",
        "Our CI uses {SECRET} and {SECRET}, both from the vault.", "Rotating keys today:\nold: {SECRET}\nnew: {SECRET}",
        "Is it bad that the logs print {SECRET} on startup?",
        "```\n{SECRET}\n```\nthis is in .env, committed by mistake"},
       {"How do I configure Kafka consumers in Python?", "The Jenkins build fails on the Docker step.",
        "What is the difference between Ruby and Rust?", "Why does git rebase rewrite commit hashes?",
        "[Will] this regex work on multiline input?", "[Mark] the test as flaky and skip it for now.",
        "The Apache config has a [Grant] directive I don't understand.", "Upgrade Node and [Jest] together?",
        "Should I use Mocha or Jasmine with React?", "Is Alpine or Debian better as a Docker base image?"},
       {"Thanks, {FIRST}. Rotate that key right away.", "Hi {FIRST}, revoke the token and purge it from history.",
        "Good catch. Best,\n{NAME}"},
       {"Use a consumer group and commit offsets after processing.", "Rebase creates new commits with new parents.",
        "It [will], if you pass the multiline flag."}},
  };
  return all;
}

class RecordBuilder {
 public:
  RecordBuilder(Generator& g, Record& record) : g_(g), record_(record) {}

  // Appends a message made from `pattern`: slots filled, [decoys] labelled.
  void message(const std::string& role, const std::string& pattern) {
    record_.messages.push_back({role, ""});
    size_t index = record_.messages.size() - 1;
    std::string& text = record_.messages.back().content;
    for (size_t i = 0; i < pattern.size();) {
      char c = pattern[i];
      size_t close = c == '{' ? pattern.find('}', i) : c == '[' ? pattern.find(']', i) : std::string::npos;
      if (close == std::string::npos) {
        text += c;
        ++i;
        continue;
      }
      std::string inner = pattern.substr(i + 1, close - i - 1);
      if (c == '[') {
        plant(index, {"", inner, "", "PERSON", "name-as-word", true});
      } else {
        plant(index, g_.fill(inner));
      }
      i = close + 1;
    }
  }

  void decoy_sentence() {
    size_t index = record_.messages.size() - 1;
    record_.messages.back().content += " ";
    plant(index, g_.decoy());
  }

 private:
  void plant(size_t index, const Value& v) {
    std::string& text = record_.messages[index].content;
    text += v.before;
    uint64_t start = code_points(text);
    text += v.text;
    record_.labels.push_back({index, start, code_points(text), v.entity, v.variant, v.decoy});
    text += v.after;
  }

  Generator& g_;
  Record& record_;
};

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buffer[8];
          std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(c));
          out += buffer;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

}  // namespace

std::vector<Record> generate(size_t count, uint64_t seed) {
  Generator g(seed);
  std::vector<Record> records;
  const std::vector<Domain>& all = domains();
  for (size_t i = 0; i < count; ++i) {
    const Domain& domain = all[i % all.size()];
    Record record;
    record.domain = domain.name;
    RecordBuilder builder(g, record);
    bool personal = (i / all.size()) % 3 != 2;  // a third of the records of each domain hold nothing personal
    builder.message("user", g.pick(personal ? domain.personal : domain.clean));
    if (g.chance(40)) builder.decoy_sentence();
    // Replies that name someone only where the conversation is personal.
    builder.message("assistant", g.pick(personal && g.chance(50) ? domain.replies : domain.clean_replies));
    records.push_back(std::move(record));
  }
  return records;
}

std::string chat_jsonl(const std::vector<Record>& records) {
  std::string out;
  for (const Record& record : records) {
    out += "{\"messages\":[";
    for (size_t m = 0; m < record.messages.size(); ++m) {
      out += (m ? "," : "") + std::string("{\"role\":") + json_string(record.messages[m].role) +
             ",\"content\":" + json_string(record.messages[m].content) + "}";
    }
    out += "]}\n";
  }
  return out;
}

std::string labels_jsonl(const std::vector<Record>& records, bool decoys) {
  std::string out;
  for (size_t line = 0; line < records.size(); ++line) {
    for (const Label& label : records[line].labels) {
      if (label.decoy != decoys) continue;
      out += "{\"line\":" + std::to_string(line + 1) + ",\"path\":\"/messages/" + std::to_string(label.message) +
             "/content\",\"start\":" + std::to_string(label.start) + ",\"end\":" + std::to_string(label.end) +
             ",\"entity\":" + json_string(label.entity) + ",\"variant\":" + json_string(label.variant) +
             ",\"domain\":" + json_string(records[line].domain) + "}\n";
    }
  }
  return out;
}

}  // namespace airlock::accuracy
