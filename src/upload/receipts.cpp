// Receipts of deliveries (DIR/uploads.jsonl) and the outbox target.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "audit/audit.h"
#include "base/utc.h"
#include "record/record.h"
#include "upload/internal.h"
#include "upload/upload.h"

namespace airlock::upload {
namespace {

constexpr std::string_view kSignatureKey = ",\"signature\":\"";

void add_string(std::string& out, std::string_view key, std::string_view value) {
  out += ",\"";
  out += key;
  out += "\":";
  record::append_json_string(out, value);
}

// The receipt's keys in a fixed order, without the closing brace.
std::string receipt_fields(const Receipt& r) {
  std::string out = "{\"format\":\"airlock-upload-receipt-v1\"";
  add_string(out, "time", r.time);
  add_string(out, "endpoint", r.endpoint);
  add_string(out, "api", r.api);
  if (!r.purpose.empty()) add_string(out, "purpose", r.purpose);
  add_string(out, "filename", r.filename);
  add_string(out, "file_id", r.file_id);
  out += ",\"bytes\":" + std::to_string(r.bytes);
  add_string(out, "plaintext_sha256", r.plaintext_sha256);
  add_string(out, "run_id", r.run_id);
  add_string(out, "manifest_sha256", r.manifest_sha256);
  return out;
}

// Copies the verified plaintext into `sink`; the last read (0) is the one
// that proves the whole matched, so the caller commits only after this.
Status copy_verified(io::ByteSource& source, io::ByteSink& sink, uint64_t* bytes) {
  crypto::SecretBytes buffer(1 << 20);
  for (;;) {
    Result<size_t> got = source.read(reinterpret_cast<char*>(buffer.data()), buffer.size());
    if (!got.ok()) return got.error();
    if (got.value() == 0) return sink.finish();
    *bytes += got.value();
    if (Status s = sink.write(buffer.view().substr(0, got.value())); !s.ok()) return s;
  }
}

}  // namespace

Result<std::string> receipt_line(const Receipt& receipt, const crypto::SigningKey* key) {
  std::string line = receipt_fields(receipt);
  if (key) {
    add_string(line, "signer", key->public_key());
    Result<std::string> signature = key->sign(line + "}");
    if (!signature.ok()) return signature.error();
    line += std::string(kSignatureKey) + signature.value() + "\"";
  }
  return line + "}\n";
}

bool verify_receipt_line(std::string_view line, std::string_view public_key) {
  size_t at = line.rfind(kSignatureKey);
  if (at == std::string_view::npos || line.size() < at + kSignatureKey.size() + 2 ||
      line.substr(line.size() - 2) != "\"}") {
    return false;
  }
  std::string signed_bytes = std::string(line.substr(0, at)) + "}";
  std::string_view signature = line.substr(at + kSignatureKey.size());
  signature.remove_suffix(2);
  return crypto::verify_signature(public_key, signed_bytes, signature);
}

Status append_receipt(const std::string& dir, const Receipt& receipt, const crypto::SigningKey* key) {
  Result<std::string> line = receipt_line(receipt, key);
  if (!line.ok()) return line.error();
  std::string path = dir + "/" + kReceiptsFile;
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return io_error(path + ": cannot open for appending: " + io::errno_text(errno));
  // One write of a whole line with O_APPEND: concurrent uploads of the same
  // run never interleave their receipts.
  Status written = io::write_all(fd, line.value(), path);
  if (written.ok() && ::fsync(fd) != 0) written = io_error(path + ": fsync failed: " + io::errno_text(errno));
  ::close(fd);
  return written;
}

Result<Receipt> write_to_outbox(const VerifiedRun& run, const std::string& folder) {
  std::error_code ec;
  std::string absolute = std::filesystem::absolute(folder, ec).lexically_normal().string();
  if (ec) absolute = folder;
  Result<std::unique_ptr<io::AtomicFile>> file = io::AtomicFile::create(folder, run.upload_name(), {});
  if (!file.ok()) return file.error();
  Result<std::unique_ptr<io::ByteSource>> source = open_verified_plaintext(run);
  if (!source.ok()) return source.error();
  Receipt receipt;
  if (Status s = copy_verified(**source, **file, &receipt.bytes); !s.ok()) return s.error();
  if (Status s = file.value()->commit(); !s.ok()) return s.error();
  receipt.time = utc_timestamp();
  receipt.endpoint = "dir:" + absolute;
  receipt.api = "outbox";
  receipt.filename = run.upload_name();
  receipt.file_id = run.upload_name();
  receipt.plaintext_sha256 = run.plaintext_sha256;
  receipt.manifest_sha256 = run.manifest_sha256;
  receipt.run_id = run.run_id;
  return receipt;
}

}  // namespace airlock::upload
