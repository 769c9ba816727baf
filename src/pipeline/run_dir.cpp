// The run directory: outputs written under temporary names, encrypted as
// they are written, published together once the run has succeeded.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "pipeline/pipeline.h"

namespace airlock::pipeline {
namespace {

// Every name a run may have written, so that --force leaves no stale one.
constexpr const char* kAllOutputs[] = {RunDirectory::kClean,         RunDirectory::kCleanEncrypted,
                                       RunDirectory::kQuarantineEncrypted, RunDirectory::kSummary,
                                       RunDirectory::kPseudonymKey,  audit::kAuditKeyFile,
                                       audit::kAuditFile,            audit::kManifestFile,
                                       audit::kSignatureFile,        audit::kReportJson,
                                       audit::kReportHtml,           RunDirectory::kVault,
                                       // an earlier run's upload receipts must not stay beside a new run
                                       audit::kReceiptsFile,         audit::kUploadStateFile};

Status make_directory(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return io_error(path + ": exists and is not a folder");
    return ok_status();
  }
  if (errno != ENOENT) return io_error(path + ": " + io::errno_text(errno));
  // Parents as `mkdir -p` makes them; the run folder itself private.
  size_t slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    Status parent = make_directory(path.substr(0, slash));
    if (!parent.ok()) return parent;
  }
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    return io_error(path + ": cannot create folder: " + io::errno_text(errno));
  }
  return ok_status();
}

// An existing output must be neither an input nor (without --force) kept.
Status check_output(const std::string& path, bool force, const std::vector<io::InputInfo>& inputs) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return ok_status();
  for (const io::InputInfo& input : inputs) {
    if (input.inode != 0 && input.device == st.st_dev && input.inode == st.st_ino) {
      return usage_error(path + ": is also an input (" + input.display_name + "); refusing to overwrite it");
    }
  }
  if (!force) return usage_error(path + ": already exists (use --force to replace the run's outputs)");
  return ok_status();
}

}  // namespace

Result<std::unique_ptr<RunDirectory>> RunDirectory::create(const std::string& path, bool force,
                                                           const std::vector<io::InputInfo>& inputs,
                                                           const OutputProtection& protection) {
  if (path.empty()) return usage_error("--out: a folder is required");
  if (protection.recipients.empty()) return usage_error("no recipient to encrypt the run's outputs to");
  for (const char* name : kAllOutputs) {
    Status checked = check_output(path + "/" + name, force, inputs);
    if (!checked.ok()) return checked.error();
  }
  Status made = make_directory(path);
  if (!made.ok()) return made.error();
  std::unique_ptr<RunDirectory> dir(new RunDirectory());
  dir->path_ = path;
  dir->force_ = force;
  dir->recipients_ = protection.recipients;
  dir->clean_name_ = protection.plaintext_clean ? kClean : kCleanEncrypted;
  Result<Entry> clean = dir->open_entry(dir->clean_name_.c_str(), !protection.plaintext_clean, 0600);
  if (!clean.ok()) return clean.error();
  dir->clean_ = std::move(clean.value());
  Result<Entry> quarantine = dir->open_entry(kQuarantineEncrypted, true, 0600);
  if (!quarantine.ok()) return quarantine.error();
  dir->quarantine_ = std::move(quarantine.value());
  Result<std::unique_ptr<io::ScratchFile>> scratch = io::ScratchFile::create(path);
  if (!scratch.ok()) return scratch.error();
  dir->scratch_ = std::move(scratch.value());
  return dir;
}

RunDirectory::~RunDirectory() = default;

Result<RunDirectory::Entry> RunDirectory::open_entry(const char* name, bool encrypt, mode_t mode) {
  io::AtomicFile::Options options;
  options.mode = mode;
  options.replace_existing = force_;
  Result<std::unique_ptr<io::AtomicFile>> file = io::AtomicFile::create(path_, name, options);
  if (!file.ok()) return file.error();
  Entry entry;
  entry.file = std::move(file.value());
  entry.stored = std::make_unique<io::DigestingSink>(*entry.file);
  if (encrypt) {
    Result<std::unique_ptr<crypto::EncryptingSink>> sink = crypto::EncryptingSink::create(recipients_, *entry.stored);
    if (!sink.ok()) return sink.error();
    entry.encrypted = std::move(sink.value());
    entry.plaintext = std::make_unique<io::DigestingSink>(*entry.encrypted);
  }
  return entry;
}

// Ends the entry's stream (and fsyncs it) and records its facts.
Status RunDirectory::finish_entry(Entry& entry, const std::string& name) {
  if (entry.finished) return ok_status();
  entry.finished = true;
  io::ByteSink& top = entry.plaintext ? static_cast<io::ByteSink&>(*entry.plaintext) : *entry.stored;
  Status s = top.finish();
  if (!s.ok()) return s;
  audit::FileFacts facts;
  facts.path = name;
  facts.size = entry.stored->bytes();
  facts.sha256 = entry.stored->hex_digest();
  facts.encrypted = entry.plaintext != nullptr;
  if (entry.plaintext) {
    facts.plaintext_size = entry.plaintext->bytes();
    facts.plaintext_sha256 = entry.plaintext->hex_digest();
  }
  facts_.push_back(std::move(facts));
  return ok_status();
}

Sinks RunDirectory::sinks() {
  io::ByteSink* clean = clean_.plaintext ? static_cast<io::ByteSink*>(clean_.plaintext.get()) : clean_.stored.get();
  return {clean, quarantine_.plaintext.get(), scratch_.get(), vault_.plaintext.get()};
}

Status RunDirectory::open_vault() {
  Result<Entry> vault = open_entry(kVault, true, 0600);
  if (!vault.ok()) return vault.error();
  vault_ = std::move(vault.value());
  return ok_status();
}

OutputFile RunDirectory::clean_file() const { return {clean_name_, clean_.encrypted != nullptr}; }
OutputFile RunDirectory::quarantine_file() const { return {kQuarantineEncrypted, true}; }

Status RunDirectory::add_encrypted_file(const char* name, std::string_view content) {
  Result<Entry> entry = open_entry(name, true, 0600);
  if (!entry.ok()) return entry.error();
  Status s = entry->plaintext->write(content);
  if (!s.ok()) return s;
  extra_.emplace_back(name, std::move(entry.value()));
  return ok_status();
}

Status RunDirectory::finish_outputs() {
  Status s = finish_entry(clean_, clean_name_);
  if (s.ok()) s = finish_entry(quarantine_, kQuarantineEncrypted);
  if (s.ok() && vault_.file) s = finish_entry(vault_, kVault);
  for (auto& [name, entry] : extra_) {
    if (s.ok()) s = finish_entry(entry, name);
  }
  return s;
}

Result<audit::FileFacts> RunDirectory::add_file(const char* name, const std::function<Status(io::ByteSink&)>& write) {
  // Private like the rest of the run folder: sharing is the user's choice.
  Result<Entry> entry = open_entry(name, false, 0600);
  if (!entry.ok()) return entry.error();
  Status s = write(*entry->stored);
  if (s.ok()) s = finish_entry(entry.value(), name);
  if (!s.ok()) return s.error();
  extra_.emplace_back(name, std::move(entry.value()));
  return facts_.back();
}

Result<audit::FileFacts> RunDirectory::add_file(const char* name, std::string_view content) {
  return add_file(name, [content](io::ByteSink& sink) { return sink.write(content); });
}

Status RunDirectory::publish() {
  Status s = finish_outputs();
  for (io::AtomicFile* file : {clean_.file.get(), quarantine_.file.get(), vault_.file.get()}) {
    if (s.ok() && file) s = file->commit();
  }
  for (auto& [name, entry] : extra_) {
    if (s.ok()) s = entry.file->commit();
  }
  if (!s.ok() || !force_) return s;
  // A forced run replaces an earlier one entirely: no file of the earlier
  // run (a clean output of the other kind, a signature) may stay beside it.
  for (const char* name : kAllOutputs) {
    bool written = name == clean_name_ || std::string_view(name) == kQuarantineEncrypted ||
                   (vault_.file && std::string_view(name) == kVault);
    for (const auto& extra : extra_) written |= extra.first == name;
    if (!written) ::unlinkat(AT_FDCWD, (path_ + "/" + name).c_str(), 0);
  }
  return ok_status();
}

}  // namespace airlock::pipeline
