// Files a test makes and checks: unique temporary directories, whole files as text, and the
// names in /dev/shm (memfd regions must never add any).
#pragma once

#include <filesystem>
#include <set>
#include <string>

namespace ksim::test_support {

// A unique, empty 0700 directory under the temp directory, named "<prefix>-XXXXXX" (mkdtemp).
// The caller removes it; TempDir does that itself.
std::filesystem::path make_temp_dir(const std::string& prefix);

// A fresh directory removed with its contents at the end of its scope.
class TempDir {
public:
    explicit TempDir(const std::string& prefix = "ksim-test");
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

// The whole file ("" when it cannot be read).
std::string read_file(const std::filesystem::path& path);

// The names in /dev/shm now (empty if it does not exist).
std::set<std::string> dev_shm_entries();

}  // namespace ksim::test_support
