// End-to-end tests of airlock keygen / seal / open through the binary:
// interoperability with Debian's age in both directions (keys, recipients,
// passphrases, armor), tampering, and which files exist afterwards.
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <set>

#include "test_util.h"

namespace airlock::test {
namespace {

constexpr size_t kChunk = 64 * 1024;
constexpr size_t kSealedChunk = kChunk + 16;
const std::string kFastWorkFactor = "10";  // scrypt cost for bulk tests

std::set<std::string> files_in(const std::string& folder) {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) names.insert(entry.path().filename().string());
  return names;
}

unsigned file_mode(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// "Public key: age1…" → "age1…".
std::string public_key_in(const std::string& text) {
  size_t at = text.find("Public key: ");
  REQUIRE(at != std::string::npos);
  size_t start = at + 12;
  return text.substr(start, text.find('\n', start) - start);
}

struct KeyPair {
  std::string identity_file;
  std::string recipient;
};

KeyPair airlock_keygen(const TempDir& dir, const std::string& name) {
  ProcessResult made = run_airlock({"keygen", "-o", dir / name});
  REQUIRE(made.exit_code == 0);
  return {dir / name, public_key_in(made.out)};
}

KeyPair age_keygen(const TempDir& dir, const std::string& name) {
  ProcessResult made = run_process("age-keygen", {"-o", dir / name});
  REQUIRE(made.exit_code == 0);
  return {dir / name, public_key_in(made.err)};
}

struct TerminalRun {
  int exit_code = -1;
  std::string terminal;  // everything the program showed on its terminal
};

// Runs `program` with a pseudo-terminal as its controlling terminal (where
// age and airlock ask for passphrases), stdin and stdout from/to files, and
// types `answer` after each passphrase prompt.
TerminalRun run_with_terminal(const std::string& program, const std::vector<std::string>& args,
                              const std::string& answer, const std::string& stdin_path,
                              const std::string& stdout_path) {
  int master = -1;
  pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int in = ::open(stdin_path.c_str(), O_RDONLY);
    int out = ::open(stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0) ::_exit(126);
    ::dup2(in, 0);
    ::dup2(out, 1);
    std::vector<char*> argv{const_cast<char*>(program.c_str())};
    for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    ::execvp(program.c_str(), argv.data());
    ::_exit(127);
  }
  TerminalRun run;
  size_t answered = 0;
  char buffer[4096];
  for (;;) {
    pollfd ready{master, POLLIN, 0};
    // A guard against a hung child, not a timing assertion.
    if (::poll(&ready, 1, 120000) <= 0) {
      ::kill(pid, SIGKILL);
      break;
    }
    ssize_t n = ::read(master, buffer, sizeof buffer);
    if (n <= 0) break;  // EIO once the child is gone
    run.terminal.append(buffer, static_cast<size_t>(n));
    size_t prompts = 0;
    for (size_t at = run.terminal.find("assphrase"); at != std::string::npos;
         at = run.terminal.find("assphrase", at + 1)) {
      ++prompts;
    }
    for (; answered < prompts; ++answered) {
      std::string line = answer + "\n";
      REQUIRE(::write(master, line.data(), line.size()) == static_cast<ssize_t>(line.size()));
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(master);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return run;
}

// --- keygen -----------------------------------------------------------------------

TEST_CASE("crypto cli: keygen writes a private identity file that age understands", "[e2e][keygen]") {
  TempDir dir;
  ProcessResult made = run_airlock({"keygen", "-o", dir / "id.txt"});
  REQUIRE(made.exit_code == 0);
  std::string recipient = public_key_in(made.out);
  CHECK(recipient.starts_with("age1"));
  CHECK(file_mode(dir / "id.txt") == 0600);
  std::string content = read_file(dir / "id.txt");
  CHECK(content.find("# public key: " + recipient + "\n") != std::string::npos);
  CHECK(content.find("\nAGE-SECRET-KEY-1") != std::string::npos);
  CHECK(files_in(dir.path()) == std::set<std::string>{"id.txt"});
  // age derives the same public key from it.
  ProcessResult derived = run_process("age-keygen", {"-y", dir / "id.txt"});
  REQUIRE(derived.exit_code == 0);
  CHECK(derived.out == recipient + "\n");

  SECTION("an existing file is kept unless --force") {
    CHECK(run_airlock({"keygen", "-o", dir / "id.txt"}).exit_code == 2);
    CHECK(read_file(dir / "id.txt") == content);
    CHECK(run_airlock({"keygen", "--force", "-o", dir / "id.txt"}).exit_code == 0);
    CHECK(read_file(dir / "id.txt") != content);
    CHECK(file_mode(dir / "id.txt") == 0600);
  }
  SECTION("without -o the identity goes to stdout and the public key to stderr") {
    ProcessResult printed = run_airlock({"keygen"});
    REQUIRE(printed.exit_code == 0);
    CHECK(printed.out.find("AGE-SECRET-KEY-1") != std::string::npos);
    CHECK(printed.out.find("# public key: " + public_key_in(printed.err)) != std::string::npos);
  }
}

// --- interoperability with age --------------------------------------------------------

const std::vector<size_t> kSizes = {0, 1, kChunk - 1, kChunk, kChunk + 1, 2 * kChunk, 2 * kChunk + 1};

TEST_CASE("crypto cli: age opens what airlock seals, and airlock opens what age encrypts", "[e2e][interop]") {
  TempDir dir;
  KeyPair ours = airlock_keygen(dir, "airlock-id.txt");
  KeyPair theirs = age_keygen(dir, "age-id.txt");
  size_t cases = 0;
  for (size_t size : kSizes) {
    for (bool armor : {false, true}) {
      INFO("size " << size << (armor ? " armored" : " binary"));
      std::string plaintext = pseudo_random_bytes(size, static_cast<unsigned>(size));
      write_file(dir / "plain", plaintext);

      std::vector<std::string> seal = {"seal", "-r", theirs.recipient, "-o", dir / "ours.age", dir / "plain"};
      if (armor) seal.push_back("-a");
      REQUIRE(run_airlock(seal).exit_code == 0);
      CHECK(file_mode(dir / "ours.age") == 0600);
      ProcessResult opened_by_age = run_process("age", {"-d", "-i", theirs.identity_file, dir / "ours.age"});
      CHECK(opened_by_age.exit_code == 0);
      CHECK((opened_by_age.out == plaintext));
      ++cases;

      std::vector<std::string> encrypt = {"-e", "-r", ours.recipient, "-o", dir / "theirs.age", dir / "plain"};
      if (armor) encrypt.insert(encrypt.begin() + 1, "-a");
      REQUIRE(run_process("age", encrypt).exit_code == 0);
      ProcessResult opened = run_airlock({"open", "-i", ours.identity_file, "-o", dir / "out", dir / "theirs.age"});
      CHECK(opened.exit_code == 0);
      CHECK((read_file(dir / "out") == plaintext));
      CHECK(file_mode(dir / "out") == 0600);
      ++cases;
      std::filesystem::remove(dir / "ours.age");
      std::filesystem::remove(dir / "theirs.age");
      std::filesystem::remove(dir / "out");
    }
  }
  WARN("age interoperability cases (files with X25519 recipients): " << cases);
  CHECK(cases == 2 * 2 * kSizes.size());
}

TEST_CASE("crypto cli: several recipients, recipients files, stdin and stdout", "[e2e][interop]") {
  TempDir dir;
  KeyPair a = airlock_keygen(dir, "a.txt");
  KeyPair b = age_keygen(dir, "b.txt");
  write_file(dir / "team.txt", "# the team\n" + b.recipient + "\n");
  std::string plaintext = "{\"messages\": [{\"role\": \"user\", \"content\": \"hello\"}]}\n";

  ProcessResult sealed = run_airlock({"seal", "-r", a.recipient, "-R", dir / "team.txt"}, plaintext);
  REQUIRE(sealed.exit_code == 0);
  write_file(dir / "both.age", sealed.out);
  CHECK(run_airlock({"open", "-i", a.identity_file}, sealed.out).out == plaintext);
  CHECK(run_process("age", {"-d", "-i", b.identity_file, dir / "both.age"}).out == plaintext);

  ProcessResult by_age = run_process("age", {"-e", "-r", a.recipient, "-r", b.recipient}, plaintext);
  REQUIRE(by_age.exit_code == 0);
  CHECK(run_airlock({"open", "-i", a.identity_file, "-"}, by_age.out).out == plaintext);
  // An identity file for b (written by age-keygen) works in airlock too.
  CHECK(run_airlock({"open", "-i", b.identity_file}, by_age.out).out == plaintext);
}

TEST_CASE("crypto cli: passphrases interoperate with age, typed at a terminal", "[e2e][interop][passphrase]") {
  TempDir dir;
  std::string plaintext = pseudo_random_bytes(kChunk + 5);
  write_file(dir / "plain", plaintext);
  write_file(dir / "empty", "");
  write_file(dir / "pass.txt", "correct horse battery staple\n");

  SECTION("airlock seal --passphrase-file, age -d") {
    for (bool armor : {false, true}) {
      std::vector<std::string> seal = {"seal", "--passphrase-file", dir / "pass.txt", "--work-factor", kFastWorkFactor,
                                       "-o",   dir / "sealed.age",  dir / "plain"};
      if (armor) seal.push_back("--armor");
      REQUIRE(run_airlock(seal).exit_code == 0);
      TerminalRun age = run_with_terminal("age", {"-d", dir / "sealed.age"}, "correct horse battery staple",
                                          dir / "empty", dir / "out");
      CHECK(age.exit_code == 0);
      CHECK((read_file(dir / "out") == plaintext));
      std::filesystem::remove(dir / "sealed.age");
    }
  }
  SECTION("age -e -p, airlock open --passphrase-env") {
    for (bool armor : {false, true}) {
      std::vector<std::string> args = {"-e", "-p", "-o", dir / "by-age.age"};
      if (armor) args.push_back("-a");
      TerminalRun age = run_with_terminal("age", args, "correct horse battery staple", dir / "plain", dir / "unused");
      REQUIRE(age.exit_code == 0);
      ::setenv("AIRLOCK_TEST_PASSPHRASE", "correct horse battery staple", 1);
      ProcessResult opened =
          run_airlock({"open", "--passphrase-env", "AIRLOCK_TEST_PASSPHRASE", "-o", dir / "out", dir / "by-age.age"});
      ::unsetenv("AIRLOCK_TEST_PASSPHRASE");
      CHECK(opened.exit_code == 0);
      CHECK((read_file(dir / "out") == plaintext));
      std::filesystem::remove(dir / "out");
      std::filesystem::remove(dir / "by-age.age");
    }
  }
  SECTION("airlock asks at the terminal without echo, twice when sealing") {
    TerminalRun sealed =
        run_with_terminal(AIRLOCK_BINARY, {"seal", "-p", "--work-factor", kFastWorkFactor, "-o", dir / "t.age"},
                          "typed secret", dir / "plain", dir / "unused");
    CHECK(sealed.exit_code == 0);
    CHECK(sealed.terminal.find("Confirm passphrase") != std::string::npos);
    CHECK(sealed.terminal.find("typed secret") == std::string::npos);  // not echoed
    TerminalRun opened =
        run_with_terminal(AIRLOCK_BINARY, {"open", "-p", dir / "t.age"}, "typed secret", dir / "empty", dir / "out");
    CHECK(opened.exit_code == 0);
    CHECK(opened.terminal.find("typed secret") == std::string::npos);
    CHECK((read_file(dir / "out") == plaintext));
    // age reads it too.
    TerminalRun age = run_with_terminal("age", {"-d", dir / "t.age"}, "typed secret", dir / "empty", dir / "out2");
    CHECK(age.exit_code == 0);
    CHECK((read_file(dir / "out2") == plaintext));
  }
  SECTION("a wrong passphrase fails and writes nothing") {
    REQUIRE(run_airlock({"seal", "--passphrase-file", dir / "pass.txt", "--work-factor", kFastWorkFactor, "-o",
                         dir / "sealed.age", dir / "plain"})
                .exit_code == 0);
    write_file(dir / "wrong.txt", "incorrect horse\n");
    std::set<std::string> before = files_in(dir.path());
    ProcessResult opened =
        run_airlock({"open", "--passphrase-file", dir / "wrong.txt", "-o", dir / "out", dir / "sealed.age"});
    CHECK(opened.exit_code == 3);
    CHECK(opened.err.find("wrong passphrase") != std::string::npos);
    CHECK(files_in(dir.path()) == before);
  }
}

// --- tampering ------------------------------------------------------------------------------

TEST_CASE("crypto cli: tampered files fail with exit 3 and leave no output file", "[e2e][tamper]") {
  TempDir dir;
  KeyPair key = airlock_keygen(dir, "id.txt");
  std::string plaintext = pseudo_random_bytes(2 * kChunk + 1000);
  write_file(dir / "plain", plaintext);
  REQUIRE(run_airlock({"seal", "-r", key.recipient, "-o", dir / "good.age", dir / "plain"}).exit_code == 0);
  const std::string good = read_file(dir / "good.age");
  const size_t payload = good.find("\n--- ") + 49 + 16;
  REQUIRE(good.size() == payload + plaintext.size() + 3 * 16);
  auto flip = [&](size_t at) {
    std::string out = good;
    out[at] = static_cast<char>(out[at] ^ 0x04);
    return out;
  };
  std::string chunk0 = good.substr(payload, kSealedChunk);
  std::string chunk1 = good.substr(payload + kSealedChunk, kSealedChunk);
  std::string last = good.substr(payload + 2 * kSealedChunk);
  std::string head = good.substr(0, payload);

  const std::vector<std::pair<std::string, std::string>> cases = {
      {"version line", flip(3)},
      {"stanza share", flip(good.find("-> X25519 ") + 12)},
      {"stanza body", flip(good.find("\n", good.find("-> X25519 ")) + 3)},
      {"MAC", flip(good.find("\n--- ") + 10)},
      {"payload nonce", flip(payload - 3)},
      {"first chunk", flip(payload + 100)},
      {"first chunk tag", flip(payload + kSealedChunk - 1)},
      {"second chunk", flip(payload + kSealedChunk + 5)},
      {"last chunk", flip(good.size() - 30)},
      {"last chunk tag", flip(good.size() - 1)},
      {"truncated in the header", good.substr(0, payload - 20)},
      {"truncated at the payload start", good.substr(0, payload)},
      {"truncated at a chunk boundary", good.substr(0, payload + kSealedChunk)},
      {"truncated inside a chunk", good.substr(0, payload + kSealedChunk + 100)},
      {"truncated by one byte", good.substr(0, good.size() - 1)},
      {"chunks reordered", head + chunk1 + chunk0 + last},
      {"chunk duplicated", head + chunk0 + chunk0 + chunk1 + last},
      {"final chunk dropped", head + chunk0 + chunk1},
      {"bytes appended", good + "extra"},
      {"empty file", ""},
  };
  for (const auto& [name, bytes] : cases) {
    INFO("case: " << name);
    write_file(dir / "bad.age", bytes);
    std::set<std::string> before = files_in(dir.path());
    ProcessResult opened = run_airlock({"open", "-i", key.identity_file, "-o", dir / "out", dir / "bad.age"});
    CHECK(opened.exit_code == 3);
    CHECK(opened.err.find("airlock: error: " + (dir / "bad.age") + ": ") != std::string::npos);
    CHECK(files_in(dir.path()) == before);  // no output, no temporary left behind
  }

  SECTION("to stdout, nothing past the last authenticated chunk") {
    ProcessResult opened = run_airlock({"open", "-i", key.identity_file}, head + chunk0 + chunk1.substr(0, 500));
    CHECK(opened.exit_code == 3);
    CHECK((opened.out == plaintext.substr(0, kChunk)));
    ProcessResult flipped = run_airlock({"open", "-i", key.identity_file}, flip(payload + kSealedChunk + 5));
    CHECK(flipped.exit_code == 3);
    CHECK((flipped.out == plaintext.substr(0, kChunk)));
  }
  SECTION("a wrong identity creates nothing") {
    KeyPair other = airlock_keygen(dir, "other.txt");
    std::set<std::string> before = files_in(dir.path());
    ProcessResult opened = run_airlock({"open", "-i", other.identity_file, "-o", dir / "out", dir / "good.age"});
    CHECK(opened.exit_code == 3);
    CHECK(opened.err.find("no identity matched") != std::string::npos);
    CHECK(opened.out.empty());
    CHECK(files_in(dir.path()) == before);
  }
  SECTION("age agrees that they are broken") {
    for (const auto& [name, bytes] : cases) {
      INFO("case: " << name);
      CHECK(run_process("age", {"-d", "-i", key.identity_file}, bytes).exit_code != 0);
    }
  }
}

// --- memory -----------------------------------------------------------------------------------

// Runs airlock under GNU time (tools/setup installs it) and returns its
// peak resident size in KiB, or -1 when it failed. time forks airlock from
// its own small process, so the figure is airlock's alone and not this test
// binary's (a child spawned straight from here inherits our high-water mark).
long airlock_peak_rss_kib(const TempDir& dir, const std::vector<std::string>& args) {
  REQUIRE(exists("/usr/bin/time"));
  std::vector<std::string> timed = {"-f", "%M", "-o", dir / "rss", AIRLOCK_BINARY};
  timed.insert(timed.end(), args.begin(), args.end());
  ProcessResult run = run_process("/usr/bin/time", timed);
  if (run.exit_code != 0) return -1;
  return std::stol(read_file(dir / "rss"));
}

TEST_CASE("crypto cli: seal and open stream in constant memory", "[e2e][memory]") {
  // 96 MiB through each command must take no more memory than 1 MiB does,
  // give or take: a buffering bug would add the input's size. Compared with
  // the small run rather than with a fixed bound, because a sanitizer build's
  // static footprint (its relocations and check data, tens of MiB resident
  // from the start) grows with the amount of code linked in.
  constexpr size_t kInputSize = 96u << 20;
  constexpr long kMaxGrowthKib = 16 * 1024;
  TempDir dir;
  KeyPair key = airlock_keygen(dir, "id.txt");
  std::string block = pseudo_random_bytes(1 << 20);
  write_file(dir / "small", block);
  {
    std::ofstream out(dir / "big", std::ios::binary);
    for (size_t written = 0; written < kInputSize; written += block.size()) out << block;
  }
  auto peaks = [&](const std::string& name) {
    std::vector<long> peak = {
        airlock_peak_rss_kib(dir, {"seal", "-r", key.recipient, "-o", dir / name + ".age", "--force", dir / name}),
        airlock_peak_rss_kib(dir, {"open", "-i", key.identity_file, "-o", dir / name + ".out", "--force",
                                   dir / name + ".age"}),
        airlock_peak_rss_kib(dir, {"seal", "-a", "-r", key.recipient, "-o", dir / name + ".txt", "--force", dir / name})};
    return peak;
  };
  std::vector<long> small = peaks("small");
  std::vector<long> big = peaks("big");
  CHECK(std::filesystem::file_size(dir / "big.out") == kInputSize);
  for (size_t i = 0; i < big.size(); ++i) {
    CHECK(small[i] > 0);
    CHECK(big[i] > 0);
    CHECK(big[i] - small[i] < kMaxGrowthKib);
  }
  WARN("peak RSS for 1 and 96 MiB: seal " << small[0] << ", " << big[0] << " KiB; open " << small[1] << ", " << big[1]
                                           << " KiB; seal -a " << small[2] << ", " << big[2] << " KiB");
}

// --- usage ----------------------------------------------------------------------------------------

TEST_CASE("crypto cli: usage errors exit 2 and every command explains itself", "[e2e][usage]") {
  TempDir dir;
  KeyPair key = airlock_keygen(dir, "id.txt");
  write_file(dir / "plain", "data");
  for (std::string command : {"keygen", "seal", "open"}) {
    ProcessResult help = run_airlock({command, "--help"});
    CHECK(help.exit_code == 0);
    CHECK(help.out.starts_with("Usage: airlock " + command));
    CHECK(run_airlock({"--help"}).out.find("  " + command + " ") != std::string::npos);
  }
  CHECK(run_airlock({"seal", "-r", "age1notakey", dir / "plain"}).exit_code == 2);
  CHECK(run_airlock({"seal", "-r", "ssh-ed25519 AAAA", dir / "plain"}).err.find("not supported") != std::string::npos);
  CHECK(run_airlock({"seal", dir / "plain"}).exit_code == 2);
  CHECK(run_airlock({"seal", "-R", dir / "missing.txt", dir / "plain"}).exit_code == 2);
  CHECK(run_airlock({"seal", "-p", "--passphrase-file", dir / "id.txt", "-r", key.recipient}).exit_code == 2);
  CHECK(run_airlock({"seal", "-r", key.recipient, "--work-factor", "10"}, "x").exit_code == 0);
  CHECK(run_airlock({"open", dir / "plain"}).exit_code == 2);
  CHECK(run_airlock({"open", "-i", dir / "missing.txt", dir / "plain"}).exit_code == 2);
  CHECK(run_airlock({"open", "-i", dir / "plain", dir / "plain"}).exit_code == 2);  // not an identity file
  CHECK(run_airlock({"open", "-p"}).exit_code == 2);                                // no terminal, no file, no variable
  CHECK(run_airlock({"open", "-i", key.identity_file, dir / "plain"}).exit_code == 3);  // not an age file
}

TEST_CASE("crypto cli: identity and passphrase files others can read get a warning, or are refused", "[e2e][keys]") {
  TempDir dir;
  KeyPair key = airlock_keygen(dir, "id.txt");
  std::string sealed = run_airlock({"seal", "-r", key.recipient}, "secret").out;
  ProcessResult quiet = run_airlock({"open", "-i", key.identity_file}, sealed);
  CHECK(quiet.exit_code == 0);
  CHECK(quiet.err.empty());
  ::chmod(key.identity_file.c_str(), 0644);
  ProcessResult warned = run_airlock({"open", "-i", key.identity_file}, sealed);
  CHECK(warned.exit_code == 0);
  CHECK(warned.out == "secret");
  CHECK(warned.err.find("warning: " + key.identity_file + ": identity file is readable by others") !=
        std::string::npos);
  ProcessResult strict = run_airlock({"open", "--strict-perms", "-i", key.identity_file}, sealed);
  CHECK(strict.exit_code == 2);
  CHECK(strict.out.empty());

  // Passphrase files are secrets too.
  write_file(dir / "pass.txt", "a passphrase\n");
  ::chmod((dir / "pass.txt").c_str(), 0640);
  ProcessResult pass_warned = run_airlock(
      {"seal", "--passphrase-file", dir / "pass.txt", "--work-factor", kFastWorkFactor, "-o", dir / "p.age"}, "x");
  CHECK(pass_warned.exit_code == 0);
  CHECK(pass_warned.err.find("passphrase file is readable by others (mode 0640)") != std::string::npos);
  CHECK(run_airlock({"open", "--strict-perms", "--passphrase-file", dir / "pass.txt", dir / "p.age"}).exit_code == 2);
  ::chmod((dir / "pass.txt").c_str(), 0600);
  ProcessResult private_file =
      run_airlock({"open", "--strict-perms", "--passphrase-file", dir / "pass.txt", dir / "p.age"});
  CHECK(private_file.exit_code == 0);
  CHECK(private_file.out == "x");
  CHECK(private_file.err.empty());
}

TEST_CASE("crypto cli: outputs: existing files are kept, the input is never the output", "[e2e][output]") {
  TempDir dir;
  KeyPair key = airlock_keygen(dir, "id.txt");
  write_file(dir / "plain", "data");
  write_file(dir / "existing.age", "keep me");
  CHECK(run_airlock({"seal", "-r", key.recipient, "-o", dir / "existing.age", dir / "plain"}).exit_code == 2);
  CHECK(read_file(dir / "existing.age") == "keep me");
  CHECK(run_airlock({"seal", "-r", key.recipient, "--force", "-o", dir / "existing.age", dir / "plain"}).exit_code ==
        0);
  CHECK(run_airlock({"open", "-i", key.identity_file, dir / "existing.age"}).out == "data");
  CHECK(run_airlock({"seal", "-r", key.recipient, "--force", "-o", dir / "plain", dir / "plain"}).exit_code == 2);
  CHECK(read_file(dir / "plain") == "data");
  CHECK(files_in(dir.path()) == std::set<std::string>{"id.txt", "plain", "existing.age"});
}

}  // namespace
}  // namespace airlock::test
