// The JSON Schema and the C++ loader share one vocabulary: the schema's filter "kind" enum is
// proto's filter-kind table, so an editor that validates against the schema accepts exactly the
// kinds ksimd loads. The one exception is "driver": a driver filter names its module with a
// "driver" object, not with a "kind" value. KSIM_CONFIGS_DIR comes from tests/proto/CMakeLists.txt.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "ksim/proto/topology.hpp"

using namespace ksim::proto;

namespace {
std::set<std::string> schema_filter_kinds() {
    std::ifstream in(std::string(KSIM_CONFIGS_DIR) + "/topology.schema.json");
    auto schema = nlohmann::json::parse(in);
    std::set<std::string> kinds;
    for (const auto& k : schema.at("definitions").at("filter").at("properties").at("kind").at("enum"))
        kinds.insert(k.get<std::string>());
    return kinds;
}
}  // namespace

TEST(SchemaVocabulary, FilterKindEnum_IsProtosTableWithoutDriver) {
    std::set<std::string> table;
    for (const FilterKindName& k : filter_kind_names())
        if (k.kind != FilterKind::Driver) table.insert(std::string(k.name));
    EXPECT_EQ(schema_filter_kinds(), table);
}

TEST(SchemaVocabulary, FilterKindEnum_HasNoDriverValue) {
    EXPECT_FALSE(schema_filter_kinds().contains("driver"));
}
