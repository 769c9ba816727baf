// detect: loading rule packs, compiling them, scanning with exact spans.
#include "detect/detect.h"
#include "detect/evaluation.h"

#include <catch2/catch.hpp>
#include <random>

#include "test_util.h"

using namespace airlock;
using test::TempDir;

namespace {

const std::string kTestPack = std::string(AIRLOCK_SOURCE_DIR) + "/fixtures/rules/test-pack.yaml";

std::unique_ptr<detect::Scanner> test_scanner(double min_score = 0.0) {
  Result<std::vector<detect::RulePack>> packs = detect::load_packs({kTestPack});
  REQUIRE(packs.ok());
  detect::Scanner::Options options;
  options.min_score = min_score;
  Result<std::unique_ptr<detect::Scanner>> scanner = detect::Scanner::create(std::move(packs.value()), options);
  REQUIRE(scanner.ok());
  return std::move(scanner.value());
}

struct Found {
  std::string rule;
  std::string original;  // the original bytes the finding covers
  size_t start, end;     // code points
  double score;
};

std::vector<Found> scan(const detect::Scanner& scanner, const std::string& text) {
  std::vector<detect::Finding> findings;
  Status s = scanner.scan(text, findings);
  REQUIRE(s.ok());
  std::vector<Found> out;
  for (const auto& f : findings) {
    out.push_back(
        {scanner.rules()[f.rule].id, text.substr(f.byte_start, f.byte_end - f.byte_start), f.start, f.end, f.score});
  }
  return out;
}

// Loads a pack written to a file; returns the error message ("" if it loads).
std::string load_error(const std::string& yaml) {
  TempDir dir;
  test::write_file(dir / "pack.yaml", yaml);
  Result<std::vector<detect::RulePack>> packs = detect::load_packs({dir / "pack.yaml"});
  if (packs.ok()) {
    auto scanner = detect::Scanner::create(std::move(packs.value()), {});
    if (scanner.ok()) return "";
    CHECK(scanner.error().exit_code() == 2);
    return scanner.error().message;
  }
  CHECK(packs.error().exit_code() == 2);
  return packs.error().message;
}

std::string pack_with(const std::string& rule_lines) {
  return "pack: p\nversion: '1'\nrules:\n  - id: p.one\n    entity: THING\n    pattern: 'x+'\n    score: 0.5\n" +
         rule_lines;
}

}  // namespace

TEST_CASE("a rule pack loads with every field", "[detect]") {
  Result<detect::RulePack> pack = detect::load_pack(kTestPack);
  REQUIRE(pack.ok());
  CHECK(pack->name == "test");
  CHECK(pack->version == "1.0");
  CHECK(pack->sha256.size() == 64);
  REQUIRE(pack->rules.size() == 5);
  const detect::Rule& card = pack->rules[2];
  CHECK(card.id == "test.card");
  CHECK(card.entity == "CREDIT_CARD");
  CHECK(card.line == 25);
  REQUIRE(card.validators.size() == 1);
  CHECK(card.validators[0].validator->name == "luhn");
  CHECK(card.context.words == std::vector<std::string>{"card", "visa", "credit card"});
  CHECK(card.context.adjust == Approx(0.3));
  CHECK(card.negative_context.adjust == Approx(0.4));
  CHECK(pack->rules[1].case_insensitive);
  CHECK(pack->rules[3].value_group == "value");
}

TEST_CASE("malformed packs are refused with file, line, rule and reason", "[detect]") {
  CHECK(load_error(pack_with("")) == "");
  CHECK_THAT(load_error(pack_with("    colour: red\n")),
             Catch::Contains("pack.yaml:8: rule p.one: unknown key 'colour'"));
  CHECK_THAT(load_error(pack_with("    validators: [lunh]\n")),
             Catch::Contains("rule p.one: unknown validator 'lunh'"));
  CHECK_THAT(load_error(pack_with("    validators: [{name: luhn, color: x}]\n")), Catch::Contains("validator luhn"));
  CHECK_THAT(load_error(pack_with("    flags: [sometimes]\n")), Catch::Contains("unknown flag 'sometimes'"));
  CHECK_THAT(load_error(pack_with("    value_group: v\n")), Catch::Contains("value_group 'v' is not a named group"));
  CHECK_THAT(load_error(pack_with("    examples: {match: x}\n")), Catch::Contains("must be a list of strings"));
  CHECK_THAT(load_error(pack_with("    context: {words: [a], window: 0}\n")), Catch::Contains("'window' must be"));
  CHECK_THAT(load_error(pack_with("  - id: p.one\n    entity: T\n    pattern: y\n    score: 1\n")),
             Catch::Contains("duplicate rule id"));
  CHECK_THAT(load_error("pack: p\nversion: '1'\nrules:\n  - id: p.bad\n    entity: T\n    pattern: '(?<x'\n"
                        "    score: 0.5\n"),
             Catch::Contains("pack.yaml:4: rule p.bad: pattern rejected by RE2"));
  CHECK_THAT(
      load_error("pack: p\nversion: '1'\nrules:\n  - id: p.bad\n    entity: lower\n    pattern: x\n    score: 0.5\n"),
      Catch::Contains("entity must be upper case"));
  CHECK_THAT(load_error("pack: p\nversion: '1'\nrules:\n  - id: p.bad\n    entity: T\n    pattern: x\n    score: 2\n"),
             Catch::Contains("'score' must be a number from 0 to 1"));
  CHECK_THAT(load_error("pack: p\nversion: '1'\nrules:\n  - entity: T\n"), Catch::Contains("a rule needs an 'id'"));
  CHECK_THAT(load_error("pack: p\nrules: []\n"), Catch::Contains("missing 'version'"));
  CHECK_THAT(load_error("pack: [unclosed\n"), Catch::Contains("pack.yaml:") && Catch::Contains("invalid YAML"));
  CHECK_THAT(load_error("just a string\n"), Catch::Contains("a rule pack is a mapping"));
  CHECK_THAT(load_error(std::string(100000, '[')), Catch::Contains("pack.yaml"));  // deep nesting: an error, no crash
}

TEST_CASE("missing packs and empty folders are errors", "[detect]") {
  TempDir dir;
  auto missing = detect::load_packs({dir / "nope.yaml"});
  REQUIRE_FALSE(missing.ok());
  CHECK_THAT(missing.error().message, Catch::Contains("nope.yaml: cannot open"));
  auto empty = detect::load_packs({dir.path()});
  REQUIRE_FALSE(empty.ok());
  CHECK_THAT(empty.error().message, Catch::Contains("no rule packs"));
}

TEST_CASE("every example of the test pack behaves", "[detect]") {
  auto scanner = test_scanner();
  auto failures = detect::check_examples(*scanner);
  REQUIRE(failures.ok());
  for (const auto& f : failures.value()) FAIL_CHECK(f.rule->id << ": " << f.example);
  CHECK(failures->empty());
}

TEST_CASE("findings carry exact spans in bytes and code points", "[detect]") {
  auto scanner = test_scanner();
  auto found = scan(*scanner, "Grüße an jane.doe@example.org!");
  REQUIRE(found.size() == 1);
  CHECK(found[0].rule == "test.email");
  CHECK(found[0].original == "jane.doe@example.org");
  CHECK(found[0].start == 9);  // "Grüße an " is 9 code points, 11 bytes
  CHECK(found[0].end == 29);
}

TEST_CASE("validators, allow lists and value groups decide what is reported", "[detect]") {
  auto scanner = test_scanner();
  CHECK(scan(*scanner, "card 4111 1111 1111 1112").empty());  // fails Luhn
  CHECK(scan(*scanner, "mail noreply@example.com").empty());  // allowed
  auto password = scan(*scanner, "login with password = s3cretValue; ok");
  REQUIRE(password.size() == 1);
  CHECK(password[0].original == "s3cretValue");  // the value, not the keyword
  CHECK(scan(*scanner, "password: xxxxxxxxx").empty());
}

TEST_CASE("context words raise and negative context lowers the score", "[detect]") {
  auto scanner = test_scanner();
  CHECK(scan(*scanner, "4111 1111 1111 1111")[0].score == Approx(0.6));
  CHECK(scan(*scanner, "my visa is 4111 1111 1111 1111")[0].score == Approx(0.9));
  CHECK(scan(*scanner, "the credit card: 4111 1111 1111 1111")[0].score == Approx(0.9));
  CHECK(scan(*scanner, "order number 4111 1111 1111 1111")[0].score == Approx(0.2));
  // Out of the window (6 words) the context does not count.
  CHECK(scan(*scanner, "card one two three four five six seven 4111 1111 1111 1111")[0].score == Approx(0.6));
  auto with_minimum = test_scanner(0.5);
  CHECK(scan(*with_minimum, "SSN 123-45-6789").size() == 1);  // 0.4 + context
  CHECK(scan(*with_minimum, "id 123-45-6789").empty());       // 0.4 alone
}

TEST_CASE("evasions: fullwidth, zero-width, homoglyphs and [at]/[dot] are found", "[detect]") {
  auto scanner = test_scanner();
  std::string zwsp = "\xE2\x80\x8B";
  auto zero_width = scan(*scanner, "card 4111" + zwsp + " 1111 1111" + zwsp + " 1111 thanks");
  REQUIRE(zero_width.size() == 1);
  CHECK(zero_width[0].original == "4111" + zwsp + " 1111 1111" + zwsp + " 1111");

  std::string fullwidth = "\xEF\xBC\x94\xEF\xBC\x91\xEF\xBC\x91\xEF\xBC\x91";  // ４１１１
  auto wide = scan(*scanner, "card " + fullwidth + " 1111 1111 1111");
  REQUIRE(wide.size() == 1);
  CHECK(wide[0].original == fullwidth + " 1111 1111 1111");
  CHECK(wide[0].start == 5);
  CHECK(wide[0].end == 24);

  std::string cyrillic = "j\xD0\xB0ne@ex\xD0\xB0mple.org";  // Cyrillic а twice
  auto homoglyph = scan(*scanner, "to " + cyrillic);
  REQUIRE(homoglyph.size() == 1);
  CHECK(homoglyph[0].original == cyrillic);

  auto spelled = scan(*scanner, "reach me: jane [at] example [dot] com");
  REQUIRE(spelled.size() == 1);
  CHECK(spelled[0].rule == "test.email_obfuscated");
  CHECK(spelled[0].original == "jane [at] example [dot] com");
}

TEST_CASE("overlapping candidates: higher score wins, then the longer span", "[detect]") {
  TempDir dir;
  test::write_file(dir / "p.yaml", R"(pack: p
version: "1"
rules:
  - {id: p.short, entity: A, pattern: '\d{3}', score: 0.5}
  - {id: p.long, entity: B, pattern: '\d{3}-\d{4}', score: 0.5}
  - {id: p.strong, entity: C, pattern: '\d{4}', score: 0.9}
)");
  auto packs = detect::load_packs({dir / "p.yaml"});
  REQUIRE(packs.ok());
  auto scanner = detect::Scanner::create(std::move(packs.value()), {});
  REQUIRE(scanner.ok());
  auto found = scan(*scanner.value(), "555-0100 and 123-");
  REQUIRE(found.size() == 3);
  CHECK(found[0].rule == "p.short");   // 555: p.long lost 555-0100 to p.strong's 0100
  CHECK(found[1].rule == "p.strong");  // 0100
  CHECK(found[2].rule == "p.short");   // 123
}

// Differential: what the RE2::Set prefilter lets through must be exactly
// what each rule alone finds, before overlaps are resolved.
TEST_CASE("the set prefilter agrees with running every rule alone", "[detect][differential]") {
  auto scanner = test_scanner();
  const std::vector<std::string> pieces = {"4111",   " 1111",   "-",       "jane",      "@",        "example",
                                           ".org",   " [at] ",  " [dot] ", "password=", "hunter22", "123-45-6789",
                                           " card ", " order ", "x",       " "};
  std::mt19937 random(7);
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    for (size_t i = 0, n = 1 + random() % 12; i < n; ++i) text += pieces[random() % pieces.size()];
    std::vector<detect::Finding> all;
    REQUIRE(scanner->scan(text, all).ok());
    for (const detect::Finding& f : all) {
      std::vector<detect::Finding> alone;
      REQUIRE(scanner->scan_rule(f.rule, text, alone).ok());
      bool present = std::any_of(alone.begin(), alone.end(), [&](const detect::Finding& a) {
        return a.byte_start == f.byte_start && a.byte_end == f.byte_end && a.score == f.score;
      });
      INFO(text);
      CHECK(present);
    }
    if (all.empty()) {
      for (size_t rule = 0; rule < scanner->rules().size(); ++rule) {
        std::vector<detect::Finding> alone;
        REQUIRE(scanner->scan_rule(rule, text, alone).ok());
        INFO(text << " rule " << scanner->rules()[rule].id);
        CHECK(alone.empty());
      }
    }
  }
}

TEST_CASE("a rule set past its memory budget fails loudly, never reports clean", "[detect]") {
  TempDir dir;
  std::string rules;
  for (int i = 0; i < 40; ++i) {
    rules += "  - {id: p.r" + std::to_string(i) + ", entity: A, pattern: '[a-q][a-z]{0,30}" + std::to_string(i) +
             "[0-9]{3,20}[a-z]{2,40}', score: 0.5}\n";
  }
  test::write_file(dir / "p.yaml", "pack: p\nversion: '1'\nrules:\n" + rules);
  auto packs = detect::load_packs({dir / "p.yaml"});
  REQUIRE(packs.ok());
  detect::Scanner::Options tiny;
  tiny.set_max_mem = 1 << 16;
  auto scanner = detect::Scanner::create(std::move(packs.value()), tiny);
  if (!scanner.ok()) {
    CHECK_THAT(scanner.error().message, Catch::Contains("memory"));
    return;
  }
  std::string text;
  std::mt19937 random(3);
  for (int i = 0; i < 200000; ++i) text += static_cast<char>('a' + random() % 26);
  std::vector<detect::Finding> findings;
  Status s = scanner.value()->scan(text, findings);
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.error().message, Catch::Contains("out of memory"));
}

TEST_CASE("evasions mixed with emoji, CJK and combining marks keep exact spans", "[detect]") {
  auto scanner = test_scanner();
  std::string zwj = "\xE2\x80\x8D", emoji = "\xF0\x9F\x98\x80", cjk = "\xE6\x9D\xB1\xE4\xBA\xAC";
  std::string combining = "e\xCC\x81";  // e + combining acute, composes to é
  std::string value =
      "j\xD0\xB0"
      "ne" +
      zwj + ".doe@ex\xEF\xBD\x81mple.org";  // Cyrillic а, fullwidth ａ
  std::string text = cjk + emoji + " caf" + combining + " " + value + " " + emoji + cjk;
  auto found = scan(*scanner, text);
  REQUIRE(found.size() == 1);
  CHECK(found[0].original == value);
  // Code points: 東京😀 = 3, space, café with 2 code points for é = 5, space.
  CHECK(found[0].start == 10);
  CHECK(found[0].end == 10 + 21);

  std::string card =
      "\xEF\xBC\x94"
      "111" +
      zwj + " 1111 " + emoji;  // an emoji cuts the number: no card
  CHECK(scan(*scanner, "card " + card + " 1111 1111").empty());
}

TEST_CASE("every shipped rule has examples and they all behave", "[detect][rules]") {
  Result<std::vector<detect::RulePack>> packs = detect::load_packs({std::string(AIRLOCK_SOURCE_DIR) + "/rules"});
  REQUIRE(packs.ok());
  Result<std::unique_ptr<detect::Scanner>> scanner = detect::Scanner::create(std::move(packs.value()), {});
  REQUIRE(scanner.ok());
  for (const detect::Rule& rule : scanner.value()->rules()) {
    INFO(rule.id);
    CHECK(rule.match_examples.size() >= 3);
    CHECK(rule.no_match_examples.size() >= 3);
  }
  auto failures = detect::check_examples(*scanner.value());
  REQUIRE(failures.ok());
  for (const auto& f : failures.value()) {
    FAIL_CHECK(f.rule->id << (f.should_match ? " misses: " : " wrongly finds: ") << f.example);
  }
}

TEST_CASE("leetspeak rules match the folded view and report the original span", "[detect]") {
  TempDir dir;
  test::write_file(dir / "p.yaml", R"(pack: p
version: "1"
rules:
  - {id: p.word, entity: BAD, pattern: '\bransomware\b', score: 0.9, flags: [leetspeak], category: malware, severity: 4}
  - {id: p.email, entity: EMAIL_ADDRESS, pattern: '\b\w+@\w+\.org\b', score: 0.9}
)");
  auto packs = detect::load_packs({dir / "p.yaml"});
  REQUIRE(packs.ok());
  CHECK(packs->at(0).rules[0].leetspeak);
  CHECK(packs->at(0).rules[0].category == "malware");
  CHECK(packs->at(0).rules[0].severity == 4);
  auto scanner = detect::Scanner::create(std::move(packs.value()), {});
  REQUIRE(scanner.ok());
  auto found = scan(*scanner.value(), "a R4NS0MW4R3 kit, mail a@b.org");
  REQUIRE(found.size() == 2);
  CHECK(found[0].rule == "p.word");
  CHECK(found[0].original == "R4NS0MW4R3");
  CHECK(found[1].original == "a@b.org");  // other rules see '@' as it is
  CHECK(detect::with_leetspeak("\\bsa(?P<so>s+)[a-s]{2,3}\\s") == "\\b[s5$][a4@](?P<so>[s5$]+)[a-s]{2,3}\\s");
}

TEST_CASE("terms files add an organisation's own terms to a rule", "[detect]") {
  TempDir dir;
  test::write_file(dir / "terms.txt", "# our codenames\nProject  Nightjar\n\nblue-falcon\n");
  test::write_file(dir / "p.yaml", "pack: p\nversion: '1'\nrules:\n  - {id: p.codenames, entity: CODENAME, "
                                   "terms_file: terms.txt, score: 0.9, flags: [case_insensitive, leetspeak]}\n");
  auto packs = detect::load_packs({dir / "p.yaml"});
  REQUIRE(packs.ok());
  auto scanner = detect::Scanner::create(std::move(packs.value()), {});
  REQUIRE(scanner.ok());
  auto found = scan(*scanner.value(), "status of project\tnightjar and BLU3-F4LC0N, not projectnightjar");
  REQUIRE(found.size() == 2);
  CHECK(found[0].original == "project\tnightjar");
  CHECK(found[1].original == "BLU3-F4LC0N");

  test::write_file(dir / "empty.txt", "# nothing\n");
  test::write_file(dir / "q.yaml", "pack: q\nversion: '1'\nrules:\n  - {id: q.x, entity: X, terms_file: empty.txt, score: 1}\n");
  auto empty = detect::load_packs({dir / "q.yaml"});
  REQUIRE_FALSE(empty.ok());
  CHECK_THAT(empty.error().message, Catch::Contains("holds no term"));
  test::write_file(dir / "r.yaml", "pack: r\nversion: '1'\nrules:\n  - {id: r.x, entity: X, terms_file: nope.txt, score: 1}\n");
  auto missing = detect::load_packs({dir / "r.yaml"});
  REQUIRE_FALSE(missing.ok());
  CHECK_THAT(missing.error().message, Catch::Contains("r.yaml:4: rule r.x: cannot open terms_file"));
}

TEST_CASE("evaluation counts found, false and missed values per entity", "[detect][eval]") {
  using detect::Span;
  std::vector<Span> truth = {{1, "/m/0", 5, 20, "EMAIL_ADDRESS"},
                             {1, "/m/1", 0, 12, "PHONE_NUMBER"},
                             {2, "/m/0", 3, 14, "US_SSN"},
                             {3, "/m/0", 0, 19, "CREDIT_CARD"}};
  std::vector<Span> found = {{1, "/m/0", 6, 20, "EMAIL_ADDRESS"},   // overlaps: found
                             {1, "/m/0", 5, 9, "EMAIL_ADDRESS"},    // a second finding of the same value
                             {1, "/m/1", 0, 12, "US_SSN"},          // right place, wrong entity
                             {2, "/m/1", 3, 14, "US_SSN"},          // wrong path
                             {3, "/m/0", 0, 19, "CREDIT_CARD"}};
  auto scores = detect::evaluate(truth, found);
  CHECK(scores["EMAIL_ADDRESS"].true_positives == 1);
  CHECK(scores["EMAIL_ADDRESS"].false_positives == 0);
  CHECK(scores["PHONE_NUMBER"].false_negatives == 1);
  CHECK(scores["US_SSN"].false_positives == 2);
  CHECK(scores["US_SSN"].false_negatives == 1);
  CHECK(scores["US_SSN"].precision() == Approx(0.0));
  CHECK(scores["CREDIT_CARD"].recall() == Approx(1.0));
  CHECK_THAT(detect::evaluation_table(scores), Catch::Contains("EMAIL_ADDRESS") && Catch::Contains("all"));
}

// ---- the person detector ------------------------------------------------------------------------

namespace {

// A pack with one person rule over small lexicons written beside it.
std::unique_ptr<detect::Scanner> person_scanner(TempDir& dir, const std::string& extra = "") {
  test::write_file(dir / "first.txt", "# first names\nmaria\nolga\njohn\nwill\nmay\ngrant\nmark\njose\n");
  test::write_file(dir / "last.txt", "gonzalez\nsmith\nbrown\nobrien\nmuller\ncan\n");
  test::write_file(dir / "words.txt", "will\nmay\ngrant\nmark\nbrown\ncan\nsaid\nthe\ncustomer\nteam\n");
  test::write_file(dir / "not-words.txt", "smith\n");
  test::write_file(dir / "p.yaml", R"(pack: p
version: '1'
rules:
  - id: p.person
    entity: PERSON
    detector: person
    score: 0.85
    lexicons: {first_names: [first.txt], last_names: [last.txt], words: [words.txt], not_words: [not-words.txt]}
)" + extra);
  Result<std::vector<detect::RulePack>> packs = detect::load_packs({dir / "p.yaml"});
  REQUIRE(packs.ok());
  detect::Scanner::Options options;
  options.min_score = 0.5;
  auto scanner = detect::Scanner::create(std::move(packs.value()), options);
  REQUIRE(scanner.ok());
  return std::move(scanner.value());
}

std::vector<std::string> names_in(const detect::Scanner& scanner, const std::string& text) {
  std::vector<std::string> out;
  for (const Found& f : scan(scanner, text)) out.push_back(f.original);
  return out;
}

using Names = std::vector<std::string>;

}  // namespace

TEST_CASE("person: a first and a last name from the lexicons are a name on their own", "[detect][person]") {
  TempDir dir;
  auto scanner = person_scanner(dir);
  CHECK(names_in(*scanner, "I spoke with Maria Gonzalez yesterday") == Names{"Maria Gonzalez"});
  CHECK(names_in(*scanner, "Maria Gonzalez called") == Names{"Maria Gonzalez"});
  CHECK(names_in(*scanner, "ask Olga O'Brien about it") == Names{"Olga O'Brien"});
  CHECK(names_in(*scanner, "ask Olga about it") == Names{"Olga"});              // a lone first name, mid-sentence
  CHECK(names_in(*scanner, "Olga. That is all").empty());                       // ... not at a sentence start
  CHECK(names_in(*scanner, "John M. Smith signed") == Names{"John M. Smith"});  // a middle initial
  CHECK(names_in(*scanner, "I told Maria I would").size() == 1);
  CHECK(names_in(*scanner, "I told Maria I would")[0] == "Maria");                  // "I" ends the name
  CHECK(names_in(*scanner, "José Müller") == Names{"José Müller"});                 // accents fold for the lookup
  // A Greek word's capital folds to a Latin E in the normalised view; the
  // word is still no part of the name after it.
  CHECK(names_in(*scanner, "in Ελληνικά Maria Gonzalez wrote") == Names{"Maria Gonzalez"});
  CHECK(names_in(*scanner, "with Łukasz Müller today") == Names{"Łukasz Müller"});  // a capital in two bytes
  CHECK(names_in(*scanner, "with łukasz müller today").empty());                    // ... and its small letter
  CHECK(names_in(*scanner, "Maria Kowalczyk-Nowak came") == Names{"Maria Kowalczyk-Nowak"});  // unlisted surname
  CHECK(names_in(*scanner, "so Maria Said nothing") == Names{"Maria"});      // a dictionary word is no surname
  CHECK(names_in(*scanner, "Hello, I've updated it and I'm done").empty());  // contractions are no names
}

TEST_CASE("person: names that are common words need a cue", "[detect][person]") {
  TempDir dir;
  auto scanner = person_scanner(dir);
  CHECK(names_in(*scanner, "I will call you in May").empty());
  CHECK(names_in(*scanner, "Will this work? Mark the test as flaky and Grant access.").empty());
  CHECK(names_in(*scanner, "Mark Brown said so").empty());                       // both words: no
  CHECK(names_in(*scanner, "Grant Smith approved it") == Names{"Grant Smith"});  // one of them not: yes
  CHECK(names_in(*scanner, "Dear May,\nthanks") == Names{"May"});
  CHECK(names_in(*scanner, "Kind regards,\nWill") == Names{"Will"});
  CHECK(names_in(*scanner, "Thanks, Mark!") == Names{"Mark"});
  CHECK(names_in(*scanner, "Can Olga help?") == Names{"Olga"});      // "Can" is only a last name
  CHECK(names_in(*scanner, "What about a Maria account?").empty());  // after an article: a thing
}

TEST_CASE("person: cues find names the lexicons do not hold", "[detect][person]") {
  TempDir dir;
  auto scanner = person_scanner(dir);
  CHECK(names_in(*scanner, "Dr. Okonkwo will see you") == Names{"Okonkwo"});
  CHECK(names_in(*scanner, "Prof Adeyemi Smith") == Names{"Adeyemi Smith"});
  CHECK(names_in(*scanner, "Patient: Gonzalez, Maria\nDOB: 1990-01-01") == Names{"Gonzalez, Maria"});
  CHECK(names_in(*scanner, "Name: Chidi Okafor") == Names{"Chidi Okafor"});
  CHECK(names_in(*scanner, "my name is maria gonzalez and I") == Names{"maria gonzalez"});
  CHECK(names_in(*scanner, "my name is will smith") == Names{"will smith"});
  CHECK(names_in(*scanner, "Thanks, Ayodele. Bye") == Names{"Ayodele"});
  CHECK(names_in(*scanner, "Regards,\nDr. Mbeki") == Names{"Mbeki"});      // the title is no name
  CHECK(names_in(*scanner, "the nurse will call you").empty());            // "nurse" cues no lower-case word
  CHECK(names_in(*scanner, "Dear Customer, Regards,\nThe team").empty());  // words after cues: no
  CHECK(names_in(*scanner, "Name: production").empty());
  CHECK(names_in(*scanner, "PATIENT: GONZALEZ, MARIA\nDOB: 1990-01-01") ==
        Names{"GONZALEZ, MARIA"});  // headers in capitals
  CHECK(names_in(*scanner, "JOHN SMITH signed") == Names{"JOHN SMITH"});
  CHECK(names_in(*scanner, "OLGA OKONKWO signed") == Names{"OLGA OKONKWO"});
  CHECK(names_in(*scanner, "Name: CHIDI SMITH") == Names{"CHIDI SMITH"});
  CHECK(names_in(*scanner, "sent to the ED by MAY and OLGA").empty());  // acronyms, a lone name in capitals
  CHECK(names_in(*scanner, "Name: TBD").empty());
}

TEST_CASE("person: spans are exact in the original text and scores follow the pack", "[detect][person]") {
  TempDir dir;
  auto scanner = person_scanner(dir, R"(    person_scores: {single_name: 0.3}
    negative_context: {words: [street], window: 1, penalty: 0.5}
    allow: [John Smith]
)");
  // A zero-width space inside and a Cyrillic "а": the finding covers the name as written.
  std::string text = "日本 Mari\xE2\x80\x8B\xD0\xB0 Gonzalez";
  auto found = scan(*scanner, text);
  REQUIRE(found.size() == 1);
  CHECK(found[0].original == "Mari\xE2\x80\x8B\xD0\xB0 Gonzalez");
  CHECK(found[0].start == 3);
  CHECK(found[0].end == 18);
  CHECK(names_in(*scanner, "with Olga about it").empty());     // single_name 0.3 is below 0.5
  CHECK(names_in(*scanner, "Maria Gonzalez street").empty());  // negative context
  CHECK(names_in(*scanner, "John Smith and Maria Gonzalez") == Names{"Maria Gonzalez"});  // allow list
}

TEST_CASE("person: malformed person rules are refused with file, line, rule and reason", "[detect][person]") {
  TempDir dir;
  test::write_file(dir / "first.txt", "maria\n");
  test::write_file(dir / "empty.txt", "# nothing\n");
  std::string head = "pack: p\nversion: '1'\nrules:\n  - id: p.person\n    entity: PERSON\n    score: 0.8\n";
  auto error = [&](const std::string& body) {
    test::write_file(dir / "p.yaml", head + body);
    Result<std::vector<detect::RulePack>> packs = detect::load_packs({dir / "p.yaml"});
    REQUIRE_FALSE(packs.ok());
    CHECK(packs.error().exit_code() == 2);
    return packs.error().message;
  };
  std::string lexicons = "    lexicons: {first_names: [first.txt], last_names: [first.txt]}\n";
  CHECK_THAT(error("    detector: persons\n" + lexicons),
             Catch::Contains("p.yaml:7: rule p.person: unknown detector 'persons'"));
  CHECK_THAT(error("    detector: person\n"), Catch::Contains("needs 'lexicons'"));
  CHECK_THAT(error("    detector: person\n    pattern: x\n" + lexicons), Catch::Contains("'pattern' does not apply"));
  CHECK_THAT(error("    detector: person\n    lexicons: {first_names: [first.txt]}\n"),
             Catch::Contains("needs 'last_names'"));
  CHECK_THAT(
      error("    detector: person\n    lexicons: {first_names: [nowhere.txt], last_names: [first.txt]}\n"),
      Catch::Contains("lexicon 'nowhere.txt' is neither beside the pack nor in") && Catch::Contains("tools/setup"));
  CHECK_THAT(error("    detector: person\n    lexicons: {first_names: [empty.txt], last_names: [first.txt]}\n"),
             Catch::Contains("holds no word"));
  CHECK_THAT(error("    detector: person\n    lexicons: {first_names: [/dev/zero], last_names: [first.txt]}\n"),
             Catch::Contains("lexicon /dev/zero is not a regular file"));
  CHECK_THAT(error("    detector: person\n" + lexicons + "    person_scores: {cue: 2}\n"),
             Catch::Contains("person_scores.cue"));
  CHECK_THAT(error("    pattern: x\n" + lexicons), Catch::Contains("'lexicons' needs 'detector: person'"));
}

TEST_CASE("person: a copy of the shipped pack elsewhere finds its lexicons", "[detect][person]") {
  TempDir dir;
  test::write_file(dir / "pii.yaml", test::read_file(std::string(AIRLOCK_SOURCE_DIR) + "/rules/pii.yaml"));
  auto packs = detect::load_packs({dir / "pii.yaml"});
  REQUIRE(packs.ok());
}

TEST_CASE("person: the shipped lexicons load and the rule's examples hold", "[detect][person][rules]") {
  auto packs = detect::load_packs({std::string(AIRLOCK_SOURCE_DIR) + "/rules/pii.yaml"});
  REQUIRE(packs.ok());
  auto scanner = detect::Scanner::create(std::move(packs.value()), {});
  REQUIRE(scanner.ok());
  auto failures = detect::check_examples(*scanner.value());
  REQUIRE(failures.ok());
  CHECK(failures.value().empty());
}
