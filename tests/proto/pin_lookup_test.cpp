// The unknown-pin description ksimd, ksimctl and the config loader share (proto/pin_lookup.hpp):
// a guess for a typo, a short list otherwise, and a cost that does not grow with a filter's size.
#include "ksim/proto/pin_lookup.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using ksim::proto::describe_unknown_pin;
using ksim::proto::FilterPinIds;

std::vector<FilterPinIds> filter_with_pins(const std::string& filter, int count, const std::string& stem) {
    std::vector<FilterPinIds> graph{{filter, {}}};
    for (int i = 0; i < count; ++i) graph[0].pins.push_back(stem + std::to_string(i));
    return graph;
}

TEST(PinLookup, ATypo_GetsTheClosestPin) {
    const std::vector<FilterPinIds> graph{{"camera", {"capture", "preview"}}};
    const auto d = describe_unknown_pin({"camera", "captrue"}, graph);
    EXPECT_EQ(d.message, "filter \"camera\" has no pin \"captrue\"");
    EXPECT_EQ(d.hint, "did you mean \"camera.capture\"?");
}

TEST(PinLookup, NothingClose_ListsAtMostEightPins_AndHowManyMore) {
    const auto graph = filter_with_pins("host", 20, "output");
    const auto d = describe_unknown_pin({"host", "zzzzzzzzzzzzzzzz"}, graph);
    EXPECT_EQ(d.hint,
              "one of: host.output0, host.output1, host.output2, host.output3, host.output4, host.output5, "
              "host.output6, host.output7 (and 12 more)");
}

TEST(PinLookup, AnUnknownFilter_ListsAtMostEightFilters) {
    std::vector<FilterPinIds> graph;
    for (int i = 0; i < 10; ++i) graph.push_back({"filter" + std::to_string(i), {}});
    const auto d = describe_unknown_pin({"zzzzzzzzzzzzzzzz", "input"}, graph);
    EXPECT_EQ(d.message, "no filter \"zzzzzzzzzzzzzzzz\"");
    EXPECT_EQ(d.hint,
              "one of the filters: filter0, filter1, filter2, filter3, filter4, filter5, filter6, "
              "filter7 (and 2 more)");
}

TEST(PinLookup, GeneratedNames_GetNoGuess_SoAMissCostsNoEditDistances) {
    // Names longer than 64 characters are generated, not typed: a miss among thousands of them
    // (a client's pins going away while events about them are sent) must stay cheap.
    const std::string stem(120, 'x');
    const auto graph = filter_with_pins("host", 3000, stem);
    const auto d = describe_unknown_pin({"host", stem + "9999"}, graph);
    EXPECT_EQ(d.hint.rfind("one of: host." + stem + "0, ", 0), 0u) << d.hint.substr(0, 200);
    EXPECT_NE(d.hint.find("(and 2992 more)"), std::string::npos);
}

}  // namespace
