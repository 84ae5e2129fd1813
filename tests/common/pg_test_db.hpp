#pragma once
/// A throw-away PostgreSQL database per test process, with the migrations applied.
/// Connects with the libpq PG* variables (run the tests under pg_virtualenv).

#include <pqxx/pqxx>

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace midilib::testing {

/// Creates a database named midilib_test_<pid>_<n>, applies migrations/, and drops it in
/// the destructor unless MIDILIB_KEEP_TEST_DB is set.
class temp_database
{
public:
    temp_database();
    temp_database(temp_database const &) = delete;
    temp_database &operator=(temp_database const &) = delete;
    temp_database(temp_database &&) = delete;
    temp_database &operator=(temp_database &&) = delete;
    ~temp_database();

    /// Conninfo for this database (the rest comes from the PG* variables).
    [[nodiscard]] std::string const &conninfo() const noexcept { return m_conninfo; }
    /// Its name.
    [[nodiscard]] std::string const &name() const noexcept { return m_name; }

    /// The first column of the first row of @p sql.
    template <typename T>
    T scalar(std::string const &sql) const
    {
        pqxx::connection cx{m_conninfo};
        pqxx::nontransaction tx{cx};
        return tx.exec1(sql)[0].as<T>();
    }

    /// Rows of @p table matching @p where.
    long count_rows(std::string const &table, std::string const &where = "true") const;

    /// Runs @p sql.
    void exec(std::string const &sql) const;

private:
    std::string m_name;
    std::string m_conninfo;
};

/// The corpus beside the repository (../shared/corpus), or an empty path when absent.
std::filesystem::path corpus_dir();

/// The built midilib binary.
std::filesystem::path midilib_binary();

/**
 * Copies the file or folder tree @p from to @p to and makes every copy writable by its owner.
 * The shared corpus is read-only, and a plain copy keeps its modes: as root that goes unseen,
 * but a test run by any other user could then not add files to a copied folder nor change a
 * copied file.
 */
void copy_writable(std::filesystem::path const &from, std::filesystem::path const &to);

/// A fresh, empty temporary folder, removed by the destructor.
class temp_dir
{
public:
    temp_dir();
    temp_dir(temp_dir const &) = delete;
    temp_dir &operator=(temp_dir const &) = delete;
    temp_dir(temp_dir &&) = delete;
    temp_dir &operator=(temp_dir &&) = delete;
    ~temp_dir();
    /// Its path.
    [[nodiscard]] std::filesystem::path const &path() const noexcept { return m_path; }

private:
    std::filesystem::path m_path;
};

} // namespace midilib::testing
