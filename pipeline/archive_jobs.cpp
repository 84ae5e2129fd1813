#include "pipeline/archive_jobs.hpp"

#include <sys/stat.h>

#include <algorithm>

namespace midilib {

namespace {

constexpr std::string_view SEPARATOR = "!/";

bool is_regular_file(std::string const &path)
{
    struct stat st
    {
    };
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool exists(std::string const &path)
{
    struct stat st
    {
    };
    return ::stat(path.c_str(), &st) == 0;
}

/// True when @p path lies inside the archive at @p archive.
bool inside(std::string const &path, std::string const &archive)
{
    return path.size() > archive.size() + SEPARATOR.size() && path.starts_with(archive) &&
           std::string_view{path}.substr(archive.size(), SEPARATOR.size()) == SEPARATOR;
}

} // namespace

std::optional<member_address> member_address_of(std::string const &fs_path)
{
    auto const first = fs_path.find(SEPARATOR);
    if (first == std::string::npos || exists(fs_path)) {
        return std::nullopt;
    }
    for (auto at = first; at != std::string::npos; at = fs_path.find(SEPARATOR, at + SEPARATOR.size())) {
        if (auto prefix = fs_path.substr(0, at); is_regular_file(prefix)) {
            return member_address{std::move(prefix), fs_path};
        }
    }
    return member_address{fs_path.substr(0, first), fs_path}; // gone: opening it says why
}

void archive_jobs::add(std::size_t job, member_address const &where)
{
    m_waiting.emplace(where.member, job);
    // Every archive on the way to the member, inside this one: "a.zip!/in.tar" for "a.zip!/in.tar!/x.mid".
    for (auto at = where.member.find(SEPARATOR, m_archive.size() + SEPARATOR.size()); at != std::string::npos;
         at = where.member.find(SEPARATOR, at + SEPARATOR.size())) {
        m_nested.insert(where.member.substr(0, at));
    }
}

bool archive_jobs::wants(std::string const &path) const { return m_waiting.contains(path) || m_nested.contains(path); }

std::optional<std::size_t> archive_jobs::take(archive_member const &member)
{
    auto const it = m_waiting.find(member.path);
    if (it == m_waiting.end()) {
        return std::nullopt;
    }
    auto const job = it->second;
    m_waiting.erase(it);
    return job;
}

void archive_jobs::failed(archive_member const &failed) { m_failed.emplace_back(failed.path, failed.error); }

std::vector<std::pair<std::size_t, std::string>> archive_jobs::unserved() const
{
    std::vector<std::pair<std::size_t, std::string>> out;
    for (auto const &[path, job] : m_waiting) {
        // The innermost failed archive that held the member says why.
        std::pair<std::string, std::string> const *why = nullptr;
        for (auto const &f : m_failed) {
            if (inside(path, f.first) && (why == nullptr || f.first.size() > why->first.size())) {
                why = &f;
            }
        }
        out.emplace_back(job, why != nullptr ? "archive " + why->first + ": " + why->second
                                             : std::string{"member not found in its archive any more"});
    }
    std::sort(out.begin(), out.end());
    return out;
}

batch_plan plan_batch(std::span<claimed_job const> jobs)
{
    batch_plan plan;
    std::unordered_map<std::string, std::size_t> index; // archive -> its place in plan.archives
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        auto const where = jobs[i].fs_paths.empty() ? std::nullopt : member_address_of(jobs[i].fs_paths.front());
        if (!where) {
            plan.loose.push_back(i);
            continue;
        }
        auto const [it, added] = index.emplace(where->archive, plan.archives.size());
        if (added) {
            plan.archives.emplace_back(where->archive);
        }
        plan.archives[it->second].add(i, *where);
    }
    return plan;
}

} // namespace midilib
