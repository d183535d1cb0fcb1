// What ksimsrc and ksimsink share: their properties (pin, socket, commit-timeout), read under
// the object lock into the options of a PinSession, and how a libksim error becomes an element
// error on the bus.
#pragma once

#include <gst/gst.h>

#include <string>

#include "ksim/proto/error.hpp"
#include "pin_session.hpp"

namespace ksim::gst {

enum ElementProperty : guint { kPropPin = 1, kPropSocket, kPropCommitTimeout };

// The settings behind the properties, owned by the element instance.
struct ElementSettings {
    std::string pin;
    std::string socket;  // empty: libksim's default
    guint commit_timeout_ms = 10'000;
};

void install_element_properties(GObjectClass* klass, const char* pin_blurb);
// True when `id` is one of the shared properties (then it was set / read).
bool set_element_property(GObject* object, ElementSettings& settings, guint id, const GValue* value);
bool get_element_property(GObject* object, const ElementSettings& settings, guint id, GValue* value);

// A snapshot of the settings as PinSession options (takes the object lock).
PinSessionOptions session_options(GstElement* element, const ElementSettings& settings, PinRole role);

// GST_ELEMENT_ERROR for a libksim error: ksimd being gone or unreachable is a RESOURCE error
// (OPEN_READ_WRITE while opening, READ/WRITE while streaming), a bad pin name or role SETTINGS.
// `what` is the sentence a user sees ("ksimd went away"), the debug string is libksim's message.
void post_error(GstElement* element, const Error& error, bool streaming, bool writing);

}  // namespace ksim::gst
