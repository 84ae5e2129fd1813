#include "pipeline/batch_analysis.hpp"

#include "analyzers/analysis.hpp"
#include "pipeline/archive_jobs.hpp"
#include "pipeline/archive_reader.hpp"
#include "pipeline/row_encoder.hpp"
#include "pipeline/stages.hpp"
#include "smf/reader.hpp"
#include "smf/text.hpp"

#include <fmt/format.h>
#include <oneapi/tbb/parallel_pipeline.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <optional>

namespace midilib {

namespace {

/// Opens the archive at @p path into @p reader; false, with the reason in @p error, when it is not there.
bool open_archive(std::optional<archive_reader> &reader, std::string const &path, std::string &error)
{
    struct stat st
    {
    };
    if (::stat(path.c_str(), &st) != 0) {
        error = fmt::format("archive {}: {}", path, std::strerror(errno));
        return false;
    }
    reader.emplace(path, path, static_cast<std::uint64_t>(st.st_size), 0, archive_limits{});
    return true;
}

/// Reads one stored path on its own, by its @p key: a file, or a member of an archive opened for it alone.
bool read_stored_path(std::string const &key, std::vector<std::uint8_t> &bytes, std::string &error,
                      std::atomic<std::size_t> &opens)
{
    auto const where = member_address_of(key);
    if (!where) {
        return read_file(key, bytes, error);
    }
    std::optional<archive_reader> reader;
    if (!open_archive(reader, where->archive, error)) {
        return false;
    }
    ++opens;
    archive_jobs wanted{where->archive};
    wanted.add(0, *where);
    reader->only([&wanted](std::string const &p) { return wanted.wants(p); });
    archive_member member;
    while (reader->next(member)) {
        if (wanted.take(member)) {
            error = member.error;
            bytes = std::move(member.bytes);
            return error.empty();
        }
        if (member.archive_failed) {
            wanted.failed(member);
        }
    }
    error = wanted.unserved().front().second;
    return false;
}

/**
 * Verifies and analyzes the bytes read from stored path @p i of @p job into @p item.
 * \returns false when the content changed since the import (the reason appended to @p reasons):
 * the next path may still hold it. Otherwise @p reasons is the job's error (empty: analyzed).
 */
bool analyze_content(claimed_job const &job, std::size_t i, file_item &item, std::string &reasons)
{
    auto const &path = job.paths[i]; // as stored (UTF-8): for messages
    if (content_hash(item.bytes) != job.hash) {
        reasons += (reasons.empty() ? "" : "; ") + path + ": changed since it was imported";
        item.bytes = {};
        return false;
    }
    auto const parsed = read_smf(item.bytes);
    item.bytes = {};
    if (!parsed.file) {
        reasons = path + ": " + parsed.error;
        return true;
    }
    item.stored.hash = job.hash;
    item.analysis = analyze(*parsed.file);
    item.analyzed = true;
    encode_rows(item);
    reasons.clear();
    return true;
}

/// Tries the job's stored paths from @p first on, each read on its own; returns why none was analyzed.
std::string analyze_job(claimed_job const &job, file_item &item, std::size_t first, std::string reasons,
                        std::atomic<std::size_t> &opens)
{
    if (job.paths.empty()) {
        return "no stored path holds this content";
    }
    for (std::size_t i = first; i < job.paths.size(); ++i) {
        std::string error;
        if (!read_stored_path(job.keys[i], item.bytes, error, opens)) {
            item.bytes = {};
            reasons += (reasons.empty() ? "" : "; ") + job.paths[i] + ": " + to_utf8(error); // it may quote the bytes
            continue;
        }
        if (analyze_content(job, i, item, reasons)) {
            return reasons;
        }
    }
    return reasons;
}

/// A job handed from the reading to the analysis.
struct job_input
{
    std::size_t job = 0;
    bool from_archive = false; ///< its first path was read from an archive: bytes in its item, or a read error
};

/// Hands out a batch's jobs in reading order: archive by archive, each read once, members as they come; then files.
class batch_reader
{
public:
    explicit batch_reader(job_batch &batch)
    : m_batch(batch), m_plan(plan_batch(batch.jobs)), m_read_errors(batch.jobs.size())
    {}

    /// The next job to analyze; nothing when all were handed out.
    std::optional<job_input> next()
    {
        while (true) {
            if (!m_unserved.empty()) {
                auto const job = m_unserved.front();
                m_unserved.pop_front();
                return job_input{job, true};
            }
            if (m_reader) {
                if (auto const job = next_member()) {
                    return job_input{*job, true};
                }
                continue;
            }
            if (m_archive < m_plan.archives.size()) {
                open_next_archive();
                continue;
            }
            if (m_loose < m_plan.loose.size()) {
                return job_input{m_plan.loose[m_loose++], false};
            }
            return std::nullopt;
        }
    }

    /// Why the first path of @p job could not be read from its archive; empty when its bytes are in its item.
    [[nodiscard]] std::string const &read_error(std::size_t job) const { return m_read_errors[job]; }

    [[nodiscard]] std::size_t opens() const noexcept { return m_opens; }

private:
    void open_next_archive()
    {
        auto &group = m_plan.archives[m_archive];
        std::string error;
        if (!open_archive(m_reader, group.archive(), error)) {
            for (auto const &[job, why] : group.unserved()) {
                m_read_errors[job] = error;
                m_unserved.push_back(job);
            }
            ++m_archive;
            return;
        }
        ++m_opens;
        m_reader->only([&group](std::string const &path) { return group.wants(path); });
    }

    /// The job of the next wanted member read; nothing when the archive is done with (then closed).
    std::optional<std::size_t> next_member()
    {
        auto &group = m_plan.archives[m_archive];
        archive_member member;
        while (!group.served() && m_reader->next(member)) {
            if (auto const job = group.take(member)) {
                m_read_errors[*job] = std::move(member.error);
                m_batch.items[*job]->bytes = std::move(member.bytes);
                return job;
            }
            if (member.archive_failed) {
                group.failed(member);
            }
        }
        m_reader.reset();
        for (auto &[job, why] : group.unserved()) {
            m_read_errors[job] = std::move(why);
            m_unserved.push_back(job);
        }
        ++m_archive;
        return std::nullopt;
    }

    job_batch &m_batch;
    batch_plan m_plan;
    std::vector<std::string> m_read_errors; ///< per job; written before the job is handed out
    std::size_t m_archive = 0;              ///< the archive of m_plan being read, or next to open
    std::optional<archive_reader> m_reader;
    std::deque<std::size_t> m_unserved; ///< jobs of the last archive whose member was not read
    std::size_t m_loose = 0;
    std::size_t m_opens = 0;
};

} // namespace

void analyze_batch(job_batch &batch, std::size_t in_flight)
{
    batch_reader reader{batch};
    std::atomic<std::size_t> other_opens{0}; // archives opened for a job's other paths
    auto const read = [&reader](tbb::flow_control &fc) {
        auto next = reader.next();
        if (!next) {
            fc.stop();
            return job_input{};
        }
        return *next;
    };
    auto const analyze = [&](job_input in) {
        auto const &job = batch.jobs[in.job];
        auto &item = *batch.items[in.job];
        std::string reasons;
        if (in.from_archive) {
            if (auto const &error = reader.read_error(in.job); !error.empty()) {
                reasons = job.paths.front() + ": " + to_utf8(error);
            } else if (analyze_content(job, 0, item, reasons)) {
                batch.errors[in.job] = std::move(reasons);
                return;
            }
        }
        batch.errors[in.job] = analyze_job(job, item, in.from_archive ? 1 : 0, std::move(reasons), other_opens);
    };
    // Tokens bound the members read and not analyzed yet, hence the decompressed bytes held.
    tbb::parallel_pipeline(std::max<std::size_t>(in_flight, 1),
                           tbb::make_filter<void, job_input>(tbb::filter_mode::serial_in_order, read) &
                               tbb::make_filter<job_input, void>(tbb::filter_mode::parallel, analyze));
    batch.archive_opens = reader.opens() + other_opens;
}

} // namespace midilib
