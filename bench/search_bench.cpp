// Search latency: a fixed mix of QUERIES queries (single word, two words, phrase, prefix,
// facet-only, text + facets, no hit) run by CLIENTS concurrent clients, each with its own
// connection, through midilib's library_searcher. One warm-up pass, then the timed pass.
// Usage: search_bench CONNINFO [CLIENTS] [QUERIES]. Prints one JSON line.

#include "db/connection_pool.hpp"
#include "db/library_search.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <thread>
#include <vector>

namespace {

using namespace midilib;

struct query
{
    char const *kind;
    search_request request;
};

std::vector<query> make_mix(std::size_t n, std::vector<std::string> const &stems)
{
    static constexpr std::array<char const *, 8> GENRES{"house",     "techno", "jazz",    "folk",
                                                        "classical", "hiphop", "ambient", "rock"};
    static constexpr std::array<char const *, 10> ROLES{"kick", "bass",  "lead",  "pad",     "chords",
                                                        "arp",  "drums", "piano", "strings", "melody"};
    static constexpr std::array<char const *, 4> METERS{"4/4", "3/4", "6/8", "2/4"};
    std::mt19937 rng{42};
    auto pick = [&](auto const &v) { return v[rng() % v.size()]; };
    std::vector<query> out;
    for (std::size_t i = 0; i < n; ++i) {
        search_request r;
        char const *kind = "";
        double const bpm = 70 + static_cast<double>(rng() % 100);
        switch (i % 20) {
        case 0:
        case 1:
        case 2:
        case 3:
            kind = "word";
            r.text = i % 2 == 0 ? std::string{pick(GENRES)} : std::string{pick(stems)};
            break;
        case 4:
        case 5:
        case 6:
            kind = "two_words";
            r.text = fmt::format("{} {}", pick(GENRES), pick(ROLES));
            break;
        case 7:
        case 8:
            kind = "phrase";
            r.text = fmt::format("\"{} {}\"", pick(GENRES), pick(ROLES));
            break;
        case 9:
        case 10:
        case 11: {
            kind = "prefix";
            std::string const w = i % 2 == 0 ? pick(stems) : pick(ROLES);
            r.text = w.substr(0, std::min<std::size_t>(w.size(), 3 + rng() % 3));
            break;
        }
        case 12:
        case 13:
        case 14:
            kind = "facets";
            if (i % 3 == 0) {
                r.bpm = std::pair{bpm, bpm + 10};
            } else if (i % 3 == 1) {
                r.key = std::pair{static_cast<int>(rng() % 12), rng() % 2 == 0};
            } else {
                r.time_signature = pick(METERS);
                r.drums = true;
            }
            break;
        case 15:
        case 16:
        case 17:
        case 18:
            kind = "text_facets";
            r.text = i % 2 == 0 ? std::string{pick(GENRES)} : std::string{pick(ROLES)};
            if (i % 3 == 0) {
                r.bpm = std::pair{bpm, bpm + 10};
            } else {
                r.key = std::pair{static_cast<int>(rng() % 12), rng() % 2 == 0};
            }
            break;
        default:
            kind = "no_hit";
            r.text = fmt::format("qzx{}vw", rng() % 100000);
            break;
        }
        r.limit = 20;
        out.push_back({kind, r});
    }
    return out;
}

double percentile(std::vector<double> v, double p)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

} // namespace

int main(int argc, char **argv)
{
    if (argc < 2) {
        fmt::print(stderr, "usage: search_bench CONNINFO [CLIENTS] [QUERIES]\n");
        return 2;
    }
    std::string const conninfo = argv[1];
    std::size_t const clients = argc > 2 ? std::stoul(argv[2]) : 8;
    std::size_t const n = argc > 3 ? std::stoul(argv[3]) : 1000;
    auto admin = open_connection(conninfo, "midilib.bench");
    std::vector<std::string> stems;
    long files = 0;
    {
        pqxx::nontransaction tx{*admin};
        files = tx.exec1("SELECT count(*) FROM file_search")[0].as<long>();
        for (auto const &row : tx.exec("SELECT DISTINCT split_part(name_words, ' ', 3) FROM file_search TABLESAMPLE"
                                       " SYSTEM (1) WHERE name_words <> '' LIMIT 200")) {
            auto w = row[0].as<std::string>();
            std::transform(w.begin(), w.end(), w.begin(), [](unsigned char c) { return std::tolower(c); });
            if (w.size() >= 3) {
                stems.push_back(w);
            }
        }
    }
    if (stems.empty()) {
        stems.push_back("ashover");
    }
    auto const mix = make_mix(n, stems);
    std::vector<double> latencies(n);
    std::vector<std::size_t> hits(n);
    double wall = 0.0;
    // Each client keeps its connection for both passes, as a search service keeps its pool: a
    // new server process spends its first searches loading the catalog of the partitions and
    // their indexes (17 ms for a search that takes 4 ms on a warm connection).
    std::vector<std::unique_ptr<pqxx::connection>> connections;
    std::vector<std::unique_ptr<library_searcher>> searchers;
    for (std::size_t c = 0; c < clients; ++c) {
        connections.push_back(open_connection(conninfo, fmt::format("midilib.bench/S{}", c + 1)));
        searchers.push_back(std::make_unique<library_searcher>(*connections.back()));
    }
    for (int pass = 0; pass < 2; ++pass) { // pass 0 warms the caches
        auto const start = std::chrono::steady_clock::now();
        std::vector<std::thread> threads;
        for (std::size_t c = 0; c < clients; ++c) {
            threads.emplace_back([&, c] {
                auto &searcher = *searchers[c];
                for (std::size_t i = c; i < n; i += clients) {
                    auto const t0 = std::chrono::steady_clock::now();
                    hits[i] = searcher.find(mix[i].request).hits.size();
                    latencies[i] =
                        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
                }
            });
        }
        for (auto &t : threads) {
            t.join();
        }
        wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    std::map<std::string, std::vector<double>> by_kind;
    std::size_t empty = 0;
    for (std::size_t i = 0; i < n; ++i) {
        by_kind[mix[i].kind].push_back(latencies[i]);
        empty += hits[i] == 0 ? 1 : 0;
    }
    if (std::getenv("MIDILIB_BENCH_SLOWEST") != nullptr) { // the slowest queries, to stderr
        std::vector<std::size_t> order(n);
        for (std::size_t i = 0; i < n; ++i) {
            order[i] = i;
        }
        std::sort(order.begin(), order.end(), [&](auto a, auto b) { return latencies[a] > latencies[b]; });
        for (std::size_t k = 0; k < std::min<std::size_t>(n, std::stoul(std::getenv("MIDILIB_BENCH_SLOWEST"))); ++k) {
            auto const &r = mix[order[k]].request;
            fmt::print(stderr, "{:8.2f} ms {:12} hits {:3} text '{}'{}{}{}{}\n", latencies[order[k]],
                       mix[order[k]].kind, hits[order[k]], r.text,
                       r.bpm ? fmt::format(" bpm {}-{}", r.bpm->first, r.bpm->second) : "",
                       r.key ? fmt::format(" key {}{}", r.key->first, r.key->second ? "m" : "") : "",
                       r.time_signature ? " ts " + *r.time_signature : "", r.drums ? " drums" : "");
        }
    }
    std::string kinds;
    for (auto const &[kind, v] : by_kind) {
        kinds += fmt::format("{}\"{}_p50_ms\":{:.2f}", kinds.empty() ? "" : ",", kind, percentile(v, 0.5));
    }
    fmt::print("{{\"bench\":\"search\",\"files\":{},\"queries\":{},\"clients\":{},\"p50_ms\":{:.2f},\"p95_ms\":{:.2f},"
               "\"p99_ms\":{:.2f},\"queries_per_sec\":{:.0f},\"empty_results\":{},{}}}\n",
               files, n, clients, percentile(latencies, 0.5), percentile(latencies, 0.95), percentile(latencies, 0.99),
               static_cast<double>(n) / wall, empty, kinds);
    return 0;
}
