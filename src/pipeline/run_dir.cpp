// The run directory: outputs written under temporary names, published
// together once the run has succeeded.
#include <sys/stat.h>

#include <cerrno>

#include "pipeline/pipeline.h"

namespace airlock::pipeline {
namespace {

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
                                                           const std::vector<io::InputInfo>& inputs) {
  if (path.empty()) return usage_error("--out: a folder is required");
  Status made = make_directory(path);
  if (!made.ok()) return made.error();
  std::unique_ptr<RunDirectory> dir(new RunDirectory());
  dir->path_ = path;
  io::AtomicFile::Options options;
  options.mode = 0600;
  options.replace_existing = force;
  std::unique_ptr<io::AtomicFile>* files[] = {&dir->clean_, &dir->quarantine_, &dir->summary_};
  const char* names[] = {kClean, kQuarantine, kSummary};
  for (int i = 0; i < 3; ++i) {
    Status checked = check_output(path + "/" + names[i], force, inputs);
    if (!checked.ok()) return checked.error();
    Result<std::unique_ptr<io::AtomicFile>> file = io::AtomicFile::create(path, names[i], options);
    if (!file.ok()) return file.error();
    *files[i] = std::move(file.value());
  }
  return dir;
}

Status RunDirectory::commit(const std::string& summary_json) {
  Status s = summary_->write(summary_json);
  // The summary goes last: its presence says the run completed.
  for (io::AtomicFile* file : {clean_.get(), quarantine_.get(), summary_.get()}) {
    if (s.ok()) s = file->commit();
  }
  return s;
}

}  // namespace airlock::pipeline
