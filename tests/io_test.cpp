// io: sources (plain, gzip, zstd, stdin) and atomically published files.
#include "io/io.h"

#include <sys/stat.h>
#include <zlib.h>
#include <zstd.h>

#include <catch2/catch.hpp>

#include "test_util.h"

using namespace airlock;
using airlock::test::TempDir;

namespace {

std::string gzip_bytes(const std::string& plain) {
  z_stream s{};
  REQUIRE(deflateInit2(&s, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&s, plain.size()) + 32, '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  s.avail_in = static_cast<uInt>(plain.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&s, Z_FINISH) == Z_STREAM_END);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

std::string zstd_bytes(const std::string& plain) {
  std::string out(ZSTD_compressBound(plain.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), plain.data(), plain.size(), 3);
  REQUIRE_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

// Reads a whole file through open_input; returns the bytes or the error text.
Result<std::string> read_all(const std::string& path, io::InputInfo* info = nullptr) {
  Result<std::unique_ptr<io::ByteSource>> source = io::open_input(path, info);
  if (!source.ok()) return source.error();
  std::string out;
  char buffer[1000];  // small, so reads cross every internal boundary
  for (;;) {
    Result<size_t> n = source.value()->read(buffer, sizeof buffer);
    if (!n.ok()) return n.error();
    if (n.value() == 0) return out;
    out.append(buffer, n.value());
  }
}

std::string sample_text(size_t lines) {
  std::string text;
  for (size_t i = 0; i < lines; ++i) text += "{\"n\":" + std::to_string(i * 7919 % 1000) + ",\"text\":\"line\"}\n";
  return text;
}

}  // namespace

TEST_CASE("plain files are read as they are, with their size and identity", "[io]") {
  TempDir dir;
  std::string text = sample_text(500);
  test::write_file(dir / "in.jsonl", text);
  io::InputInfo info;
  Result<std::string> got = read_all(dir / "in.jsonl", &info);
  REQUIRE(got.ok());
  CHECK(got.value() == text);
  CHECK(info.compression == io::Compression::kNone);
  REQUIRE(info.file_size.has_value());
  CHECK(*info.file_size == text.size());
  CHECK(info.inode != 0);
}

TEST_CASE("short files shorter than a magic number are read whole", "[io]") {
  TempDir dir;
  for (std::string text : {"", "a", "\x1f", "\x1f\x8a", "ab\n"}) {
    test::write_file(dir / "f", text);
    Result<std::string> got = read_all(dir / "f");
    REQUIRE(got.ok());
    CHECK(got.value() == text);
  }
  test::write_file(dir / "f", "\x1f\x8b");  // a gzip magic number and nothing else
  CHECK_FALSE(read_all(dir / "f").ok());
}

TEST_CASE("a missing input or a folder is an input error naming the path", "[io]") {
  TempDir dir;
  Result<std::string> missing = read_all(dir / "nope.jsonl");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().exit_code() == 3);
  CHECK_THAT(missing.error().message, Catch::Contains("nope.jsonl") && Catch::Contains("No such file"));
  Result<std::string> folder = read_all(dir.path());
  REQUIRE_FALSE(folder.ok());
  CHECK_THAT(folder.error().message, Catch::Contains("directory"));
}

TEST_CASE("gzip is decompressed, recognised by content, including multi-member files", "[io]") {
  TempDir dir;
  std::string a = sample_text(3000), b = sample_text(17);
  test::write_file(dir / "one.bin", gzip_bytes(a));
  io::InputInfo info;
  Result<std::string> one = read_all(dir / "one.bin", &info);
  REQUIRE(one.ok());
  CHECK(one.value() == a);
  CHECK(info.compression == io::Compression::kGzip);

  test::write_file(dir / "two.gz", gzip_bytes(a) + gzip_bytes(b) + gzip_bytes(""));
  Result<std::string> two = read_all(dir / "two.gz");
  REQUIRE(two.ok());
  CHECK(two.value() == a + b);
}

TEST_CASE("a truncated gzip stream is an error at every cut, never a short success", "[io]") {
  TempDir dir;
  std::string compressed = gzip_bytes(sample_text(200));
  for (size_t cut = 2; cut < compressed.size(); ++cut) {
    test::write_file(dir / "cut.gz", compressed.substr(0, cut));
    Result<std::string> got = read_all(dir / "cut.gz");
    INFO("cut at " << cut << " of " << compressed.size());
    REQUIRE_FALSE(got.ok());
    CHECK(got.error().exit_code() == 3);
    CHECK_THAT(got.error().message, Catch::Contains("cut.gz"));
  }
}

TEST_CASE("bytes after a gzip member that are not another member are an error", "[io]") {
  TempDir dir;
  test::write_file(dir / "junk.gz", gzip_bytes("a\n") + "garbage");
  Result<std::string> got = read_all(dir / "junk.gz");
  REQUIRE_FALSE(got.ok());
  CHECK_THAT(got.error().message, Catch::Contains("trailing garbage"));
}

TEST_CASE("corrupt gzip data is an error", "[io]") {
  TempDir dir;
  std::string compressed = gzip_bytes(sample_text(50));
  compressed[compressed.size() / 2] ^= 0x55;
  test::write_file(dir / "bad.gz", compressed);
  CHECK_FALSE(read_all(dir / "bad.gz").ok());
}

TEST_CASE("zstd is decompressed, with concatenated frames, and truncation is an error", "[io]") {
  TempDir dir;
  std::string a = sample_text(4000), b = sample_text(3);
  test::write_file(dir / "x.zst", zstd_bytes(a) + zstd_bytes(b));
  io::InputInfo info;
  Result<std::string> got = read_all(dir / "x.zst", &info);
  REQUIRE(got.ok());
  CHECK(got.value() == a + b);
  CHECK(info.compression == io::Compression::kZstd);

  std::string compressed = zstd_bytes(a);
  for (size_t cut : {size_t{4}, size_t{5}, compressed.size() / 2, compressed.size() - 1}) {
    test::write_file(dir / "cut.zst", compressed.substr(0, cut));
    INFO("cut at " << cut);
    CHECK_FALSE(read_all(dir / "cut.zst").ok());
  }
}

TEST_CASE("an atomic file appears only on commit, private, and never half-written", "[io]") {
  TempDir dir;
  {
    auto file = io::AtomicFile::create(dir.path(), "out.jsonl", {});
    REQUIRE(file.ok());
    REQUIRE(file.value()->write("hello\n").ok());
    CHECK_FALSE(test::exists(dir / "out.jsonl"));
    REQUIRE(file.value()->commit().ok());
  }
  CHECK(test::read_file(dir / "out.jsonl") == "hello\n");
  struct stat st {};
  REQUIRE(::stat((dir / "out.jsonl").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  {
    auto file = io::AtomicFile::create(dir.path(), "abandoned.jsonl", {});
    REQUIRE(file.ok());
    REQUIRE(file.value()->write("partial").ok());
  }
  CHECK_FALSE(test::exists(dir / "abandoned.jsonl"));
  size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) ++entries;
  CHECK(entries == 1);  // out.jsonl only: no temporary file left behind
}

TEST_CASE("an atomic file does not replace an existing file unless asked", "[io]") {
  TempDir dir;
  test::write_file(dir / "out.jsonl", "old\n");
  auto refused = io::AtomicFile::create(dir.path(), "out.jsonl", {});
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.error().message, Catch::Contains("already exists"));

  io::AtomicFile::Options replace;
  replace.replace_existing = true;
  auto file = io::AtomicFile::create(dir.path(), "out.jsonl", replace);
  REQUIRE(file.ok());
  REQUIRE(file.value()->write("new\n").ok());
  REQUIRE(file.value()->commit().ok());
  CHECK(test::read_file(dir / "out.jsonl") == "new\n");
}

TEST_CASE("an atomic file never writes through a symbolic link", "[io]") {
  TempDir dir;
  test::write_file(dir / "target", "precious\n");
  std::filesystem::create_symlink(dir / "target", dir / "out.jsonl");
  CHECK_FALSE(io::AtomicFile::create(dir.path(), "out.jsonl", {}).ok());
  io::AtomicFile::Options replace;
  replace.replace_existing = true;
  auto file = io::AtomicFile::create(dir.path(), "out.jsonl", replace);
  REQUIRE(file.ok());
  REQUIRE(file.value()->write("new\n").ok());
  REQUIRE(file.value()->commit().ok());
  CHECK(test::read_file(dir / "target") == "precious\n");  // the link was replaced, not followed
  CHECK_FALSE(std::filesystem::is_symlink(dir / "out.jsonl"));
}

TEST_CASE("an atomic file in a missing folder is an I/O error", "[io]") {
  TempDir dir;
  auto file = io::AtomicFile::create(dir / "missing", "x", {});
  REQUIRE_FALSE(file.ok());
  CHECK(file.error().exit_code() == 3);
}

TEST_CASE("SHA-256 matches the FIPS 180-2 examples, in one piece or many", "[io]") {
  io::Sha256 abc;
  abc.update("abc");
  CHECK(abc.hex_digest() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  io::Sha256 pieces;
  std::string message = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  for (char c : message) pieces.update(std::string_view(&c, 1));
  CHECK(pieces.hex_digest() == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}
