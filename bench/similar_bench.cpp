// Similar latency: QUERIES `similar` queries (a third without facets, a third with a key, a third
// with a key and a tempo range) for files drawn from the library, run by CLIENTS concurrent
// clients, each with its own connection, through find_similar(). One warm-up pass, then the timed pass.
// Usage: similar_bench CONNINFO [CLIENTS] [QUERIES]. Prints one JSON line.

#include "db/connection_pool.hpp"
#include "db/similar.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace midilib;

struct query
{
    char const *kind;
    similar_request request;
};

/// The mix over @p ids (files with a feature vector), in a fixed order.
std::vector<query> make_mix(std::size_t n, std::vector<std::int64_t> const &ids)
{
    std::mt19937 rng{42};
    std::vector<query> out;
    for (std::size_t i = 0; i < n; ++i) {
        similar_request r;
        r.id = ids[rng() % ids.size()];
        char const *kind = "plain";
        if (i % 3 == 1) {
            kind = "key";
            r.facets.key = std::pair{static_cast<int>(rng() % 12), rng() % 2 == 0};
        } else if (i % 3 == 2) {
            kind = "key_bpm";
            double const bpm = 70 + static_cast<double>(rng() % 100);
            r.facets.key = std::pair{static_cast<int>(rng() % 12), rng() % 2 == 0};
            r.facets.bpm = std::pair{bpm, bpm + 20};
        }
        r.facets.limit = 20;
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
        fmt::print(stderr, "usage: similar_bench CONNINFO [CLIENTS] [QUERIES]\n");
        return 2;
    }
    std::string const conninfo = argv[1];
    std::size_t const clients = argc > 2 ? std::stoul(argv[2]) : 4;
    std::size_t const n = argc > 3 ? std::stoul(argv[3]) : 300;
    std::vector<std::int64_t> ids;
    long files = 0;
    {
        auto admin = open_connection(conninfo, "midilib.bench");
        pqxx::nontransaction tx{*admin};
        files = tx.exec1("SELECT count(*) FROM file_search")[0].as<long>();
        for (auto const &row : tx.exec("SELECT s.file_id FROM file_search s JOIN file_analysis a USING (file_id)"
                                       " WHERE a.features IS NOT NULL ORDER BY md5(s.file_id::text) LIMIT 1000")) {
            ids.push_back(row[0].as<std::int64_t>());
        }
    }
    if (ids.empty()) {
        fmt::print(stderr, "similar_bench: no file with a feature vector in the library\n");
        return 1;
    }
    auto const mix = make_mix(n, ids);
    std::vector<double> latencies(n);
    std::vector<char> exact(n);
    double wall = 0.0;
    std::vector<std::unique_ptr<pqxx::connection>> connections;
    for (std::size_t c = 0; c < clients; ++c) {
        connections.push_back(open_connection(conninfo, fmt::format("midilib.bench/S{}", c + 1)));
    }
    for (int pass = 0; pass < 2; ++pass) { // pass 0 warms the caches
        auto const start = std::chrono::steady_clock::now();
        std::vector<std::thread> threads;
        for (std::size_t c = 0; c < clients; ++c) {
            threads.emplace_back([&, c] {
                for (std::size_t i = c; i < n; i += clients) {
                    auto const t0 = std::chrono::steady_clock::now();
                    exact[i] = find_similar(*connections[c], mix[i].request).exact ? 1 : 0;
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
    for (std::size_t i = 0; i < n; ++i) {
        by_kind[mix[i].kind].push_back(latencies[i]);
    }
    std::string kinds;
    for (auto const &[kind, v] : by_kind) {
        kinds += fmt::format(",\"{}_p50_ms\":{:.2f},\"{}_p95_ms\":{:.2f}", kind, percentile(v, 0.5), kind,
                             percentile(v, 0.95));
    }
    fmt::print("{{\"bench\":\"similar\",\"files\":{},\"queries\":{},\"clients\":{},\"p50_ms\":{:.2f},\"p95_ms\":{:.2f},"
               "\"queries_per_sec\":{:.1f},\"exact\":{}{}}}\n",
               files, n, clients, percentile(latencies, 0.5), percentile(latencies, 0.95),
               static_cast<double>(n) / wall, std::count(exact.begin(), exact.end(), 1), kinds);
    return 0;
}
