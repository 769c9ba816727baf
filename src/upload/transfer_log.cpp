// upload-state.json: where an interrupted Uploads API transfer stands.
#include <simdjson.h>
#include <unistd.h>

#include <algorithm>

#include "record/record.h"
#include "upload/internal.h"
#include "upload/upload.h"

namespace airlock::upload {

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 200) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

std::optional<TransferState> TransferLog::load() const {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.load(dir_ + "/" + kUploadStateFile).get(doc) != simdjson::SUCCESS) return std::nullopt;
  std::string_view format, endpoint, sha256, upload_id;
  uint64_t part_size = 0;
  simdjson::dom::array parts;
  if (doc["format"].get(format) || format != "airlock-upload-state-v1" || doc["endpoint"].get(endpoint) ||
      endpoint != endpoint_ || doc["part_size"].get(part_size) || part_size != part_size_ ||
      doc["plaintext_sha256"].get(sha256) || sha256 != plaintext_sha256_ || doc["upload_id"].get(upload_id) ||
      !valid_id(upload_id) || doc["part_ids"].get(parts)) {
    return std::nullopt;
  }
  TransferState state{std::string(upload_id), {}};
  for (simdjson::dom::element part : parts) {
    std::string_view id;
    if (part.get(id) || !valid_id(id)) return std::nullopt;
    state.part_ids.emplace_back(id);
  }
  return state;
}

Status TransferLog::save(const TransferState& state) const {
  std::string json = "{\"format\":\"airlock-upload-state-v1\",\"endpoint\":";
  record::append_json_string(json, endpoint_);
  json += ",\"part_size\":" + std::to_string(part_size_) + ",\"plaintext_sha256\":\"" + plaintext_sha256_ +
          "\",\"upload_id\":\"" + state.upload_id + "\",\"part_ids\":[";
  for (size_t i = 0; i < state.part_ids.size(); ++i) json += (i ? ",\"" : "\"") + state.part_ids[i] + "\"";
  json += "]}\n";
  Result<std::unique_ptr<io::AtomicFile>> file =
      io::AtomicFile::create(dir_, kUploadStateFile, {.mode = 0600, .replace_existing = true});
  if (!file.ok()) return file.error();
  if (Status s = file.value()->write(json); !s.ok()) return s;
  return file.value()->commit();
}

void TransferLog::remove() const { ::unlink((dir_ + "/" + kUploadStateFile).c_str()); }

}  // namespace airlock::upload
