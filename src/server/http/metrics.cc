#include "server/http/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace cloudlite::server {
namespace {

// [a-zA-Z_:][a-zA-Z0-9_:]* for metric names ([a-zA-Z_][a-zA-Z0-9_]* for labels): any other
// character becomes '_'.
std::string SanitizeName(std::string_view name, bool allow_colon) {
  std::string out(name.empty() ? "_" : name);
  for (size_t i = 0; i < out.size(); ++i) {
    const char c = out[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                    (allow_colon && c == ':') || (i > 0 && c >= '0' && c <= '9');
    if (!ok) out[i] = '_';
  }
  return out;
}

// Label values and help text escape backslash and newline; label values also the quote.
std::string Escape(std::string_view text, bool quote) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

// `a="x",b="y"` (without braces); the key of a series within its family.
std::string RenderLabels(const Labels& labels) {
  std::string out;
  for (const auto& [name, value] : labels) {
    if (!out.empty()) out += ',';
    out += SanitizeName(name, false) + "=\"" + Escape(value, true) + '"';
  }
  return out;
}

std::string FormatNumber(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string Braced(const std::string& labels, const std::string& extra = "") {
  std::string all = labels;
  if (!extra.empty()) all += (all.empty() ? "" : ",") + extra;
  return all.empty() ? "" : "{" + all + "}";
}

void AtomicAdd(std::atomic<double>* a, double by) { a->fetch_add(by, std::memory_order_relaxed); }

}  // namespace

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
  std::sort(bounds_.begin(), bounds_.end());
  bounds_.erase(std::unique(bounds_.begin(), bounds_.end()), bounds_.end());
  std::erase_if(bounds_, [](double b) { return std::isnan(b) || std::isinf(b); });
  counts_ = std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1);
}

void Histogram::Observe(double v) {
  const size_t bucket = std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin();
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(&sum_, v);
}

std::vector<uint64_t> Histogram::CumulativeCounts() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  uint64_t total = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    total += counts_[i].load(std::memory_order_relaxed);
    out[i] = total;
  }
  return out;
}

std::vector<double> LatencyBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
}

MetricsRegistry::Family* MetricsRegistry::FamilyFor(std::string_view name, std::string_view help,
                                                    Type type) {
  auto [it, inserted] = families_.try_emplace(SanitizeName(name, true));
  if (inserted) {
    it->second.type = type;
    it->second.help = std::string(help);
  }
  return it->second.type == type ? &it->second : &orphans_;
}

Counter* MetricsRegistry::GetCounter(std::string_view name, std::string_view help,
                                     const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& slot = FamilyFor(name, help, Type::kCounter)->counters[RenderLabels(labels)];
  if (!slot) slot = std::make_unique<Counter>();
  return slot.get();
}

Gauge* MetricsRegistry::GetGauge(std::string_view name, std::string_view help,
                                 const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& slot = FamilyFor(name, help, Type::kGauge)->gauges[RenderLabels(labels)];
  if (!slot) slot = std::make_unique<Gauge>();
  return slot.get();
}

Histogram* MetricsRegistry::GetHistogram(std::string_view name, std::string_view help,
                                         std::vector<double> bounds, const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& slot = FamilyFor(name, help, Type::kHistogram)->histograms[RenderLabels(labels)];
  if (!slot) slot = std::make_unique<Histogram>(std::move(bounds));
  return slot.get();
}

void MetricsRegistry::RenderFamily(std::string* out, const std::string& name,
                                   const Family& family) const {
  static constexpr const char* kTypeNames[] = {"counter", "gauge", "histogram"};
  *out += "# HELP " + name + " " + Escape(family.help, false) + "\n";
  *out += "# TYPE " + name + " " + kTypeNames[static_cast<int>(family.type)] + "\n";
  for (const auto& [labels, c] : family.counters) {
    *out += name + Braced(labels) + " " + FormatNumber(c->value()) + "\n";
  }
  for (const auto& [labels, g] : family.gauges) {
    *out += name + Braced(labels) + " " + FormatNumber(g->value()) + "\n";
  }
  for (const auto& [labels, h] : family.histograms) {
    const std::vector<uint64_t> counts = h->CumulativeCounts();
    for (size_t i = 0; i < counts.size(); ++i) {
      const std::string le = i < h->bounds().size() ? FormatNumber(h->bounds()[i]) : "+Inf";
      *out += name + "_bucket" + Braced(labels, "le=\"" + le + "\"") + " " +
              std::to_string(counts[i]) + "\n";
    }
    *out += name + "_sum" + Braced(labels) + " " + FormatNumber(h->sum()) + "\n";
    *out += name + "_count" + Braced(labels) + " " + std::to_string(counts.back()) + "\n";
  }
}

std::string MetricsRegistry::Render() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, family] : families_) RenderFamily(&out, name, family);
  return out;
}

Response MetricsResponse(const MetricsRegistry& registry) {
  Response r;
  r.body = registry.Render();
  r.set_header("content-type", "text/plain; version=0.0.4; charset=utf-8");
  return r;
}

}  // namespace cloudlite::server
