// detect/validators: each validator against published test values, plus hostile input.
#include "detect/validators.h"

#include <openssl/evp.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "detect/keccak.h"

using namespace airlock;
using detect::ValidatorParams;

namespace {

bool check(std::string_view name, std::string_view value, const ValidatorParams& params = {}) {
  const detect::ValidatorInfo* validator = detect::find_validator(name);
  REQUIRE(validator != nullptr);
  return validator->check(value, params);
}

void require_valid(std::string_view name, const std::vector<std::string>& values, const ValidatorParams& params = {}) {
  for (const auto& value : values) {
    INFO(name << " should accept '" << value << "'");
    CHECK(check(name, value, params));
  }
}

void require_invalid(std::string_view name, const std::vector<std::string>& values,
                     const ValidatorParams& params = {}) {
  for (const auto& value : values) {
    INFO(name << " should refuse '" << value << "'");
    CHECK_FALSE(check(name, value, params));
  }
}

Status params_status(std::string_view name, const ValidatorParams& params) {
  const detect::ValidatorInfo* validator = detect::find_validator(name);
  REQUIRE(validator != nullptr);
  return validator->check_params(params);
}

// The error message check_params gives, "" when the parameters are fine.
std::string params_error(std::string_view name, const ValidatorParams& params) {
  Status status = params_status(name, params);
  return status.ok() ? "" : status.error().message;
}

std::string hex(const detect::Digest256& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

// One value each validator accepts (with the parameters below), for the tests that walk them all.
const std::map<std::string, std::string>& valid_sample() {
  static const std::map<std::string, std::string> samples = {
      {"luhn", "4111 1111 1111 1111"},
      {"imei", "490154203237518"},
      {"iban", "GB82 WEST 1234 5698 7654 32"},
      {"us_ssn", "536-22-1234"},
      {"us_itin", "912-70-1234"},
      {"aba_routing", "111000025"},
      {"npi", "1234567893"},
      {"nhs", "943 476 5919"},
      {"dea", "AB1234563"},
      {"vin", "1M8GDM9AXKP042788"},
      {"uk_nino", "AB 12 34 56 C"},
      {"ipv4", "192.0.2.1"},
      {"ipv6", "2001:db8::8:800:200c:417a"},
      {"email_domain", "alice@example.com"},
      {"phone", "+1 650-253-0000"},
      {"btc_address", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"},
      {"eth_address", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"},
      {"date", "2024-02-29"},
      {"entropy", "Zq8#Lm2$Xv7!Rt4&"},
  };
  return samples;
}

ValidatorParams usable_params(std::string_view name) {
  if (name == "entropy") return {{"min_bits", "3.5"}};
  return {};
}

}  // namespace

TEST_CASE("validators: every validator is findable and accepts or clearly refuses empty parameters", "[validators]") {
  const auto& all = detect::all_validators();
  REQUIRE(all.size() == 19);
  for (const auto& info : all) {
    INFO(info.name);
    CHECK(detect::find_validator(info.name) == &info);
    CHECK_FALSE(info.description.empty());
    CHECK(valid_sample().count(std::string(info.name)) == 1);
    Status empty = info.check_params({});
    if (info.name == "entropy") {
      REQUIRE_FALSE(empty.ok());
      CHECK(empty.error().kind == ErrorKind::kUsage);
      CHECK_THAT(empty.error().message, Catch::Contains("'min_bits'") && Catch::Contains("required"));
    } else {
      CHECK(empty.ok());
    }
    Status unknown = info.check_params({{"colour", "blue"}});
    REQUIRE_FALSE(unknown.ok());
    CHECK_THAT(unknown.error().message, Catch::Contains("unknown parameter 'colour'"));
  }
  CHECK(detect::find_validator("nope") == nullptr);
  CHECK(detect::find_validator("") == nullptr);
  CHECK(detect::find_validator("LUHN") == nullptr);
}

TEST_CASE("validators: luhn: payment card test numbers and Wikipedia's example, with lengths", "[validators]") {
  // Card numbers from the test-card tables of Stripe's and PayPal's documentation.
  require_valid("luhn", {"4111111111111111", "5555555555554444", "378282246310005", "6011111111111117",
                         "4111 1111 1111 1111", "4111-1111-1111-1111", "3782 822463 10005", "4111.1111.1111.1111"});
  require_invalid("luhn", {"4111111111111112", "1234567812345678", "4111", "4111 1111 1111 111a", " 4111111111111111",
                           "4111111111111111-", "4111  1111 1111 1111", "4111..1111.1111.1111", "4111_1111_1111_1111",
                           "41111111111111111111"});  // 20 digits
  // Wikipedia's "Luhn algorithm" example has 11 digits: only with a lengths parameter.
  CHECK_FALSE(check("luhn", "79927398713"));
  CHECK(check("luhn", "79927398713", {{"lengths", "11"}}));
  CHECK_FALSE(check("luhn", "79927398710", {{"lengths", "11"}}));
  CHECK(check("luhn", "490154203237518", {{"lengths", "15"}}));
  CHECK_FALSE(check("luhn", "4111111111111111", {{"lengths", "15"}}));
  CHECK(check("luhn", "4111111111111111", {{"lengths", "12,15-16"}}));
  CHECK(check("luhn", "79927398713", {{"lengths", "bad"}}) == false);

  CHECK(params_error("luhn", {{"lengths", "15"}}).empty());
  CHECK(params_error("luhn", {{"lengths", "13-19"}}).empty());
  CHECK(params_error("luhn", {{"lengths", "12,15-16"}}).empty());
  for (std::string bad : {"", "0", "19-13", "abc", "65", "1-", "-5", "15,", "+15"}) {
    INFO("lengths '" << bad << "'");
    CHECK_THAT(params_error("luhn", {{"lengths", bad}}), Catch::Contains("parameter 'lengths'"));
  }
}

TEST_CASE("validators: imei: 15 digits with a Luhn check digit", "[validators]") {
  // 490154203237518: Wikipedia's "International Mobile Equipment Identity" check-digit example;
  // the others are the check digits of arbitrary TACs and serials, computed by hand.
  require_valid("imei", {"490154203237518", "35-209900-176148-1", "356938035643809", "49 015420 323751 8"});
  require_invalid("imei",
                  {"490154203237519", "49015420323751", "4901542032375180", "49015420323751X", "490154203237518 "});
}

TEST_CASE("validators: iban: SWIFT IBAN registry examples", "[validators]") {
  // Examples from the SWIFT IBAN registry (ISO 13616), in electronic and print form.
  require_valid("iban", {"GB82WEST12345698765432", "DE89370400440532013000", "FR1420041010050500013M02606",
                         "NL91ABNA0417164300", "BE68539007547034", "CH9300762011623852957", "NO9386011117947",
                         "MT84MALT011000012345MTLCAST001S", "GB82 WEST 1234 5698 7654 32", "gb82west12345698765432"});
  require_invalid("iban", {
                              "GB82WEST12345698765431",    // a wrong digit
                              "GB82WEST1234569876543",     // one short for GB
                              "DE89370400440532013000 0",  // one long for DE
                              "XX82WEST12345698765432",    // no such country
                              "GBX2WEST12345698765432",    // check digits must be digits
                              "GB82WEST-1234-5698-7654-32",
                              "GB82  WEST12345698765432",
                              "GB82WEST1234569876543€",
                              "",
                              "GB",
                          });
}

TEST_CASE("validators: iban: check digits 00, 01 and 99 are never issued even when mod 97 holds", "[validators]") {
  // The BBAN of GB82WEST12345698765432 with check digits that still satisfy mod 97 = 1:
  // 98 - x and 98 - x + 97 are equivalent, so 01 stands in for 98 and 99 for 02.
  // GB98WEST12345698765435 (computed by hand) has check digits 98, so 01 passes mod 97 too.
  CHECK(check("iban", "GB98WEST12345698765435"));
  CHECK_FALSE(check("iban", "GB01WEST12345698765435"));
}

TEST_CASE("validators: us_ssn: SSA area, group and serial rules and the famous invalid numbers", "[validators]") {
  require_valid("us_ssn", {"536-22-1234", "123 45 6789", "001010001", "772-12-3456", "665-99-9999"});
  require_invalid("us_ssn", {
                                "000-12-3456",
                                "666-12-3456",
                                "900-12-3456",
                                "999-12-3456",  // areas never issued
                                "123-00-4567",
                                "123-45-0000",  // group, serial
                                "078-05-1120",
                                "219-09-9999",  // printed on sample cards, used by thousands
                                "123-45 6789",
                                "123-456-789",
                                "12-345-6789",
                                "1234567890",
                                "12345678",
                                "abc-de-fghi",
                            });
}

TEST_CASE("validators: us_itin: 9xx area and the IRS group ranges", "[validators]") {
  require_valid("us_itin", {"912-70-1234", "999 88 1234", "900501234", "912-94-0001", "912-65-1234"});
  require_invalid("us_itin", {"812-70-1234", "912-93-1234", "912-66-1234", "912-89-1234", "912-49-1234", "912-70-12345",
                              "912-70 1234"});
}

TEST_CASE("validators: aba_routing: 3-7-1 checksum and prefix ranges", "[validators]") {
  // 111000025: Wikipedia's "ABA routing transit number" example; 021000021 (JPMorgan Chase, New
  // York) and 011000015 (Federal Reserve Bank of Boston) are published routing numbers.
  require_valid("aba_routing", {"111000025", "021000021", "011000015", "322271627"});
  require_invalid("aba_routing", {"021000022", "123456789", "000000000", "02100002", "0210000210",
                                  "131000005",  // checksum holds (computed by hand) but 13 is no district
                                  "02100002a"});
}

TEST_CASE("validators: npi: Luhn with the 80840 prefix", "[validators]") {
  // 1234567893: the example in CMS's "Requirements for the NPI check digit"; the others have
  // check digits verified independently (a short Python script) with the same rule.
  require_valid("npi", {"1234567893", "1245319599", "1003000126"});
  require_invalid("npi", {"1234567890", "1417938475", "3234567893", "123456789", "12345678933", "12345 67893"});
}

TEST_CASE("validators: nhs: mod-11 check digit", "[validators]") {
  // 943 476 5919: the NHS Data Dictionary's example; the others have check digits verified
  // independently with the same rule.
  require_valid("nhs", {"9434765919", "943 476 5919", "4010232137", "4505577104"});
  require_invalid("nhs", {"9434765918", "943-476-5919", "943476591", "94347659190", "0000000000", "4444444444",
                          "4010232170"});  // the check digit of 401023217 would be 10: never issued
}

TEST_CASE("validators: dea: registrant letters and checksum", "[validators]") {
  // The DEA check digit: last digit of d1+d3+d5 + 2*(d2+d4+d6); values constructed by hand.
  require_valid("dea", {"AB1234563", "BJ6125341", "FN5623740", "M91234563", "ab1234563"});
  require_invalid("dea", {"AB1234564", "MJ0123457", "ZB1234563", "A11234563", "AB123456", "AB12345634", "AB12345X3"});
}

TEST_CASE("validators: vin: North American check digit", "[validators]") {
  // 1M8GDM9AXKP042788: the example of 49 CFR 565 and Wikipedia's "Vehicle identification number"
  // (check digit X); the others are widely used example VINs whose check digits were verified
  // independently with the same rule.
  require_valid(
      "vin", {"1M8GDM9AXKP042788", "1HGCM82633A004352", "5YJSA1DG9DFP14705", "JH4KA7561PC008269", "1m8gdm9axkp042788"});
  require_invalid("vin", {"1M8GDM9AYKP042788", "1M8GDM9A1KP042788", "1M8GDM9AXKP04278", "1M8GDM9AXKP0427888",
                          "1M8GDM9AXKP04278O",    // O is not a VIN character
                          "11111111111111111"});  // the checksum holds, but it is a placeholder
}

TEST_CASE("validators: uk_nino: HMRC prefix and suffix rules", "[validators]") {
  require_valid("uk_nino", {"AB 12 34 56 C", "JG103759A", "CE123456D", "ab123456c"});
  require_invalid("uk_nino", {"QQ 12 34 56 C",  // HMRC's specimen: Q is never used
                              "BG123456A", "GB123456A", "ZZ123456A", "NK123456A", "AO123456A", "DA123456A", "AD123456A",
                              "AB123456E", "AB12345C", "AB1234567C", "AB123456"});
}

TEST_CASE("validators: ipv4: dotted quads and the allow_private parameter", "[validators]") {
  // Documentation addresses from RFC 5737 and well-known public resolvers.
  require_valid("ipv4", {"192.0.2.1", "198.51.100.7", "8.8.8.8", "255.255.255.255", "0.0.0.0", "10.0.0.1"});
  require_invalid("ipv4", {"999.1.1.1", "256.1.1.1", "01.2.3.4", "1.2.3", "1.2.3.4.5", "1..2.3", "1.2.3.4.", ".1.2.3.4",
                           "1.2.3.-4", "1.2.3.4 ", "a.b.c.d", "1.2.3.0x4"});
  ValidatorParams public_only = {{"allow_private", "false"}};
  require_valid("ipv4", {"8.8.8.8", "172.32.0.1", "192.169.0.1", "198.51.100.7"}, public_only);
  require_invalid("ipv4", {"10.0.0.1", "172.16.5.4", "172.31.255.255", "192.168.1.1", "127.0.0.1", "169.254.1.1"},
                  public_only);
  CHECK(params_error("ipv4", {{"allow_private", "true"}}).empty());
  CHECK_THAT(params_error("ipv4", {{"allow_private", "no"}}), Catch::Contains("parameter 'allow_private'"));
}

TEST_CASE("validators: ipv6: full and compressed forms from RFC 4291", "[validators]") {
  // Mostly the text-representation examples of RFC 4291 section 2.2.
  require_valid("ipv6", {"2001:DB8:0:0:8:800:200C:417A", "2001:db8::8:800:200c:417a", "FF01::101", "::1", "::",
                         "0:0:0:0:0:0:13.1.68.3", "::13.1.68.3", "::FFFF:129.144.52.38", "1:2:3:4:5:6:7::", "fe80::1"});
  require_invalid("ipv6", {"2001:db8::1::1", "2001:db8:0:0:8:800:200c", "fe80::1%eth0", "12345::", ":1:2:3:4:5:6:7",
                           "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8::", "::ffff:999.0.2.1", "::1.2.3.4:5",
                           ":::", "1:2:3:4:5:6:7:", "g::1", "1.2.3.4", ":"});
}

TEST_CASE("validators: email_domain: DNS label rules and lengths", "[validators]") {
  require_valid("email_domain", {"alice@example.com", "bob.smith+tag@mail.example.co.uk", "user@xn--e1afmkfd.xn--p1ai",
                                 "example.org", "a@b-c.io", std::string(64, 'x') + "@example.com"});
  require_invalid("email_domain", {"alice@localhost", "alice@-example.com", "alice@example-.com", "alice@example.c",
                                   "alice@example.123", std::string(65, 'x') + "@example.com", "alice@exa_mple.com",
                                   "alice@example..com", "alice@", "@example.com", "alice@example.com.",
                                   "alice@" + std::string(64, 'a') + ".com", "al ice@example.com", "alice@münchen.de"});
  // 253 characters is the most a domain may have.
  std::string label(49, 'a');
  std::string longest = label + "." + label + "." + label + "." + label + "." + label + ".com";  // 5*50 + 3
  REQUIRE(longest.size() == 253);
  CHECK(check("email_domain", "a@" + longest));
  CHECK_FALSE(check("email_domain", "a@a" + longest));
}

TEST_CASE("validators: phone: libphonenumber validity for the region or the + country code", "[validators]") {
  // +1 650-253-0000 is Google's published switchboard; 020 7946 0958 is in Ofcom's range for drama.
  require_valid("phone",
                {"+1 650-253-0000", "(650) 253-0000", "650.253.0000", "+44 20 7946 0958", "+33 1 42 68 53 00"});
  require_invalid("phone", {"123", "253-0000", "+1 123 456 7890", "(000) 253-0000", "+999 1234 5678", "1-800-FLOWERS",
                            "+1 650 253 0000 ext 1"});
  ValidatorParams gb = {{"region", "GB"}};
  require_valid("phone", {"020 7946 0958", "+1 650-253-0000", "07911 123456", "0161 496 0000"}, gb);
  require_invalid("phone", {"(650) 253-0000", "020 7946", "0000 000000"}, gb);
  CHECK(params_error("phone", gb).empty());
  CHECK_THAT(params_error("phone", {{"region", "XX"}}), Catch::Contains("parameter 'region'"));
  CHECK_THAT(params_error("phone", {{"region", "gb"}}), Catch::Contains("parameter 'region'"));
  CHECK_FALSE(check("phone", "020 7946 0958", {{"region", "XX"}}));
}

TEST_CASE("validators: btc_address: base58check", "[validators]") {
  // The genesis block's address, and the P2PKH/P2SH examples of the Bitcoin wiki.
  require_valid("btc_address", {"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
                                "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
                                "1111111111111111111114oLvT2"});  // hash of all zeros: leading '1's are zero bytes
  require_invalid("btc_address", {
                                     "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb",   // one character changed
                                     "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfN",    // one short
                                     "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa1",  // one long
                                     "0A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",   // 0 is not base58
                                     "11A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",  // a leading zero byte too many
                                     "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn",   // testnet version byte
                                 });
}

TEST_CASE("validators: btc_address: bech32 and bech32m test vectors of BIP-173 and BIP-350", "[validators]") {
  require_valid(
      "btc_address",
      {"BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3",
       "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y", "BC1SW50QGDZ25J",
       "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"});
  require_invalid("btc_address",
                  {
                      "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",  // v1 with bech32
                      "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",  // v16 with bech32
                      "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",                      // v0 with bech32m
                      "bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4",  // 'o' in the checksum
                      "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",  // witness version 17
                      "bc1pw5dgrnzv",                                                    // 1-byte program
                      "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav",  // 41 bytes
                      "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",                            // v0 with 16 bytes
                      "bc1zw508d6qejxtdg4y5r3zarvaryvqyzf3du",                           // too much padding
                      "bc1gmk9yu",                                                       // empty data
                      "bc1qW508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",                      // mixed case
                      "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx",                      // testnet
                      "tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut",  // unknown prefix
                  });
}

TEST_CASE("validators: keccak256 matches published digests, its sponge matches SHA3-256", "[validators]") {
  CHECK(hex(detect::keccak256("")) == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  CHECK(hex(detect::keccak256("abc")) == "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
  CHECK(hex(detect::keccak256("The quick brown fox jumps over the lazy dog")) ==
        "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15");
  // Lengths around the 136-byte rate exercise padding at every position and multi-block input.
  std::string data;
  for (size_t length = 0; length <= 3 * 136 + 1; ++length) {
    detect::Digest256 expected{};
    unsigned size = 0;
    REQUIRE(EVP_Digest(data.data(), data.size(), expected.data(), &size, EVP_sha3_256(), nullptr) == 1);
    INFO("length " << length);
    CHECK(hex(detect::sha3_256(data)) == hex(expected));
    data += static_cast<char>(length * 7 + 1);
  }
}

TEST_CASE("validators: eth_address: EIP-55 checksum test addresses", "[validators]") {
  // The test cases listed in EIP-55.
  require_valid("eth_address",
                {"0x52908400098527886E0F7030069857D2E4169EE7", "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
                 "0xde709f2102306220921060314715629080e2fb77", "0x27b1fdb04752bbc536007a920d24acb045561c26",
                 "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
                 "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"});
  require_invalid("eth_address", {
                                     "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD",  // one letter's case flipped
                                     "0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
                                     "0xfb6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
                                     "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe",    // 39 hex digits
                                     "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed0",  // 41
                                     "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed00",   // no 0x
                                     "0X5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
                                     "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg",
                                 });
}

TEST_CASE("validators: date: real calendar dates in the numeric and named-month forms", "[validators]") {
  require_valid("date", {"2024-02-29", "2000-02-29", "1900-01-01", "2100-12-31", "12/31/1999", "31/12/1999",
                         "31.12.1999", "1/5/1990", "5.1.1990", "January 5, 1990", "january 5 1990", "5 Jan 1990",
                         "Sept. 30, 2021", "Feb 29, 2024", "29 February 2024"});
  require_invalid("date", {"2023-02-29",       "1900-02-29",        "2024-13-01", "2024-00-10",      "2024-04-31",
                           "1899-12-31",       "2101-01-01",        "02/30/2020", "31.02.2020",      "13/13/2020",
                           "2024-2-29",        "2024/02/29",        "12-31-1999", "Janvier 5, 1990", "Febr 5, 1990",
                           "January 32, 1990", "February 29, 2023", "January 5",  "123/1/2000",      "1/1/20000",
                           "2024-02-29T00:00"});
}

TEST_CASE("validators: date: the order parameter decides how numeric dates are read", "[validators]") {
  CHECK(check("date", "12/31/1999", {{"order", "mdy"}}));
  CHECK_FALSE(check("date", "12/31/1999", {{"order", "dmy"}}));
  CHECK(check("date", "31/12/1999", {{"order", "dmy"}}));
  CHECK_FALSE(check("date", "31/12/1999", {{"order", "mdy"}}));
  CHECK(check("date", "31.12.1999", {{"order", "dmy"}}));
  CHECK_FALSE(check("date", "12.31.1999", {{"order", "mdy"}}));  // dots are always day first
  CHECK(check("date", "2024-02-29", {{"order", "ymd"}}));
  CHECK_FALSE(check("date", "2024-02-29", {{"order", "mdy"}}));
  CHECK_FALSE(check("date", "12/31/1999", {{"order", "ymd"}}));
  CHECK(check("date", "January 5, 1990", {{"order", "dmy"}}));  // a named month is never ambiguous
  CHECK(params_error("date", {{"order", "any"}}).empty());
  CHECK_THAT(params_error("date", {{"order", "ydm"}}), Catch::Contains("parameter 'order'"));
  CHECK_FALSE(check("date", "2024-02-29", {{"order", "ydm"}}));
}

TEST_CASE("validators: shannon_entropy and the entropy validator", "[validators]") {
  CHECK(detect::shannon_entropy("") == 0.0);
  CHECK(detect::shannon_entropy("aaaa") == 0.0);
  CHECK(detect::shannon_entropy("ab") == Approx(1.0));
  CHECK(detect::shannon_entropy("abcd") == Approx(2.0));
  CHECK(detect::shannon_entropy("aab") == Approx(0.918295834));
  std::string every_byte;
  for (int b = 0; b < 256; ++b) every_byte += static_cast<char>(b);
  CHECK(detect::shannon_entropy(every_byte) == Approx(8.0));

  ValidatorParams params = {{"min_bits", "3.5"}};
  require_valid("entropy", {"Zq8#Lm2$Xv7!Rt4&", "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
                params);
  require_invalid("entropy", {"", "aaaaaaaaaaaaaaaa", "password", "abababababababab"}, params);
  ValidatorParams long_only = {{"min_bits", "3"}, {"min_length", "20"}};
  CHECK(check("entropy", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", long_only));
  CHECK_FALSE(check("entropy", "Zq8#Lm2$Xv7!Rt4&", long_only));
  CHECK_FALSE(check("entropy", "Zq8#Lm2$Xv7!Rt4&", {}));

  CHECK(params_error("entropy", {{"min_bits", "0"}}).empty());
  CHECK(params_error("entropy", {{"min_bits", "8"}, {"min_length", "32"}}).empty());
  for (std::string bad : {"", "abc", "-1", "8.5", "nan", "inf", "3.5bits"}) {
    INFO("min_bits '" << bad << "'");
    CHECK_THAT(params_error("entropy", {{"min_bits", bad}}), Catch::Contains("parameter 'min_bits'"));
  }
  CHECK_THAT(params_error("entropy", {{"min_bits", "3"}, {"min_length", "-1"}}),
             Catch::Contains("parameter 'min_length'"));
  CHECK_THAT(params_error("entropy", {{"min_length", "10"}}), Catch::Contains("'min_bits' is required"));
}

TEST_CASE("validators: hostile input: empty, huge, non-ASCII, NUL values are refused, no crash", "[validators]") {
  std::vector<std::string> hostile = {
      "",
      std::string(1, '\0'),
      std::string(100000, '9'),
      std::string(1 << 20, '1'),
      "\xff\xfe\xfd\xfc",
      "\xef\xbc\x94\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91",                            // fullwidth "4111"
      "\xd9\xa1\xd9\xa2\xd9\xa3-\xd9\xa4\xd9\xa5-\xd9\xa6\xd9\xa7\xd9\xa8\xd9\xa9",  // Arabic-Indic digits
      "\xc3\xa9",
  };
  std::string repeated_digits;
  for (int i = 0; i < 10000; ++i) repeated_digits += "1234567890";
  hostile.push_back(repeated_digits);
  for (const auto& info : detect::all_validators()) {
    // Entropy with 7 bits per character: none of the values above comes near.
    ValidatorParams params = info.name == "entropy" ? ValidatorParams{{"min_bits", "7"}} : ValidatorParams{};
    for (const auto& value : hostile) {
      INFO(info.name << " on a hostile value of " << value.size() << " bytes");
      CHECK_FALSE(info.check(value, params));
    }
  }
}

TEST_CASE("validators: hostile input: a NUL inside or after a valid value makes it invalid", "[validators]") {
  for (const auto& info : detect::all_validators()) {
    if (info.name == "entropy") continue;  // entropy counts bytes, NUL is one like any other
    const std::string& sample = valid_sample().at(std::string(info.name));
    INFO(info.name << " sample '" << sample << "'");
    REQUIRE(info.check(sample, usable_params(info.name)));
    std::string inside = sample;
    inside.insert(sample.size() / 2, 1, '\0');
    CHECK_FALSE(info.check(inside, {}));
    CHECK_FALSE(info.check(sample + std::string(1, '\0'), {}));
    CHECK_FALSE(info.check(std::string(1, '\0') + sample, {}));
  }
}

TEST_CASE("validators: hostile input: random bytes and mutated samples never crash a validator", "[validators]") {
  std::mt19937 random(20261125);  // fixed seed: the same inputs every run
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<size_t> length(0, 120);
  for (const auto& info : detect::all_validators()) {
    ValidatorParams params = usable_params(info.name);
    const std::string& sample = valid_sample().at(std::string(info.name));
    for (int round = 0; round < 2000; ++round) {
      std::string value(length(random), '\0');
      for (char& c : value) c = static_cast<char>(byte(random));
      (void)info.check(value, params);
      std::string mutated = sample;
      mutated[std::uniform_int_distribution<size_t>(0, mutated.size() - 1)(random)] = static_cast<char>(byte(random));
      (void)info.check(mutated, params);
    }
  }
  SUCCEED("no crash");
}
