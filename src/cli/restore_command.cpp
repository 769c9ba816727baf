// airlock restore: puts the values of a reversible policy's pseudonyms back,
// from the encrypted vault `airlock redact --vault` or `airlock run` wrote.
#include <unistd.h>

#include <iostream>
#include <unordered_map>

#include <simdjson.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/crypto_io.h"
#include "crypto/age.h"
#include "record/record.h"

namespace airlock::cli {
namespace {

const char kRestoreHelp[] = R"(Usage: airlock restore --vault FILE -i IDENTITY [INPUT...]

Reads text or JSON Lines from standard input (or each INPUT) and writes it to
standard output with every pseudonym of a reversible policy that the vault
knows, such as <EMAIL_ADDRESS_3f9a0c17b2e4>, replaced by its value. Inside a
JSON line the value is escaped as a JSON string's content; a pseudonym written
with JSON escapes (\u003cEMAIL_ADDRESS_…\u003e) is found too.

The vault (vault.jsonl.age in a run folder, or the --vault FILE of airlock
redact) is decrypted in memory with the identity; the values it holds never
touch the disk in plaintext.

Options:
  --vault FILE          the encrypted vault (required)
  -i, --identity FILE   an age identity file that can open it; repeatable
  -q, --quiet           no count on standard error
  -h, --help            this text

Exit status: 0 done; 2 usage error; 3 the vault or an input could not be read.
)";

using Vault = std::unordered_map<std::string, std::string>;

Result<Vault> read_vault(const std::string& path, const std::vector<crypto::Identity>& identities) {
  io::InputInfo info;
  Result<std::unique_ptr<io::ByteSource>> raw = io::open_input(path, &info);
  if (!raw.ok()) return raw.error();
  Result<std::unique_ptr<crypto::DecryptingSource>> source =
      crypto::DecryptingSource::open(std::move(raw.value()), identities, info.display_name);
  if (!source.ok()) return source.error();
  std::string text;
  char buffer[1 << 16];
  for (;;) {
    Result<size_t> n = source.value()->read(buffer, sizeof buffer);
    if (!n.ok()) return n.error();
    if (n.value() == 0) break;
    text.append(buffer, n.value());
  }
  Vault vault;
  simdjson::dom::parser parser;
  size_t line_number = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    ++line_number;
    if (line.empty()) continue;
    simdjson::dom::element entry;
    std::string_view token, value;
    if (parser.parse(line.data(), line.size()).get(entry) != simdjson::SUCCESS ||
        entry["token"].get(token) != simdjson::SUCCESS || entry["value"].get(value) != simdjson::SUCCESS) {
      return input_error(path + ":" + std::to_string(line_number) + ": not a vault entry");
    }
    vault[std::string(token)] = std::string(value);
  }
  std::fill(text.begin(), text.end(), '\0');
  return vault;
}

// The value as it must appear inside a JSON string: escaped, unquoted.
std::string json_content(const std::string& value) {
  std::string quoted;
  record::append_json_string_lossless(quoted, value);
  return quoted.substr(1, quoted.size() - 2);
}

struct Restorer {
  const Vault& vault;
  uint64_t restored = 0;
  uint64_t unknown = 0;

  // Replaces every known pseudonym of `line`, written <…> or \u003c…\u003e.
  std::string restore(std::string_view line) {
    size_t first = line.find_first_not_of(" \t");
    bool json = first != std::string_view::npos && (line[first] == '{' || line[first] == '[');
    std::string out;
    size_t copied = 0;
    for (size_t i = 0; i < line.size(); ++i) {
      size_t open_length = line[i] == '<' ? 1 : line.compare(i, 6, "\\u003c") == 0 ? 6 : 0;
      if (!open_length) continue;
      std::string_view close = open_length == 1 ? ">" : "\\u003e";
      size_t name_end = i + open_length;
      while (name_end < line.size() && (std::isalnum(static_cast<unsigned char>(line[name_end])) || line[name_end] == '_')) {
        ++name_end;
      }
      if (name_end == i + open_length || line.compare(name_end, close.size(), close) != 0) continue;
      std::string token = "<" + std::string(line.substr(i + open_length, name_end - i - open_length)) + ">";
      auto found = vault.find(token);
      if (found == vault.end()) {
        if (token.find('_') != std::string::npos) ++unknown;
        continue;
      }
      out.append(line.substr(copied, i - copied));
      out += json ? json_content(found->second) : found->second;
      copied = name_end + close.size();
      i = copied - 1;
      ++restored;
    }
    out.append(line.substr(copied));
    return out;
  }
};

// Restores every line of `source` to standard output. Lines are held whole
// (a pseudonym must not be cut in two), up to a bound: text this tool is
// given is hostile too.
Status restore_stream(io::ByteSource& source, const std::string& name, Restorer& restorer) {
  constexpr size_t kMaxLineBytes = 64u << 20;
  std::string pending;
  char buffer[1 << 16];
  uint64_t line_number = 0;
  for (bool done = false; !done;) {
    Result<size_t> n = source.read(buffer, sizeof buffer);
    if (!n.ok()) return n.error();
    done = n.value() == 0;
    pending.append(buffer, n.value());
    size_t start = 0;
    for (size_t end; (end = pending.find('\n', start)) != std::string::npos; start = end + 1) {
      ++line_number;
      std::cout << restorer.restore(std::string_view(pending).substr(start, end - start)) << '\n';
    }
    pending.erase(0, start);
    if (pending.size() > kMaxLineBytes) {
      return input_error(name + ":" + std::to_string(line_number + 1) + ": a line longer than 64 MiB");
    }
  }
  if (!pending.empty()) std::cout << restorer.restore(pending);  // a last line without newline
  return ok_status();
}

}  // namespace

int restore_command(const std::vector<std::string>& args) {
  Result<ParsedArgs> parsed = parse_args(args, {{"--vault", "", true},
                                                {"--identity", "-i", true},
                                                {"--quiet", "-q", false},
                                                {"--help", "-h", false}});
  if (!parsed.ok()) return report_usage_error("restore", parsed.error());
  const ParsedArgs& a = parsed.value();
  if (a.has("--help")) {
    std::cout << kRestoreHelp;
    return 0;
  }
  if (a.value("--vault").empty()) return report_usage_error("restore", usage_error("--vault FILE is required"));
  Result<std::vector<crypto::Identity>> identities = read_identity_files(a.values("--identity"), false);
  if (!identities.ok()) return report_error(identities.error());
  if (identities->empty()) return report_usage_error("restore", usage_error("-i IDENTITY is required to open the vault"));
  Result<Vault> vault = read_vault(a.value("--vault"), identities.value());
  if (!vault.ok()) return report_error(vault.error());

  Restorer restorer{vault.value()};
  std::vector<std::string> inputs = a.positionals();
  if (inputs.empty()) inputs.push_back("-");
  for (const std::string& path : inputs) {
    io::InputInfo info;
    Result<std::unique_ptr<io::ByteSource>> source = io::open_input(path, &info);
    if (!source.ok()) return report_error(source.error());
    Status restored = restore_stream(*source.value(), info.display_name, restorer);
    if (!restored.ok()) return report_error(restored.error());
  }
  std::cout.flush();
  if (!std::cout) return report_error(io_error("standard output: write failed"));
  if (!a.has("--quiet")) {
    std::cerr << "airlock restore: " << restorer.restored << " pseudonyms restored";
    if (restorer.unknown) std::cerr << ", " << restorer.unknown << " not in the vault (left as they are)";
    std::cerr << "\n";
  }
  return 0;
}

}  // namespace airlock::cli
