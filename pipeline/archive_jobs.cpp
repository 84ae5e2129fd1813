#include "pipeline/archive_jobs.hpp"

#include <algorithm>

namespace midilib {

namespace {

/// The places in member key @p key where a member's name begins after its archive's key (each
/// just after a NUL that follows a name, not one of the NUL NUL before an ordinal).
template <typename Visit>
void for_each_archive_prefix(std::string const &key, Visit visit)
{
    for (auto at = key.find('\0'); at != std::string::npos; at = key.find('\0', at + 1)) {
        if (at + 1 < key.size() && key[at + 1] != '\0' && at > 0 && key[at - 1] != '\0') {
            visit(std::string_view{key}.substr(0, at));
        }
    }
}

/// True when the member with key @p key lies inside the archive with key @p archive.
bool inside(std::string const &key, std::string const &archive)
{
    bool found = false;
    for_each_archive_prefix(key, [&](std::string_view prefix) { found = found || prefix == archive; });
    return found;
}

} // namespace

std::optional<member_address> member_address_of(std::string const &key)
{
    auto const nul = key.find('\0');
    if (nul == std::string::npos) {
        return std::nullopt;
    }
    return member_address{key.substr(0, nul), key};
}

void archive_jobs::add(std::size_t job, member_address const &where)
{
    m_waiting.emplace(where.member, job);
    // Every archive on the way to the member, inside this one: "a.zip\0in.tar" for "a.zip\0in.tar\0x.mid".
    for_each_archive_prefix(where.member, [&](std::string_view prefix) {
        if (prefix.size() > m_archive.size()) {
            m_nested.emplace(prefix);
        }
    });
}

bool archive_jobs::wants(std::string const &key) const { return m_waiting.contains(key) || m_nested.contains(key); }

std::optional<std::size_t> archive_jobs::take(archive_member const &member)
{
    auto const it = m_waiting.find(member.key);
    if (it == m_waiting.end()) {
        return std::nullopt;
    }
    auto const job = it->second;
    m_waiting.erase(it);
    return job;
}

void archive_jobs::failed(archive_member const &failed) { m_failed.push_back({failed.key, failed.path, failed.error}); }

std::vector<std::pair<std::size_t, std::string>> archive_jobs::unserved() const
{
    std::vector<std::pair<std::size_t, std::string>> out;
    for (auto const &[key, job] : m_waiting) {
        // The innermost failed archive that held the member says why.
        failure const *why = nullptr;
        for (auto const &f : m_failed) {
            if (inside(key, f.key) && (why == nullptr || f.key.size() > why->key.size())) {
                why = &f;
            }
        }
        out.emplace_back(job, why != nullptr ? "archive " + why->path + ": " + why->error
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
        auto const where = jobs[i].keys.empty() ? std::nullopt : member_address_of(jobs[i].keys.front());
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
