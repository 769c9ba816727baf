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
constexpr const char* kAllOutputs[] = {RunDirectory::kClean, RunDirectory::kCleanEncrypted,
                                       RunDirectory::kQuarantineEncrypted, RunDirectory::kSummary,
                                       RunDirectory::kPseudonymKey};

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
  io::AtomicFile::Options options;
  options.mode = 0600;
  options.replace_existing = force;
  auto create_file = [&](const char* name, std::unique_ptr<io::AtomicFile>& file) -> Status {
    Result<std::unique_ptr<io::AtomicFile>> created = io::AtomicFile::create(path, name, options);
    if (!created.ok()) return created.error();
    file = std::move(created.value());
    return ok_status();
  };
  auto encrypt_into = [&](io::AtomicFile& file, std::unique_ptr<crypto::EncryptingSink>& sink) -> Status {
    Result<std::unique_ptr<crypto::EncryptingSink>> created =
        crypto::EncryptingSink::create(protection.recipients, file);
    if (!created.ok()) return created.error();
    sink = std::move(created.value());
    return ok_status();
  };
  Status s = create_file(protection.plaintext_clean ? kClean : kCleanEncrypted, dir->clean_);
  if (s.ok()) s = create_file(kQuarantineEncrypted, dir->quarantine_);
  if (s.ok()) s = create_file(kSummary, dir->summary_);
  if (s.ok() && !protection.plaintext_clean) s = encrypt_into(*dir->clean_, dir->clean_encrypted_);
  if (s.ok()) s = encrypt_into(*dir->quarantine_, dir->quarantine_encrypted_);
  if (!s.ok()) return s.error();
  return dir;
}

RunDirectory::~RunDirectory() = default;

Sinks RunDirectory::sinks() {
  io::ByteSink* clean = clean_encrypted_ ? static_cast<io::ByteSink*>(clean_encrypted_.get()) : clean_.get();
  return {clean, quarantine_encrypted_.get()};
}

OutputFile RunDirectory::clean_file() const {
  return {clean_encrypted_ ? kCleanEncrypted : kClean, clean_encrypted_ != nullptr};
}
OutputFile RunDirectory::quarantine_file() const { return {kQuarantineEncrypted, true}; }

Status RunDirectory::add_encrypted_file(const char* name, std::string_view content) {
  io::AtomicFile::Options options;
  options.replace_existing = force_;
  Result<std::unique_ptr<io::AtomicFile>> file = io::AtomicFile::create(path_, name, options);
  if (!file.ok()) return file.error();
  Result<std::unique_ptr<crypto::EncryptingSink>> sink = crypto::EncryptingSink::create(recipients_, *file.value());
  if (!sink.ok()) return sink.error();
  Status s = sink.value()->write(content);
  if (s.ok()) s = sink.value()->finish();
  if (!s.ok()) return s;
  extra_files_.push_back(std::move(file.value()));
  return ok_status();
}

Status RunDirectory::commit(const std::string& summary_json) {
  // Encrypted streams end with their final chunk (and fsync the file below).
  Status s = clean_encrypted_ ? clean_encrypted_->finish() : ok_status();
  if (s.ok()) s = quarantine_encrypted_->finish();
  if (s.ok()) s = summary_->write(summary_json);
  // The summary goes last: its presence says the run completed.
  for (auto& extra : extra_files_) {
    if (s.ok()) s = extra->commit();
  }
  for (io::AtomicFile* file : {clean_.get(), quarantine_.get(), summary_.get()}) {
    if (s.ok()) s = file->commit();
  }
  if (!s.ok() || !force_) return s;
  // A forced run replaces an earlier one entirely: an earlier clean output
  // of the other kind (plaintext or encrypted) must not stay beside it.
  ::unlink((path_ + "/" + (clean_encrypted_ ? kClean : kCleanEncrypted)).c_str());
  return ok_status();
}

}  // namespace airlock::pipeline
