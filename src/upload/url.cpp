// Base URLs: what upload accepts, and what counts as loopback.
#include <arpa/inet.h>

#include <charconv>

#include "upload/internal.h"

namespace airlock::upload {
namespace {

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

bool valid_port(std::string_view port) {
  unsigned value = 0;
  auto [end, err] = std::from_chars(port.data(), port.data() + port.size(), value);
  return err == std::errc() && end == port.data() + port.size() && value >= 1 && value <= 65535;
}

bool valid_host(std::string_view host) {
  if (host.empty()) return false;
  for (char c : host) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
              c == ':' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

bool Url::is_loopback() const {
  if (host == "localhost") return true;
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return ::inet_pton(AF_INET6, host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

std::string Url::text() const {
  std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  bool default_port = port == (tls ? "443" : "80");
  return std::string(tls ? "https://" : "http://") + shown + (default_port ? "" : ":" + port) + path;
}

Status check_transport(const Url& url, bool allow_insecure_loopback) {
  if (url.tls || (url.is_loopback() && allow_insecure_loopback)) return ok_status();
  return usage_error(url.text() + ": plain http is refused (the key and the data would cross the network in clear)" +
                     (url.is_loopback() ? "; for a local test server give --allow-insecure-loopback" : "; use https"));
}

Result<Url> parse_url(std::string_view text) {
  auto bad = [&](const std::string& why) { return usage_error("--base-url " + std::string(text) + ": " + why); };
  Url url;
  std::string_view rest;
  if (starts_with_ci(text, "https://")) {
    rest = text.substr(8);
  } else if (starts_with_ci(text, "http://")) {
    url.tls = false;
    rest = text.substr(7);
  } else {
    return bad("not an http:// or https:// URL");
  }
  if (rest.find_first_of("?#@") != std::string_view::npos) return bad("a query, fragment or user name is not allowed");
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  std::string_view host = authority, port;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("an unclosed [ in the host");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after[0] != ':') return bad("text after the IPv6 address");
    if (!after.empty()) port = after.substr(1);
  } else if (size_t colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (!valid_host(host)) return bad("no valid host");
  if (!port.empty() && !valid_port(port)) return bad("the port is not a number from 1 to 65535");
  if (path.find_first_of(" \r\n\t\"") != std::string_view::npos)
    return bad("the path holds a space or control character");
  url.host = std::string(host);
  url.port = port.empty() ? (url.tls ? "443" : "80") : std::string(port);
  url.path = std::string(path);
  return url;
}

}  // namespace airlock::upload
