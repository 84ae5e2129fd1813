// Compares three ways to COPY rows shaped like stage_paths into PostgreSQL:
//   stream_to    libpqxx 6.4 stream_to (one PQputCopyData per row)
//   copy_buffer  every row encoded into one buffer first, then sent in 64 KiB chunks
//   copy_stream  raw libpq, a 64 KiB chunk sent as soon as it is encoded (what midilib uses)
// Usage: copy_bench CONNINFO [ROWS]. Prints one JSON line per method (median of 5 rounds).

#include "db/copy_buffer.hpp"

#include <fmt/format.h>
#include <pqxx/pqxx>

#include <algorithm>
#include <chrono>
#include <string>
#include <tuple>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

struct row
{
    std::string path;
    std::string hash_hex;
    std::int64_t size;
    std::int64_t mtime_us;
};

std::vector<row> make_rows(std::size_t n)
{
    std::vector<row> rows;
    rows.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        rows.push_back(
            {fmt::format("/home/user/midi/collection {}/folder_{}/Deep_House_Kick_{}_C.mid", i % 97, i % 1013, i),
             fmt::format("\\x{:032x}", i * 2654435761U), static_cast<std::int64_t>(13000 + i % 5000),
             static_cast<std::int64_t>(1700000000000000 + i)});
    }
    return rows;
}

double run_stream_to(pqxx::connection &cx, std::vector<row> const &rows)
{
    pqxx::work tx{cx};
    tx.exec0("TRUNCATE bench_copy");
    auto const start = clock_type::now();
    pqxx::stream_to stream{tx, "bench_copy", std::vector<std::string>{"path", "hash", "size_bytes", "mtime_us"}};
    for (auto const &r : rows) {
        stream << std::make_tuple(r.path, r.hash_hex, r.size, r.mtime_us);
    }
    stream.complete();
    tx.commit();
    return std::chrono::duration<double>(clock_type::now() - start).count();
}

double run_copy_buffer(pqxx::connection &cx, std::vector<row> const &rows)
{
    pqxx::work tx{cx};
    tx.exec0("TRUNCATE bench_copy");
    auto const start = clock_type::now();
    midilib::copy_buffer buf;
    for (auto const &r : rows) {
        buf.text(r.path);
        buf.text(r.hash_hex);
        buf.integer(r.size);
        buf.integer(r.mtime_us);
        buf.end_row();
    }
    midilib::copy_rows(tx, "bench_copy (path, hash, size_bytes, mtime_us)", buf);
    tx.commit();
    return std::chrono::duration<double>(clock_type::now() - start).count();
}

double run_copy_stream(pqxx::connection &cx, std::vector<row> const &rows)
{
    pqxx::work tx{cx};
    tx.exec0("TRUNCATE bench_copy");
    auto const start = clock_type::now();
    midilib::copy_stream stream{tx, "bench_copy (path, hash, size_bytes, mtime_us)"};
    for (auto const &r : rows) {
        stream.row().text(r.path);
        stream.row().text(r.hash_hex);
        stream.row().integer(r.size);
        stream.row().integer(r.mtime_us);
        stream.end_row();
    }
    stream.complete();
    tx.commit();
    return std::chrono::duration<double>(clock_type::now() - start).count();
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

} // namespace

int main(int argc, char **argv)
{
    if (argc < 2) {
        fmt::print(stderr, "usage: copy_bench CONNINFO [ROWS]\n");
        return 2;
    }
    std::size_t const n = argc > 2 ? std::stoul(argv[2]) : 200000;
    pqxx::connection cx{argv[1]};
    {
        pqxx::work tx{cx};
        tx.exec0("CREATE TEMP TABLE bench_copy (path text, hash bytea, size_bytes bigint, mtime_us bigint)");
        tx.commit();
    }
    auto const rows = make_rows(n);
    constexpr int ROUNDS = 5;
    std::vector<double> a;
    std::vector<double> b;
    std::vector<double> c;
    for (int i = 0; i < ROUNDS; ++i) {
        a.push_back(run_stream_to(cx, rows));
        b.push_back(run_copy_buffer(cx, rows));
        c.push_back(run_copy_stream(cx, rows));
    }
    for (auto const &[name, times] :
         {std::pair{"stream_to", a}, std::pair{"copy_buffer", b}, std::pair{"copy_stream", c}}) {
        double const s = median(times);
        fmt::print("{{\"bench\":\"copy\",\"method\":\"{}\",\"rows\":{},\"rounds\":{},\"median_seconds\":{:.4f},"
                   "\"rows_per_sec\":{:.0f}}}\n",
                   name, n, ROUNDS, s, static_cast<double>(n) / s);
    }
    return 0;
}
